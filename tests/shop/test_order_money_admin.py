"""The admin's other money actions, through the admin as an operator uses them: "Cancel" on the
orders' list (stock back, a paid order refunded in full) and "Refund in full" on the payments'
list; what a service refuses is a message (the admin speaks Chinese) naming the order or payment, never an error page.
(Confirming an offline payment: test_order_admin.py.)"""

from decimal import Decimal

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from payments import ledger
from payments.models import Payment, PaymentStatus
from payments.shopper_payments import confirm_offline_payment
from shop.models import OrderStatus, Variant
from shop.orders import ship_fulfilment
from tests import factories as f
from tests.shop.buying import two_farmer_order

pytestmark = pytest.mark.django_db
TOTAL = Decimal("115.30")  # 2 × 39.90 + 12.50 goods, 15.00 + 8.00 shipping


@pytest.fixture
def operator(client):
    user = f.user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def act(client, url: str, action: str, *objects):
    data = {"action": action, "index": "0", "_selected_action": [obj.pk for obj in objects]}
    return client.post(url, data, follow=True)


def shown(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in response.context["messages"]]


def test_cancelling_a_paid_order_in_the_admin_returns_stock_and_money(client, operator):
    order, farmer_a, farmer_b, box, bag = two_farmer_order()
    confirm_offline_payment(operator, order.payment)
    shipped, _farmer, _b, _box, _bag = two_farmer_order()
    confirm_offline_payment(operator, shipped.payment)
    parcel = shipped.fulfilments.first()
    ship_fulfilment(operator, parcel, "顺丰", "SF1")

    response = act(client, reverse("admin:shop_order_changelist"), "cancel_orders", order, shipped)

    assert response.status_code == 200
    assert shown(response) == [(constants.ERROR, f"{shipped.number}: 订单只能在发货前取消。")]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert (Variant.objects.get(pk=box.pk).stock, Variant.objects.get(pk=bag.pk).stock) == (10, 5)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == TOTAL
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.PARTIALLY_SHIPPED
    assert Payment.objects.get(order=shipped).refunded_amount == 0
    assert ledger.balance(ledger.cash_account("offline")) == TOTAL  # the shipped order's money only


def test_refund_in_full_in_the_admin_refunds_paid_payments_and_names_the_others(client, operator):
    paid, farmer_a, farmer_b, _box, _bag = two_farmer_order()
    confirm_offline_payment(operator, paid.payment)
    unpaid, *_rest = two_farmer_order()

    response = act(client, reverse("admin:payments_payment_changelist"), "refund_in_full", paid.payment, unpaid.payment)

    assert response.status_code == 200
    assert shown(response) == [(constants.ERROR, f"{unpaid.payment}: 只有已付款的订单可以退款。")]
    payment = Payment.objects.get(order=paid)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == TOTAL
    assert [refund.amount for refund in payment.refunds.all()] == [TOTAL]
    paid.refresh_from_db()
    assert paid.status == OrderStatus.REFUNDED
    assert ledger.owed_to(farmer_a) == ledger.owed_to(farmer_b) == 0
    assert ledger.balance(ledger.cash_account("offline")) == 0
    assert Payment.objects.get(order=unpaid).status == PaymentStatus.PENDING
