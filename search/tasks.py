from celery import shared_task
from django.db import OperationalError

from . import indexing
from .backends import SearchUnavailable


# An engine that is down does not fail the task: what it missed is queued and caught up later. The
# database not answering does (its index cannot be written, nor the queue): retried with backoff.
@shared_task(
    acks_late=True, autoretry_for=(SearchUnavailable, OSError, OperationalError), retry_backoff=True, max_retries=8
)
def sync_index(product_ids: list[int], related: list[list]) -> int:
    """Reindex products that changed, and those of changed farmers, villages, categories…; then
    one batch of what a backend missed, if it answers again."""
    count = indexing.sync(product_ids, [(kind, pk) for kind, pk in related])
    indexing.catch_up(seconds=0)
    return count


@shared_task(acks_late=True)
def catch_up_index() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): index what each backend missed while it was down."""
    return indexing.catch_up()
