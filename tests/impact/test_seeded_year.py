"""A year of orders built through the real services (refunds, promoted orders, payouts run at
each month's end, some paid, some failed): for every figure, every month and the year, for each
village, the NGO and everything, the roll-up equals the ledger, and each money figure equals the
sum of the entries behind it. The refresh is idempotent, catches up after more postings, and
counts a transaction that committed after the watermark had moved past its id."""

import calendar
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from impact import figures as fig
from impact import rollup, trace
from impact.models import HouseholdDay, PromotedOrderDay, RollupState, VillageDay
from impact.periods import Period, parse_period
from payments import payouts, shopper_payments
from payments.models import LedgerTransaction
from tests import factories as f
from tests.promotion.clicking import click
from tests.shop import buying

from .building import Clock, at, cooperative_with_manager, sell

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

YEAR = 2025


def snapshot():
    return (
        sorted(VillageDay.objects.values_list("village", "day", "figure", "fen")),
        sorted(HouseholdDay.objects.values_list("village", "day", "farmer")),
        sorted(PromotedOrderDay.objects.values_list("village", "day", "order")),
    )


def build_year(settings, months=range(1, 13), refresh_after=6):
    settings.PLATFORM_FEE_PERCENT = "5"
    settings.PAYOUT_MINIMUM = "1.00"
    rng = random.Random(14)
    county = f.village().county
    villages = [f.village(county=county), f.village(county=county), f.village()]
    farmers = [
        f.farmer(village_=villages[n % 3], is_registered_poor=n % 2 == 0, household_size=1 + n % 4) for n in range(5)
    ]
    sellers = [*farmers, cooperative_with_manager(villages[1])]
    goods = [
        buying.variant(price=rng.choice(["12.50", "39.90", "68.00"]), stock=500, weight_kg="0.8", seller=seller)
        for seller in sellers
    ]
    campaign = f.campaign(products=[goods[0].product, goods[5].product], daily_cap=Decimal("1000"))
    operator = f.payout_operator()
    clock = Clock()
    viewers = iter(f"c:{n:032d}" for n in range(10_000))
    for month in months:
        days = calendar.monthrange(YEAR, month)[1]
        for n in range(5):
            # A seller joins late: farmer 4 sells from July only (a new household then).
            choices = goods if month >= 7 else goods[:4] + goods[5:]
            items = [(variant, rng.randint(1, 3)) for variant in rng.sample(choices, rng.randint(1, 2))]
            keys = ()
            if n % 3 == 0:
                viewer = next(viewers)
                promoted = rng.choice([goods[0], goods[5]])
                click(campaign, promoted.product, viewer=viewer)
                clock.book_at(at(YEAR, month, rng.randint(1, days), rng.randint(0, 23)))
                keys = (viewer,)
                items = [(promoted, 1)] + [item for item in items if item[0] != promoted]
            order = sell(items, operator, viewer_keys=keys)
            # Some at the very edges of Shanghai days (16:00 UTC is midnight in Shanghai).
            hour, minute = rng.choice([(0, 0), (23, 59), (8, 30), (16, 0), (12, 0)])
            day = rng.randint(1, days)
            clock.book_at(at(YEAR, month, day, hour, minute))
            if n == 2:
                line = order.lines.first()
                shopper_payments.refund_payment(operator, order.payment, lines=[line])
                later = min(day + 3, days)
                clock.book_at(at(YEAR, month, later, 23, 59))
        made = payouts.run()
        clock.book_at(at(YEAR, month, days, 21))
        for k, payout in enumerate(made):
            if month % 4 == 0 and k == 0:
                payouts.mark_failed(operator, payout, "account closed")
            else:
                payouts.mark_paid(operator, payout, f"B{month}-{k}")
        # Confirmed the next morning: the first days of the next month (or year).
        clock.book_at(at(YEAR, month, days, 23, 59) + timedelta(hours=9))
        if month == refresh_after:
            rollup.refresh()
    analyze()
    return {"villages": villages, "farmers": farmers, "sellers": sellers, "goods": goods, "clock": clock}


