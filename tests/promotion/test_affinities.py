"""The reader's signals (promotion.affinities): decayed, bounded affinities kept atomically in Redis
(or, without Redis, in Django's cache), fed by the real pages, rebuilt from the database when lost."""

import datetime
import random
import threading

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from farmers.models import Province
from promotion import affinities, tokens
from promotion.affinities import EVENT_WEIGHTS, HALF_LIFE, ORDERED_FOR, TOP_N, get_profiles, redis_profile_key
from promotion.budget import redis_client
from promotion.clock import budget_day
from promotion.models import ChosenProvince
from shop import checkout
from shop.models import Product
from tests import factories as f
from tests.shop.buying import ADDRESS, place_order, shipping_method, variant

pytestmark = pytest.mark.django_db

PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
COOKIE = "0123456789abcdef0123456789abcdef"
NOW = datetime.datetime(2025, 5, 1, 12, tzinfo=datetime.UTC)


@pytest.fixture(params=["redis", "cache"])
def store(request, settings):
    """Both stores: Redis (the Lua script) and Django's cache (the embedded mode, no REDIS_URL)."""
    if request.param == "redis":
        request.getfixturevalue("on_redis")
    else:
        settings.REDIS_URL = None
        settings.PROMOTION_BUDGET_BACKEND = "database"
    return request.param


def fake(pk, category, village=1, farmer=None) -> Product:
    """A product as the recorder sees it (its ids only), so that hundreds cost no database rows."""
    return Product(pk=pk, category_id=category, village_id=village, farmer_id=farmer)


def test_weights_follow_the_event_and_halve_every_half_life(store):
    goods = fake(1, category=7, village=3, farmer=5)
    affinities.record(["c:a"], "view", 1, product=goods, now=NOW)
    affinities.record(["c:a"], "order", 1, product=goods, now=NOW)
    now = affinities.load(["c:a"], now=NOW)
    assert now.categories == {7: pytest.approx(1 + 8)}
    assert now.villages == {3: pytest.approx(9)} and now.farmers == {5: pytest.approx(9)}
    later = affinities.load(["c:a"], now=NOW + HALF_LIFE)
    assert later.categories[7] == pytest.approx(4.5)
    # An event recorded later adds at full weight on top of the decayed ones.
    affinities.record(["c:a"], "click", 1, product=goods, now=NOW + HALF_LIFE)
    assert affinities.load(["c:a"], now=NOW + 2 * HALF_LIFE).categories[7] == pytest.approx((4.5 + 2) / 2)


def test_events_arriving_out_of_order_weigh_as_at_their_own_time(store):
    affinities.record(["c:a"], "view", 1, product=fake(1, category=1), now=NOW)
    affinities.record(["c:a"], "cart", 2, product=fake(2, category=2), now=NOW - HALF_LIFE)
    profile = affinities.load(["c:a"], now=NOW)
    assert profile.categories == {1: pytest.approx(1.0), 2: pytest.approx(2.0)}


def test_the_order_of_weights_is_the_order_of_events_weights(store):
    for pk, event in enumerate(["view", "click", "cart", "order"], start=1):
        affinities.record(["c:a"], event, pk, product=fake(pk, category=pk), now=NOW)
    categories = affinities.load(["c:a"], now=NOW).categories
    assert sorted(categories, key=categories.get, reverse=True) == [4, 3, 2, 1]
    assert EVENT_WEIGHTS["order"] > EVENT_WEIGHTS["cart"] > EVENT_WEIGHTS["click"] > EVENT_WEIGHTS["view"]


def test_a_profile_keeps_only_the_strongest_of_each_kind(store, settings):
    """200 categories (and villages, farmers) recorded: at most TOP_N of each kept, the strongest."""
    for n in range(200):
        event = "order" if n % 20 == 0 else "view"
        affinities.record(["c:a"], event, n, product=fake(n, category=n, village=n, farmer=n), now=NOW)
    profile = affinities.load(["c:a"], now=NOW)
    for kind in (profile.categories, profile.villages, profile.farmers):
        assert len(kind) == TOP_N
        assert {n for n in range(200) if n % 20 == 0} <= set(kind)  # the ordered ones outweigh views
    if store == "redis":
        stored = redis_client().hlen(redis_profile_key("c:a"))
        assert stored <= 3 * TOP_N + 2 + affinities.ORDERED_MAX


