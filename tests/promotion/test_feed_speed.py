"""The feed at feed scale (issue 17's speed step): a page with personalisation on makes one Redis
round trip and no query of its own (promotion.feed_trip, promotion.feed_cache), its caches follow
the catalogue's version in every process, and they hold nothing of any reader."""

import random
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import page_shells
from promotion import affinities, feed_cache, quality
from promotion.budget import Reader, ReaderKeys, get_budget, stats_key
from promotion.clock import budget_day
from promotion.feed_reader import ViewerProfile
from promotion.serving import serving_index
from promotion.targeting import EVERYONE, interests, reaches
from shop.models import Product
from tests import factories as f
from tests.promotion.test_redis_budget import RoundTrips
from tests.promotion.test_targeting import campaign, province

pytestmark = pytest.mark.django_db

COOKIE = "5e" * 16
OTHER = "7a" * 16
PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"


@pytest.fixture
def warm(settings):
    """Caches kept as in production (the suite rebuilds them each request)."""
    settings.PROMOTION_FEED_CACHE_SECONDS = 600
    settings.PROMOTION_SERVING_INDEX_SECONDS = 600
    settings.FEED_PROMOTED_EVERY = 5


@pytest.fixture
def shelves():
    tea, honey = f.category(name="茶叶"), f.category(name="蜂蜜")
    goods = {
        "tea": [f.product(category_=tea, name=f"明前绿茶{n}") for n in range(6)],
        "honey": [f.product(category_=honey, name=f"土蜂蜜{n}") for n in range(6)],
    }
    for n in range(3):
        f.campaign(products=[f.product()], bid=Decimal("0.50") + n)
    campaign(target_categories=[tea], bid=Decimal("3.00"))
    for _ in range(20):  # enough for a second page
        f.product()
    f.story()
    return {"tea": tea, "honey": honey, "goods": goods}


def as_reader(client, cookie=COOKIE):
    client.cookies["shanhuo_viewer"] = cookie
    client.defaults["HTTP_USER_AGENT"] = PHONE_BROWSER
    return client


def likes(cookie, goods):
    affinities.record_many([f"c:{cookie}"], "view", [p.pk for p in goods])


