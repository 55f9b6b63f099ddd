"""Pacing over simulated days, through the real code: every simulated minute a steady number of
feed requests asks serving.choose() for a promoted slot, one served slot in CLICK_EVERY is clicked
through clicks.record_click() (which writes the Click, the Spend row and the ledger entry), and at
the end of the minute pacing.pace() runs, as the beat task would. Time is injected, never slept.
Each minute's commit callbacks run at its end, as each request's and the task's commits would run
them: the serving index is kept, as in production, until pacing's new rates retire it.

Traffic is several times what the budget can pay: unthrottled, the daily cap goes in about three
hours (the control run shows it), so only the pacing controller can spread it over the day."""

import datetime
import os
import random
from decimal import Decimal

import pytest

from promotion import pacing, serving, tokens
from promotion.clicks import record_click
from promotion.clock import BUDGET_ZONE, day_start
from promotion.models import Campaign, Spend
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DAY = datetime.date(2025, 3, 12)
BID = Decimal("1.00")
DAILY_CAP = Decimal("200.00")  # 200 clicks
HOUR_SHARE = DAILY_CAP / 24
CLICK_EVERY = 3
BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile"
# Feed requests per minute, hour by hour: unthrottled, 3 a minute pay the daily cap in 3 h 20 min.
STEADY = [3.0] * 24
# Nights (00:00-07:00) a twentieth of the day's traffic; unthrottled, a day hour pays 72 clicks.
QUIET_NIGHTS = [0.18] * 7 + [3.6] * 17


def make_campaign(serving_rate: float) -> Campaign:
    product = f.product(seller=f.farmer())
    return f.campaign(
        products=[product],
        bid=BID,
        daily_cap=DAILY_CAP,
        total_cap=DAILY_CAP * 10,
        starts_at=day_start(DAY) - datetime.timedelta(days=1),
        serving_rate=serving_rate,
    )


@pytest.fixture(autouse=True)
def _serving_index_kept(settings):
    """As in production: the index lives until a campaign change (pacing's rates) retires it."""
    settings.PROMOTION_SERVING_INDEX_SECONDS = 3600


def simulate(traffic: list[float], seed: int, commits, *, hours: int = 24, paced: bool = True) -> None:
    """`commits` is pytest-django's django_capture_on_commit_callbacks."""
    rng = random.Random(seed)
    start = day_start(DAY)
    served, carried = 0, 0.0
    for minute in range(hours * 60):
        carried += traffic[minute // 60]
        requests, carried = int(carried), carried - int(carried)
        with commits(execute=True):
            for i in range(requests):
                now = start + datetime.timedelta(minutes=minute, seconds=i * 60 // requests)
                for placement in serving.choose(1, now, rng):
                    served += 1
                    if served % CLICK_EVERY == 0:
                        token = tokens.issue(placement.campaign.pk, placement.product_id, now)
                        record_click(token, viewer_key=f"viewer-{served}", user_agent=BROWSER, now=now)
            if paced:
                pacing.pace(now=start + datetime.timedelta(minutes=minute + 1))


def billed_by_hour(campaign: Campaign) -> list[Decimal]:
    hours = [Decimal(0)] * 24
    for created_at, amount in Spend.objects.filter(campaign=campaign, day=DAY).values_list("created_at", "amount"):
        hours[created_at.astimezone(BUDGET_ZONE).hour] += amount
    return hours


def assert_paced(campaign: Campaign) -> None:
    hours = billed_by_hour(campaign)
    spent = sum(hours)
    busiest = max(hours)
    print(f"spent {spent / DAILY_CAP:.1%} of the cap, busiest hour {busiest / HOUR_SHARE:.2f}x its share: {hours}")
    assert DAILY_CAP * Decimal("0.95") <= spent <= DAILY_CAP
    assert busiest <= 2 * HOUR_SHARE, hours


# A simulated day takes some 15 s of CPU; PACING_SEEDS=n runs n more seeds of each scenario.
MORE_SEEDS = range(100, 100 + int(os.environ.get("PACING_SEEDS", "0")))


@pytest.mark.parametrize(("seed", "start_rate"), [(1, 1.0)] + [(s, 0.05 if s % 2 else 1.0) for s in MORE_SEEDS])
def test_steady_traffic_spends_the_cap_evenly(seed, start_rate, django_capture_on_commit_callbacks):
    """From a rate far too high (an unthrottled campaign) or the default for a new campaign."""
    campaign = make_campaign(start_rate)
    simulate(STEADY, seed, django_capture_on_commit_callbacks)
    assert_paced(campaign)


def test_without_pacing_the_same_traffic_burns_the_budget_in_hours(django_capture_on_commit_callbacks):
    """The control: the rate left at 1, the simulation above spends the cap by mid-morning."""
    campaign = make_campaign(1.0)
    simulate(STEADY, 1, django_capture_on_commit_callbacks, hours=5, paced=False)
    hours = billed_by_hour(campaign)
    assert sum(hours[:4]) == DAILY_CAP, hours  # all of it before 04:00
    assert max(hours) > 2 * HOUR_SHARE


@pytest.mark.parametrize("seed", [3, *MORE_SEEDS])
def test_quiet_nights_with_the_traffic_shape_configured(settings, seed, django_capture_on_commit_callbacks):
    """Nights a twentieth of the day: the plan follows the expected traffic (see pacing's docstring)."""
    settings.PROMOTION_TRAFFIC_SHAPE = QUIET_NIGHTS
    campaign = make_campaign(0.05)
    simulate(QUIET_NIGHTS, seed, django_capture_on_commit_callbacks)
    assert_paced(campaign)
