"""Every figure on a small case with known numbers: two villages, a cooperative seller, a refund,
a payout paid, one failed and one still on its way, a promoted order; read from the ledger and
from the roll-up, per village and for both together."""

from decimal import Decimal

import pytest

from impact import figures as fig
from impact import trace
from impact.periods import parse_period
from payments import payouts, shopper_payments
from promotion.models import OrderAttribution
from tests import factories as f
from tests.promotion.clicking import click
from tests.shop import buying

from .building import Clock, at, cooperative_with_manager, sell

pytestmark = pytest.mark.django_db

COOKIE = "c:" + "d" * 32
MARCH = parse_period("2026-03")


@pytest.fixture
def case(settings):
    """Village one: farmer A (registered poor, 4 people) sells 2 × ¥50.00 (1 kg each: a 2 kg parcel,
    ¥12 shipping); cooperative C sells ¥30.00 (0.5 kg, ¥8), refunded. Village two: farmer B
    (2 people) sells ¥20.00 (¥8 shipping) after a billed ¥1.00 click. Fee 10 %. A's payout is paid,
    C's fails, B's is still on its way."""
    settings.PLATFORM_FEE_PERCENT = "10"
    settings.PAYOUT_MINIMUM = "1.00"
    one = f.village(poverty_line=Decimal("4000.00"), baseline_income=Decimal("3650.00"))
    two = f.village(poverty_line=Decimal("3000.00"))
    a = f.farmer(village_=one, is_registered_poor=True, household_size=4)
    b = f.farmer(village_=two, household_size=2)
    c = cooperative_with_manager(one)
    va = buying.variant(price="50.00", weight_kg="1", seller=a)
    vc = buying.variant(price="30.00", weight_kg="0.5", seller=c)
    vb = buying.variant(price="20.00", weight_kg="0.5", seller=b)
    operator = f.payout_operator()
    clock = Clock()

    first = sell([(va, 2), (vc, 1)], operator)
    clock.book_at(at(2026, 3, 2, 9))
    shopper_payments.refund_payment(operator, first.payment, lines=[first.lines.get(variant=vc)])
    clock.book_at(at(2026, 3, 10, 23, 59))
    campaign = f.campaign(products=[vb.product])
    click(campaign, vb.product, viewer=COOKIE)
    clock.book_at(at(2026, 3, 11, 8))
    second = sell([(vb, 1)], operator, viewer_keys=[COOKIE])
    assert OrderAttribution.objects.get(order=second).campaign == campaign
    clock.book_at(at(2026, 3, 11, 9))
    made = {p.seller: p for p in payouts.run()}
    clock.book_at(at(2026, 3, 31, 20))
    payouts.mark_paid(operator, made[a], "BANK-1")
    payouts.mark_failed(operator, made[c], "wrong account")
    clock.book_at(at(2026, 3, 31, 23, 30))  # still March in Shanghai (15:30 UTC)
    return {"one": one, "two": two, "a": a, "b": b, "c": c, "payouts": made, "second": second}


def expected_one():
    people_line = Decimal(4 * 4000) * Decimal(31) / Decimal(365)
    people_baseline = Decimal(4 * 3650) * Decimal(31) / Decimal(365)
    return {
        "gross_sales": Decimal("150.00"),  # A 100 + 12 shipping, C 30 + 8 shipping
        "refunds": Decimal("30.00"),  # C's line
        "net_sales": Decimal("120.00"),
        "farmer_income": Decimal("110.00"),  # A 112 − 10 fee; C 38 − 3 fee − 30 refund + 3 fee back
        "paid_out": Decimal("102.00"),  # A's payout; C's failed
        "farmers_share": Decimal("0.6800"),
        "households_with_sale": 1,  # A (a cooperative is no household)
        "poor_households_with_sale": 1,
        "new_households": 1,
        "payout_per_household": Decimal("102.00"),
        "payout_per_person": Decimal("25.50"),
        "payout_per_person_vs_poverty_line": (Decimal("102") / people_line).quantize(Decimal("0.0001")),
        "payout_per_person_vs_baseline_income": (Decimal("102") / people_baseline).quantize(Decimal("0.0001")),
        "promotion_spend": Decimal("0.00"),
        "promoted_orders": 0,
        "promoted_income": Decimal("0.00"),
        "relief_return": None,
    }


def expected_two():
    return {
        "gross_sales": Decimal("28.00"),
        "refunds": Decimal("0.00"),
        "net_sales": Decimal("28.00"),
        "farmer_income": Decimal("26.00"),
        "paid_out": Decimal("0.00"),  # on its way, not paid
        "farmers_share": Decimal("0.0000"),
        "households_with_sale": 1,
        "poor_households_with_sale": 0,
        "new_households": 1,
        "payout_per_household": Decimal("0.00"),
        "payout_per_person": Decimal("0.00"),
        "payout_per_person_vs_poverty_line": Decimal("0.0000"),
        "payout_per_person_vs_baseline_income": None,  # no baseline recorded
        "promotion_spend": Decimal("1.00"),
        "promoted_orders": 1,
        "promoted_income": Decimal("26.00"),
        "relief_return": Decimal("26.0000"),
    }


