"""Alipay: asking about a payment (alipay.trade.query), closing it (alipay.trade.close) and refunds
(alipay.trade.refund, alipay.trade.fastpay.refund.query), against the fake Alipay
(tests/payments/alipay_fake.py), which checks our request signatures and signs its answers.

Failures of the network edge (a timeout, a 502, an answer that is not JSON or not signed by Alipay)
are GatewayErrors that say which; calling again is safe because every call is keyed by our own
numbers, and the fake's books show that nothing was paid or refunded twice."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments import gateways, ledger, shopper_payments
from payments.gateways.alipay import AlipayRefusal, node_text
from payments.models import LedgerTransaction, Payment, PaymentStatus, Refund, RefundStatus
from shop.models import OrderStatus
from shop.orders import cancel_order
from tests import factories
from tests.shop.buying import two_farmer_order

pytestmark = pytest.mark.django_db

TOTAL = Decimal("115.30")
LINE_A = Decimal("79.80")


def gateway():
    return gateways.get("alipay")


def placed(user=None):
    order, *_ = two_farmer_order(user=user, payment_method="alipay")
    return order


def paid(alipay, user=None):
    """An order the shopper paid at Alipay, its notify handled."""
    order = placed(user)
    trade = alipay.shopper_pays(order.payment)
    assert shopper_payments.record_succeeded(order.payment.pk, amount=TOTAL, provider_reference=trade.trade_no)
    order.refresh_from_db()
    return order


# --- Query ---------------------------------------------------------------------------------------


def test_a_paid_trade_is_reported_paid_with_its_amount_and_alipays_number(alipay):
    payment = placed().payment
    trade = alipay.shopper_pays(payment)

    state = gateway().query(payment)

    assert (state.status, state.amount, state.currency, state.provider_reference) == (
        "paid",
        TOTAL,
        "CNY",
        trade.trade_no,
    )
    (call,) = alipay.calls_of("alipay.trade.query")
    assert call.biz_content == {"out_trade_no": payment.merchant_reference}


@pytest.mark.parametrize(("status", "expected"), [("WAIT_BUYER_PAY", "pending"), ("TRADE_CLOSED", "closed")])
def test_an_unpaid_or_closed_trade(alipay, status, expected):
    payment = placed().payment
    alipay.shopper_opens(payment).status = status

    assert gateway().query(payment).status == expected


def test_a_trade_alipay_never_opened_is_pending_until_the_deadline_then_closed(alipay):
    """Alipay opens the trade when the shopper reaches its cashier, and not after time_expire."""
    payment = placed().payment
    assert gateway().query(payment).status == "pending"

    Payment.objects.filter(pk=payment.pk).update(created_at=payment.created_at - datetime.timedelta(minutes=36))
    payment.refresh_from_db()
    assert gateway().query(payment).status == "closed"


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("timeout", "Alipay did not answer alipay.trade.query within 5 s"),
        ("connect", "Alipay could not be reached for alipay.trade.query"),
        ("502", "Alipay answered alipay.trade.query with HTTP 502"),
        ("not json", "Alipay's answer to alipay.trade.query is not JSON"),
        ("unsigned", "Alipay's answer to alipay.trade.query is not signed"),
        ("bad signature", "Alipay's answer to alipay.trade.query does not carry Alipay's signature"),
        ("busy", "Alipay refused alipay.trade.query: 20000 ACQ.SYSTEM_ERROR"),
    ],
)
def test_a_failed_query_is_a_clear_gateway_error_and_the_retry_answers(alipay, mode, message):
    payment = placed().payment
    alipay.shopper_pays(payment)
    alipay.fail("alipay.trade.query", mode)

    with pytest.raises(gateways.GatewayError) as raised:
        gateway().query(payment)

    assert str(raised.value).startswith(message)
    assert gateway().query(payment).status == "paid"


def test_an_answer_whose_node_was_changed_after_signing_is_refused(alipay):
    """What Alipay signed is the exact text of the node: a trade status edited in transit fails."""
    payment = placed().payment
    trade = alipay.shopper_opens(payment)
    node = alipay._alipay_trade_query({"out_trade_no": payment.merchant_reference})
    raw = alipay.signed_answer("alipay.trade.query", node).replace("WAIT_BUYER_PAY", "TRADE_SUCCESS")
    assert trade.status == "WAIT_BUYER_PAY"

    with pytest.raises(gateways.GatewayError, match="does not carry Alipay's signature"):
        gateway()._verified_node("alipay.trade.query", raw)


def test_the_signed_node_is_found_even_with_braces_inside_its_text(alipay):
    """The SDK finds the node by counting braces, which a "}" inside a message fools; we use the
    JSON decoder, so a signed refusal whose message holds braces still verifies."""
    node = {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.X", "sub_msg": '参数 {a}} 不对 "}"'}
    raw = alipay.signed_answer("alipay.trade.query", node)

    assert (
        node_text(raw, "alipay_trade_query_response")
        == raw[len('{"alipay_trade_query_response":') : raw.index(',"sign"')]
    )
    with pytest.raises(AlipayRefusal) as refused:
        gateway()._verified_node("alipay.trade.query", raw)
    assert refused.value.sub_code == "ACQ.X"


# --- Close ---------------------------------------------------------------------------------------


def test_cancelling_the_order_closes_the_open_trade_at_alipay(alipay):
    shopper = factories.user()
    order = placed(shopper)
    trade = alipay.shopper_opens(order.payment)

    cancel_order(shopper, order)

    assert trade.status == "TRADE_CLOSED"
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.CANCELLED
    (call,) = alipay.calls_of("alipay.trade.close")
    assert call.biz_content == {"out_trade_no": order.payment.merchant_reference}


def test_closing_a_trade_alipay_never_opened_or_already_closed_is_done(alipay):
    payment = placed().payment
    gateway().cancel(payment)  # ACQ.TRADE_NOT_EXIST: the shopper never reached the cashier

    alipay.shopper_opens(payment).status = "TRADE_CLOSED"
    gateway().cancel(payment)  # ACQ.TRADE_STATUS_ERROR, and the query says closed

    assert [call.method for call in alipay.calls] == ["alipay.trade.close", "alipay.trade.close", "alipay.trade.query"]


def test_a_paid_trade_cannot_be_closed(alipay):
    payment = placed().payment
    alipay.shopper_pays(payment)

    with pytest.raises(gateways.GatewayError, match="is paid and cannot be closed"):
        gateway().cancel(payment)


@pytest.mark.parametrize("mode", ["timeout", "502", "lost"])
def test_a_failed_close_is_a_gateway_error_and_closing_again_is_safe(alipay, mode):
    payment = placed().payment
    trade = alipay.shopper_opens(payment)
    alipay.fail("alipay.trade.close", mode)

    with pytest.raises(gateways.GatewayError):
        gateway().cancel(payment)
    gateway().cancel(payment)

    assert trade.status == "TRADE_CLOSED"


# --- Refunds -------------------------------------------------------------------------------------


def test_a_line_then_the_rest_are_refunded_at_alipay_by_their_own_numbers(alipay):
    order = paid(alipay)
    staff = factories.staff_user()
    line_a = order.lines.get(unit_price=Decimal("39.90"))

    first = shopper_payments.refund_payment(staff, order.payment, [line_a])
    rest = shopper_payments.refund_payment(staff, Payment.objects.get(pk=order.payment.pk))

    trade = alipay.trades[order.payment.merchant_reference]
    assert trade.refunds == {first.merchant_reference: LINE_A, rest.merchant_reference: TOTAL - LINE_A}
    assert first.merchant_reference == f"{order.payment.merchant_reference}R{first.pk}"
    call = alipay.calls_of("alipay.trade.refund")[0]
    assert call.biz_content["refund_amount"] == "79.80"
    assert call.biz_content["out_request_no"] == first.merchant_reference
    assert [first.status, rest.status] == [RefundStatus.SUCCEEDED, RefundStatus.SUCCEEDED]
    payment = Payment.objects.get(pk=order.payment.pk)
    assert payment.status == PaymentStatus.REFUNDED
    assert ledger.balance(ledger.cash_account("alipay")) == 0


def test_a_refund_whose_answer_was_lost_is_sent_again_and_made_once(alipay):
    """Alipay refunded, but its answer timed out: the same out_request_no is sent again, Alipay
    answers fund_change N (nothing moved this time), the refund query confirms it."""
    order = paid(alipay)
    alipay.fail("alipay.trade.refund", "lost")

    refund = shopper_payments.refund_payment(factories.staff_user(), order.payment)

    assert refund.status == RefundStatus.SUCCEEDED
    first, second = alipay.calls_of("alipay.trade.refund")
    assert first.biz_content == second.biz_content
    assert alipay.trades[order.payment.merchant_reference].refunds == {refund.merchant_reference: TOTAL}
    assert len(alipay.calls_of("alipay.trade.fastpay.refund.query")) == 1
    assert LedgerTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1


@pytest.mark.parametrize("modes", [("timeout", "timeout"), ("lost", "502"), ("502", "not json"), ("busy", "connect")])
def test_a_refund_alipay_cannot_confirm_stays_pending_and_its_check_settles_it_once(alipay, modes):
    """Twice no clear answer: whether Alipay refunded is unknown, so the refund stays pending with
    its lines reserved (failing it would let them be refunded again under a new number). The later
    check asks Alipay by the same out_request_no, sends it again if Alipay has no record, and
    settles it; Alipay has refunded once."""
    order = paid(alipay)
    staff = factories.staff_user()
    for mode in modes:
        alipay.fail("alipay.trade.refund", mode)

    refund = shopper_payments.refund_payment(staff, order.payment)

    assert refund.status == RefundStatus.PENDING
    with pytest.raises(ValidationError) as again:
        shopper_payments.refund_payment(staff, Payment.objects.get(pk=order.payment.pk))
    assert again.value.code == "nothing_to_refund"
    assert ledger.balance(ledger.cash_account("alipay")) == TOTAL

    outcome = gateway().query_refund(refund)
    assert outcome.status == RefundStatus.SUCCEEDED
    assert shopper_payments.finish_refund(refund.pk, outcome.status, outcome.remote_id)

    assert alipay.trades[order.payment.merchant_reference].refunds == {refund.merchant_reference: TOTAL}
    assert ledger.balance(ledger.cash_account("alipay")) == 0
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.REFUNDED


def test_a_refund_alipay_refuses_fails_and_frees_its_lines(alipay):
    order = paid(alipay)
    alipay.trades[order.payment.merchant_reference].status = "TRADE_FINISHED"  # past the refund window

    with pytest.raises(ValidationError) as refused:
        shopper_payments.refund_payment(factories.staff_user(), order.payment)

    assert refused.value.code == "gateway_error"
    assert "ACQ.TRADE_STATUS_ERROR" in refused.value.messages[0]
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert Payment.objects.get(pk=order.payment.pk).refunded_amount == 0
    assert len(alipay.calls_of("alipay.trade.refund")) == 1  # a clear refusal is not repeated


def test_the_refund_check_of_a_refund_already_made_asks_only(alipay):
    order = paid(alipay)
    refund = shopper_payments.refund_payment(factories.staff_user(), order.payment)
    calls = len(alipay.calls_of("alipay.trade.refund"))

    assert gateway().query_refund(refund).status == RefundStatus.SUCCEEDED
    assert len(alipay.calls_of("alipay.trade.refund")) == calls


def test_a_paid_order_cancelled_by_its_shopper_is_refunded_at_alipay(alipay, django_capture_on_commit_callbacks):
    shopper = factories.user()
    order = paid(alipay, shopper)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(shopper, order)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    refund = Refund.objects.get()
    assert alipay.trades[order.payment.merchant_reference].refunds == {refund.merchant_reference: TOTAL}
    assert Payment.objects.get(pk=order.payment.pk).status == PaymentStatus.REFUNDED
