"""Steps shared by the WeChat Pay tests: an order paid by WeChat Pay, opened and paid at the fake."""

from decimal import Decimal

from payments import ledger, shopper_payments
from payments.gateways import Device
from payments.models import Payment
from tests.shop.buying import two_farmer_order

DESKTOP = Device(user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", client_ip="203.0.113.9")
TOTAL = Decimal("115.30")  # two_farmer_order: 2 × 39.90 + 12.50 + shipping 15.00 + 8.00
TOTAL_FEN = 11530


def opened_order(user=None):
    """An order paid by WeChat Pay whose QR code is open at the fake."""
    order = two_farmer_order(user=user, payment_method="wechatpay")[0]
    shopper_payments.payment_step(order.payment, DESKTOP)
    order.payment.refresh_from_db()
    return order


def paid_order(fake, client, user=None):
    """An order the shopper paid, its notify delivered and booked."""
    order = opened_order(user)
    fake.pay(order.payment.merchant_reference)
    response = fake.post(client, *fake.paid_notify(order.payment.merchant_reference))
    assert response.status_code == 204, response.content
    order.refresh_from_db()
    return order


def wechat_cash() -> Decimal:
    """What the ledger says we hold at WeChat Pay."""
    return ledger.balance(ledger.cash_account("wechatpay"))


def payment_of(order) -> Payment:
    return Payment.objects.get(order=order)
