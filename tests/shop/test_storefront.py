"""The shopper's pages from product to order, through Django's test client: each form's bad input
gets a clear message beside its field and writes nothing; carts and order links belong to their
browser; placing an order twice makes one order."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from shop import order_links
from shop.models import Checkout, CheckoutLine, Order, OrderStatus, Variant
from tests import factories as f

from .buying import ADDRESS, shipping_method, variant

pytestmark = pytest.mark.django_db


def add(client, v, quantity=1, variant_pk=None):
    return client.post(
        reverse("shop:product", args=[v.product.slug]), {"variant": variant_pk or v.pk, "quantity": quantity}
    )


def contact(client, **changes):
    data = {"email": "guest@example.com", **ADDRESS, **changes}
    return client.post(reverse("shop:checkout"), data)


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def goods():
    method = shipping_method()
    a = variant(price="39.90", stock=5, weight_kg="2.5", name="猕猴桃")
    b = variant(price="12.50", stock=3, weight_kg="0.8", name="蜂蜜")
    return a, b, method


def parcel_key(v) -> str:
    return f"farmer-{v.product.farmer_id}"


def choose_delivery(client, choices: dict):
    return client.post(reverse("shop:checkout_delivery"), {parcel_key(v): m.pk for v, m in choices.items()})


def ready(client, goods):
    a, b, method = goods
    assert add(client, a, 2).status_code == 302
    assert add(client, b, 1).status_code == 302
    assert contact(client).status_code == 302
    assert choose_delivery(client, {a: method, b: method}).status_code == 302


def place(client, total=None, payment_method="offline"):
    if total is None:
        total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    return client.post(reverse("shop:checkout_confirm"), {"payment_method": payment_method, "total": total})


# --- The happy path -------------------------------------------------------------------------------


def test_a_guest_buys_from_two_farmers_and_gets_their_order_link(client, goods, django_capture_on_commit_callbacks):
    a, b, method = goods
    response = add(client, a, 2)
    assert response.status_code == 302 and response["Location"] == reverse("shop:cart")
    add(client, b, 1)
    cart = page(client.get(reverse("shop:cart")))
    assert cart.count('class="store-parcel"') == 2  # a parcel per farmer
    assert "¥15.00" in cart and "¥8.00" in cart  # 5 kg and 0.8 kg parcels, estimated
    assert "¥115.30" in cart  # 2 × 39.90 + 12.50 + 15 + 8
    contact(client)
    delivery = page(client.get(reverse("shop:checkout_delivery")))
    assert method.name in delivery and "¥15.00" in delivery and "¥8.00" in delivery
    choose_delivery(client, {a: method, b: method})
    with django_capture_on_commit_callbacks(execute=True):
        response = place(client)
    order = Order.objects.get()
    token = order_links.order_token(order)
    assert response.status_code == 302 and response["Location"] == reverse("shop:order", args=[token])
    assert order.total == Decimal("115.30") and order.email == "guest@example.com" and order.user is None
    assert order.fulfilments.count() == 2
    shown = page(client.get(response["Location"]))
    assert order.number in shown and "http://testserver" + response["Location"] in shown
    assert "李雷" in shown and "天河路 100 号" in shown
    assert len(mail.outbox) == 1 and "http://testserver" + response["Location"] in mail.outbox[0].body
    assert mail.outbox[0].to == ["guest@example.com"]
    # The cart is spent: the browser starts a new one.
    assert "store-parcel" not in page(client.get(reverse("shop:cart")))


def test_offline_order_page_says_how_to_pay_and_the_reference(client, goods, settings):
    settings.OFFLINE_BANK_ACCOUNT = "中国农业银行 · 山货合作社 · 6228 4800"
    ready(client, goods)
    shown = page(client.get(place(client)["Location"]))
    order = Order.objects.get()
    assert "6228 4800" in shown and f'class="store-reference">{order.number}<' in shown


def test_a_guest_cancels_through_the_link_and_the_stock_returns(client, goods):
    a, _b, _method = goods
    ready(client, goods)
    location = place(client)["Location"]
    assert Variant.objects.get(pk=a.pk).stock == 3
    response = client.post(location + "cancel/")
    assert response.status_code == 302
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Variant.objects.get(pk=a.pk).stock == 5
    assert "取消" in page(client.get(location))


def test_placing_the_order_twice_makes_one_order(client, goods):
    ready(client, goods)
    total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    first = place(client, total)
    second = place(client, total)
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_guests_cart_follows_them_when_they_log_in(client, goods):
    a, _b, _method = goods
    shopper = f.user(username="buyer@example.com", email="buyer@example.com")
    shopper.set_password("a long password 1")
    shopper.save()
    add(client, a, 2)
    response = client.post(
        reverse("accounts:login"), {"username": "buyer@example.com", "password": "a long password 1"}
    )
    assert response.status_code == 302
    cart = Checkout.objects.get()
    assert cart.user == shopper and cart.lines.get().quantity == 2
    assert "猕猴桃" in page(client.get(reverse("shop:cart")))


def test_logging_in_adds_the_guests_goods_to_the_accounts_cart(client, goods):
    a, b, _method = goods
    shopper = f.user(username="buyer@example.com", email="buyer@example.com")
    shopper.set_password("a long password 1")
    shopper.save()
    client.force_login(shopper)
    add(client, a, 1)
    client.logout()
    add(client, a, 1)
    add(client, b, 1)
    client.post(reverse("accounts:login"), {"username": "buyer@example.com", "password": "a long password 1"})
    cart = Checkout.objects.get()
    assert cart.user == shopper
    assert {line.variant_id: line.quantity for line in cart.lines.all()} == {a.pk: 2, b.pk: 1}


def test_my_orders_lists_the_accounts_orders(client, goods):
    shopper = f.user(email="buyer@example.com")
    client.force_login(shopper)
    ready(client, goods)
    place(client)
    listing = page(client.get(reverse("shop:orders")))
    order = Order.objects.get()
    assert order.user == shopper and reverse("shop:order", args=[order_links.order_token(order)]) in listing


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "expected"), [(0, "1 到 999"), ("", "数量"), ("abc", "数字"), (1000, "1 到 999")])
def test_a_bad_quantity_is_refused_beside_the_field_and_makes_no_cart(client, goods, quantity, expected):
    a, _b, _method = goods
    response = add(client, a, quantity)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get("quantity", []))
    assert expected in errors, errors
    assert not Checkout.objects.exists() and not CheckoutLine.objects.exists()


def test_more_than_the_stock_is_refused(client, goods):
    a, _b, _method = goods
    response = add(client, a, 6)
    assert response.status_code == 400
    assert "库存不足" in " ".join(response.context["form"].errors["quantity"])
    assert not Checkout.objects.exists()


def test_a_size_of_another_product_is_refused(client, goods):
    a, b, _method = goods
    response = add(client, a, 1, variant_pk=b.pk)
    assert response.status_code == 400 and response.context["form"].errors["variant"]
    assert not CheckoutLine.objects.exists()


def test_changing_a_cart_line_to_zero_or_above_stock_is_refused(client, goods):
    a, _b, _method = goods
    add(client, a, 1)
    line = CheckoutLine.objects.get()
    for quantity, expected in ((0, "1 到 999"), (6, "库存不足")):
        response = client.post(reverse("shop:cart_line", args=[line.pk]), {"quantity": quantity}, follow=True)
        assert any(expected in message for message in messages_of(response)), messages_of(response)
        assert CheckoutLine.objects.get().quantity == 1


def test_another_browsers_cart_lines_cannot_be_touched(client, goods, django_user_model):
    from django.test import Client

    a, _b, _method = goods
    other = Client()
    add(other, a, 2)
    line = CheckoutLine.objects.get()
    assert client.post(reverse("shop:cart_line", args=[line.pk]), {"quantity": 1}).status_code == 404
    assert client.post(reverse("shop:cart_line_remove", args=[line.pk])).status_code == 404
    assert "猕猴桃" not in page(client.get(reverse("shop:cart")))
    assert CheckoutLine.objects.get().quantity == 2


def test_missing_address_parts_and_a_bad_phone_are_named(client, goods):
    a, _b, _method = goods
    add(client, a, 1)
    response = contact(client, city="", street="  ", phone="12345", email="not-an-email")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"city", "street", "phone", "email"}
    assert "11 位" in " ".join(errors["phone"]) or "手机" in " ".join(errors["phone"])
    cart = Checkout.objects.get()
    assert cart.email == "" and cart.city == "" and cart.phone == ""  # nothing half-saved


def test_a_landline_or_foreign_number_is_not_a_mainland_mobile(client, goods):
    a, _b, _method = goods
    add(client, a, 1)
    for phone in ("010-12345678", "+1 415 555 0100", "23800138000"):
        response = contact(client, phone=phone)
        assert "phone" in response.context["form"].errors, phone
    assert Checkout.objects.get().phone == ""


def test_stock_gone_between_cart_and_order_is_told_and_nothing_is_written(client, goods):
    a, _b, _method = goods
    ready(client, goods)
    total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    Variant.objects.filter(pk=a.pk).update(stock=1)  # another shopper bought the rest
    response = place(client, total)
    assert response.status_code == 302 and response["Location"] == reverse("shop:cart")
    shown = page(client.get(response["Location"]))
    assert "只剩 1" in shown
    assert not Order.objects.exists() and Variant.objects.get(pk=a.pk).stock == 1


def test_a_price_change_before_placing_is_told_and_nothing_is_written(client, goods):
    a, _b, _method = goods
    ready(client, goods)
    total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    Variant.objects.filter(pk=a.pk).update(price=Decimal("45.00"))
    response = place(client, total)
    # The review re-checks first: the shopper sees the new price and the new total to agree to.
    assert not Order.objects.exists() and Variant.objects.get(pk=a.pk).stock == 5
    shown = page(response if response.status_code == 200 else client.get(response["Location"]))
    assert "¥45.00" in shown
    response = place(client)
    assert Order.objects.get().total == Decimal("125.50")


def test_a_stale_total_is_refused_even_when_the_price_was_seen(client, goods):
    ready(client, goods)
    response = place(client, total="1.00")
    assert response.status_code == 200
    assert "价格变了" in " ".join(response.context["form"].non_field_errors())
    assert not Order.objects.exists()


def test_a_forged_or_altered_order_link_is_not_found(client, goods):
    ready(client, goods)
    location = place(client)["Location"]
    token = location.rstrip("/").rsplit("/", 1)[1]
    value, signature = token.rsplit(":", 1)
    forged = [value + ":" + "A" * len(signature), "0" * 32 + ":" + signature, "nonsense"]
    for bad in forged:
        assert client.get(reverse("shop:order", args=[bad])).status_code == 404
        assert client.post(reverse("shop:order_cancel", args=[bad])).status_code == 404
    assert Order.objects.get().status == OrderStatus.UNPAID


def test_an_accounts_order_link_opens_only_for_that_account(client, goods):
    from django.test import Client

    owner = f.user(email="owner@example.com")
    client.force_login(owner)
    ready(client, goods)
    location = place(client)["Location"]
    stranger = Client()
    assert stranger.get(location)["Location"].startswith(reverse("accounts:login"))
    stranger.force_login(f.user())
    assert stranger.get(location).status_code == 404
    assert stranger.post(location + "cancel/").status_code == 404
    assert Order.objects.get().status == OrderStatus.UNPAID


def test_cancelling_after_a_parcel_shipped_is_refused(client, goods):
    from shop import orders

    ready(client, goods)
    location = place(client)["Location"]
    order = Order.objects.get()
    parcel = order.fulfilments.first()
    orders.ship_fulfilment(f.staff_user(), parcel, "顺丰", "SF123")
    response = client.post(location + "cancel/", follow=True)
    assert any("发出" in message or "发货" in message for message in messages_of(response)), messages_of(response)
    assert Order.objects.get().status == OrderStatus.PARTIALLY_SHIPPED


def test_checkout_pages_send_an_empty_cart_back(client, goods):
    for name in ("shop:checkout", "shop:checkout_delivery", "shop:checkout_confirm"):
        assert client.get(reverse(name))["Location"] == reverse("shop:cart")


def test_a_guest_who_creates_an_account_keeps_their_cart(client, goods):
    a, _b, _method = goods
    add(client, a, 2)
    response = client.post(
        reverse("accounts:shopper_signup"), {"email": "New@Example.com", "password": "mountain honey 88"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("shop:cart")
    cart = Checkout.objects.get()
    assert cart.user.email == "new@example.com" and cart.lines.get().quantity == 2


def test_a_shopper_sign_up_with_a_weak_password_or_taken_email_says_why(client):
    f.user(username="taken@example.com", email="taken@example.com")
    response = client.post(reverse("accounts:shopper_signup"), {"email": "taken@example.com", "password": "x"})
    errors = response.context["form"].errors
    assert response.status_code == 200 and "email" in errors
    response = client.post(reverse("accounts:shopper_signup"), {"email": "fresh@example.com", "password": "12345678"})
    assert "password" in response.context["form"].errors
    assert not Checkout.objects.exists()


def test_each_parcel_can_travel_with_its_own_courier(client, goods):
    a, b, standard = goods
    express = shipping_method(name="顺丰", rates=(("1", "18.00"), ("5", "26.00")))
    add(client, a, 2)
    add(client, b, 1)
    contact(client)
    assert choose_delivery(client, {a: standard, b: express}).status_code == 302
    review = page(client.get(reverse("shop:checkout_confirm")))
    assert "¥15.00" in review and "¥18.00" in review and "¥125.30" in review  # 92.30 + 15 + 18
    place(client)
    order = Order.objects.get()
    parcels = {p.farmer_id: (p.shipping_method_name, p.shipping_price) for p in order.fulfilments.all()}
    assert parcels == {
        a.product.farmer_id: ("标准快递", Decimal("15.00")),
        b.product.farmer_id: ("顺丰", Decimal("18.00")),
    }
    assert order.shipping_total == Decimal("33.00") and order.total == Decimal("125.30")


def test_every_parcel_needs_a_delivery_method(client, goods):
    from shop.models import ParcelDelivery

    a, b, standard = goods
    add(client, a, 1)
    add(client, b, 1)
    contact(client)
    response = choose_delivery(client, {a: standard})
    assert response.status_code == 200 and response.context["form"].errors[parcel_key(b)]
    assert not ParcelDelivery.objects.exists() and Checkout.objects.get().shipping_method is None


def test_a_withdrawn_delivery_method_is_refused(client, goods):
    from shop.models import ParcelDelivery

    a, _b, _standard = goods
    gone = shipping_method(name="停运快递", is_active=False)
    add(client, a, 1)
    contact(client)
    response = choose_delivery(client, {a: gone})
    assert response.status_code == 200 and response.context["form"].errors[parcel_key(a)]
    assert not ParcelDelivery.objects.exists()


def test_the_order_link_is_emailed_once_however_often_place_is_pressed(
    client, goods, django_capture_on_commit_callbacks
):
    ready(client, goods)
    total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    with django_capture_on_commit_callbacks(execute=True):
        place(client, total)
        place(client, total)
    assert Order.objects.count() == 1 and len(mail.outbox) == 1


def test_a_courier_whose_price_table_was_emptied_is_no_error_page(client, goods):
    from shop.models import ShippingRate

    _a, _b, method = goods
    spare = shipping_method(name="邮政")
    ready(client, goods)
    ShippingRate.objects.filter(method=method).delete()
    assert client.get(reverse("shop:cart")).status_code == 200
    delivery = client.get(reverse("shop:checkout_delivery"))
    assert delivery.status_code == 200 and spare.name in page(delivery)
    assert f'value="{method.pk}"' not in page(delivery), "a courier without prices is not offered"
    assert client.get(reverse("shop:checkout_confirm"))["Location"] == reverse("shop:checkout_delivery")
    response = place(client, total="115.30")
    assert response.status_code == 302 and not Order.objects.exists()


def test_back_from_paying_the_page_waits_only_while_the_payment_is_pending(client, goods):
    from payments.models import PaymentStatus

    ready(client, goods)
    location = place(client)["Location"]
    assert "正在等银行确认" in page(client.get(location + "?paid=1"))
    payment = Order.objects.get().payment
    payment.status = PaymentStatus.FAILED
    payment.failure_message = "Your card was declined."
    payment.save()
    shown = page(client.get(location + "?paid=1"))
    assert "正在等银行确认" not in shown and "Your card was declined." in shown and "store-pay" in shown


def test_logging_in_to_cancel_an_accounts_order_comes_back_to_the_order(client, goods):
    from django.test import Client

    client.force_login(f.user(email="owner@example.com"))
    ready(client, goods)
    location = place(client)["Location"]
    response = Client().post(location + "cancel/")
    assert response["Location"] == reverse("accounts:login") + "?next=" + location.replace(":", "%3A")
    assert Order.objects.get().status == OrderStatus.UNPAID


def test_goods_that_no_longer_fit_the_accounts_cart_are_named_at_log_in(client, goods):
    a, _b, _method = goods
    shopper = f.user(username="buyer@example.com", email="buyer@example.com")
    shopper.set_password("a long password 1")
    shopper.save()
    client.force_login(shopper)
    add(client, a, 4)
    client.logout()
    add(client, a, 3)  # 4 + 3 is more than the 5 in stock
    response = client.post(
        reverse("accounts:login"), {"username": "buyer@example.com", "password": "a long password 1"}, follow=True
    )
    assert any("猕猴桃" in message for message in messages_of(response)), messages_of(response)
    assert Checkout.objects.get().lines.get().quantity == 4
