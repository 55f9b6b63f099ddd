"""Payments whose notify never came (payments.pending_payments, the beat task check_pending_payments):
the provider is asked about open payments a few minutes old, and its answer booked through the same
services a notify uses. A wallet registered only in tests stands in for the provider here; the real
WeChat Pay and Alipay gateways are asked through their signed fakes in test_wallet_jobs.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import gateways, ledger, pending_payments
from payments import shopper_payments as payments
from payments.models import Payment, PaymentStatus
from payments.tasks import check_pending_payments
from shop.models import OrderStatus
from tests.shop import buying

from . import wallet_fake
from .wallet_fake import paid

pytestmark = pytest.mark.django_db

DESKTOP = gateways.Device(user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0")


wallet = wallet_fake.installed


def cash() -> Decimal:
    """What the ledger says we hold at the wallet."""
    return ledger.balance(ledger.cash_account("wechatpay"))


def opened_payment(minutes_ago=5, method="wechatpay") -> Payment:
    """An order's payment the shopper opened (its QR code shown) `minutes_ago`."""
    order, *_ = buying.two_farmer_order(payment_method=method)
    payment = order.payment
    payments.payment_step(payment, DESKTOP)
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    payment.refresh_from_db()
    return payment


def test_a_payment_paid_at_the_provider_is_booked_with_its_reference():
    payment = opened_payment()
    wallet_fake.PROVIDER[payment.merchant_reference] = paid(payment.amount, reference="4200000099")
    assert check_pending_payments() == {"paid": 1}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == "4200000099"
    assert payment.order.status == OrderStatus.PAID
    assert cash() == payment.amount
    assert not ledger.unbalanced_transactions().exists()
    # Asked again (a second run, or a notify that comes late): booked once.
    assert check_pending_payments() == {}
    assert pending_payments.settle_from_provider(payment) is None
    assert cash() == payment.amount


def test_a_paid_answer_with_another_amount_or_currency_books_nothing():
    short = opened_payment()
    foreign = opened_payment()
    wallet_fake.PROVIDER[short.merchant_reference] = paid(short.amount - Decimal("0.01"))
    wallet_fake.PROVIDER[foreign.merchant_reference] = paid(foreign.amount, currency="USD")
    assert check_pending_payments() == {"paid": 2}
    for payment in (short, foreign):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
        assert payment.provider_reference == ""
    assert cash() == 0
    assert not ledger.unbalanced_transactions().exists()


def test_a_closed_payment_is_marked_failed_and_a_pending_one_left_alone():
    closed = opened_payment()
    waiting = opened_payment()
    wallet_fake.PROVIDER[closed.merchant_reference] = gateways.RemoteState("closed")
    assert check_pending_payments() == {"closed": 1, "pending": 1}
    closed.refresh_from_db()
    waiting.refresh_from_db()
    assert closed.status == PaymentStatus.FAILED
    assert waiting.status == PaymentStatus.PENDING


def test_only_open_payments_of_asked_gateways_old_enough_and_opened_are_asked():
    old = opened_payment(minutes_ago=5)
    young = opened_payment(minutes_ago=1)
    never_opened, *_ = buying.two_farmer_order(payment_method="wechatpay")
    Payment.objects.filter(pk=never_opened.payment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    offline, *_ = buying.two_farmer_order(payment_method="offline")
    Payment.objects.filter(pk=offline.payment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    check_pending_payments()
    assert [call for call in wallet_fake.CALLS if call[0] == "query"] == [("query", old.merchant_reference)]
    assert young.merchant_reference != old.merchant_reference
    assert pending_payments.asked_gateways() == ["wechatpay"]


def test_an_unreachable_provider_is_counted_and_the_next_payment_still_asked():
    down = opened_payment()
    fine = opened_payment()
    wallet_fake.PROVIDER[down.merchant_reference] = gateways.GatewayError("timed out")
    wallet_fake.PROVIDER[fine.merchant_reference] = paid(fine.amount)
    assert check_pending_payments() == {"error": 1, "paid": 1}
    down.refresh_from_db()
    assert down.status == PaymentStatus.PENDING


def test_a_notify_booked_while_the_query_was_out_is_not_booked_twice():
    payment = opened_payment()
    answer = paid(payment.amount)
    wallet_fake.PROVIDER[payment.merchant_reference] = answer
    # The notify arrives first and books it; the query's answer, read from the stale row, comes next.
    payments.record_succeeded(payment.pk, amount=payment.amount)
    assert pending_payments.settle_from_provider(payment) == "paid"
    assert cash() == payment.amount
    assert not ledger.unbalanced_transactions().exists()
