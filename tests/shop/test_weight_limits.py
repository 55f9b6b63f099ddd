"""A cart's weight and the shipping table are bounded so that a parcel's weight and every shipping
total fit their columns (issue 18, defect 11's family: 50 lines x 999 units x 50 kg made a
2,497,500 kg parcel that overflowed `Fulfilment.weight_kg` at completion, and its shipping
`Fulfilment.shipping_price`). The bounds live in `shop.limits`."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from shop import catalog, limits
from shop import checkout as service
from shop.models import CheckoutLine, Fulfilment, Order, OrderLine, ShippingMethod, ShippingRate, Variant
from tests import factories as f
from tests.shop.buying import ready_checkout, shipping_method, variant
from tests.shop.test_checkout_api import ADD, COMPLETE, UPDATE, checkout_id, data_of, gid, lines_input, ok
from tests.shop.test_storefront import add, choose_delivery, contact, page, place

pytestmark = pytest.mark.django_db


def dearest_table() -> ShippingMethod:
    """The dearest table the bounds allow: every parcel pays the highest bracket, then the highest
    price for each started kilogram."""
    return shipping_method(
        rates=(("0.001", str(limits.MAX_SHIPPING_RATE_PRICE)),), extra_kg_price=str(limits.MAX_EXTRA_KG_PRICE)
    )


def column_max(model, name: str) -> Decimal:
    field = model._meta.get_field(name)
    return limits.largest(field.max_digits, field.decimal_places)


def test_the_bounds_fit_the_columns():
    """The heaviest cart is one seller's parcel; the dearest shipping of any cart (all of it in one
    parcel, or spread over fifty) fits a parcel's and an order's shipping, and the order's room."""
    assert column_max(Fulfilment, "weight_kg") >= limits.MAX_CART_WEIGHT_KG
    assert column_max(OrderLine, "unit_weight_kg") >= column_max(Variant, "weight_kg") >= catalog.MAX_WEIGHT_KG
    assert limits.MAX_SHIPPING_TOTAL <= limits.SHIPPING_ALLOWANCE
    assert column_max(Fulfilment, "shipping_price") >= limits.MAX_SHIPPING_TOTAL
    assert column_max(Order, "shipping_total") >= limits.MAX_SHIPPING_TOTAL
    for model, name, bound in (
        (ShippingRate, "price", limits.MAX_SHIPPING_RATE_PRICE),
        (ShippingMethod, "extra_kg_price", limits.MAX_EXTRA_KG_PRICE),
    ):
        assert column_max(model, name) >= bound


def test_the_heaviest_dearest_cart_completes(gql):
    """50 sellers' parcels, each 999 units at the highest price, the cart just under the weight
    bound, on the dearest table: placed, every total exact and within its column."""
    weights = ["0.100"] * 49 + ["0.105"]  # 49 x 99.9 kg + 104.895 kg = 4,999.995 kg
    variants = [variant(price=str(limits.MAX_PRICE), stock=999, weight_kg=kg) for kg in weights]
    checkout = ready_checkout([(v, 999) for v in variants], method=dearest_table())

    order = ok(gql(COMPLETE, {"id": checkout_id(checkout), "method": "OFFLINE"}), "checkoutComplete")["order"]

    # 49 parcels of 99.9 kg: 10,000 + 100 started kg x 1,000; one of 104.895 kg: 10,000 + 105 x 1,000.
    shipping = 49 * Decimal("110000") + Decimal("115000")
    goods = 50 * 999 * limits.MAX_PRICE
    assert order["shippingTotal"] == f"{shipping:.2f}"
    assert order["total"] == f"{goods + shipping:.2f}" == "9995505000.00"
    placed = Order.objects.get()
    assert placed.total == goods + shipping
    assert sum(p.weight_kg for p in placed.fulfilments.all()) == Decimal("4999.995")
    assert placed.payment.amount == placed.total


def test_a_cart_over_the_weight_bound_is_refused_when_goods_are_added(gql):
    """The issue's 999 units of 50 kg are refused at add-to-cart, naming both weights; nothing is
    added."""
    heavy = variant(price="10.00", stock=999, weight_kg="50")
    checkout = ready_checkout([(variant(), 1)], method=False, address=None)  # 2.5 kg in it already
    result = gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((heavy, 999))})
    (error,) = data_of(result, "checkoutLinesAdd")["errors"]
    assert error == {  # in the site's default language, as a shopper reads it
        "field": "lines",
        "code": "CART_TOO_HEAVY",
        "message": "一个购物车最多 5,000 公斤，这一车有 49,952.5 公斤。请少买一些，或者分几次下单。",
        "lines": None,
    }
    assert CheckoutLine.objects.filter(variant=heavy).count() == 0


