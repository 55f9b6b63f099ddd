""" "Place order" pressed twice at once (a double tap on a slow phone, or two tabs): the browser's two
requests, with the same session, race on PostgreSQL, and exactly one order is made, which both
requests lead to. It holds because completion locks the checkout row and the order carries the
checkout's ID under a unique constraint (shop.checkout.complete_checkout)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from shop import order_links
from shop.models import Order, Variant
from tests.concurrency.threads import run_together
from tests.shop.buying import ADDRESS, shipping_method, variant

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("presses", [2, 4])
def test_place_order_pressed_at_once_makes_one_order(require_postgres, presses):
    method = shipping_method()
    kiwi = variant(price="39.90", stock=10, weight_kg="2.5")
    browser = Client()
    browser.post(reverse("shop:product", args=[kiwi.product.slug]), {"variant": kiwi.pk, "quantity": 3})
    browser.post(reverse("shop:checkout"), {"email": "guest@example.com", **ADDRESS})
    browser.post(reverse("shop:checkout_delivery"), {f"farmer-{kiwi.product.farmer_id}": method.pk})
    review = browser.get(reverse("shop:checkout_confirm")).content.decode()
    total = re.search(r'name="total" value="([\d.]+)"', review)[1]

    def press():
        tab = Client()
        tab.cookies = browser.cookies  # the same browser: the same session, so the same cart
        response = tab.post(reverse("shop:checkout_confirm"), {"payment_method": "offline", "total": total})
        return response.status_code, response.get("Location")

    results = run_together([press] * presses)
    order = Order.objects.get()
    location = reverse("shop:order", args=[order_links.order_token(order)])
    assert results == [(302, location)] * presses
    assert Variant.objects.get(pk=kiwi.pk).stock == 7, "the stock was taken once"
