"""What a click bills, on the database budget path (the Redis path is in test_redis_budget.py
and the concurrency suite): bots, repeats inside ten minutes, campaigns not running, caps, the
books, and that every click, billed or not, is recorded and redirected."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import ledger
from payments.models import LedgerTransaction
from promotion import tokens
from promotion.clicks import is_bot, record_click
from promotion.clock import BUDGET_ZONE
from promotion.models import CampaignDay, CampaignState, Click, ClickOutcome, Spend
from tests import factories as f
from tests.promotion.clicking import BROWSER, click

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _database_budget(settings):
    """Time is injected here, and Redis keeps the repeat window by its own clock (a key's TTL)."""
    settings.PROMOTION_BUDGET_BACKEND = "database"


@pytest.fixture
def product():
    return f.product()


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "   ",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
        "Sogou web spider/4.0",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        "facebookexternalhit/1.1",
    ],
)
def test_known_bots_and_empty_agents_are_not_billed(product, agent):
    assert is_bot(agent)
    campaign = f.campaign(products=[product])
    assert click(campaign, product, user_agent=agent).outcome == ClickOutcome.BOT
    assert not Spend.objects.exists()


@pytest.mark.parametrize(
    "agent",
    [
        BROWSER,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    ],
)
def test_browsers_and_in_app_browsers_are_billed(product, agent):
    assert not is_bot(agent)
    assert click(f.campaign(products=[product]), product, user_agent=agent).outcome == ClickOutcome.BILLED


def test_a_repeat_from_the_same_viewer_within_ten_minutes_is_not_billed(product):
    campaign = f.campaign(products=[product])
    start = timezone.now()
    outcomes = [
        click(campaign, product, viewer="c:one", now=start + datetime.timedelta(minutes=minutes)).outcome
        for minutes in (0, 5, 9.9, 10.1, 12)
    ]
    assert outcomes == [
        ClickOutcome.BILLED,
        ClickOutcome.REPEAT,
        ClickOutcome.REPEAT,
        ClickOutcome.BILLED,  # ten minutes after the last billed click
        ClickOutcome.REPEAT,
    ]
    assert click(campaign, product, viewer="c:two", now=start).outcome == ClickOutcome.BILLED


def test_the_repeat_window_is_per_campaign(product):
    first, second = f.campaign(products=[product]), f.campaign(products=[product])
    assert click(first, product, viewer="c:one").outcome == ClickOutcome.BILLED
    assert click(second, product, viewer="c:one").outcome == ClickOutcome.BILLED


def test_a_signed_in_shopper_is_one_viewer_on_every_browser(client, product):
    campaign = f.campaign(products=[product])
    shopper = f.user()
    client.force_login(shopper)
    for _ in range(2):
        client.cookies.pop("shanhuo_viewer", None)
        client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}", HTTP_USER_AGENT=BROWSER)
    assert list(Click.objects.order_by("id").values_list("outcome", "viewer_key", "user")) == [
        (ClickOutcome.BILLED, f"u:{shopper.pk}", shopper.pk),
        (ClickOutcome.REPEAT, f"u:{shopper.pk}", shopper.pk),
    ]


