from celery import shared_task

from . import catalog


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_product_image(image_id: int) -> str | None:
    """Kept only to drain messages queued before photos moved to core.tasks.process_image (one task
    for product and story photos): a message of an unregistered task would leave its photo PENDING
    for ever. Nothing enqueues it any more."""
    image = catalog.process_image(image_id)
    return image.status if image else None
