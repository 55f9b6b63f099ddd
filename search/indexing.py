"""Keeping the index in step with the catalog: what to (re)index when something changes, the
whole rebuild, and the scheduling of both after the transaction that made the change commits.

Changes are written to every configured backend (the engine and its database fallback), each on
its own: one that is down or fails never stops the others. What a backend missed is queued
(`PendingSync`) and `catch_up` writes it there once it answers again, so after an outage of any
length each index converges to the catalogue."""

import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator

from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import outbox
from shop.models import Product

from . import fallback
from .backends import RebuildReport, SearchBackend, SearchUnavailable, backends, get_backend
from .documents import documents
from .models import PendingSync
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
    (unpublished, seller suspended, deleted). Idempotent, so a retried task does no harm.

    Into `backend` alone when given (its errors raised); otherwise into every configured backend,
    each on its own: a backend that is down (or skipped by the fallback's breaker) or fails gets
    the products queued for `catch_up`, the others are written all the same. An error other than
    the engine not answering is raised once every backend has been tried."""
    wanted = set(product_ids)
    if not wanted:
        return
    found = list(documents(wanted))
    gone = sorted(wanted - {document["id"] for document in found})
    if backend is not None:
        _write(backend, found, gone)
        return
    unexpected = None
    for each in backends.all():
        state = fallback.state(each)
        if "down" in state:
            queue(each, wanted)
            continue
        try:
            _write(each, found, gone)
        except SearchUnavailable as error:
            fallback.failed(each, error)
            queue(each, wanted)
        except Exception as error:
            logger.exception(
                "search backend %r could not index %d products; queued to catch up", each.name, len(wanted)
            )
            queue(each, wanted)
            unexpected = unexpected or error
        else:
            if "suspect" in state:
                fallback.recovered(each)
    if unexpected is not None:
        raise unexpected


def _write(backend: SearchBackend, found: list[dict], gone: list[int]) -> None:
    backend.bulk_index(found)
    backend.delete_many(gone)


# --- What a backend missed ------------------------------------------------------------------


def queue(backend: SearchBackend, product_ids: Iterable[int]) -> None:
    """Remember that `backend` missed these products (again: one row each, its time renewed)."""
    now = timezone.now()
    PendingSync.objects.bulk_create(
        [PendingSync(backend=backend.name, product_id=pk, queued_at=now) for pk in sorted(set(product_ids))],
        update_conflicts=True,
        unique_fields=["backend", "product_id"],
        update_fields=["queued_at"],
        batch_size=SYNC_BATCH,
    )


def pending_counts() -> dict[str, int]:
    """How many products each backend has yet to catch up on (backends with none left out)."""
    rows = PendingSync.objects.values("backend").annotate(count=Count("pk")).order_by("backend")
    return {row["backend"]: row["count"] for row in rows}


# A beat task runs every minute; one run stops starting new batches after this long.
CATCH_UP_SECONDS = 50


def catch_up(seconds: float = CATCH_UP_SECONDS) -> dict[str, int]:
    """Index what each backend missed, a batch at a time, oldest first, and forget it once written;
    a backend that is down (or skipped by the breaker) keeps its queue. At least one batch each,
    then batches until `seconds` have passed. Returns how many products each backend caught up on.

    A product queued again while its batch was being written keeps its row (its time is newer than
    the batch's read), so that change is written by the next run, never lost."""
    caught_up = {}
    deadline = time.monotonic() + seconds
    for name in PendingSync.objects.values_list("backend", flat=True).distinct().order_by("backend"):
        if name not in backends:  # no longer configured: nothing to catch up
            PendingSync.objects.filter(backend=name).delete()
            continue
        backend = get_backend(name)
        state = fallback.state(backend)
        if "down" in state:
            continue
        caught_up[name] = 0
        while True:
            read_at = timezone.now()
            batch = PendingSync.objects.filter(backend=name, queued_at__lte=read_at).order_by("queued_at", "product_id")
            ids = list(batch.values_list("product_id", flat=True)[:SYNC_BATCH])
            if not ids:
                break
            try:
                index_products(ids, backend)
            except SearchUnavailable as error:
                fallback.failed(backend, error)
                break
            except Exception:
                logger.exception("search backend %r could not catch up on %d products", name, len(ids))
                break
            PendingSync.objects.filter(backend=name, product_id__in=ids, queued_at__lte=read_at).delete()
            if "suspect" in state and not caught_up[name]:
                fallback.recovered(backend)
            caught_up[name] += len(ids)
            if time.monotonic() >= deadline:
                break
        if caught_up[name]:
            logger.info("search backend %r caught up on %d products", name, caught_up[name])
    return caught_up


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
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_forget_inherited_connections)
    return _gathered(pool, pool.imap(_documents_of, batches))


def _forget_inherited_connections() -> None:
    """In a forked process: a connection the parent still held open (`close_all` leaves one open
    inside a transaction) shares the parent's socket, and two processes reading one TLS stream
    break it ("bad record mac", seen once on CI). Drop such connections unclosed: closing would
    speak on the parent's socket. Each process then opens its own."""
    for inherited in connections.all(initialized_only=True):
        inherited.connection = None


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
    """Index every visible product afresh, into `backend`, or into every configured backend (the
    default's report returned; see `rebuild_each`). Products changed while the rebuild ran are
    indexed again once it is done, since their updates may have gone to the index being replaced;
    what the backend had queued before it began is covered and forgotten."""
    if backend is None:
        reports = rebuild_each(workers)
        failures = [report for report in reports.values() if isinstance(report, Exception)]
        if failures:
            raise failures[0]
        return reports[fallback.ENGINE]
    started = timezone.now()
    report = backend.rebuild(all_documents(workers))
    index_products(Product.objects.filter(updated_at__gte=started).values_list("pk", flat=True), backend)
    PendingSync.objects.filter(backend=backend.name, queued_at__lt=started).delete()
    return report


def rebuild_each(workers: int | None = None) -> dict[str, RebuildReport | Exception]:
    """Rebuild every configured backend in turn, each on its own: a failure (logged, and returned in
    place of its report) does not stop the next."""
    reports = {}
    for backend in backends.all():
        try:
            reports[backend.name] = rebuild(backend, workers)
        except Exception as error:
            logger.exception("search backend %r could not be rebuilt", backend.name)
            reports[backend.name] = error
    return reports


# --- Scheduling -------------------------------------------------------------------------------


def schedule(product_ids: Iterable[int] = (), related: Iterable[tuple[str, int]] = ()) -> None:
    """Reindex after the current transaction commits, once for everything it changed.

    Changes gather in one pending set per connection; every change also registers a flush, and
    the first flush to run sends the whole set as one task (the later ones find it empty). A
    change inside a rolled-back transaction is sent with the next one: harmless, as indexing
    reads the current state.

    With a broker, each change is also written in its transaction to core.outbox: if the broker
    does not take the task after the commit, the outbox sends the changes later."""
    from .tasks import sync_index

    product_ids, related = sorted(set(product_ids)), sorted(set(related))
    pending = connection.__dict__.setdefault("_search_pending", {"products": set(), "related": set(), "messages": []})
    pending["products"].update(product_ids)
    pending["related"].update(related)
    if not outbox.is_eager(sync_index) and (product_ids or related):
        pending["messages"].append(outbox.record(sync_index, [product_ids, [list(pair) for pair in related]]))
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    pending = connection.__dict__.get("_search_pending")
    if not pending or not (pending["products"] or pending["related"]):
        return
    products, related, messages = sorted(pending["products"]), sorted(pending["related"]), pending["messages"][:]
    pending["products"].clear()
    pending["related"].clear()
    pending["messages"].clear()
    from .tasks import sync_index

    args = [products, [list(pair) for pair in related]]
    if outbox.is_eager(sync_index):
        sync_index.delay(*args)
    else:
        outbox.send(sync_index, args, {}, messages)
