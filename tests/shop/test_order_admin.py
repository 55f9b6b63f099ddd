"""The orders' admin action "Confirm the offline payment was received": a page asking for each
order's transfer reference or receipt number, then the service, with a message naming each order."""

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from payments.models import LedgerTransaction, Payment, PaymentStatus
from tests import factories as f
from tests.shop.buying import place_order, variant

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:shop_order_changelist")
ACTION = "confirm_offline_payment"


@pytest.fixture
def operator(client):
    user = f.user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def choose_action(client, *orders):
    """What the list of orders sends when the action is chosen for these orders."""
    return client.post(CHANGELIST, {"action": ACTION, "index": "0", "_selected_action": [o.pk for o in orders]})


def confirm(client, references: dict):
    """What the action's page sends: each order's reference (order → text)."""
    data = {"action": ACTION, "post": "yes", "_selected_action": [order.pk for order in references]}
    data.update({f"order-{order.pk}-reference": text for order, text in references.items()})
    return client.post(CHANGELIST, data, follow=True)


def shown(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in response.context["messages"]]


def test_the_action_asks_for_a_reference_of_at_most_what_the_payment_stores(client, operator):
    order = place_order([(variant(), 1)])
    page = choose_action(client, order)
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html and f'name="order-{order.pk}-reference"' in html
    assert 'maxlength="80"' in html and 'name="post" value="yes"' in html
    order.payment.refresh_from_db()
    assert order.payment.status == PaymentStatus.PENDING  # nothing happens before the page is sent


def test_confirming_stores_the_reference_books_the_money_and_says_so(client, operator):
    order = place_order([(variant(), 1)])
    response = confirm(client, {order: "  ICBC 2025100800123  "})
    assert response.status_code == 200 and response.redirect_chain[-1][0].startswith(CHANGELIST)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.reference == "ICBC 2025100800123" and payment.confirmed_by == operator
    assert LedgerTransaction.objects.filter(order=order).exists()
    assert shown(response) == [
        (constants.SUCCESS, f"订单 {order.number}：已确认收到钱（转账流水号或收据号 ICBC 2025100800123）。")
    ]


def test_cash_on_delivery_needs_no_reference(client, operator):
    order = place_order([(variant(), 1)])
    response = confirm(client, {order: ""})
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.reference == ""
    assert shown(response) == [(constants.SUCCESS, f"订单 {order.number}：已确认收到钱。")]


def test_an_already_paid_or_card_payment_is_an_error_message_and_the_others_go_through(client, operator):
    paid, card, unpaid = (place_order([(variant(), 1)]) for _ in range(3))
    confirm(client, {paid: "first"})
    Payment.objects.filter(order=card).update(gateway="stripe")

    response = confirm(client, {paid: "second", card: "x", unpaid: "y"})

    assert response.status_code == 200
    messages = shown(response)
    assert (constants.ERROR, f"订单 {paid.number}：这笔付款已确认。") in messages
    assert (constants.ERROR, f"订单 {card.number}：银行卡付款由银行卡网络自动确认，不能手动确认。") in messages
    assert (constants.SUCCESS, f"订单 {unpaid.number}：已确认收到钱（转账流水号或收据号 y）。") in messages
    assert Payment.objects.get(order=paid).reference == "first"  # the first confirmation stands
    assert Payment.objects.get(order=card).status == PaymentStatus.PENDING
    assert LedgerTransaction.objects.filter(order=paid).count() == 1


def test_a_reference_too_long_is_asked_again_and_nothing_is_confirmed(client, operator):
    first, second = place_order([(variant(), 1)]), place_order([(variant(), 1)])
    response = client.post(
        CHANGELIST,
        {
            "action": ACTION,
            "post": "yes",
            "_selected_action": [first.pk, second.pk],
            f"order-{first.pk}-reference": "ok",
            f"order-{second.pk}-reference": "9" * 81,
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists()


def test_staff_who_may_not_change_payments_are_not_offered_the_action(client):
    from django.contrib.auth.models import Permission

    viewer = f.user(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_order", "change_order"]))
    client.force_login(viewer)
    order = place_order([(variant(), 1)])
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    offered = dict(page.context["action_form"].fields["action"].choices)
    assert ACTION not in offered and "cancel_orders" in offered
    confirm(client, {order: "x"})
    assert Payment.objects.get(order=order).status == PaymentStatus.PENDING
