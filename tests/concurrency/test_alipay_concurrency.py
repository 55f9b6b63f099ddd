"""Alipay on PostgreSQL, with committed rows and one connection per thread: a notify arriving while
the lost-notify check (alipay.trade.query, then `record_succeeded`) books the same payment, and a
refund notify racing Alipay's own answer to our refund call. Each round ends paid or refunded
exactly once, with a balanced ledger. The fake Alipay (tests/payments/alipay_fake.py) answers
gateway.do for every thread."""

import threading
from decimal import Decimal

import pytest
from django.test import Client

from payments import gateways, ledger, shopper_payments
from payments.models import LedgerTransaction, Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from tests import factories
from tests.concurrency.threads import run_together
from tests.shop.buying import two_farmer_order

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

ROUNDS = 6
TOTAL = Decimal("115.30")


@pytest.fixture
def committed(require_postgres, transactional_db):
    return None


def _query_and_book(payment_id: int) -> bool:
    """What the lost-notify check does: ask Alipay, book what it says was paid."""
    payment = Payment.objects.get(pk=payment_id)
    state = gateways.get("alipay").query(payment)
    assert state.status == "paid"
    return shopper_payments.record_succeeded(
        payment.pk, amount=state.amount, provider_reference=state.provider_reference
    )


def test_a_notify_and_the_query_for_one_payment_book_it_once(committed, alipay):
    for _ in range(ROUNDS):
        order, *_rest = two_farmer_order(payment_method="alipay")
        trade = alipay.shopper_pays(order.payment)
        notify = alipay.paid_notify(order.payment)

        results = run_together(
            [
                lambda notify=notify: alipay.post_notify(Client(), notify).content,
                lambda pk=order.payment.pk: _query_and_book(pk),
                lambda notify=notify: alipay.post_notify(Client(), notify).content,
            ]
        )

        assert results[0] == results[2] == b"success"
        payment = Payment.objects.get(pk=order.payment.pk)
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.provider_reference == trade.trade_no
        assert LedgerTransaction.objects.filter(key=f"payment:{payment.pk}").count() == 1
        outcomes = sorted(
            WebhookEvent.objects.filter(event_id=f"alipay:{notify['notify_id']}").values_list("outcome", flat=True)
        )
        assert len(outcomes) == 1 and outcomes[0] in ("paid", "already paid")
        assert (outcomes[0] == "paid") is (results[1] is False)
    assert list(ledger.unbalanced_transactions()) == []
    assert ledger.balance(ledger.cash_account("alipay")) == TOTAL * ROUNDS


def test_a_refund_notify_racing_alipays_answer_settles_the_refund_once(committed, alipay):
    """The operator's refund call waits at Alipay while the refund's notify is posted from another
    thread (as Alipay can send it before answering); each round the two settle it once."""
    operator = factories.staff_user()
    for round_number in range(ROUNDS):
        order, *_rest = two_farmer_order(payment_method="alipay")
        alipay.shopper_pays(order.payment)
        assert shopper_payments.record_succeeded(order.payment.pk, amount=TOTAL)
        refund_sent = threading.Event()
        notified = threading.Event()

        def hold_answer(method, refund_sent=refund_sent, notified=notified, round_number=round_number):
            if method == "alipay.trade.refund":
                refund_sent.set()
                if round_number % 2 == 0:  # half the rounds: the notify lands first
                    notified.wait(10)

        def post_refund_notify(order=order, refund_sent=refund_sent, notified=notified):
            assert refund_sent.wait(10)
            refund = Refund.objects.get(payment__order=order)
            try:
                return alipay.post_notify(Client(), alipay.refund_notify(refund)).content
            finally:
                notified.set()

        alipay.before_answer = hold_answer
        refund, answered = run_together(
            [
                lambda order=order: shopper_payments.refund_payment(operator, Payment.objects.get(order=order)),
                post_refund_notify,
            ]
        )

        assert answered == b"success"
        refund = Refund.objects.get(pk=refund.pk)
        assert refund.status == RefundStatus.SUCCEEDED
        assert LedgerTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1
        assert alipay.trades[order.payment.merchant_reference].refunds == {refund.merchant_reference: TOTAL}
        assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    alipay.before_answer = None
    assert list(ledger.unbalanced_transactions()) == []
    assert ledger.balance(ledger.cash_account("alipay")) == 0
