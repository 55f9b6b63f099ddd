"""Keeping the index in step with the catalog: what to (re)index when something changes, the
whole rebuild, and the scheduling of both after the transaction that made the change commits."""

import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shop.models import Product

from .backends import RebuildReport, SearchBackend, get_backend
from .documents import documents

logger = logging.getLogger(__name__)

# What a change to each kind of object can alter in products' documents or visibility.
RELATED_PRODUCTS = {
    "farmer": lambda pk: Q(farmer_id=pk),
    "cooperative": lambda pk: Q(cooperative_id=pk),
    "village": lambda pk: Q(village_id=pk),
    "county": lambda pk: Q(village__county_id=pk),
    "province": lambda pk: Q(village__county__province_id=pk),
    "category": lambda pk: Q(category_id=pk) | Q(category__parent_id=pk),
}


def index_products(product_ids: Iterable[int], backend: SearchBackend | None = None) -> None:
    """Bring these products' documents up to date: visible ones (re)indexed, the rest removed
    (unpublished, seller suspended, deleted). Idempotent, so a retried task does no harm."""
    backend = backend or get_backend()
    wanted = set(product_ids)
    if not wanted:
        return
    found = list(documents(wanted))
    backend.bulk_index(found)
    backend.delete_many(sorted(wanted - {document["id"] for document in found}))


def related_product_ids(kind: str, pk: int) -> list[int]:
    return list(Product.objects.filter(RELATED_PRODUCTS[kind](pk)).values_list("pk", flat=True))


def rebuild(backend: SearchBackend | None = None) -> RebuildReport:
    """Index every visible product afresh. Products changed while the rebuild ran are indexed
    again once it is done, since their updates may have gone to the index being replaced."""
    backend = backend or get_backend()
    started = timezone.now()
    report = backend.rebuild(documents())
    index_products(Product.objects.filter(updated_at__gte=started).values_list("pk", flat=True), backend)
    return report


# --- Scheduling -------------------------------------------------------------------------------


def schedule(product_ids: Iterable[int] = (), related: Iterable[tuple[str, int]] = ()) -> None:
    """Reindex after the current transaction commits, once for everything it changed.

    Changes gather in one pending set per connection; every change also registers a flush, and
    the first flush to run sends the whole set as one task (the later ones find it empty). A
    change inside a rolled-back transaction is sent with the next one: harmless, as indexing
    reads the current state."""
    pending = connection.__dict__.setdefault("_search_pending", {"products": set(), "related": set()})
    pending["products"].update(product_ids)
    pending["related"].update(related)
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    pending = connection.__dict__.get("_search_pending")
    if not pending or not (pending["products"] or pending["related"]):
        return
    products, related = sorted(pending["products"]), sorted(pending["related"])
    pending["products"].clear()
    pending["related"].clear()
    from .tasks import sync_index

    sync_index.delay(products, [list(pair) for pair in related])
