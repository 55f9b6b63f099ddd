"""Which campaign gets a promoted slot: bid × predicted click rate × a boost for the poorest
villages, among running campaigns that can still pay and pass their pacing throttle."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from promotion.models import CampaignState
from promotion.serving import choose, poverty_gap
from tests import factories as f

pytestmark = pytest.mark.django_db


def chosen(wanted=1, seed=1, now=None):
    return [p.campaign for p in choose(wanted, now or timezone.now(), random.Random(seed))]


def goods_in(**village_fields):
    return f.product(seller=f.farmer(village_=f.village(**village_fields)))


@pytest.mark.parametrize(
    ("line", "income", "gap"),
    [
        ("4000", "2000", 0.5),
        ("4000", "4000", 0.0),
        ("4000", "6000", 0.0),
        ("4000", "0", 0.0),  # never recorded: no boost rather than the most
        ("0", "100", 0.0),
        ("4000", "1000", 0.75),
    ],
)
def test_poverty_gap(line, income, gap):
    assert poverty_gap(Decimal(line), Decimal(income)) == pytest.approx(gap)


def test_expected_value_ranks_campaigns_bid_times_click_rate():
    low_bid_clicked = f.campaign(products=[f.product()], bid=Decimal("0.50"), predicted_ctr=0.08)  # 0.04
    high_bid_ignored = f.campaign(products=[f.product()], bid=Decimal("1.50"), predicted_ctr=0.02)  # 0.03
    middle = f.campaign(products=[f.product()], bid=Decimal("1.00"), predicted_ctr=0.035)  # 0.035
    assert chosen(3) == [low_bid_clicked, middle, high_bid_ignored]


def test_the_poorest_village_gets_the_boost():
    poorer = f.campaign(products=[goods_in(poverty_line=Decimal("4000"), baseline_income=Decimal("1000"))])
    richer = f.campaign(products=[goods_in(poverty_line=Decimal("4000"), baseline_income=Decimal("3800"))])
    # Same bid and click rate: the village furthest below its line wins (boost 1.75 against 1.05).
    assert chosen(2) == [poorer, richer]
    # The boost is a weight, not a veto: a much better bid still wins.
    richer.bid = Decimal("3.00")
    richer.save()
    assert chosen(2) == [richer, poorer]


def test_a_village_campaign_shows_its_poorest_goods():
    county_village = f.village(poverty_line=Decimal("4000"), baseline_income=Decimal("3000"))
    campaign = f.campaign(village_=county_village)
    goods = f.product(seller=f.farmer(village_=county_village))
    placements = choose(1, timezone.now(), random.Random(2))
    assert [(p.campaign, p.product_id) for p in placements] == [(campaign, goods.pk)]


def test_campaigns_not_running_are_never_chosen():
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    for state in (CampaignState.DRAFT, CampaignState.PAUSED, CampaignState.EXHAUSTED, CampaignState.ENDED):
        f.campaign(products=[f.product()], state=state)
    f.campaign(products=[f.product()], starts_at=now + hour)
    f.campaign(products=[f.product()], starts_at=now - 3 * hour, ends_at=now - hour)
    f.campaign(products=[f.product()], total_cap=Decimal("0.50"), bid=Decimal("1.00"))  # cannot pay one click
    assert chosen(10, now=now) == []
    running = f.campaign(products=[f.product()])
    assert chosen(10, now=now) == [running]


def test_campaigns_with_nothing_buyable_are_not_chosen():
    sold_out = f.product(variants=[{"name": "箱", "price": Decimal("10.00"), "stock": 0, "weight_kg": Decimal("1")}])
    hidden = f.product(published=False)
    f.campaign(products=[sold_out, hidden])
    f.campaign(farmer_=f.farmer())  # a farmer with no goods
    assert chosen(5) == []


def test_the_pacing_throttle_lets_a_campaign_into_about_its_rate_of_requests():
    campaign = f.campaign(products=[f.product()], serving_rate=0.25)
    rng = random.Random(11)
    served = sum(bool(choose(1, timezone.now(), rng)) for _ in range(400))
    assert 70 <= served <= 130  # 100 expected
    campaign.serving_rate = 0.0
    campaign.save()
    assert not any(choose(1, timezone.now(), rng) for _ in range(50))


def test_a_page_never_shows_one_campaign_or_product_twice():
    shared = f.product()
    first = f.campaign(products=[shared], bid=Decimal("2.00"))
    second = f.campaign(products=[shared], bid=Decimal("1.00"))
    third = f.campaign(products=[f.product()], bid=Decimal("0.50"))
    placements = choose(3, timezone.now(), random.Random(5))
    assert [p.campaign for p in placements] == [first, third]
    assert second not in [p.campaign for p in placements]
