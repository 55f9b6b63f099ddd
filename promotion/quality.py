"""How well each product does in the feed: impressions, views, clicks and cart adds counted per day
in Redis (`feed_reader.STATS_KEY`, fields "<event>:<product id>"), orders counted from the order
lines, folded every few minutes into `ProductFeedStats` with smoothed rates.

Smoothing is additive toward the catalogue's mean (itself smoothed toward a default): a listing's
click rate is (clicks + A × mean) / (impressions + A), so one with no history has the mean, and a
few chance clicks move it little. Orders are counted from the database, not from the counters, so
the figures hold without Redis (then clicks and impressions stay at nothing and the click rates at
the mean) and an order is never counted twice."""

import atexit
import collections
import datetime
import logging
import threading
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from shop.models import OrderLine, Product
from shop.models.orders import OrderStatus

from . import feed_cache
from .affinities import STATS_TTL, stats_key
from .clock import budget_day
from .models import ProductFeedStats

logger = logging.getLogger(__name__)

# Pseudo-counts of the smoothing: as if each listing had this many impressions (visits) at the mean.
CLICK_PRIOR_WEIGHT = 200
ORDER_PRIOR_WEIGHT = 30
# The means before the catalogue has evidence of its own.
DEFAULT_CLICK_RATE = 0.05
DEFAULT_ORDER_RATE = 0.02
# Fields of the day counters folded here; "order" fields are dropped with the rest (orders come from OrderLine).
FOLDED = {"impression": "impressions", "view": "views", "click": "clicks", "cart": "carts"}
# How long a process keeps feed impressions it has not sent (see count_impressions).
FLUSH_SECONDS = 60
_pending: collections.Counter = collections.Counter()
_pending_since: float | None = None
_pending_lock = threading.Lock()

COUNTED_ORDERS = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)

