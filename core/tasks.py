from celery import shared_task
from django.apps import apps

from core.image_models import ProcessedImage


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_image(model_label: str, image_id: int) -> str | None:
    """Process one photo of any ProcessedImage model (`shop.productimage`, `promotion.contentimage`)."""
    from core.image_services import process_image as process

    model = apps.get_model(model_label)
    if not issubclass(model, ProcessedImage):
        raise ValueError(f"{model_label} is not a photo model")
    image = process(model, image_id)
    return image.status if image else None


@shared_task(acks_late=True, expires=60)
def drain_outbox() -> int:
    """Every OUTBOX_DRAIN_SECONDS (beat): send the tasks the broker could not take when asked."""
    from core import outbox

    return outbox.drain()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_account_exists(email: str, login_url: str, language: str) -> None:
    """Idempotent enough: a retry may send the same notice twice."""
    from core.shoppers import send_account_exists_mail

    send_account_exists_mail(email, login_url, language)
