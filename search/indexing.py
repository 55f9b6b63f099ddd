"""Keeping the index in step with the catalog: what to (re)index when something changes, the
whole rebuild, and the scheduling of both after the transaction that made the change commits."""

import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator

from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from shop.models import Product

from .backends import RebuildReport, SearchBackend, get_backend
from .documents import documents
from .selectors import indexable_products

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


# Below this many products, building documents in one process is quicker than starting others.
PARALLEL_FROM = 20_000
BATCH = 2000


def all_documents(workers: int | None = None, batch: int = BATCH) -> Iterator[dict]:
    """Every indexable product's document, grouped by category. Segmenting Chinese is the slow part of a
    rebuild (about a millisecond a product), so a large catalogue is split over processes (one a
    CPU by default) while this one writes what they return.

    The processes are started here, before the caller iterates: they are forked, so this
    process's database connection is closed first, which must not happen inside the caller's
    transaction (a rebuild writes in one)."""
    # By category: the rows of like goods (土豆, 马铃薯, 洋芋) then sit together in a rebuilt
    # database index, so a search reads a few hundred pages of it rather than one a match.
    ids = list(indexable_products().order_by("category_id", "pk").values_list("pk", flat=True))
    if workers is None:
        workers = (os.cpu_count() or 1) if len(ids) >= PARALLEL_FROM else 1
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    if workers <= 1:
        return (document for chunk in batches for document in documents(chunk))
    connections.close_all()  # each process opens its own connection
    pool = multiprocessing.get_context("fork").Pool(workers)
    return _gathered(pool, pool.imap(_documents_of, batches))


def _gathered(pool, results) -> Iterator[dict]:
    with pool:
        for found in results:
            yield from found


def _documents_of(ids: list[int]) -> list[dict]:
    return list(documents(ids))


def related_product_ids(kind: str, pk: int) -> list[int]:
    return list(Product.objects.filter(RELATED_PRODUCTS[kind](pk)).values_list("pk", flat=True))


# Products indexed a batch at a time when a change touches many (a village, a category).
SYNC_BATCH = 500


def sync(product_ids: Iterable[int], related: Iterable[tuple[str, int]] = ()) -> int:
    """Reindex products that changed, and those of changed farmers, villages, categories… (kinds
    of RELATED_PRODUCTS); returns how many products were looked at."""
    ids = set(product_ids)
    for kind, pk in related:
        ids.update(related_product_ids(kind, pk))
    ordered = sorted(ids)
    for start in range(0, len(ordered), SYNC_BATCH):
        index_products(ordered[start : start + SYNC_BATCH])
    return len(ordered)


def rebuild(backend: SearchBackend | None = None, workers: int | None = None) -> RebuildReport:
    """Index every visible product afresh. Products changed while the rebuild ran are indexed
    again once it is done, since their updates may have gone to the index being replaced."""
    backend = backend or get_backend()
    started = timezone.now()
    report = backend.rebuild(all_documents(workers))
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
