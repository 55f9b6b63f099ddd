from celery import shared_task

from . import indexing
from .backends import SearchUnavailable


@shared_task(acks_late=True, autoretry_for=(SearchUnavailable, OSError), retry_backoff=True, max_retries=8)
def sync_index(product_ids: list[int], related: list[list]) -> int:
    """Reindex products that changed, and those of changed farmers, villages, categories…"""
    return indexing.sync(product_ids, [(kind, pk) for kind, pk in related])