def test_the_weight_bound_itself_is_accepted_and_one_gram_more_refused(gql):
    v = variant(price="10.00", stock=999, weight_kg="5.005")  # 999 x 5.005 = 4,999.995 kg
    gram = variant(price="1.00", stock=10, weight_kg="0.005")
    checkout = ready_checkout([(v, 999)], method=False, address=None)
    assert ok(gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((gram, 1))}), "checkoutLinesAdd")
    line = CheckoutLine.objects.get(variant=gram)
    result = gql(UPDATE, {"id": checkout_id(checkout), "lines": [{"lineId": gid(line), "quantity": 2}]})
    (error,) = data_of(result, "checkoutLinesUpdate")["errors"]
    assert error["code"] == "CART_TOO_HEAVY"
    assert CheckoutLine.objects.get(variant=gram).quantity == 1


def test_goods_made_heavier_after_they_were_added_are_refused_at_completion_with_a_code(gql):
    """A seller raising a weight cannot make completion overflow: it is refused, coded, and nothing
    is placed or taken from stock."""
    v = variant(price="10.00", stock=999, weight_kg="1")
    checkout = ready_checkout([(v, 999)])
    Variant.objects.filter(pk=v.pk).update(weight_kg=Decimal("50"))

    result = gql(COMPLETE, {"id": checkout_id(checkout), "method": "OFFLINE"})

    (error,) = data_of(result, "checkoutComplete")["errors"]
    assert (error["field"], error["code"]) == ("lines", "CART_TOO_HEAVY")
    assert not Order.objects.exists()
    assert Variant.objects.get(pk=v.pk).stock == 999


def test_merging_a_guest_cart_keeps_the_account_cart_within_the_bound():
    shopper = f.user()
    mine = service.create_checkout(shopper)
    service.add_lines(mine, [service.LineRequest(variant(stock=999, weight_kg="40"), 100)])
    guest = service.create_checkout(None)
    heavy = variant(stock=999, weight_kg="50", name="大米")
    service.add_lines(guest, [service.LineRequest(heavy, 99)])

    assert service.claim_cart(shopper, guest) == ["大米 · 5斤装"]
    assert not mine.lines.filter(variant=heavy).exists()


@pytest.mark.parametrize(
    ("model", "name", "bound"),
    [
        (ShippingRate, "price", limits.MAX_SHIPPING_RATE_PRICE),
        (ShippingMethod, "extra_kg_price", limits.MAX_EXTRA_KG_PRICE),
    ],
)
def test_the_model_and_the_database_refuse_a_shipping_price_above_the_bound(model, name, bound):
    """The operator's form (the admin validates the model) and the database both refuse it."""
    method = shipping_method()
    row = method.rates.first() if model is ShippingRate else method
    setattr(row, name, bound)
    row.full_clean()
    setattr(row, name, bound + Decimal("0.01"))
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert set(refused.value.message_dict) == {name}
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{name: bound + Decimal("0.01")})


# --- The shopper's pages --------------------------------------------------------------------------


def test_the_product_page_refuses_goods_over_the_weight_bound_with_the_message(client):
    heavy = variant(price="10.00", stock=999, weight_kg="50")
    response = add(client, heavy, 101)  # 5,050 kg
    assert response.status_code == 400
    shown = " ".join(str(error) for errors in response.context["form"].errors.values() for error in errors)
    assert "5,000" in shown and "5,050" in shown
    assert not CheckoutLine.objects.exists()


def test_the_order_page_tells_of_goods_made_heavier_and_places_nothing(client):
    v = variant(price="10.00", stock=999, weight_kg="1")
    assert add(client, v, 999).status_code == 302
    assert contact(client).status_code == 302
    assert choose_delivery(client, {v: shipping_method()}).status_code == 302
    total = re.search(r'name="total" value="([\d.]+)"', page(client.get(reverse("shop:checkout_confirm"))))[1]
    Variant.objects.filter(pk=v.pk).update(weight_kg=Decimal("50"))

    response = place(client, total)  # the total agreed to before: the weight is what refuses it

    assert response.status_code == 200
    assert "49,950" in page(response)
    assert not Order.objects.exists() and Variant.objects.get(pk=v.pk).stock == 999
