"""The organic ranking in the feed (promotion.feed.build_page): the reader's order, pages that
hold still while the ranking moves, the switch, and the quality figures (promotion.quality)."""

import datetime

import pytest
from django.utils import timezone

from promotion import affinities, quality
from promotion.clock import budget_day
from promotion.feed import FeedPosition, build_page, feed_candidates
from promotion.feed_reader import ANONYMOUS, Reason, ViewerProfile
from promotion.feed_trip import Ask
from promotion.models import ProductFeedStats
from shop.models import Order, OrderStatus, Product
from tests import factories as f
from tests.shop import buying

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelves():
    """Tea, apples and honey, five goods each from three farmers of three villages; a few stories."""
    tea, apples, honey = f.category(name="茶叶"), f.category(name="苹果"), f.category(name="蜂蜜")
    goods = {}
    for kind, category in (("tea", tea), ("apples", apples), ("honey", honey)):
        farmers = [f.farmer(village_=f.village()) for _ in range(3)]
        goods[kind] = [f.product(seller=farmers[n % 3], category_=category) for n in range(5)]
    for _ in range(3):
        f.story()
    return {"categories": {"tea": tea, "apples": apples, "honey": honey}, "goods": goods}


def organic_goods(page):
    return [e for e in page.entries if not e.promoted and not e.is_story]


def walk(first, ask, between=None):
    """Every entry of the feed for the reader `ask`, page by page; `between(n)` runs after page n."""
    entries, after, n = [], None, 0
    while True:
        page = build_page(first, after, ask=ask)
        entries += page.entries
        if between:
            between(n)
        if not page.has_next:
            return entries
        after, n = page.end_cursor, n + 1
        assert n < 50


def test_a_tea_drinker_sees_tea_first_with_the_reason(shelves):
    tea = shelves["categories"]["tea"]
    reader = ViewerProfile(key="u:1", categories={tea.pk: 3.0})
    goods = organic_goods(build_page(10, profile=reader))
    assert goods[0].item.category_id == tea.pk
    assert goods[0].reason == Reason("category", "茶叶")
    assert sum(e.item.category_id == tea.pk for e in goods[:4]) >= 3


def reader(n: int) -> Ask:
    return Ask((f"c:{n:032x}",))


def test_paging_through_the_whole_feed_sees_every_item_once_while_the_ranking_moves(shelves):
    all_goods = {p.pk for kind in shelves["goods"].values() for p in kind}
    for n in range(2):
        ask = reader(n)
        affinities.record_many(ask.viewer_keys, "view", [p.pk for p in shelves["goods"]["tea"][:3]])

        def change_everything(page, ask=ask):
            # After the first page the reader's signals change completely: their pages must not move.
            if page == 0:
                affinities.record_many(ask.viewer_keys, "order", [p.pk for p in shelves["goods"]["honey"]])
                affinities.record_many(ask.viewer_keys, "order", [p.pk for p in shelves["goods"]["tea"]])

        entries = walk(4, ask, change_everything)
        assert organic_goods_of(entries[:4])[0].item.category_id == shelves["categories"]["tea"].pk
        shown = [(type(e.item).__name__, e.item.pk) for e in entries]
        assert len(shown) == len(set(shown)), "an item came twice"
        assert {pk for kind, pk in shown if kind == "Product"} == all_goods
        assert sum(kind == "ContentItem" for kind, _pk in shown) == 3


def organic_goods_of(entries):
    return [e for e in entries if not e.promoted and not e.is_story]


def test_goods_sold_out_between_pages_are_passed_over_and_nothing_else_is_lost(shelves):
    reader = ViewerProfile(key="u:1", categories={shelves["categories"]["apples"].pk: 1.0})
    first = build_page(4, profile=reader)
    ranked_first_page = {e.item.pk for e in organic_goods(first)}
    gone = Product.objects.exclude(pk__in=ranked_first_page).order_by("pk")[:3]
    gone_ids = set(gone.values_list("pk", flat=True))
    Product.objects.filter(pk__in=gone_ids).update(in_stock=False)
    rest = []
    after = first.end_cursor
    while after:
        page = build_page(4, after, profile=reader)
        rest += page.entries
        after = page.end_cursor if page.has_next else None
    shown = [e.item.pk for e in organic_goods(first)] + [e.item.pk for e in rest if not e.is_story]
    all_goods = {p.pk for kind in shelves["goods"].values() for p in kind}
    assert len(shown) == len(set(shown))
    assert set(shown) == all_goods - gone_ids


