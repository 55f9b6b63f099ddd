"""A shopper cancelling a paid order while an operator refunds it, or while its payment is being
recorded, at the same moment, on PostgreSQL with committed rows (`transactional_db`) and one
connection per thread. Both paths lock the payment before the order (docs/architecture.md); with
the order locked first on one side, these rounds deadlock (PostgreSQL aborts one with
DeadlockDetected, which `run_together` reports as a failed call)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments import ledger
from payments.models import Payment, PaymentStatus
from payments.shopper_payments import confirm_offline_payment, record_succeeded, refund_payment
from shop.models import Order, OrderStatus
from shop.orders import cancel_order
from tests import factories as f
from tests.concurrency.threads import run_together
from tests.shop.buying import two_farmer_order

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ROUNDS = 8


@pytest.fixture
def committed(require_postgres, transactional_db):
    return None


def _refused_or(call, *allowed_codes):
    """The call's result, or the code of a refusal it may rightly give when it lost the race."""
    try:
        call()
        return "done"
    except ValidationError as error:
        codes = {getattr(e, "code", None) for e in error.error_list} if hasattr(error, "error_list") else set()
        assert codes & set(allowed_codes), error
        return next(iter(codes & set(allowed_codes)))


def _money_went_back_once(order: Order) -> None:
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == payment.amount
    assert payment.refunds.filter(status="succeeded").count() == 1
    assert list(ledger.unbalanced_transactions()) == []
    farmers = {line.farmer for line in order.lines.select_related("farmer") if line.farmer_id}
    assert all(ledger.owed_to(farmer) == Decimal("0") for farmer in farmers)


def test_a_cancel_racing_a_refund_neither_deadlocks_nor_refunds_twice(committed):
    operator = f.staff_user()
    for _ in range(ROUNDS):
        shopper = f.user()
        order, *_rest = two_farmer_order(user=shopper)
        confirm_offline_payment(operator, order.payment)

        outcomes = run_together(
            [
                lambda order=order, shopper=shopper: _refused_or(
                    lambda: cancel_order(shopper, Order.objects.get(pk=order.pk)), "cannot_cancel"
                ),
                lambda order=order: _refused_or(
                    lambda: refund_payment(operator, Payment.objects.get(order=order)),
                    "nothing_to_refund",
                    "not_paid",
                ),
            ]
        )

        assert "done" in outcomes, outcomes
        order.refresh_from_db()
        assert order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
        _money_went_back_once(order)


def test_a_cancel_racing_the_payments_arrival_ends_cancelled_with_the_money_back(committed):
    for _ in range(ROUNDS):
        shopper = f.user()
        order, *_rest = two_farmer_order(user=shopper)
        payment_id = order.payment.pk

        outcomes = run_together(
            [
                lambda order=order, shopper=shopper: cancel_order(shopper, Order.objects.get(pk=order.pk)).status,
                lambda payment_id=payment_id: record_succeeded(payment_id),
            ]
        )

        assert outcomes[0] == OrderStatus.CANCELLED and outcomes[1] is True, outcomes
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.paid_at is not None
        _money_went_back_once(order)