def test_a_click_gives_a_new_browser_a_viewer_cookie_and_keeps_it(client, product):
    campaign = f.campaign(products=[product])
    first = client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}", HTTP_USER_AGENT=BROWSER)
    cookie = first.cookies["shanhuo_viewer"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    second = client.get(f"/r/{tokens.issue(campaign.pk, product.pk, timezone.now())}", HTTP_USER_AGENT=BROWSER)
    assert "shanhuo_viewer" not in second.cookies  # not set again
    assert Click.objects.filter(viewer_key=f"c:{cookie.value}").count() == 2
    assert first["Cache-Control"].startswith("max-age=0") or "no-cache" in first["Cache-Control"]


@pytest.mark.parametrize("state", [CampaignState.PAUSED, CampaignState.DRAFT, CampaignState.ENDED])
def test_clicks_on_a_campaign_not_running_are_not_billed(product, state):
    campaign = f.campaign(products=[product], state=state)
    assert click(campaign, product).outcome == ClickOutcome.NOT_SERVING


def test_clicks_outside_the_schedule_are_not_billed(product):
    now = timezone.now()
    later = f.campaign(products=[product], starts_at=now + datetime.timedelta(hours=1))
    over = f.campaign(
        products=[product], starts_at=now - datetime.timedelta(days=2), ends_at=now - datetime.timedelta(minutes=1)
    )
    assert click(later, product, now=now).outcome == ClickOutcome.NOT_SERVING
    assert click(over, product, now=now, served=now - datetime.timedelta(minutes=30)).outcome == (
        ClickOutcome.NOT_SERVING
    )


def test_a_product_hidden_since_it_was_served_is_not_billed_and_the_click_goes_to_the_feed(client, product):
    campaign = f.campaign(products=[product])
    token = tokens.issue(campaign.pk, product.pk, timezone.now())
    product.is_published = False
    product.save()
    response = client.get(f"/r/{token}", HTTP_USER_AGENT=BROWSER)
    assert response["Location"] == reverse("promotion:feed")
    assert Click.objects.get().outcome == ClickOutcome.NOT_SERVING


def test_farmer_and_village_campaigns_bill_their_own_goods_only(product):
    by_farmer = f.campaign(farmer_=product.farmer)
    by_village = f.campaign(village_=product.village)
    stranger = f.product()
    assert click(by_farmer, product, viewer="c:1").outcome == ClickOutcome.BILLED
    assert click(by_village, product, viewer="c:1").outcome == ClickOutcome.BILLED
    assert click(by_farmer, stranger, viewer="c:2").outcome == ClickOutcome.MISMATCH
    assert click(by_village, stranger, viewer="c:2").outcome == ClickOutcome.MISMATCH


def test_each_billed_click_is_one_balanced_booking(product):
    campaign = f.campaign(products=[product], bid=Decimal("0.45"))
    billed = [click(campaign, product, viewer=f"c:{n}") for n in range(3)]
    for one in billed:
        booking = LedgerTransaction.objects.get(key=f"promotion-click-{one.pk}")
        assert sorted(booking.entries.values_list("amount", flat=True)) == [Decimal("-0.45"), Decimal("0.45")]
    assert ledger.balance(ledger.sponsor_account(campaign.sponsor)) == Decimal("1.35")
    assert ledger.balance(ledger.promotion_income_account()) == Decimal("-1.35")


def test_the_daily_cap_stops_billing_until_the_next_day_in_china(product):
    campaign = f.campaign(products=[product], bid=Decimal("1.00"), daily_cap=Decimal("2.00"))
    # 23:50 in Shanghai is 15:50 UTC: the day of a daily cap is China's.
    evening = datetime.datetime(2026, 11, 21, 23, 50, tzinfo=BUDGET_ZONE)
    campaign.starts_at = evening - datetime.timedelta(days=1)
    campaign.save()
    outcomes = [click(campaign, product, viewer=f"c:{n}", now=evening).outcome for n in range(3)]
    after_midnight = evening + datetime.timedelta(minutes=15)
    outcomes.append(click(campaign, product, viewer="c:9", now=after_midnight).outcome)
    assert outcomes == [ClickOutcome.BILLED, ClickOutcome.BILLED, ClickOutcome.OVER_BUDGET, ClickOutcome.BILLED]
    assert sorted(CampaignDay.objects.values_list("day", "spent_fen")) == [
        (datetime.date(2026, 11, 21), 200),
        (datetime.date(2026, 11, 22), 100),
    ]


def test_reaching_the_total_cap_exhausts_the_campaign(product):
    campaign = f.campaign(products=[product], bid=Decimal("0.70"), total_cap=Decimal("1.50"))
    outcomes = [click(campaign, product, viewer=f"c:{n}").outcome for n in range(3)]
    # 0.70 + 0.70 = 1.40; a third click would pass 1.50.
    assert outcomes == [ClickOutcome.BILLED, ClickOutcome.BILLED, ClickOutcome.OVER_BUDGET]
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.EXHAUSTED and campaign.spent_fen == 140


def test_a_click_that_fails_midway_leaves_no_charge(product, monkeypatch):
    """The charge, the Spend row and the booking commit together or not at all."""
    campaign = f.campaign(products=[product])

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "post", broken)
    with pytest.raises(RuntimeError):
        click(campaign, product)
    campaign.refresh_from_db()
    assert campaign.spent_fen == 0 and not Spend.objects.exists() and not Click.objects.exists()
    assert CampaignDay.objects.filter(spent_fen__gt=0).count() == 0


def test_record_click_with_the_same_token_twice_charges_once(product):
    campaign = f.campaign(products=[product])
    now = timezone.now()
    token = tokens.issue(campaign.pk, product.pk, now)
    first = record_click(token, viewer_key="c:a", user_agent=BROWSER, now=now).click
    second = record_click(token, viewer_key="c:a", user_agent=BROWSER, now=now).click
    assert (first.outcome, second.outcome) == (ClickOutcome.BILLED, ClickOutcome.REUSED)
    assert Spend.objects.get().click == first
