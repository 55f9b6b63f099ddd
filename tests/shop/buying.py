"""Builders for buying tests: a priced shipping table, a ready checkout, a placed order. They go
through the real services, so the data is what a shopper would have made."""

import re
from decimal import Decimal

from graphql_relay import to_global_id

from shop import checkout as service
from shop.models import ShippingMethod, ShippingRate
from tests import factories as f

ADDRESS = {
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "street": "天河路 100 号",
    "recipient": "李雷",
    "phone": "13800138000",
}

GRAPHQL_TYPES = {"Variant": "ProductVariant"}


def gid(obj) -> str:
    name = type(obj).__name__
    return to_global_id(GRAPHQL_TYPES.get(name, name), obj.pk)


def shipping_method(
    rates=(("1", "8.00"), ("3", "12.00"), ("5", "15.00")), extra_kg_price="2.00", **fields
) -> ShippingMethod:
    """Up to 1 kg ¥8, up to 3 kg ¥12, up to 5 kg ¥15, then ¥2 per started kg over 5."""
    method = ShippingMethod.objects.create(
        name=fields.pop("name", "标准快递"), extra_kg_price=Decimal(extra_kg_price), **fields
    )
    ShippingRate.objects.bulk_create(
        ShippingRate(method=method, max_weight_kg=Decimal(weight), price=Decimal(price)) for weight, price in rates
    )
    return method


def variant(price="39.90", stock=10, weight_kg="2.5", seller=None, name=None, **fields):
    """The one variant of a fresh published product (by a fresh verified farmer unless given)."""
    product = f.product(
        seller=seller,
        variants=[{"name": "5斤装", "price": Decimal(price), "stock": stock, "weight_kg": Decimal(weight_kg)}],
        **({"name": name} if name else {}),
        **fields,
    )
    return product.variants.get()


def ready_checkout(items, user=None, email="buyer@example.com", method=None, address=ADDRESS):
    """A checkout with lines, email, address and delivery method: ready to complete."""
    checkout = service.create_checkout(
        user, email=email, lines=[service.LineRequest(v, quantity) for v, quantity in items]
    )
    if address:
        service.update_shipping_address(checkout, dict(address))
    if method is not False:
        service.update_delivery_method(checkout, method or shipping_method())
    checkout.refresh_from_db()
    return checkout


def place_order(items, user=None, payment_method="offline", **checkout_fields):
    """An order placed through the checkout service (no gateway is called)."""
    checkout = ready_checkout(items, user=user, **checkout_fields)
    return service.complete_checkout(user, checkout, payment_method)


def two_farmer_order(user=None, payment_method="offline", method=None):
    """Farmer A sells 2 × ¥39.90 at 2.5 kg; farmer B 1 × ¥12.50 at 0.8 kg: parcels of 5 kg (¥15)
    and 0.8 kg (¥8) on the default table. Returns (order, farmer_a, farmer_b, variant_a, variant_b)."""
    a = variant(price="39.90", stock=10, weight_kg="2.5")
    b = variant(price="12.50", stock=5, weight_kg="0.8")
    order = place_order([(a, 2), (b, 1)], user=user, payment_method=payment_method, method=method)
    return order, a.product.farmer, b.product.farmer, a, b


def snapshot(*checkouts):
    """Everything a checkout mutation could write: to compare before and after a refusal."""
    from shop.models import Checkout, CheckoutLine, Order, Variant

    return {
        "checkouts": list(Checkout.objects.order_by("pk").values()),
        "lines": list(CheckoutLine.objects.order_by("pk").values("pk", "checkout_id", "variant_id", "quantity")),
        "stock": dict(Variant.objects.values_list("pk", "stock")),
        "orders": Order.objects.count(),
    }


CHECKED_RADIO = re.compile(r'<input type="radio" name="([\w-]+)" value="(\d+)" checked>')


def checked_choices(html: str) -> dict[str, str]:
    """What a browser posts for a page's radio buttons as they were drawn: the checked one of each
    group (the delivery page pre-selects a courier for every parcel)."""
    return dict(CHECKED_RADIO.findall(html))