def test_faded_weights_are_dropped(store):
    affinities.record(["c:a"], "view", 1, product=fake(1, category=1), now=NOW)
    affinities.record(["c:a"], "order", 2, product=fake(2, category=2), now=NOW + 70 * datetime.timedelta(days=1))
    assert set(affinities.load(["c:a"], now=NOW + 70 * datetime.timedelta(days=1)).categories) == {2}


def test_an_order_holds_the_goods_back_for_a_while(store):
    affinities.record_many(["c:a"], "order", [fake(1, 1), fake(2, 2)], now=NOW)
    affinities.record(["c:a"], "cart", 3, product=fake(3, 3), now=NOW)
    assert affinities.load(["c:a"], now=NOW).ordered == {1, 2}
    assert affinities.load(["c:a"], now=NOW + ORDERED_FOR + datetime.timedelta(seconds=1)).ordered == frozenset()


def test_the_ordered_set_is_bounded(store):
    for n in range(affinities.ORDERED_MAX + 10):
        affinities.record(["c:a"], "order", n, product=fake(n, 1), now=NOW + datetime.timedelta(seconds=n))
    ordered = affinities.load(["c:a"], now=NOW + datetime.timedelta(hours=1)).ordered
    assert ordered == set(range(10, affinities.ORDERED_MAX + 10))  # the latest kept


def test_the_days_counters_are_counted_with_each_event(store):
    affinities.record(["c:a"], "view", 1, product=fake(1, 1), now=NOW)
    affinities.record([], "view", 1, product=fake(1, 1), now=NOW)  # a reader with no key still counts here
    affinities.record_many(["c:b"], "order", [fake(1, 1), fake(2, 2)], now=NOW)
    assert affinities.read_stats(budget_day(NOW)) == {"view:1": 2, "order:1": 1, "order:2": 1}
    if store == "redis":
        ttl = redis_client().ttl(affinities.stats_key(budget_day(NOW)))
        assert 0 < ttl <= affinities.STATS_TTL.total_seconds()


def test_a_profile_expires_after_its_quiet_period(on_redis):
    affinities.record(["c:a"], "view", 1, product=fake(1, 1), now=NOW)
    ttl = on_redis.ttl(redis_profile_key("c:a"))
    assert affinities.PROFILE_TTL.total_seconds() - 5 < ttl <= affinities.PROFILE_TTL.total_seconds()


def test_the_lua_script_and_the_python_reference_agree(settings, require_redis):
    """The same random events through both stores give the same profile."""
    rng = random.Random(17)
    events = [
        (
            rng.choice(list(EVENT_WEIGHTS)),
            fake(n, rng.randrange(60), rng.randrange(40), rng.choice([None, rng.randrange(40)])),
            NOW + datetime.timedelta(hours=rng.randrange(-400, 400)),
        )
        for n in range(300)
    ]
    profiles = {}
    for name, url in (("redis", require_redis), ("cache", None)):
        settings.REDIS_URL = url
        for event, goods, at in events:
            affinities.record(["c:same"], event, goods.pk, product=goods, now=at)
        profiles[name] = affinities.load(["c:same"], now=NOW + datetime.timedelta(days=20))
    redis_profile, cache_profile = profiles["redis"], profiles["cache"]
    assert redis_profile.ordered == cache_profile.ordered and redis_profile.ordered
    for kind in ("categories", "villages", "farmers"):
        assert getattr(redis_profile, kind) == pytest.approx(getattr(cache_profile, kind), rel=1e-9)
        assert len(getattr(redis_profile, kind)) == TOP_N


def test_the_feed_can_read_a_profile_in_its_own_round_trip(on_redis):
    affinities.record(["u:5", "c:a"], "order", 1, product=fake(1, 4, 2, 3), now=NOW)
    keys = affinities.profile_keys(["u:5", "c:a"])
    assert keys == [redis_profile_key("u:5")]  # the account's, not the browser's
    pipe = on_redis.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    (raw,) = pipe.execute()
    profile = affinities.profile_from_reply(["u:5", "c:a"], raw, now=NOW)
    assert profile == affinities.load(["u:5", "c:a"], now=NOW)
    assert profile.key == "u:5" and profile.categories == {4: pytest.approx(8.0)} and profile.ordered == {1}
    # The flat list a Lua script answers parses the same.
    flat = [item for pair in raw.items() for item in pair]
    assert affinities.parse_profile(flat, NOW, "u:5") == profile


def test_a_reader_with_no_key_is_anonymous_and_a_new_one_is_empty(store):
    assert affinities.load([]) is affinities.ANONYMOUS
    empty = affinities.load(["c:new"])
    assert empty.key == "c:new" and empty.is_empty


