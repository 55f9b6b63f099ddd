"""The shopper's pages run as many SQL queries for a cart of 20 lines as for a cart of 1: the cart,
each checkout page (placing the order included) and the order page. bench/storefront.py prints the
counts; this keeps them from growing with the cart."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Order
from tests import factories as f

from .buying import ADDRESS, checked_choices, shipping_method, variant

pytestmark = pytest.mark.django_db


def queries_per_page(client, method, lines: int) -> dict[str, int]:
    """Put `lines` goods of two farmers in a guest's cart through the product page, then walk the
    checkout to the order page, counting each request's queries."""
    farmers = [f.farmer(), f.farmer()]
    for i in range(lines):
        goods = variant(stock=50, weight_kg="0.5", seller=farmers[i % 2])
        added = client.post(reverse("shop:product", args=[goods.product.slug]), {"variant": goods.pk, "quantity": 1})
        assert added.status_code == 302
    counts = {}

    def count(name, request, status):
        with CaptureQueriesContext(connection) as captured:
            response = request()
        assert response.status_code == status, (name, response.status_code)
        counts[name] = len(captured)
        return response

    count("cart", lambda: client.get(reverse("shop:cart")), 200)
    count("address", lambda: client.get(reverse("shop:checkout")), 200)
    count("address POST", lambda: client.post(reverse("shop:checkout"), {"email": "a@example.com", **ADDRESS}), 302)
    delivery = count("delivery", lambda: client.get(reverse("shop:checkout_delivery")), 200)
    choices = checked_choices(delivery.content.decode())
    assert len(choices) == min(lines, 2), choices  # a courier drawn chosen for each farmer's parcel
    count("delivery POST", lambda: client.post(reverse("shop:checkout_delivery"), choices), 302)
    confirm = count("confirm", lambda: client.get(reverse("shop:checkout_confirm")), 200)
    total = re.search(r'name="total" value="([\d.]+)"', confirm.content.decode())[1]
    place = {"payment_method": "offline", "total": total}
    placed = count("confirm POST", lambda: client.post(reverse("shop:checkout_confirm"), place), 302)
    count("order", lambda: client.get(placed["Location"]), 200)
    assert Order.objects.latest("pk").lines.count() == lines
    return counts


def test_queries_do_not_grow_with_the_cart():
    method = shipping_method()
    one = queries_per_page(Client(), method, 1)
    twenty = queries_per_page(Client(), method, 20)
    assert twenty == one
