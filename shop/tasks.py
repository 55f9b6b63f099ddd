from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_product_image(image_id: int) -> str | None:
    image = services.process_image(image_id)
    return image.status if image else None
