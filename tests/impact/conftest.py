"""Two villages, each covered by its own NGO, each with a farmer who sold, was paid out, and (in
village A) refunded part of an order: enough ledger for every kind of figure."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from farmers.models import Village
from impact.periods import Period
from payments import payouts, shopper_payments
from shop.models import Fulfilment
from shop.orders import deliver_fulfilment, ship_fulfilment
from tests import factories as f
from tests.shop.buying import place_order, variant


@dataclass
class World:
    village_a: Village
    village_b: Village
    officer_a: object
    officer_b: object
    operator: object
    period: Period

    @property
    def period_text(self) -> str:
        return str(self.period)


def paid_and_delivered(order, operator):
    shopper_payments.confirm_offline_payment(operator, order.payment)
    for fulfilment in order.fulfilments.select_related("farmer__user"):
        ship_fulfilment(fulfilment.farmer.user, fulfilment, "顺丰", f"SF{fulfilment.pk:010d}")
        deliver_fulfilment(fulfilment.farmer.user, fulfilment)
    Fulfilment.objects.filter(order=order).update(delivered_at=timezone.now() - timedelta(days=30))


@pytest.fixture
def world(db, settings) -> World:
    settings.PAYOUT_MINIMUM = "1.00"
    return build_world()


def build_world() -> World:
    """The two villages, their NGOs and a month of paid, delivered and paid-out orders (the
    caller sets PAYOUT_MINIMUM low enough for the small amounts)."""
    operator = f.payout_operator()
    village_a = f.village(households=100, poor_households=40)
    village_b = f.village(households=200, poor_households=10)
    poor = f.farmer(village_=village_a, is_registered_poor=True, household_size=4)
    other = f.farmer(village_=village_b, household_size=2)
    a = variant(price="39.90", stock=20, weight_kg="2.5", seller=poor)
    b = variant(price="12.50", stock=20, weight_kg="0.8", seller=other)
    for items in ([(a, 2), (b, 1)], [(a, 1)], [(b, 3)]):
        paid_and_delivered(place_order(items), operator)
    for payout in payouts.run():
        payouts.mark_paid(operator, payout, f"REF-{payout.pk}")
    officer_a, officer_b = f.user(), f.user()
    f.ngo(villages=[village_a], staff=[officer_a])
    f.ngo(villages=[village_b], staff=[officer_b])
    return World(village_a, village_b, officer_a, officer_b, operator, Period.year(timezone.localdate().year))