def next_link(response) -> str:
    return re.search(r'href="(\?after=[^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")


def test_a_personal_page_is_one_round_trip_and_no_query(on_redis, client, warm, shelves, monkeypatch):
    likes(COOKIE, shelves["goods"]["tea"])
    as_reader(client)
    warming = client.get("/feed/")  # the process's caches and the script, once
    assert client.get("/feed/" + next_link(warming)).status_code == 200  # the second page's cards
    trips = RoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/feed/")
    page = response.context_data["page"]
    assert response.status_code == 200
    assert page.profile.personal and page.profile.categories == {shelves["tea"].pk: pytest.approx(6.0, rel=1e-3)}
    organic = [e for e in page.entries if not e.promoted and not e.is_story]
    assert organic[0].item.product_id in {p.pk for p in shelves["goods"]["tea"]}, page.entries
    assert organic[0].why, page.entries
    assert any(e.promoted for e in page.entries), page.entries
    assert trips.count == 1
    assert [q["sql"] for q in queries] == []
    # The next page too: its cursor names the copy of the profile the first page ranked from.
    trips.count = 0
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/feed/" + next_link(response)).status_code == 200
    assert trips.count == 1 and len(queries) == 0


def test_a_signed_in_reader_page_is_one_round_trip_and_no_query_of_the_feeds_own(
    on_redis, client, warm, shelves, monkeypatch, django_capture_on_commit_callbacks
):
    shopper = f.user()
    affinities.record_many([f"u:{shopper.pk}"], "view", [p.pk for p in shelves["goods"]["honey"]])
    client.force_login(shopper)
    as_reader(client)
    trips = RoundTrips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/feed/").status_code == 200
    # The account's choice was not in Redis yet: asked of the database once, kept, asked again.
    assert any("promotion_readerchoice" in q["sql"] for q in queries)
    trips.count = 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/feed/")
    assert trips.count == 1
    # The session and the user (Django's), and who the user is for the menu (base.html): none the feed's.
    navigation = ("django_session", "core_user", "farmers_farmer", "cooperative_managers", "ngo_staff", "sponsor_staff")
    assert all(any(table in q["sql"] for table in navigation) for q in queries), [q["sql"] for q in queries]
    assert response.context_data["page"].profile.categories == {shelves["honey"].pk: pytest.approx(6.0, rel=1e-3)}
    # Turned off on another device: the saved choice, read in the same one call, decides.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("promotion:personalisation"), {"personal": "off"})
    client.cookies.pop("shanhuo_personal", None)
    trips.count = 0
    response = client.get("/feed/")
    assert trips.count == 1 and not response.context_data["page"].profile.personal
    assert all(e.why is None for e in response.context_data["page"].entries)


def test_a_changed_product_shows_in_a_process_that_did_not_see_the_change(
    on_redis, client, warm, shelves, django_capture_on_commit_callbacks
):
    as_reader(client)
    response = client.get("/feed/")
    shown = next(e.item for e in response.context_data["page"].entries if not e.promoted and not e.is_story)
    goods = Product.objects.get(pk=shown.product_id)
    old_name = goods.name
    assert old_name in response.content.decode()
    elsewhere = feed_cache._kept["feed"]  # this process's caches, as another process still holds them
    with django_capture_on_commit_callbacks(execute=True):
        goods.name = "百花土蜂蜜"
        goods.save()
    feed_cache._kept["feed"] = elsewhere
    html = client.get("/feed/").content.decode()
    assert "百花土蜂蜜" in html and f"{old_name}<" not in html
    # Sold out through a sale (a bulk update, products_changed): gone from the next page.
    with django_capture_on_commit_callbacks(execute=True):
        goods.variants.update(stock=0)
        from shop import catalog

        catalog.sync_in_stock([goods.pk])
    assert "百花土蜂蜜" not in client.get("/feed/").content.decode()


def test_no_reader_data_in_the_shared_caches(on_redis, client, warm, shelves):
    """The per-process pool, cards and province fields, and the shared Django cache, hold nothing
    of any reader: what two readers with different tastes leave there is the same, whichever came
    first, and carries no cookie, no account, no "why this" line, no promoted link."""
    likes(COOKIE, shelves["goods"]["tea"])
    likes(OTHER, shelves["goods"]["honey"])
    affinities.set_province([f"c:{COOKIE}"], province().pk)

    def visit(order):
        feed_cache.forget()
        page_shells.forget()  # kept pages would not render the province fields again (test_feed_shell)
        pages = {}
        for cookie in order:
            client.cookies.clear()
            response = as_reader(client, cookie).get("/feed/")
            assert response.status_code == 200
            assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
            pages[cookie] = response
        state = feed_cache._kept["feed"]
        return state, pages

    first, pages = visit([COOKIE, OTHER])
    second, _pages = visit([OTHER, COOKIE])
    assert first.cards == second.cards and first.story_cards == second.story_cards
    assert first.provinces == second.provinces
    whys = {e.why for page in pages.values() for e in page.context_data["page"].entries if e.why}
    assert whys  # the readers were told why ...
    cached = " ".join([*(c.picture + c.facts for c in first.cards.values()), *first.story_cards.values()])
    cached += " ".join(first.provinces.values())
    assert not any(why in cached for why in whys)  # ... and none of it is cached
    for secret in (COOKIE, OTHER, "/r/", "from=feed", "card-note", "card-badge"):
        assert secret not in cached
    pool = first.pool
    assert all(c.category_name is not None for c in pool.candidates)
    assert not any(COOKIE in repr(c) or OTHER in repr(c) for c in pool.candidates)
    # The Django cache (shared by every process): no reader's key or cookie in any key or value.
    from django.core.cache import cache

    client_redis = cache._cache.get_client(None, write=False)
    for key in client_redis.scan_iter(match=f"*{cache.key_prefix}*"):
        value = client_redis.get(key) or b""
        for secret in (COOKIE, OTHER):
            assert secret.encode() not in key and secret.encode() not in value


def test_a_pages_impressions_ride_with_the_next_pages_call(on_redis, client, warm, shelves, monkeypatch):
    as_reader(client)
    response = client.get("/feed/")
    shown = [e.item.product_id for e in response.context_data["page"].entries if not e.promoted and not e.is_story]
    key = stats_key(budget_day(timezone.now()))
    assert not on_redis.exists(key)
    trips = RoundTrips(monkeypatch)
    client.get("/feed/" + next_link(response))
    assert trips.count == 1
    assert {k.decode(): int(v) for k, v in on_redis.hgetall(key).items()} == {f"impression:{pk}": 1 for pk in shown}
    # A quiet process sends them on their own once they have waited FLUSH_SECONDS.
    pending = quality.take_pending()
    assert pending  # the second page's
    monkeypatch.setattr(quality, "FLUSH_SECONDS", 0)
    quality.count_impressions([shown[0]], timezone.now())
    assert int(on_redis.hget(key, f"impression:{shown[0]}")) == 2


def test_turning_personalisation_off_deletes_the_profile_copies(
    on_redis, client, warm, shelves, settings, django_capture_on_commit_callbacks
):
    likes(COOKIE, shelves["goods"]["tea"])
    as_reader(client).get("/feed/")
    copies = f"{settings.PROMOTION_REDIS_PREFIX}:feed:copy:*"
    assert len(list(on_redis.scan_iter(match=copies))) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("promotion:personalisation"), {"personal": "off"})
    assert list(on_redis.scan_iter(match=copies)) == []