# KEYS: the day's counters, their folding copy. Moves the counters aside atomically (increments
# racing with it start a new hash) unless an earlier fold left its copy: that one is folded first.
_TAKE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
"""


def count_impressions(product_ids, now: datetime.datetime) -> None:
    """The organic goods a feed page showed. Kept in this process and added to the day's counters
    by the next feed page's call (promotion.feed_trip: no round trip of their own), or by `flush`
    when they have waited FLUSH_SECONDS (a quiet site) and when the process exits. Without Redis,
    nothing (there is no fold to read them)."""
    if not product_ids or not settings.REDIS_URL:
        return
    global _pending_since
    with _pending_lock:
        for product_id in product_ids:
            _pending[f"impression:{product_id}"] += 1
        if _pending_since is None:
            _pending_since = time.monotonic()
        stale = time.monotonic() - _pending_since >= FLUSH_SECONDS
    if stale:
        flush(now)


def take_pending() -> dict[str, int]:
    """The counts waiting to be sent (now the caller's to send, or `put_back`)."""
    global _pending_since
    with _pending_lock:
        taken = dict(_pending)
        _pending.clear()
        _pending_since = None
    return taken


def put_back(counters: dict[str, int]) -> None:
    global _pending_since
    with _pending_lock:
        _pending.update(counters)
        if counters and _pending_since is None:
            _pending_since = time.monotonic()


def flush(now: datetime.datetime | None = None) -> None:
    """Send the waiting counts in one pipelined call; when Redis fails they are dropped with a
    warning (the page must not fail for a counter, and the fold must not wait on them)."""
    counters = take_pending()
    if not counters or not settings.REDIS_URL:
        return
    import redis

    from .budget import redis_client

    key = stats_key(budget_day(now or timezone.now()))
    try:
        pipe = redis_client().pipeline(transaction=False)
        for field, n in counters.items():
            pipe.hincrby(key, field, n)
        pipe.expire(key, STATS_TTL)
        pipe.execute()
    except redis.RedisError:
        logger.warning("feed impressions not counted: Redis unavailable", exc_info=True)


atexit.register(flush)


def smoothed(events: int, trials: int, mean: float, weight: float) -> float:
    return min(1.0, (events + weight * mean) / (trials + weight))


def fold(now: datetime.datetime) -> int:
    """Yesterday's and today's counters added to the table, order counts refreshed from the order
    lines, every row's rates recomputed. Returns how many rows there are."""
    counted: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    taken: list[str] = []
    if settings.REDIS_URL:
        counted, taken = _take_counters(now)
    orders = dict(
        OrderLine.objects.filter(order__status__in=COUNTED_ORDERS, variant__isnull=False)
        .values_list("variant__product_id")
        .annotate(n=Count("order_id", distinct=True))
        .values_list("variant__product_id", "n")
    )
    with transaction.atomic():
        existing = set(
            ProductFeedStats.objects.filter(product_id__in=[*counted, *orders]).values_list("product_id", flat=True)
        )
        known = set(Product.objects.filter(pk__in=[*counted, *orders]).values_list("pk", flat=True))
        ProductFeedStats.objects.bulk_create(
            [ProductFeedStats(product_id=pk) for pk in known - existing], ignore_conflicts=True
        )
        for product_id, counts in counted.items():
            if product_id in known:
                ProductFeedStats.objects.filter(product_id=product_id).update(
                    **{field: F(field) + n for field, n in counts.items()}
                )
        rows = list(ProductFeedStats.objects.all())
        for row in rows:
            row.orders = orders.get(row.product_id, 0)
        _rate(rows)
        ProductFeedStats.objects.bulk_update(rows, ["orders", "click_rate", "order_rate"], batch_size=500)
        feed_cache.catalogue_changed()  # the feed ranks with the new figures
    if taken:
        transaction.on_commit(lambda: _forget(taken))
    return len(rows)


def _rate(rows: list[ProductFeedStats]) -> None:
    impressions = sum(r.impressions for r in rows)
    clicks = sum(min(r.clicks, r.impressions) for r in rows)
    visits = sum(_visits(r) for r in rows)
    orders = sum(r.orders for r in rows)
    mean_click = smoothed(clicks, impressions, DEFAULT_CLICK_RATE, CLICK_PRIOR_WEIGHT)
    mean_order = smoothed(orders, visits, DEFAULT_ORDER_RATE, ORDER_PRIOR_WEIGHT)
    for r in rows:
        r.click_rate = smoothed(min(r.clicks, r.impressions), r.impressions, mean_click, CLICK_PRIOR_WEIGHT)
        r.order_rate = smoothed(r.orders, _visits(r), mean_order, ORDER_PRIOR_WEIGHT)


def _visits(row: ProductFeedStats) -> int:
    """Page visits an order could come from: the views counted, or at least the feed clicks and the
    orders themselves (views are not counted without Redis)."""
    return max(row.views, row.clicks, row.orders)


def _take_counters(now: datetime.datetime) -> tuple[dict[int, dict[str, int]], list[str]]:
    import redis

    from .budget import redis_client

    counted: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    taken = []
    client = redis_client()
    take = client.register_script(_TAKE)
    day = budget_day(now)
    try:
        for counted_day in (day - datetime.timedelta(days=1), day):
            key = stats_key(counted_day)
            folding = f"{key}:folding"
            if not int(take(keys=[key, folding])):
                continue
            for field, value in client.hgetall(folding).items():
                event, _sep, product_id = field.decode().partition(":")
                if event in FOLDED and product_id.isdigit():
                    counted[int(product_id)][FOLDED[event]] += int(value)
            taken.append(folding)
    except redis.RedisError:
        logger.warning("feed counters not folded: Redis unavailable", exc_info=True)
    return counted, taken


def _forget(keys: list[str]) -> None:
    import redis

    from .budget import redis_client

    try:
        redis_client().delete(*keys)
    except redis.RedisError:
        logger.warning("folded feed counters not deleted: they will be folded again", exc_info=True)
