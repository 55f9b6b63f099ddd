"""A payout is a sum over any number of orders, so it is bounded by its column: a seller owed more
than `payouts.MAX_PAYOUT` is paid whole orders up to it, and the rest by the next runs (issue 18,
defect 11's family: unbounded, the run would overflow `Payout.amount` for that seller every time)."""

from decimal import Decimal

import pytest

from payments import ledger, payouts
from payments.models import Payout
from shop import limits
from tests.payments.test_payouts import assert_books_balance, paid_and_delivered
from tests.shop.buying import place_order, variant

pytestmark = pytest.mark.django_db


def test_the_bound_is_the_column_and_holds_any_one_order():
    field = Payout._meta.get_field("amount")
    assert limits.largest(field.max_digits, field.decimal_places) == payouts.MAX_PAYOUT
    assert payouts.MAX_PAYOUT >= limits.MAX_ORDER_AMOUNT


def test_a_seller_owed_more_than_the_bound_is_paid_whole_orders_over_several_runs(settings, monkeypatch):
    settings.PAYOUT_MINIMUM = "10.00"
    goods = variant(price="80.00", weight_kg="0.5", stock=10)
    farmer = goods.product.farmer
    orders = [paid_and_delivered(place_order([(goods, quantity)])) for quantity in (1, 3, 1)]
    small, big, small_again = (order.total for order in orders)
    # Room for the big order alone, or for the two small ones, not for the first two together.
    monkeypatch.setattr(payouts, "MAX_PAYOUT", big + Decimal("1.00"))
    assert small + small_again <= payouts.MAX_PAYOUT < small + big

    (first,) = payouts.run()
    assert first.amount == small + small_again
    assert ledger.owed_to(farmer) == big

    (second,) = payouts.run()
    assert (second.amount, second.sequence) == (big, 2)
    assert ledger.owed_to(farmer) == 0
    assert payouts.run() == []
    assert_books_balance()


def test_money_taken_back_is_always_settled_with_the_orders_paid(settings, monkeypatch):
    """An order refunded after its payout is owed back: the next payout nets it even when the
    bound leaves an order owed for later, so no run pays more than the seller is owed."""
    from payments import shopper_payments
    from tests import factories as f

    settings.PAYOUT_MINIMUM = "10.00"
    goods = variant(price="80.00", weight_kg="0.5", stock=10)
    farmer = goods.product.farmer
    refunded = paid_and_delivered(place_order([(goods, 1)]))
    payouts.run()
    shopper_payments.refund_payment(f.staff_user(), refunded.payment)
    later = [paid_and_delivered(place_order([(goods, quantity)])) for quantity in (2, 3)]
    monkeypatch.setattr(payouts, "MAX_PAYOUT", later[0].total + Decimal("1.00"))

    (payout,) = payouts.run()
    assert payout.amount == later[0].total - refunded.total
    assert ledger.owed_to(farmer) == later[1].total
    assert_books_balance()