# --- Concurrency --------------------------------------------------------------------------------


def test_concurrent_events_of_one_reader_lose_nothing(on_redis):
    """8 threads × 25 views of one reader at one instant: every one counted (the update is one
    script). A read-modify-write in Python here lost most of them (see the commit message)."""
    goods = fake(1, category=9, village=9, farmer=9)
    start = threading.Barrier(8)

    def views():
        start.wait()
        for _ in range(25):
            affinities.record(["c:busy"], "view", 1, product=goods, now=NOW)

    threads = [threading.Thread(target=views) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    profile = affinities.load(["c:busy"], now=NOW)
    assert profile.categories == {9: pytest.approx(200.0)}
    assert affinities.read_stats(budget_day(NOW)) == {"view:1": 200}


# --- The pages that feed it ----------------------------------------------------------------------


@pytest.fixture
def browser(client):
    client.cookies["shanhuo_viewer"] = COOKIE
    client.defaults["HTTP_USER_AGENT"] = PHONE_BROWSER
    return client


def test_a_product_page_is_a_view_and_from_the_feed_a_click(store, browser):
    goods = f.product()
    assert browser.get(reverse("shop:product", args=[goods.slug])).status_code == 200
    assert affinities.load([f"c:{COOKIE}"]).categories == {goods.category_id: pytest.approx(1.0, rel=1e-3)}
    assert browser.get(reverse("shop:product", args=[goods.slug]) + "?from=feed").status_code == 200
    profile = affinities.load([f"c:{COOKIE}"])
    assert profile.categories == {goods.category_id: pytest.approx(3.0, rel=1e-3)}
    assert profile.villages == {goods.village_id: pytest.approx(3.0, rel=1e-3)}
    assert profile.farmers == {goods.farmer_id: pytest.approx(3.0, rel=1e-3)}
    stats = affinities.read_stats(budget_day(timezone.now()))
    assert stats == {f"view:{goods.pk}": 1, f"click:{goods.pk}": 1}


def test_a_first_visit_gets_a_cookie_and_counts_from_the_next(store, client):
    goods = f.product()
    client.defaults["HTTP_USER_AGENT"] = PHONE_BROWSER
    first = client.get(reverse("shop:product", args=[goods.slug]))
    cookie = first.cookies["shanhuo_viewer"].value
    assert affinities.load([f"c:{cookie}"]).is_empty
    client.get(reverse("shop:product", args=[goods.slug]))
    assert affinities.load([f"c:{cookie}"]).categories == {goods.category_id: pytest.approx(1.0, rel=1e-3)}


def test_bots_record_nothing(store, client):
    goods = f.product()
    client.cookies["shanhuo_viewer"] = COOKIE
    for agent in ("Mozilla/5.0 (compatible; Baiduspider/2.0)", "curl/8.0", ""):
        response = client.get(reverse("shop:product", args=[goods.slug]) + "?from=feed", HTTP_USER_AGENT=agent)
        assert response.status_code == 200
    assert affinities.load([f"c:{COOKIE}"]).is_empty
    assert affinities.read_stats(budget_day(timezone.now())) == {}
    assert "shanhuo_viewer" not in response.cookies  # no cookie minted for a bot either


def test_a_cart_add_from_the_product_page_counts(store, browser):
    goods = variant()
    added = browser.post(reverse("shop:product", args=[goods.product.slug]), {"variant": goods.pk, "quantity": 2})
    assert added.status_code == 302
    profile = affinities.load([f"c:{COOKIE}"])
    assert profile.categories == {goods.product.category_id: pytest.approx(4.0, rel=1e-3)}
    assert affinities.read_stats(budget_day(timezone.now())) == {f"cart:{goods.product.pk}": 1}


def test_a_placed_order_is_learnt_once_committed(store, django_capture_on_commit_callbacks):
    shopper = f.user()
    goods = variant()
    with django_capture_on_commit_callbacks(execute=True):
        place_order([(goods, 1)], user=shopper, method=shipping_method())
    profile = affinities.load([f"u:{shopper.pk}"])
    assert profile.ordered == {goods.product_id}
    assert max(profile.categories, key=profile.categories.get) == goods.product.category_id


def test_a_followed_promoted_card_counts_a_click(store, browser):
    goods = f.product()
    campaign = f.campaign(products=[goods])
    token = tokens.issue(campaign.pk, goods.pk, timezone.now())
    response = browser.get(reverse("promotion:click", args=[token]))
    assert response.status_code == 302
    assert affinities.load([f"c:{COOKIE}"]).categories == {goods.category_id: pytest.approx(2.0, rel=1e-3)}


def test_redis_down_does_not_break_the_product_page(settings, browser, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    goods = variant()
    assert browser.get(reverse("shop:product", args=[goods.product.slug])).status_code == 200
    added = browser.post(reverse("shop:product", args=[goods.product.slug]), {"variant": goods.pk, "quantity": 1})
    assert added.status_code == 302
    assert "reader profiles unavailable" in caplog.text
    assert affinities.load([f"c:{COOKIE}"]).is_empty  # read as new, not an error


# --- One reader, one profile ----------------------------------------------------------------------


def test_logging_in_moves_the_browsers_profile_into_the_accounts(store, browser):
    shopper = f.user()
    goods = f.product()
    browser.get(reverse("shop:product", args=[goods.slug]))
    response = browser.post(reverse("accounts:login"), {"username": shopper.username, "password": "pw-123456"})
    assert response.status_code == 302
    assert affinities.load([f"c:{COOKIE}"]).is_empty
    assert affinities.load([f"u:{shopper.pk}", f"c:{COOKIE}"]).categories == {
        goods.category_id: pytest.approx(1.0, rel=1e-3)
    }
    browser.get(reverse("shop:product", args=[goods.slug]))  # signed in: the account's profile grows
    assert affinities.load([f"u:{shopper.pk}"]).categories[goods.category_id] == pytest.approx(2.0, rel=1e-3)
    assert affinities.load([f"c:{COOKIE}"]).is_empty


# --- Rebuilt from the database --------------------------------------------------------------------


def order_through_the_cart(client, shopper, goods):
    """Goods put in the cart on the product page, then ordered (as the checkout pages would)."""
    assert client.post(reverse("shop:product", args=[goods.product.slug]), {"variant": goods.pk, "quantity": 1})
    cart = checkout.cart_of(shopper)
    checkout.update_email(cart, "buyer@example.com")
    checkout.update_shipping_address(cart, dict(ADDRESS))
    checkout.update_delivery_method(cart, shipping_method())
    cart.refresh_from_db()
    return checkout.complete_checkout(shopper, cart, "offline", viewer_keys=[f"u:{shopper.pk}"])


def test_an_accounts_profile_is_rebuilt_after_redis_loses_it(on_redis, django_capture_on_commit_callbacks):
    """An account orders tea twice, puts honey in its cart and follows a promoted walnut, through
    the real pages; Redis is flushed; the profile read next is the same, rebuilt from the database."""
    shopper = f.user()
    province = Province.objects.create(name="广东省", slug="guangdong")
    tea, honey, walnut = (variant(name=name) for name in ("茶叶", "蜂蜜", "核桃"))
    client = Client(HTTP_USER_AGENT=PHONE_BROWSER)
    client.force_login(shopper)
    with django_capture_on_commit_callbacks(execute=True):
        order_through_the_cart(client, shopper, tea)
    with django_capture_on_commit_callbacks(execute=True):
        order_through_the_cart(client, shopper, tea)
    client.post(reverse("shop:product", args=[honey.product.slug]), {"variant": honey.pk, "quantity": 1})
    campaign = f.campaign(products=[walnut.product])
    token = tokens.issue(campaign.pk, walnut.product.pk, timezone.now())
    assert client.get(reverse("promotion:click", args=[token])).status_code == 302
    before = affinities.load([f"u:{shopper.pk}"])
    top = sorted(before.categories, key=before.categories.get, reverse=True)
    assert top == [tea.product.category_id, honey.product.category_id, walnut.product.category_id]
    assert before.province_id == province.pk and before.ordered == {tea.product_id}

    on_redis.flushdb()
    assert on_redis.hgetall(redis_profile_key(f"u:{shopper.pk}")) == {}
    after = affinities.load([f"u:{shopper.pk}"])
    assert sorted(after.categories, key=after.categories.get, reverse=True) == top
    assert after.categories == pytest.approx(before.categories, rel=1e-3)
    assert after.villages == pytest.approx(before.villages, rel=1e-3)
    assert after.province_id == province.pk and after.ordered == before.ordered
    assert on_redis.exists(redis_profile_key(f"u:{shopper.pk}"))  # stored again, not rebuilt each read


def test_an_event_after_a_loss_is_added_to_the_rebuilt_profile(store, django_capture_on_commit_callbacks):
    shopper = f.user()
    tea, apple = variant(name="茶叶"), variant(name="苹果")
    with django_capture_on_commit_callbacks(execute=True):
        place_order([(tea, 1)], user=shopper, method=shipping_method())
    affinities.rebuild(f"u:{shopper.pk}")
    get_profiles().take(f"u:{shopper.pk}")  # lost
    affinities.record([f"u:{shopper.pk}"], "view", apple.product_id)
    profile = affinities.load([f"u:{shopper.pk}"])
    # The order, and its cart line (a rebuild reads both), then the view.
    expected = {tea.product.category_id: 8.0 + 4.0, apple.product.category_id: 1.0}
    assert profile.categories == pytest.approx(expected, rel=1e-3)
    assert profile.ordered == {tea.product_id}


def test_a_chosen_province_survives_a_loss_and_the_later_of_choice_and_address_wins(
    store, django_capture_on_commit_callbacks
):
    shopper = f.user()
    chosen = Province.objects.create(name="云南省", slug="yunnan")
    shipped_to = Province.objects.create(name="广东省", slug="guangdong")
    affinities.set_province([f"u:{shopper.pk}"], chosen.pk)
    assert ChosenProvince.objects.get(user=shopper).province == chosen
    get_profiles().take(f"u:{shopper.pk}")
    assert affinities.load([f"u:{shopper.pk}"]).province_id == chosen.pk
    with django_capture_on_commit_callbacks(execute=True):
        place_order([(variant(), 1)], user=shopper, method=shipping_method(), address=ADDRESS)
    assert affinities.load([f"u:{shopper.pk}"]).province_id == shipped_to.pk
    get_profiles().take(f"u:{shopper.pk}")
    assert affinities.rebuild(f"u:{shopper.pk}").province_id == shipped_to.pk


# --- Choosing a province ----------------------------------------------------------------------------


def test_a_reader_chooses_a_province_and_goes_back(store, browser):
    province = Province.objects.create(name="贵州省", slug="guizhou")
    page = browser.get(reverse("promotion:province"))
    assert page.status_code == 200 and "贵州省" in page.content.decode()
    response = browser.post(reverse("promotion:province"), {"province": province.pk, "next": "/feed/?after=x"})
    assert response.status_code == 302 and response["Location"] == "/feed/?after=x"
    assert affinities.load([f"c:{COOKIE}"]).province_id == province.pk
    response = browser.post(reverse("promotion:province"), {"province": "", "next": "https://evil.example/"})
    assert response["Location"] == reverse("promotion:feed")  # never off the site
    assert affinities.load([f"c:{COOKIE}"]).province_id is None


def test_a_province_not_on_the_list_is_refused_beside_the_field(store, browser, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = browser.post(reverse("promotion:province"), {"province": "99999"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "请从列表里选一个省" in response.content.decode()
    assert affinities.load([f"c:{COOKIE}"]).province_id is None


def test_choosing_a_province_needs_the_csrf_token(store):
    province = Province.objects.create(name="贵州省", slug="guizhou")
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=PHONE_BROWSER)
    client.cookies["shanhuo_viewer"] = COOKIE
    assert client.post(reverse("promotion:province"), {"province": province.pk}).status_code == 403
    assert affinities.load([f"c:{COOKIE}"]).province_id is None


def test_the_province_form_tag_renders_for_the_feed(rf):
    from django.template import Context, Template

    province = Province.objects.create(name="贵州省", slug="guizhou")
    request = rf.get("/feed/?after=abc")
    html = Template("{% load reader %}{% province_choice pid %}").render(
        Context({"request": request, "pid": province.pk, "csrf_token": "t"})
    )
    assert 'action="/feed/province/"' in html and 'value="/feed/?after=abc"' in html
    assert f'<option value="{province.pk}" selected>' in html


def test_the_profile_holds_ids_and_weights_only(on_redis, browser):
    """No personal data: every field of the stored hash is a kind and an id, or the time/province."""
    goods = variant()
    browser.get(reverse("shop:product", args=[goods.product.slug]))
    browser.post(reverse("shop:product", args=[goods.product.slug]), {"variant": goods.pk, "quantity": 1})
    stored = on_redis.hgetall(redis_profile_key(f"c:{COOKIE}"))
    for field, value in stored.items():
        kind, _, ident = field.decode().partition(":")
        assert (kind in {"c", "v", "f", "o"} and ident.isdigit()) or field in (b"t", b"p")
        float(value)
