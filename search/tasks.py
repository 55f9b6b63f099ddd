from celery import shared_task

from . import indexing
from .backends import SearchUnavailable

BATCH = 500


@shared_task(acks_late=True, autoretry_for=(SearchUnavailable, OSError), retry_backoff=True, max_retries=8)
def sync_index(product_ids: list[int], related: list[list]) -> int:
    """Reindex products that changed, and those of changed farmers, villages, categories…"""
    ids = set(product_ids)
    for kind, pk in related:
        ids.update(indexing.related_product_ids(kind, pk))
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        indexing.index_products(ordered[start : start + BATCH])
    return len(ordered)