def test_the_scripts_targeting_is_promotion_targeting(on_redis):
    """budget._FEED decides who a targeted campaign reaches from the profile it reads; the rule is
    promotion.targeting's. Random readers and campaigns: the same answers."""
    rng = random.Random(17)
    categories = [f.category() for _ in range(8)]
    provinces = [province() for _ in range(3)]
    made = []
    for _ in range(12):
        fields = {}
        if rng.random() < 0.6:
            fields["target_categories"] = rng.sample(categories, rng.randint(1, 3))
        if rng.random() < 0.5:
            fields["target_provinces"] = rng.sample(provinces, rng.randint(1, 2))
        made.append(campaign(daily_cap=Decimal("1000.00"), total_cap=Decimal("5000.00"), **fields))
    now = timezone.now()
    index = serving_index(now)
    ranked = [c for c in index.campaigns if c.pk in {m.pk for m in made}]
    for n in range(30):
        key = f"c:{n:032x}"
        weights = {c.pk: round(rng.uniform(0.1, 5.0), 3) for c in rng.sample(categories, rng.randint(0, 7))}
        chosen_province = rng.choice([None, *provinces])
        fields = {f"c:{pk}": repr(w) for pk, w in weights.items()}
        fields["t"] = repr(now.timestamp())
        if chosen_province:
            fields["p"] = str(chosen_province.pk)
        on_redis.hset(affinities.redis_profile_key(key), mapping=fields)
        profile = affinities.load([key], now=now)
        reader = Reader(key, True, profile.province_id, interests(profile))
        expected = {c.pk for c in ranked if reaches(index.targets.get(c.pk, EVERYONE), reader)}
        read = ReaderKeys(False, "unused", affinities.redis_profile_key(key), "", f"copy-{n}", 60, 60)
        served = get_budget().servable(ranked, len(ranked), now, Reader(key, True, read=read), index.targets)
        assert {c.pk for c in served.campaigns} == expected, (weights, chosen_province)
        assert affinities.parse_profile(served.profile, now, key) == profile
    assert ViewerProfile  # the shapes compared are promotion.feed_reader's
