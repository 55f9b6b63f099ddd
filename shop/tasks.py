from celery import shared_task

from . import catalog, order_mail, orders


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_product_image(image_id: int) -> str | None:
    """Kept only to drain messages queued before photos moved to core.tasks.process_image (one task
    for product and story photos): a message of an unregistered task would leave its photo PENDING
    for ever. Nothing enqueues it any more."""
    image = catalog.process_image(image_id)
    return image.status if image else None


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_order_link(order_id: int, url: str, language: str) -> None:
    """Idempotent enough: a retry may send the same link twice, never a wrong one."""
    order_mail.send_order_link(order_id, url, language)


@shared_task
def cancel_unpaid_orders() -> int:
    """Cancel orders paid online that stayed unpaid too long (every 5 minutes, settings.
    CELERY_BEAT_SCHEDULE); safe to repeat or overlap: a cancelled order is not cancelled again."""
    return len(orders.cancel_unpaid_orders())
