"""Orders paid online and left unpaid are cancelled after PAYMENT_TIMEOUT_MINUTES (shop.orders.
cancel_unpaid_orders, the beat task shop.tasks.cancel_unpaid_orders): their stock goes back and the
payment is closed at the provider, after asking it first. A wallet registered only in tests stands
in for the provider; the real gateways are in tests/payments/test_wallet_jobs.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import gateways, ledger
from payments import shopper_payments as payments
from payments.models import PaymentStatus, RefundStatus
from shop import orders
from shop.models import FulfilmentStatus, Order, OrderStatus, Variant
from shop.tasks import cancel_unpaid_orders
from tests.payments import wallet_fake
from tests.payments.wallet_fake import paid
from tests.shop import buying

pytestmark = pytest.mark.django_db

DESKTOP = gateways.Device(user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")


wallet = wallet_fake.installed


def placed(minutes_ago=31, method="wechatpay", opened=True):
    """A two-farmer order (2 of variant a, 1 of b) placed `minutes_ago`; its QR code shown."""
    order, _a, _b, a, b = buying.two_farmer_order(payment_method=method)
    if opened:
        payments.payment_step(order.payment, DESKTOP)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    order.refresh_from_db()
    return order, a, b


def stock(variant) -> int:
    return Variant.objects.get(pk=variant.pk).stock


def test_an_unpaid_order_past_the_timeout_is_cancelled_its_stock_returned_and_its_payment_closed():
    order, a, b = placed()
    assert (stock(a), stock(b)) == (8, 4)
    assert cancel_unpaid_orders() == 1
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert set(order.fulfilments.values_list("status", flat=True)) == {FulfilmentStatus.CANCELLED}
    assert (stock(a), stock(b)) == (10, 5)
    assert order.payment.status == PaymentStatus.CANCELLED
    ref = order.payment.merchant_reference
    # Asked first, then closed at the provider.
    assert [call for call in wallet_fake.CALLS if call[0] != "open"] == [("query", ref), ("cancel", ref)]
    # A second run finds nothing to do.
    assert cancel_unpaid_orders() == 0
    assert (stock(a), stock(b)) == (10, 5)


def test_orders_younger_than_the_timeout_paid_or_offline_are_kept():
    young, *_ = placed(minutes_ago=29)
    offline, *_ = placed(method="offline", opened=False)
    paid_order, *_ = placed()
    payments.record_succeeded(paid_order.payment.pk, amount=paid_order.payment.amount)
    assert orders.cancel_unpaid_orders() == []
    for order in (young, offline, paid_order):
        order.refresh_from_db()
        assert order.status != OrderStatus.CANCELLED


def test_the_timeout_is_a_setting(settings):
    order, *_ = placed(minutes_ago=11)
    assert orders.cancel_unpaid_orders() == []
    settings.PAYMENT_TIMEOUT_MINUTES = 10
    assert orders.cancel_unpaid_orders() == [order.pk]


def test_a_payment_whose_notify_was_lost_is_booked_not_cancelled():
    order, a, _b = placed()
    wallet_fake.PROVIDER[order.payment.merchant_reference] = paid(order.payment.amount, reference="4200000777")
    assert orders.cancel_unpaid_orders() == []
    order.refresh_from_db()
    order.payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.payment.provider_reference == "4200000777"
    assert stock(a) == 8
    assert not [call for call in wallet_fake.CALLS if call[0] == "cancel"]
    assert not ledger.unbalanced_transactions().exists()


def test_an_unreachable_provider_keeps_the_order_for_the_next_run():
    order, a, _b = placed()
    wallet_fake.PROVIDER[order.payment.merchant_reference] = gateways.GatewayError("timed out")
    assert orders.cancel_unpaid_orders() == []
    order.refresh_from_db()
    assert order.status == OrderStatus.UNPAID
    assert stock(a) == 8
    del wallet_fake.PROVIDER[order.payment.merchant_reference]
    assert orders.cancel_unpaid_orders() == [order.pk]


def test_a_payment_never_opened_is_cancelled_without_asking():
    order, *_ = placed(opened=False)
    assert orders.cancel_unpaid_orders() == [order.pk]
    assert [call[0] for call in wallet_fake.CALLS] == ["cancel"]


def test_a_close_the_provider_refuses_still_cancels_the_order():
    order, *_ = placed()
    wallet_fake.PROVIDER["cancel"] = gateways.GatewayError("ORDERPAID")
    assert orders.cancel_unpaid_orders() == [order.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_money_arriving_after_the_close_is_refunded(django_capture_on_commit_callbacks):
    order, a, _b = placed()
    assert orders.cancel_unpaid_orders() == [order.pk]
    # The shopper paid just before the close reached the provider; its notify comes now.
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.record_succeeded(order.payment.pk, amount=order.payment.amount)
    order.refresh_from_db()
    payment = order.payment
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert stock(a) == 10  # not taken again
    assert payment.status == PaymentStatus.REFUNDED
    (refund,) = payment.refunds.all()
    assert (refund.status, refund.amount) == (RefundStatus.SUCCEEDED, payment.amount)
    assert ("refund", refund.merchant_reference) in wallet_fake.CALLS
    assert ledger.balance(ledger.cash_account("wechatpay")) == Decimal("0")
    assert not ledger.unbalanced_transactions().exists()
