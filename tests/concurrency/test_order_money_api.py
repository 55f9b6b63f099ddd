"""The operators' and shoppers' money mutations racing each other through the GraphQL API, on
PostgreSQL, as the outside probe of issue 18 raced them (one request per thread, each on its own
connection): `orderCancel` against `orderRefund` (defect 4: they deadlocked while cancelling
locked the order before the payment), and `orderPaymentConfirm` pressed by several operators at
once (defect 5: several answered success)."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from payments import ledger
from payments.models import LedgerTransaction, Payment, PaymentStatus, RefundStatus
from payments.shopper_payments import confirm_offline_payment
from shop.models import OrderStatus
from tests import factories as f
from tests.concurrency.api import api_as, outcome
from tests.concurrency.orders import Shop
from tests.concurrency.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

ROUNDS = 10

CANCEL = "mutation($id: ID!) { orderCancel(id: $id) { order { status } errors { code } } }"
REFUND = "mutation($id: ID!) { orderRefund(id: $id) { refund { amount } errors { code } } }"
CONFIRM = """mutation($id: ID!) {
  orderPaymentConfirm(id: $id, reference: "转账 0042") { order { status } errors { code message } }
}"""


@pytest.fixture
def shop(require_postgres, transactional_db):
    return Shop()


def test_a_shoppers_cancel_racing_an_operators_refund_never_deadlocks_and_refunds_once(shop):
    """Whichever wins, the answer is an answer (never "Internal error."), the money goes back
    exactly once, to the fen, and the stock comes back only when the cancel wins."""
    operator = f.staff_user()
    refund_as_operator = api_as(operator)
    for _ in range(ROUNDS):
        shopper = f.user()
        order = shop.order(user=shopper)
        confirm_offline_payment(operator, order.payment)
        stock_before = shop.stock()
        gid = to_global_id("Order", order.pk)
        cancel_as_shopper = api_as(shopper)

        cancelled, refunded = run_together(
            [
                lambda cancel=cancel_as_shopper, gid=gid: outcome(cancel(CANCEL, {"id": gid}), "orderCancel"),
                lambda gid=gid: outcome(refund_as_operator(REFUND, {"id": gid}), "orderRefund"),
            ]
        )

        # The refund reserved first: its money goes back; the cancel still closes the order and
        # returns the stock if it comes before the refund settles (CANNOT_CANCEL if after). The
        # cancel first: its own refund takes everything, so the operator's finds nothing (or no
        # longer a paid payment) to refund.
        assert cancelled in ("ok", "CANNOT_CANCEL") and refunded in ("ok", "NOTHING_TO_REFUND", "NOT_PAID")
        assert "ok" in (cancelled, refunded)
        order.refresh_from_db()
        payment = Payment.objects.get(order=order)
        assert payment.status == PaymentStatus.REFUNDED
        assert payment.refunded_amount == payment.amount == Shop.TOTAL
        assert [r.amount for r in payment.refunds.all()] == [Shop.TOTAL]
        assert payment.refunds.get().status == RefundStatus.SUCCEEDED
        if cancelled == "ok":
            assert order.status == OrderStatus.CANCELLED
            assert shop.stock() == (stock_before[0] + Shop.BOXES, stock_before[1] + Shop.BAGS)
        else:
            assert order.status == OrderStatus.REFUNDED
            assert shop.stock() == stock_before
    assert all(ledger.owed_to(farmer) == Decimal("0.00") for farmer in shop.farmers)
    assert ledger.balance(ledger.cash_account("offline")) == Decimal("0.00")
    assert not ledger.unbalanced_transactions().exists()


@pytest.mark.parametrize("operators", [2, 4])
def test_one_payment_confirmed_by_several_operators_at_once_succeeds_once(shop, operators):
    """Exactly one confirmation answers success; every other is told ALREADY_PAID (the same
    answer as a confirmation sent after it), and the money is booked once."""
    callers = [api_as(f.staff_user()) for _ in range(operators)]
    for _ in range(ROUNDS // 2):
        order = shop.order()
        gid = to_global_id("Order", order.pk)

        answers = run_together(
            [lambda call=call, gid=gid: outcome(call(CONFIRM, {"id": gid}), "orderPaymentConfirm") for call in callers]
        )

        assert sorted(answers) == ["ALREADY_PAID"] * (operators - 1) + ["ok"]
        payment = Payment.objects.get(order=order)
        assert payment.status == PaymentStatus.SUCCEEDED and payment.reference == "转账 0042"
        assert LedgerTransaction.objects.filter(order=order).count() == 1  # the fee is 0 here: one booking
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
    paid = Shop.TOTAL * (ROUNDS // 2)
    assert ledger.balance(ledger.cash_account("offline")) == paid
    assert not ledger.unbalanced_transactions().exists()