def analyze():
    """Give PostgreSQL's planner the statistics autovacuum would have gathered by now: on tables it
    believes empty, the ledger-side reads (`figures_from_ledger`, `trace`) pick nested loops over
    thousands of rows and one query takes half a minute. ANALYZE inside the test's transaction
    counts the rows the transaction itself inserted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def assert_every_figure_agrees(villages, periods):
    for period in periods:
        from_rollup = fig.figures(villages, period)
        from_ledger = fig.figures_from_ledger(villages, period)
        assert from_rollup == from_ledger, period
        for key, definition in fig.FIGURES.items():
            if definition.unit == "money" and not key.startswith("payout_per"):
                entries = trace.entries_behind(key, villages, period).values_list("amount", "figure_sign")
                assert sum((amount * sign for amount, sign in entries), Decimal(0)) == from_ledger[key], (key, period)
        assert (
            trace.farmers_behind("households_with_sale", villages, period).count() == from_ledger.households_with_sale
        )
        assert trace.farmers_behind("new_households", villages, period).count() == from_ledger.new_households
        assert trace.orders_behind("promoted_orders", villages, period).count() == from_ledger.promoted_orders


@pytest.mark.timeout(900)  # about 45 s on SQLite, on a loaded machine several times that
def test_a_seeded_year_adds_up_everywhere(settings):
    built = build_year(settings)
    villages = built["villages"]
    assert rollup.refresh() is not None  # caught up after the postings since June
    year = parse_period(str(YEAR))
    months = [parse_period(f"{YEAR}-{m:02d}") for m in range(1, 13)]
    ngo = f.ngo(villages=villages[:2])
    scopes = [[v.pk] for v in villages] + [fig.villages_of(("ngo", ngo.pk)), fig.villages_of(("all", None))]
    for scope in scopes:
        assert_every_figure_agrees(scope, [year, *months])
        assert fig.series(scope, year) == fig.series(scope, year, source="ledger")
    assert fig.per_village([v.pk for v in villages], year) == {
        v.pk: fig.figures_from_ledger([v.pk], year) for v in villages
    }

    # The year really has what it should: refunds, promotion, a failed payout, money paid out.
    total = fig.figures_from_ledger(fig.villages_of(("all", None)), year)
    assert total.refunds > 0 and total.promoted_orders >= 12 and total.promotion_spend >= Decimal("12.00")
    assert 0 < total.paid_out < total.farmer_income and total.households_with_sale == 5
    july = fig.figures_from_ledger(fig.villages_of(("all", None)), months[6])
    assert july.new_households == 1  # farmer 4's first sale
    # A payout confirmed on the morning after 31 December counts in the next year, not this one.
    assert fig.figures_from_ledger(fig.villages_of(("all", None)), parse_period(str(YEAR + 1))).paid_out > 0

    # Idempotent: another refresh, or a rebuild of every day, changes nothing.
    before = snapshot()
    rollup.refresh()
    assert snapshot() == before
    rollup.refresh(full=True)
    assert snapshot() == before


def test_the_refresh_catches_up_after_more_postings(settings):
    built = build_year(settings, months=[1, 2], refresh_after=1)
    everything = fig.villages_of(("all", None))
    february = parse_period(f"{YEAR}-02")
    before = fig.figures(everything, february)
    assert before == fig.figures_from_ledger(everything, february)
    order = sell([(built["goods"][1], 2)], f.staff_user())
    built["clock"].book_at(at(YEAR, 2, 14))
    after = fig.figures(everything, february)  # read through refresh_if_stale
    assert after.gross_sales == before.gross_sales + order.total
    assert after == fig.figures_from_ledger(everything, february)


def test_a_transaction_committed_after_the_watermark_moved_is_still_counted(settings):
    """Transaction 1 takes its id, transaction 2 commits and a refresh reads it (the watermark
    moves past both ids), then transaction 1 commits: the next refresh still counts it, because it
    was booked within the overlap before the last refresh."""
    built = build_year(settings, months=[3], refresh_after=None)
    rollup.refresh()
    late = sell([(built["goods"][2], 1)], f.staff_user())
    state = RollupState.objects.get()
    newest = LedgerTransaction.objects.order_by("-pk").values_list("pk", flat=True).first()
    booked = LedgerTransaction.objects.filter(order=late).order_by("pk").first().created_at
    # As the earlier refresh would have left it: it read ids up to the newest, just after the late
    # transaction took its id.
    RollupState.objects.filter(pk=state.pk).update(
        last_transaction_id=newest, scanned_at=booked + timedelta(seconds=30)
    )
    everything = fig.villages_of(("all", None))
    today = Period.day(booked.astimezone(at(2025, 1, 1).tzinfo).date())
    assert fig.figures(everything, today).gross_sales == 0  # not stale by id: nothing read yet
    assert rollup.refresh() >= 1  # its day, and the days of the orders credited within the overlap
    assert fig.figures(everything, today).gross_sales == late.total
    assert fig.figures(everything, today) == fig.figures_from_ledger(everything, today)
