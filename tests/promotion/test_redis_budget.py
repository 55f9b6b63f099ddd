"""The Redis budget path against the real Redis server: the Lua check-and-debit, counters seeded
from the Spend ledger, serving that stops the moment a cap is reached, and one Redis round trip
per feed request. The "stops at once" tests also run on the database path."""

import datetime
import random
from decimal import Decimal

import pytest
import redis.connection
from django.utils import timezone

from promotion import budget
from promotion.budget import RedisBudget, _keys
from promotion.clock import budget_day
from promotion.models import CampaignDay, CampaignState, ClickOutcome
from promotion.serving import choose
from tests import factories as f
from tests.promotion.clicking import click

pytestmark = pytest.mark.django_db


def counter(client, campaign, name, day=None) -> int | None:
    value = client.get(_keys(campaign.pk, day or budget_day(timezone.now()))[name])
    return int(value) if value is not None else None


def test_redis_holds_the_live_counters_and_the_database_rows_stay_cold(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("0.35"))
    for n in range(3):
        assert click(campaign, product, viewer=f"c:{n}").outcome == ClickOutcome.BILLED
    assert counter(on_redis, campaign, "total") == 105
    assert counter(on_redis, campaign, "day") == 105
    campaign.refresh_from_db()
    assert campaign.spent_fen == 0  # the reconcile task writes it; no hot row per click
    assert budget.ledger_spent_fen(campaign.pk) == 105


def test_the_repeat_window_lives_in_the_same_script(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product])
    now = timezone.now()
    assert click(campaign, product, viewer="c:x", now=now).outcome == ClickOutcome.BILLED
    assert click(campaign, product, viewer="c:x", now=now).outcome == ClickOutcome.REPEAT
    key = _keys(campaign.pk, budget_day(now))["seen"] + budget.repeat_key("c:x")
    assert 590 <= on_redis.ttl(key) <= 600


def test_counters_lost_from_redis_are_seeded_from_the_ledger_so_the_cap_holds(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), total_cap=Decimal("3.00"))
    for n in range(2):
        click(campaign, product, viewer=f"c:{n}")
    keys = _keys(campaign.pk, budget_day(timezone.now()))
    on_redis.delete(keys["total"], keys["day"])  # Redis restarted without its data
    outcomes = [click(campaign, product, viewer=f"c:{n}").outcome for n in range(5, 8)]
    assert outcomes == [ClickOutcome.BILLED, ClickOutcome.OVER_BUDGET, ClickOutcome.OVER_BUDGET]
    assert budget.ledger_spent_fen(campaign.pk) == 300


def test_the_daily_counter_starts_again_each_day(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), daily_cap=Decimal("1.00"))
    today = timezone.now()
    tomorrow = today + datetime.timedelta(days=1)
    assert click(campaign, product, viewer="c:1", now=today).outcome == ClickOutcome.BILLED
    assert click(campaign, product, viewer="c:2", now=today).outcome == ClickOutcome.OVER_BUDGET
    assert click(campaign, product, viewer="c:3", now=tomorrow).outcome == ClickOutcome.BILLED
    assert counter(on_redis, campaign, "day", budget_day(tomorrow)) == 100
    assert 0 < on_redis.ttl(_keys(campaign.pk, budget_day(tomorrow))["day"]) <= budget.DAY_KEY_TTL


@pytest.mark.parametrize("cap", ["total", "daily"])
def test_a_campaign_stops_being_served_the_moment_its_cap_is_reached(any_backend, cap):
    """No periodic task runs in between: serving reads the same live counters the debit moved."""
    product = f.product()
    caps = {"total_cap": Decimal("2.00")} if cap == "total" else {"daily_cap": Decimal("2.00")}
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), **caps)
    rng = random.Random(7)
    assert [p.campaign for p in choose(1, timezone.now(), rng)] == [campaign]
    click(campaign, product, viewer="c:1")
    assert [p.campaign for p in choose(1, timezone.now(), rng)] == [campaign]
    click(campaign, product, viewer="c:2")
    assert choose(1, timezone.now(), rng) == []


def test_a_cheaper_campaign_takes_the_slot_of_one_that_cannot_pay(any_backend):
    rich, poor = f.product(), f.product()
    expensive = f.campaign(products=[poor], bid=Decimal("2.00"), total_cap=Decimal("3.00"))
    cheap = f.campaign(products=[rich], bid=Decimal("0.10"))
    assert choose(1, timezone.now(), random.Random(1))[0].campaign == expensive  # the higher bid wins
    click(expensive, poor, viewer="c:1")  # 1.00 left: cannot pay a 2.00 click
    assert [p.campaign for p in choose(2, timezone.now(), random.Random(1))] == [cheap]


