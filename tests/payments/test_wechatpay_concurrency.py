"""WeChat Pay's notify racing the other ways the same payment or refund is settled, on PostgreSQL
with committed rows and one connection per thread (tests/concurrency/threads.py): a payment is
booked once, a refund settled once, and the ledger balances after every round."""

from decimal import Decimal

import pytest
from django.test import Client

from payments import gateways, ledger, shopper_payments
from payments.models import LedgerTransaction, Payment, PaymentStatus, RefundStatus, WebhookEvent
from tests import factories
from tests.concurrency.threads import run_together

from .wechatpay_flow import TOTAL, opened_order, paid_order, wechat_cash

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

ROUNDS = 5


@pytest.fixture
def committed(require_postgres, transactional_db):
    return None


def _booked(payment: Payment) -> int:
    return LedgerTransaction.objects.filter(key=f"payment:{payment.pk}").count()


def test_a_notify_and_a_query_for_one_payment_book_it_once(committed, wechatpay_fake):
    for _ in range(ROUNDS):
        order = opened_order()
        payment = order.payment
        wechatpay_fake.pay(payment.merchant_reference)
        notifies = [wechatpay_fake.paid_notify(payment.merchant_reference) for _ in range(2)]

        def by_query(payment=payment):
            state = gateways.get("wechatpay").query(payment)
            assert state.status == "paid"
            return shopper_payments.record_succeeded(
                payment.pk, amount=state.amount, provider_reference=state.provider_reference
            )

        results = run_together(
            [
                lambda n=notifies[0]: wechatpay_fake.post(Client(), *n).status_code,
                lambda n=notifies[1]: wechatpay_fake.post(Client(), *n).status_code,
                by_query,
            ]
        )

        assert results[:2] == [204, 204]
        # Exactly one of the three booked it; the others found it paid.
        notified = WebhookEvent.objects.filter(payload__resource__out_trade_no=payment.merchant_reference)
        assert [*sorted(notified.values_list("outcome", flat=True)), results[2]] in (
            ["already paid", "paid", False],
            ["already paid", "already paid", True],
        )
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert _booked(payment) == 1
        assert list(ledger.unbalanced_transactions()) == []
    assert wechat_cash() == TOTAL * ROUNDS


def test_a_refund_racing_a_redelivered_paid_notify(committed, wechatpay_fake):
    operator = factories.staff_user()
    wechatpay_fake.refund_status = "SUCCESS"
    for _ in range(ROUNDS):
        order = paid_order(wechatpay_fake, Client())
        payment = Payment.objects.get(order=order)
        again = wechatpay_fake.paid_notify(payment.merchant_reference)  # WeChat resends, a new id

        results = run_together(
            [
                lambda payment=payment: shopper_payments.refund_payment(operator, payment).status,
                lambda n=again: wechatpay_fake.post(Client(), *n).status_code,
            ]
        )

        assert results == [RefundStatus.SUCCEEDED, 204]
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.REFUNDED
        assert _booked(payment) == 1
        assert payment.refunds.filter(status=RefundStatus.SUCCEEDED).count() == 1
        assert list(ledger.unbalanced_transactions()) == []
    assert wechat_cash() == Decimal("0")


def test_a_refund_notify_racing_the_query_that_settles_the_same_refund(committed, wechatpay_fake):
    operator = factories.staff_user()
    for _ in range(ROUNDS):
        order = paid_order(wechatpay_fake, Client())
        refund = shopper_payments.refund_payment(operator, Payment.objects.get(order=order))
        assert refund.status == RefundStatus.PENDING
        notify = wechatpay_fake.refund_notify(refund.merchant_reference, "SUCCESS")

        def by_query(refund=refund):
            outcome = gateways.get("wechatpay").query_refund(refund)
            return shopper_payments.finish_refund(refund.pk, outcome.status, outcome.remote_id)

        results = run_together([lambda n=notify: wechatpay_fake.post(Client(), *n).status_code, by_query])

        assert results[0] == 204
        refund.refresh_from_db()
        assert refund.status == RefundStatus.SUCCEEDED
        assert LedgerTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1
        assert list(ledger.unbalanced_transactions()) == []
    assert wechat_cash() == Decimal("0")