@pytest.mark.parametrize("source", ["ledger", "rollup"])
def test_every_figure_of_each_village(case, source):
    one, two = case["one"], case["two"]
    assert fig.figures([one.pk], MARCH, source=source).as_dict() == expected_one()
    assert fig.figures([two.pk], MARCH, source=source).as_dict() == expected_two()
    assert {pk: v.as_dict() for pk, v in fig.per_village([one.pk, two.pk], MARCH, source=source).items()} == {
        one.pk: expected_one(),
        two.pk: expected_two(),
    }


@pytest.mark.parametrize("source", ["ledger", "rollup"])
def test_both_villages_together_are_recomputed_not_averaged(case, source):
    both = fig.figures(fig.villages_of(("all", None)), MARCH, source=source)
    assert both.gross_sales == Decimal("178.00") and both.paid_out == Decimal("102.00")
    assert both.farmers_share == Decimal("0.5730")  # 102 / 178
    assert both.households_with_sale == 2 and both.payout_per_household == Decimal("51.00")
    assert both.payout_per_person == Decimal("17.00")  # 102 / 6 people
    line = (Decimal(4 * 4000) + Decimal(2 * 3000)) * Decimal(31) / Decimal(365)
    assert both.payout_per_person_vs_poverty_line == (Decimal(102) / line).quantize(Decimal("0.0001"))
    assert both.relief_return == Decimal("26.0000") and both.promoted_orders == 1


def test_nothing_counts_outside_the_period(case):
    for period in ("2026-02", "2026-04"):
        figures = fig.figures(fig.villages_of(("all", None)), parse_period(period))
        assert figures.gross_sales == 0 and figures.households_with_sale == 0 and figures.farmers_share is None


def test_the_series_of_march_is_day_by_day(case):
    one = case["one"]
    points = fig.series([one.pk], MARCH)
    assert len(points) == 31
    by_day = {point.start.day: figures for point, figures in points}
    assert by_day[2].gross_sales == Decimal("150.00") and by_day[10].refunds == Decimal("30.00")
    assert by_day[31].paid_out == Decimal("102.00") and by_day[1].gross_sales == 0
    quarter = fig.series([one.pk], parse_period("2026-Q1"))
    assert [p.start.month for p, _f in quarter] == [1, 2, 3]
    assert quarter[2][1].as_dict() == fig.figures([one.pk], MARCH).as_dict()


def test_a_scope_is_the_union_of_its_villages(case):
    one, two = case["one"], case["two"]
    assert list(fig.villages_of(("village", one.pk))) == [one.pk]
    assert list(fig.villages_of(("county", one.county_id))) == [one.pk]
    assert list(fig.villages_of(("province", two.county.province_id))) == [two.pk]
    ngo = f.ngo(villages=[one, two])
    assert sorted(fig.villages_of(("ngo", ngo.pk))) == sorted([one.pk, two.pk])
    with pytest.raises(ValueError):
        fig.villages_of(("planet", 1))


def test_each_money_figure_is_the_sum_of_the_entries_behind_it(case):
    villages = [case["one"].pk, case["two"].pk]
    figures = fig.figures(villages, MARCH, source="ledger")
    for key, definition in fig.FIGURES.items():
        if definition.unit != "money" or key.startswith("payout_per"):
            continue
        entries = trace.entries_behind(key, villages, MARCH)
        total = sum((entry.amount * entry.figure_sign for entry in entries), Decimal(0))
        assert total == figures[key], key


def test_the_drill_down_lists_orders_and_households(case):
    one, two = case["one"], case["two"]
    assert list(trace.orders_behind("promoted_orders", [one.pk, two.pk], MARCH)) == [case["second"]]
    assert list(trace.orders_behind("paid_out", [one.pk], MARCH)) == []  # payouts have no order
    assert list(trace.farmers_behind("poor_households_with_sale", [one.pk, two.pk], MARCH)) == [case["a"]]
    assert set(trace.farmers_behind("new_households", [one.pk, two.pk], MARCH)) == {case["a"], case["b"]}
    assert list(trace.farmers_behind("new_households", [one.pk], parse_period("2026-04"))) == []
    with pytest.raises(ValueError):
        trace.entries_behind("households_with_sale", [one.pk], MARCH)


def test_a_paid_payout_sent_back_is_taken_off_again(case):
    """A returned payout (`payouts.mark_returned`) brings the cash back: paid_out goes down on the
    day it came back, and the month it was paid keeps it."""
    payout = case["payouts"][case["a"]]
    clock = Clock()
    payouts.mark_returned(f.payout_operator(), payout, "账号已注销")
    clock.book_at(at(2026, 4, 3))
    april = parse_period("2026-04")
    assert fig.figures([case["one"].pk], april).paid_out == Decimal("-102.00")
    assert fig.figures([case["one"].pk], parse_period("2026")).paid_out == 0
    assert fig.figures([case["one"].pk], MARCH).paid_out == Decimal("102.00")