def test_a_cursor_followed_by_another_reader_is_ranked_for_them(shelves):
    me, them = reader(1), reader(2)
    affinities.record_many(me.viewer_keys, "view", [p.pk for p in shelves["goods"]["tea"]])
    affinities.record_many(them.viewer_keys, "view", [p.pk for p in shelves["goods"]["honey"]])
    mine = build_page(4, ask=me)
    assert FeedPosition.from_cursor(mine.end_cursor).snapshot
    theirs = build_page(4, mine.end_cursor, ask=them)
    assert FeedPosition.from_cursor(theirs.end_cursor).snapshot not in (
        "",
        FeedPosition.from_cursor(mine.end_cursor).snapshot,
    )
    assert organic_goods(theirs)[0].item.category_id == shelves["categories"]["honey"].pk
    # Switching personalisation off mid-way is a new ranking too, not the personal one continued.
    off = build_page(4, mine.end_cursor, ask=Ask(me.viewer_keys, personal=False))
    assert FeedPosition.from_cursor(off.end_cursor).snapshot == ""
    assert all(e.reason is None for e in off.entries)


def test_switched_off_the_feed_is_the_anonymous_feed_without_reasons(shelves):
    tea = shelves["categories"]["tea"]
    rich = ViewerProfile(
        key="u:1",
        categories={tea.pk: 3.0},
        farmers={shelves["goods"]["tea"][0].farmer_id: 2.0},
        ordered=frozenset({shelves["goods"]["apples"][0].pk}),
        personal=False,
    )
    off = [e.item for e in build_page(20, profile=rich).entries]
    anonymous = [e.item for e in build_page(20, profile=ANONYMOUS).entries]
    stranger = [e.item for e in build_page(20, profile=ViewerProfile(key="c:stranger")).entries]
    assert off == anonymous == stranger
    assert all(e.reason is None for e in build_page(20, profile=rich).entries)


def test_impressions_are_counted_and_folded_with_the_counters_into_quality_figures(
    shelves, require_redis, django_capture_on_commit_callbacks
):
    from promotion.budget import redis_client

    now = timezone.now()
    page = build_page(8, now=now)
    shown = [e.item.pk for e in organic_goods(page)]
    key = quality.stats_key(budget_day(now))
    client = redis_client()
    assert not client.exists(key)  # kept in the process for the next page's call ...
    quality.flush(now)  # ... or sent on their own
    counters = {k.decode(): int(v) for k, v in client.hgetall(key).items()}
    assert counters == {f"impression:{pk}": 1 for pk in shown}
    # The signals' counters: the first shown product gets clicked a lot.
    client.hincrby(key, f"click:{shown[0]}", 40)
    client.hincrby(key, f"view:{shown[0]}", 40)

    with django_capture_on_commit_callbacks(execute=True):
        quality.fold(now)

    stats = {s.product_id: s for s in ProductFeedStats.objects.all()}
    assert {pk: s.impressions for pk, s in stats.items()} == dict.fromkeys(shown, 1)
    assert stats[shown[0]].clicks == 40
    assert stats[shown[0]].click_rate > stats[shown[1]].click_rate > 0
    assert not client.exists(key) and not client.exists(f"{key}:folding")
    candidates = {c.product_id: c for c in feed_candidates()}
    assert candidates[shown[0]].impressions == 1 and candidates[shown[0]].click_rate == stats[shown[0]].click_rate
    # Goods the figures have not reached yet get the mean, not nothing.
    unseen = next(c for pk, c in candidates.items() if pk not in stats)
    assert unseen.click_rate == pytest.approx(sum(s.click_rate for s in stats.values()) / len(stats))

    with django_capture_on_commit_callbacks(execute=True):
        quality.fold(now)  # nothing new: nothing counted twice
    assert ProductFeedStats.objects.get(pk=shown[0]).impressions == 1


def test_without_redis_orders_are_folded_from_the_order_lines(shelves, settings):
    settings.REDIS_URL = None
    bought = shelves["goods"]["honey"][0]
    for _ in range(2):
        order = buying.place_order([(bought.variants.get(), 1)])
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    unpaid = buying.place_order([(shelves["goods"]["tea"][0].variants.get(), 1)])
    assert unpaid.status == OrderStatus.UNPAID

    quality.fold(timezone.now() + datetime.timedelta(minutes=1))

    stats = ProductFeedStats.objects.get(pk=bought.pk)
    assert stats.orders == 2 and 0 < stats.order_rate <= 1
    assert not ProductFeedStats.objects.filter(pk=shelves["goods"]["tea"][0].pk).exists()
    assert stats.order_rate > quality.DEFAULT_ORDER_RATE