class RoundTrips:
    """Counts what is sent to Redis: one send per command, or per pipeline or script call."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = redis.connection.AbstractConnection.send_packed_command

        def counting(connection, command, check_health=True):
            self.count += 1
            return original(connection, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)


def test_a_feed_request_makes_one_budget_round_trip(on_redis, client, monkeypatch, settings):
    """One script call for everything a page needs of Redis: the promoted slots, the reader's
    profile (a copy kept for the next pages), the catalogue's version, the last page's impressions
    (promotion.feed_trip)."""
    settings.FEED_PROMOTED_EVERY = 5
    farmer = f.farmer()
    products = [f.product(seller=farmer) for _ in range(10)]
    for n in range(5):
        f.campaign(products=[f.product()], bid=Decimal("0.50") + n)
    f.story()
    assert client.get("/feed/").status_code == 200  # loads the script into Redis once
    trips = RoundTrips(monkeypatch)
    response = client.get("/feed/")
    assert response.status_code == 200 and response.context_data["page"].filled_slots >= 1
    assert trips.count == 1
    assert products  # organic goods fill the rest of the page


def test_a_feed_request_with_no_campaign_to_serve_makes_the_same_one_round_trip(on_redis, client, monkeypatch):
    f.product()
    assert client.get("/feed/").status_code == 200  # opens the connections once
    trips = RoundTrips(monkeypatch)
    assert client.get("/feed/").status_code == 200
    assert trips.count == 1


def test_impressions_are_counted_in_redis_and_folded_in_by_reconcile(on_redis):
    product = f.product()
    campaign = f.campaign(products=[product])
    for _ in range(3):
        assert choose(1, timezone.now(), random.Random(3))
    assert counter(on_redis, campaign, "impressions") == 3
    RedisBudget().reconcile(campaign, timezone.now())
    assert CampaignDay.objects.get(campaign=campaign).impressions == 3
    RedisBudget().reconcile(campaign, timezone.now())
    assert CampaignDay.objects.get(campaign=campaign).impressions == 3  # taken once


@pytest.fixture
def redis_down(settings):
    """REDIS_URL pointing at a port nothing listens on (127.0.0.1:1); clients are kept per URL."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.PROMOTION_BUDGET_BACKEND = "redis"


def test_with_redis_down_the_feed_shows_organic_items_and_clicks_still_redirect(redis_down, client):
    from django.urls import reverse

    from promotion import tokens
    from promotion.models import Click, Spend
    from tests.promotion.clicking import BROWSER

    product = f.product()
    campaign = f.campaign(products=[product])
    response = client.get("/feed/")
    assert response.status_code == 200 and response.context_data["page"].entries
    assert response.context_data["page"].filled_slots == 0
    clicked = client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}", HTTP_USER_AGENT=BROWSER)
    assert clicked["Location"] == reverse("shop:product", args=[product.slug])
    assert Click.objects.get().outcome == ClickOutcome.UNAVAILABLE and not Spend.objects.exists()


def test_another_process_pausing_a_campaign_stops_this_ones_serving(any_backend, settings):
    """Each process keeps an index of the running campaigns (here for an hour). A pause written by
    another process (an UPDATE this process sends no signal for) reaches serving: on Redis through
    the version the serving call returns, on the database because serving re-reads the state."""
    from promotion.budget import get_budget
    from promotion.models import Campaign
    from promotion.serving import forget_serving_index

    settings.PROMOTION_SERVING_INDEX_SECONDS = 3600
    forget_serving_index()
    campaign = f.campaign(products=[f.product()])
    assert chosen_now() == [campaign]  # builds the index
    assert chosen_now() == [campaign]  # from the index
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.PAUSED)
    if any_backend == "redis":
        get_budget().bump_config_version()  # what the other process's commit does
        assert chosen_now() == [campaign]  # this request still served from the old index...
    assert chosen_now() == []  # ...but the next one no longer is
    forget_serving_index()


def test_a_new_campaign_reaches_an_index_through_the_version(on_redis, settings):
    from promotion.budget import get_budget
    from promotion.serving import forget_serving_index

    settings.PROMOTION_SERVING_INDEX_SECONDS = 3600
    forget_serving_index()
    first = f.campaign(products=[f.product()], bid=Decimal("0.50"))
    assert chosen_now(2) == [first]
    forget_serving_index()  # as if in another process: built before the new campaign
    assert chosen_now(2) == [first]
    second = f.campaign(products=[f.product()], bid=Decimal("2.00"))
    get_budget().bump_config_version()
    chosen_now(2)  # sees the new version
    assert chosen_now(2) == [second, first]
    forget_serving_index()


def chosen_now(wanted=1):
    return [p.campaign for p in choose(wanted, timezone.now(), random.Random(4))]
