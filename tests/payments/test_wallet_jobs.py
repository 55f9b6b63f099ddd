"""The jobs for late notifies and unpaid orders through the real WeChat Pay and Alipay gateways,
against their fakes (tests/payments/wechatpay_fake.py, alipay_fake.py: answers and notifies signed
with keys made per test)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments import gateways, ledger, pending_payments
from payments import shopper_payments as payments
from payments.models import Payment, PaymentStatus, RefundStatus
from shop import orders
from shop.models import Order, OrderStatus, Variant
from tests.factories import staff_user
from tests.shop import buying

pytestmark = pytest.mark.django_db

DESKTOP = gateways.Device(user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")


def opened(minutes_ago: int, method="wechatpay"):
    """An order whose payment page was shown (WeChat's QR code, Alipay's link), placed `minutes_ago`."""
    order, _a, _b, a, _vb = buying.two_farmer_order(payment_method=method)
    payments.payment_step(order.payment, DESKTOP)
    past = timezone.now() - timedelta(minutes=minutes_ago)
    Order.objects.filter(pk=order.pk).update(created_at=past)
    Payment.objects.filter(pk=order.payment.pk).update(created_at=past)
    order.refresh_from_db()
    return order, a


def test_a_lost_wechat_notify_is_found_by_the_query_and_booked(wechatpay_fake):
    order, _a = opened(minutes_ago=5)
    reference = order.payment.merchant_reference
    trade = wechatpay_fake.pay(reference)  # paid; the notify never reaches us
    assert pending_payments.check_pending_payments() == {"paid": 1}
    payment = Payment.objects.get(pk=order.payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == trade["transaction_id"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert not ledger.unbalanced_transactions().exists()


def test_an_unpaid_wechat_order_times_out_closed_at_wechat(wechatpay_fake):
    order, a = opened(minutes_ago=31)
    reference = order.payment.merchant_reference
    assert orders.cancel_unpaid_orders() == [order.pk]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Variant.objects.get(pk=a.pk).stock == 10
    assert wechatpay_fake.transactions[reference]["trade_state"] == "CLOSED"


def test_a_wechat_payment_paid_but_unnotified_is_booked_not_timed_out(wechatpay_fake):
    order, a = opened(minutes_ago=31)
    wechatpay_fake.pay(order.payment.merchant_reference)
    assert orders.cancel_unpaid_orders() == []
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Variant.objects.get(pk=a.pk).stock == 8
    assert not wechatpay_fake.requests_to("/close")


def test_wechat_money_arriving_after_a_failed_close_is_refunded(
    wechatpay_fake, client, django_capture_on_commit_callbacks
):
    order, _a = opened(minutes_ago=31)
    reference = order.payment.merchant_reference
    wechatpay_fake.fail_next("POST", "/close", 500)
    assert orders.cancel_unpaid_orders() == [order.pk]  # cancelled here though WeChat kept it open
    wechatpay_fake.pay(reference)  # the shopper pays in that moment
    with django_capture_on_commit_callbacks(execute=True):
        response = wechatpay_fake.post(client, *wechatpay_fake.paid_notify(reference))
    assert response.status_code in (200, 204)
    payment = Payment.objects.get(pk=order.payment.pk)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    (refund,) = payment.refunds.all()
    assert refund.amount == payment.amount
    assert refund.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED)
    assert [body["out_refund_no"] for body in wechatpay_fake.requests_to("/v3/refund")] == [refund.merchant_reference]
    assert not ledger.unbalanced_transactions().exists()


def test_a_lost_alipay_notify_is_found_by_the_query_and_booked(alipay):
    order, _a = opened(minutes_ago=5, method="alipay")
    trade = alipay.shopper_pays(order.payment)
    assert pending_payments.check_pending_payments() == {"paid": 1}
    payment = Payment.objects.get(pk=order.payment.pk)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == trade.trade_no
    assert not ledger.unbalanced_transactions().exists()


def test_an_unpaid_alipay_order_times_out_closed_at_alipay(alipay):
    order, a = opened(minutes_ago=31, method="alipay")
    trade = alipay.shopper_opens(order.payment)  # reached the cashier, did not pay
    assert orders.cancel_unpaid_orders() == [order.pk]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Variant.objects.get(pk=a.pk).stock == 10
    assert trade.status == "TRADE_CLOSED"


def test_an_alipay_payment_paid_but_unnotified_is_booked_not_timed_out(alipay):
    order, a = opened(minutes_ago=31, method="alipay")
    alipay.shopper_pays(order.payment)
    assert orders.cancel_unpaid_orders() == []
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Variant.objects.get(pk=a.pk).stock == 8
    assert not alipay.calls_of("alipay.trade.close")


def paid_and_settled(minutes_ago: int, method: str, provider) -> Payment:
    """An order paid at the provider and booked (by the lost-notify query, the quickest way here)."""
    order, _a = opened(minutes_ago=minutes_ago, method=method)
    if method == "wechatpay":
        provider.pay(order.payment.merchant_reference)
    else:
        provider.shopper_pays(order.payment)
    assert pending_payments.check_pending_payments() == {"paid": 1}
    return Payment.objects.get(pk=order.payment.pk)


def age(refund, minutes: int) -> None:
    type(refund).objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def test_a_wechat_refund_whose_notify_was_lost_is_settled_by_asking(wechatpay_fake):
    """WeChat answers a refund PROCESSING and its REFUND.SUCCESS notify never reaches us."""
    payment = paid_and_settled(5, "wechatpay", wechatpay_fake)
    refund = payments.refund_payment(staff_user(), payment, lines=[payment.order.lines.first()])
    assert refund.status == RefundStatus.PENDING
    age(refund, 1)
    assert pending_payments.check_pending_refunds() == {}  # too young to ask
    age(refund, 10)
    assert pending_payments.check_pending_refunds() == {"pending": 1}  # still processing at WeChat
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING
    cash_before = ledger.balance(ledger.cash_account("wechatpay"))
    wechatpay_fake.finish_refund(refund.merchant_reference)
    assert pending_payments.check_pending_refunds() == {"succeeded": 1}
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.provider_reference == wechatpay_fake.refunds[refund.merchant_reference]["refund_id"]
    assert ledger.balance(ledger.cash_account("wechatpay")) == cash_before - refund.amount
    assert pending_payments.check_pending_refunds() == {}  # settled: never asked again
    assert len(wechatpay_fake.requests_to("/v3/refund/domestic/refunds")) == 1
    assert not ledger.unbalanced_transactions().exists()


def test_an_alipay_refund_whose_answers_were_lost_is_settled_once_by_asking(alipay):
    """Alipay made the refund but both answers to our request were lost: the refund stays pending
    (its lines reserved), and the check finds it done at Alipay without refunding twice."""
    payment = paid_and_settled(5, "alipay", alipay)
    alipay.fail("alipay.trade.refund", "lost", times=2)
    refund = payments.refund_payment(staff_user(), payment)
    assert refund.status == RefundStatus.PENDING
    assert len(alipay.calls_of("alipay.trade.refund")) == 2  # sent twice, the same out_request_no
    age(refund, 10)
    assert pending_payments.check_pending_refunds() == {"succeeded": 1}
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
    assert alipay.trades[payment.merchant_reference].refunds == {refund.merchant_reference: refund.amount}
    assert not ledger.unbalanced_transactions().exists()
