"""Checkout over GraphQL (Saleor's names): the cart, its address and delivery, totals priced per
farmer's parcel, completion into an order; every bad input a coded error that writes nothing."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from farmers.models import VerificationState
from shop.models import Checkout, CheckoutLine, Fulfilment, Order, OrderLine, Product, Variant
from tests import factories as f
from tests.shop.buying import (
    ADDRESS,
    gid,
    ready_checkout,
    shipping_method,
    snapshot,
    variant,
)

pytestmark = pytest.mark.django_db

CHECKOUT = """
fragment C on Checkout {
  id email quantity isCompleted
  lines { id quantity productName unitPrice totalPrice variant { id } }
  parcels { sellerName weightKg subtotal shippingPrice lines { id } }
  shippingAddress { province city district street recipient phone }
  deliveryMethod { id name }
  subtotalPrice shippingPrice totalPrice
}
"""
CREATE = (
    CHECKOUT
    + """
mutation($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) { checkout { ...C } errors { field code message lines } }
}"""
)
ADD = (
    CHECKOUT
    + """
mutation($id: ID!, $lines: [CheckoutLineInput!]!) {
  checkoutLinesAdd(id: $id, lines: $lines) { checkout { ...C } errors { field code message lines } }
}"""
)
UPDATE = (
    CHECKOUT
    + """
mutation($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {
  checkoutLinesUpdate(id: $id, lines: $lines) { checkout { ...C } errors { field code message lines } }
}"""
)
DELETE = (
    CHECKOUT
    + """
mutation($id: ID!, $ids: [ID!]!) {
  checkoutLinesDelete(id: $id, linesIds: $ids) { checkout { ...C } errors { field code message } }
}"""
)
EMAIL = (
    CHECKOUT
    + """
mutation($id: ID!, $email: String!) {
  checkoutEmailUpdate(id: $id, email: $email) { checkout { ...C } errors { field code message } }
}"""
)
ADDRESS_UPDATE = (
    CHECKOUT
    + """
mutation($id: ID!, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) { checkout { ...C } errors { field code message } }
}"""
)
DELIVERY = (
    CHECKOUT
    + """
mutation($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) { checkout { ...C } errors { field code message } }
}"""
)
COMPLETE = """
mutation($id: ID!, $method: PaymentMethodEnum) {
  checkoutComplete(id: $id, paymentMethod: $method) {
    order {
      id number status paymentMethod subtotal shippingTotal total email
      lines { productName variantName unitPrice quantity totalPrice sellerName villageName }
      fulfilments { sellerName subtotal weightKg shippingPrice status }
    }
    errors { field code message lines }
  }
}"""
CHECKOUT_QUERY = CHECKOUT + "query($id: ID!) { checkout(id: $id) { ...C order { id number } } }"
ORDER_LINES = """
query($id: ID!) { order(id: $id) { total lines { productName variantName unitPrice totalPrice villageName } } }
"""
ME = """
{ me { email checkouts { id } orders { totalCount edges { node { number } } } } }
"""


def checkout_id(checkout) -> str:
    return to_global_id("Checkout", checkout.pk)


def data_of(result, mutation):
    assert "errors" not in result, result
    return result["data"][mutation]


def ok(result, mutation):
    data = data_of(result, mutation)
    assert data["errors"] == [], data["errors"]
    return data


def only_error(result, mutation):
    errors = data_of(result, mutation)["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["message"]
    return errors[0]


def lines_input(*items):
    return [{"variantId": gid(v), "quantity": quantity} for v, quantity in items]


# --- Building a cart ------------------------------------------------------------------------------


def test_guest_creates_a_checkout_with_email_and_lines(gql):
    """A guest can shop: the email given is kept, and the lines are priced from the catalog."""
    v = variant(price="39.90")
    checkout = ok(
        gql(CREATE, {"input": {"email": "guest@example.com", "lines": lines_input((v, 2))}}), "checkoutCreate"
    )["checkout"]

    assert checkout["email"] == "guest@example.com" and checkout["quantity"] == 2
    assert checkout["lines"][0]["unitPrice"] == "39.90" and checkout["lines"][0]["totalPrice"] == "79.80"
    assert checkout["subtotalPrice"] == "79.80"
    assert checkout["shippingPrice"] is None and checkout["totalPrice"] is None  # no delivery method yet
    assert Checkout.objects.get().user is None


def test_signed_in_shopper_checkout_takes_the_account_email(gql):
    """A signed-in shopper need not type an email: the account's is the default."""
    shopper = f.user(email="me@example.com")
    checkout = ok(gql.login(shopper)(CREATE, {"input": {}}), "checkoutCreate")["checkout"]
    assert checkout["email"] == "me@example.com" and checkout["lines"] == []
    assert Checkout.objects.get().user == shopper


def test_adding_the_same_variant_raises_its_quantity(gql):
    """One line per variant: adding it again adds to the line rather than duplicating it."""
    v = variant(stock=10)
    checkout = ready_checkout([(v, 2)], method=False, address=None)
    result = gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((v, 3))})
    lines = ok(result, "checkoutLinesAdd")["checkout"]["lines"]

    assert [line["quantity"] for line in lines] == [5]
    assert CheckoutLine.objects.get().quantity == 5


def test_update_sets_and_delete_removes_lines(gql):
    """Update sets a quantity (not adds to it); delete removes just the lines named."""
    a, b = variant(price="10.00"), variant(price="2.50")
    checkout = ready_checkout([(a, 1), (b, 1)], method=False, address=None)
    line_a, line_b = CheckoutLine.objects.get(variant=a), CheckoutLine.objects.get(variant=b)

    updated = gql(UPDATE, {"id": checkout_id(checkout), "lines": [{"lineId": gid(line_a), "quantity": 4}]})
    assert ok(updated, "checkoutLinesUpdate")["checkout"]["subtotalPrice"] == "42.50"

    deleted = ok(gql(DELETE, {"id": checkout_id(checkout), "ids": [gid(line_b)]}), "checkoutLinesDelete")["checkout"]
    assert [(line["id"], line["quantity"]) for line in deleted["lines"]] == [(gid(line_a), 4)]
    assert deleted["subtotalPrice"] == "40.00"
    assert list(CheckoutLine.objects.values_list("variant", "quantity")) == [(a.pk, 4)]


def test_email_update(gql):
    checkout = ready_checkout([(variant(), 1)], email="", method=False, address=None)
    result = gql(EMAIL, {"id": checkout_id(checkout), "email": " new@example.com "})
    assert ok(result, "checkoutEmailUpdate")["checkout"]["email"] == "new@example.com"
    assert Checkout.objects.get().email == "new@example.com"


def test_shipping_address_is_normalised(gql):
    """Shoppers type 广东 and +86 138-0013-8000; couriers need 广东省 and 11 digits."""
    checkout = ready_checkout([(variant(), 1)], method=False, address=None)
    typed = {**ADDRESS, "province": "广东", "phone": "+86 138-0013-8000", "street": "  天河路   100 号 "}
    result = gql(ADDRESS_UPDATE, {"id": checkout_id(checkout), "address": typed})

    expected = {**ADDRESS, "province": "广东省", "phone": "13800138000", "street": "天河路 100 号"}
    assert ok(result, "checkoutShippingAddressUpdate")["checkout"]["shippingAddress"] == expected
    assert Checkout.objects.get().address_values() == expected


def test_delivery_method_prices_each_farmers_parcel_by_weight(gql):
    """Each farmer ships a parcel of their own, priced from the table by its weight; a parcel over
    the heaviest bracket pays that bracket plus the per-kg price for every started kilogram."""
    method = shipping_method()  # ≤1 kg ¥8, ≤3 kg ¥12, ≤5 kg ¥15, then ¥2 per started kg
    light = variant(price="12.50", weight_kg="0.8")  # 0.8 kg → ¥8
    boundary = variant(price="20.00", weight_kg="1.5")  # 2 × 1.5 = 3.0 kg → ¥12 (the bracket holds 3)
    heavy = variant(price="39.90", weight_kg="2.5")  # 3 × 2.5 = 7.5 kg → ¥15 + 3 started kg × ¥2 = ¥21
    checkout = ready_checkout([(light, 1), (boundary, 2), (heavy, 3)], method=False)

    result = gql(DELIVERY, {"id": checkout_id(checkout), "method": gid(method)})
    data = ok(result, "checkoutDeliveryMethodUpdate")["checkout"]

    assert data["deliveryMethod"] == {"id": gid(method), "name": "标准快递"}
    parcels = {parcel["sellerName"]: parcel for parcel in data["parcels"]}
    assert len(parcels) == 3
    by_seller = {
        light.product.farmer.name: ("12.50", "0.800", "8.00"),
        boundary.product.farmer.name: ("40.00", "3.000", "12.00"),
        heavy.product.farmer.name: ("119.70", "7.500", "21.00"),
    }
    for seller, (subtotal, weight, price) in by_seller.items():
        parcel = parcels[seller]
        assert (parcel["subtotal"], Decimal(parcel["weightKg"]), parcel["shippingPrice"]) == (
            subtotal,
            Decimal(weight),
            price,
        )
    assert (data["subtotalPrice"], data["shippingPrice"], data["totalPrice"]) == ("172.20", "41.00", "213.20")


def test_one_farmers_goods_share_one_parcel(gql):
    """Two products of one farmer weigh together: 2.5 + 0.8 kg is one ¥15 parcel, not ¥12 + ¥8."""
    farmer = f.farmer()
    a = variant(price="10.00", weight_kg="2.5", seller=farmer)
    b = variant(price="5.00", weight_kg="0.8", seller=farmer)
    checkout = ready_checkout([(a, 1), (b, 1)])
    data = gql(CHECKOUT_QUERY, {"id": checkout_id(checkout)})["data"]["checkout"]
    assert [(p["weightKg"], p["shippingPrice"], len(p["lines"])) for p in data["parcels"]] == [("3.300", "15.00", 2)]
    assert data["totalPrice"] == "30.00"


# --- Completing -----------------------------------------------------------------------------------


def test_complete_places_an_order_that_keeps_what_was_bought(gql):
    """The order copies price, names, farmer and village, so later catalog edits never change it;
    each farmer gets a fulfilment of their own; the stock is taken."""
    a = variant(price="39.90", stock=10, weight_kg="2.5", name="赣南脐橙")
    b = variant(price="12.50", stock=5, weight_kg="0.8", name="高山土豆")
    checkout = ready_checkout([(a, 2), (b, 1)])

    order = ok(gql(COMPLETE, {"id": checkout_id(checkout), "method": "OFFLINE"}), "checkoutComplete")["order"]

    assert order["status"] == "UNPAID" and order["paymentMethod"] == "OFFLINE" and order["email"] == checkout.email
    assert (order["subtotal"], order["shippingTotal"], order["total"]) == ("92.30", "23.00", "115.30")
    assert sorted((x["sellerName"], x["subtotal"], x["shippingPrice"]) for x in order["fulfilments"]) == sorted(
        [(a.product.farmer.name, "79.80", "15.00"), (b.product.farmer.name, "12.50", "8.00")]
    )
    saved = Order.objects.get()
    assert saved.fulfilments.count() == 2
    assert {x.farmer for x in saved.fulfilments.all()} == {a.product.farmer, b.product.farmer}
    assert Variant.objects.get(pk=a.pk).stock == 8 and Variant.objects.get(pk=b.pk).stock == 4
    assert Checkout.objects.get().completed_at is not None

    Product.objects.filter(pk=a.product_id).update(name="改了名字")
    Variant.objects.filter(pk=a.pk).update(price=Decimal("99.00"), name="10斤装")
    a.product.village.name = "新村"
    a.product.village.save()

    result = gql.login(f.staff_user())(ORDER_LINES, {"id": order["id"]})
    line = next(x for x in result["data"]["order"]["lines"] if x["productName"] == "赣南脐橙")
    assert (line["variantName"], line["unitPrice"], line["totalPrice"]) == ("5斤装", "39.90", "79.80")
    assert "新村" not in line["villageName"] and a.product.village.county.name in line["villageName"]
    assert result["data"]["order"]["total"] == "115.30"
    line_a = OrderLine.objects.get(variant=a)
    assert (line_a.farmer, line_a.village) == (a.product.farmer, a.product.village)
    assert Fulfilment.objects.get(farmer=a.product.farmer).lines.get() == line_a


def test_completing_twice_returns_the_same_order_and_takes_stock_once(gql):
    """A retried request (a double tap, a lost response) must not sell twice."""
    v = variant(stock=5)
    checkout = ready_checkout([(v, 2)])
    first = ok(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")["order"]
    second = ok(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")["order"]

    assert first["id"] == second["id"] and first["number"] == second["number"]
    assert Order.objects.count() == 1
    assert Variant.objects.get(pk=v.pk).stock == 3


def test_checkout_and_me_queries(gql):
    """A shopper finds their open checkouts and their orders under `me`; `checkout(id)` shows the
    completed one with its order."""
    shopper = f.user(email="me@example.com")
    gql.login(shopper)
    done = ready_checkout([(variant(), 1)], user=shopper)
    number = ok(gql(COMPLETE, {"id": checkout_id(done)}), "checkoutComplete")["order"]["number"]
    still_open = ready_checkout([(variant(), 1)], user=shopper, method=False)
    ready_checkout([(variant(), 1)], user=f.user())  # someone else's

    me = gql(ME)["data"]["me"]
    assert me["email"] == "me@example.com"
    assert me["checkouts"] == [{"id": checkout_id(still_open)}]
    assert me["orders"] == {"totalCount": 1, "edges": [{"node": {"number": number}}]}

    seen = gql(CHECKOUT_QUERY, {"id": checkout_id(done)})["data"]["checkout"]
    assert seen["isCompleted"] is True and seen["order"]["number"] == number


def test_me_is_null_for_a_guest(gql):
    assert gql(ME) == {"data": {"me": None}}


# --- Bad input: coded errors, nothing written -------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -1, 1000])
def test_bad_quantity_on_create_add_and_update(gql, quantity):
    """1 to 999 only, everywhere a quantity is given; a refusal leaves the cart as it was."""
    v = variant(stock=10)
    before_create = snapshot()
    error = only_error(gql(CREATE, {"input": {"lines": lines_input((v, quantity))}}), "checkoutCreate")
    assert (error["field"], error["code"]) == ("quantity", "INVALID_QUANTITY")
    assert snapshot() == before_create

    checkout = ready_checkout([(v, 2)], method=False, address=None)
    line = CheckoutLine.objects.get()
    before = snapshot()
    added = only_error(gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((v, quantity))}), "checkoutLinesAdd")
    updated = only_error(
        gql(UPDATE, {"id": checkout_id(checkout), "lines": [{"lineId": gid(line), "quantity": quantity}]}),
        "checkoutLinesUpdate",
    )
    assert (added["field"], added["code"]) == ("quantity", "INVALID_QUANTITY")
    assert (updated["field"], updated["code"]) == ("quantity", "INVALID_QUANTITY")
    assert snapshot() == before


def test_adding_past_999_in_total_is_refused(gql):
    v = variant(stock=2000)
    checkout = ready_checkout([(v, 600)], method=False, address=None)
    before = snapshot()
    error = only_error(gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((v, 400))}), "checkoutLinesAdd")
    assert (error["field"], error["code"]) == ("quantity", "INVALID_QUANTITY")
    assert snapshot() == before


def test_unpublished_and_unverified_goods_cannot_be_bought(gql):
    """Only what shoppers can see can be bought: not a draft, not a suspended farmer's goods."""
    draft = f.product(published=False).variants.get()
    suspended = variant(name="停售的货")
    suspended.product.farmer.verification_state = VerificationState.PENDING
    suspended.product.farmer.save()
    fine = variant()
    checkout = ready_checkout([(fine, 1)], method=False, address=None)
    before = snapshot()

    for bad in (draft, suspended):
        error = only_error(gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((bad, 1))}), "checkoutLinesAdd")
        assert (error["field"], error["code"]) == ("variantId", "PRODUCT_UNAVAILABLE")
        assert bad.product.name in error["message"]
        created = only_error(gql(CREATE, {"input": {"lines": lines_input((fine, 1), (bad, 1))}}), "checkoutCreate")
        assert created["code"] == "PRODUCT_UNAVAILABLE"
    assert snapshot() == before


def test_unknown_variant_is_not_found(gql):
    checkout = ready_checkout([(variant(), 1)], method=False, address=None)
    before = snapshot()
    bad = [{"variantId": to_global_id("ProductVariant", 999999), "quantity": 1}]
    error = only_error(gql(ADD, {"id": checkout_id(checkout), "lines": bad}), "checkoutLinesAdd")
    assert (error["field"], error["code"]) == ("variantId", "NOT_FOUND")
    assert snapshot() == before


@pytest.mark.parametrize("intruder", ["another shopper", "a guest"])
def test_another_users_checkout_is_refused(gql, intruder):
    """A signed-in shopper's checkout is theirs alone: no one else reads or changes it."""
    owner = f.user()
    v = variant(stock=10)
    checkout = ready_checkout([(v, 2)], user=owner)
    line = CheckoutLine.objects.get()
    method = shipping_method(name="顺丰")
    before = snapshot()
    if intruder == "another shopper":
        gql.login(f.user())

    attempts = [
        ("checkoutLinesAdd", ADD, {"lines": lines_input((v, 1))}),
        ("checkoutLinesUpdate", UPDATE, {"lines": [{"lineId": gid(line), "quantity": 5}]}),
        ("checkoutLinesDelete", DELETE, {"ids": [gid(line)]}),
        ("checkoutEmailUpdate", EMAIL, {"email": "thief@example.com"}),
        ("checkoutShippingAddressUpdate", ADDRESS_UPDATE, {"address": {**ADDRESS, "recipient": "小偷"}}),
        ("checkoutDeliveryMethodUpdate", DELIVERY, {"method": gid(method)}),
        ("checkoutComplete", COMPLETE, {}),
    ]
    for mutation, query, variables in attempts:
        error = only_error(gql(query, {"id": checkout_id(checkout), **variables}), mutation)
        assert error["code"] == "PERMISSION_DENIED", mutation
    assert snapshot() == before

    seen = gql(CHECKOUT_QUERY, {"id": checkout_id(checkout)})
    assert seen["data"]["checkout"] is None
    assert seen["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    ("bad_id", "code"),
    [
        ("not-an-id", "INVALID"),
        (to_global_id("Checkout", "12"), "INVALID"),
        (to_global_id("Order", "1"), "INVALID"),
        (to_global_id("Checkout", "00000000-0000-4000-8000-000000000000"), "NOT_FOUND"),
    ],
)
def test_malformed_or_unknown_checkout_id(gql, bad_id, code):
    v = variant()
    before = snapshot()
    error = only_error(gql(ADD, {"id": bad_id, "lines": lines_input((v, 1))}), "checkoutLinesAdd")
    assert (error["field"], error["code"]) == ("id", code)
    query = gql(CHECKOUT_QUERY, {"id": bad_id})
    assert query["data"]["checkout"] is None and query["errors"][0]["extensions"]["code"] == code
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"phone": "12345"}, "phone", "INVALID_PHONE"),
        ({"phone": "010-12345678"}, "phone", "INVALID_PHONE"),
        ({"phone": "12800138000"}, "phone", "INVALID_PHONE"),
        ({"province": "火星"}, "province", "INVALID"),
        ({"province": "广东省广州"}, "province", "INVALID"),
        ({"city": ""}, "city", "REQUIRED"),
        ({"street": "   "}, "street", "REQUIRED"),
        ({"recipient": ""}, "recipient", "REQUIRED"),
        ({"street": "路" * 121}, "street", "MAX_LENGTH"),
    ],
)
def test_bad_address_is_refused(gql, changes, field, code):
    checkout = ready_checkout([(variant(), 1)], method=False, address=None)
    before = snapshot()
    result = gql(ADDRESS_UPDATE, {"id": checkout_id(checkout), "address": {**ADDRESS, **changes}})
    error = only_error(result, "checkoutShippingAddressUpdate")
    assert (error["field"], error["code"]) == (field, code)
    assert snapshot() == before


def test_every_missing_address_part_is_reported(gql):
    checkout = ready_checkout([(variant(), 1)], method=False, address=None)
    empty = dict.fromkeys(ADDRESS, "")
    errors = data_of(
        gql(ADDRESS_UPDATE, {"id": checkout_id(checkout), "address": empty}), "checkoutShippingAddressUpdate"
    )
    assert sorted((e["field"], e["code"]) for e in errors["errors"]) == sorted((n, "REQUIRED") for n in ADDRESS)
    assert not Checkout.objects.get().has_address


def test_bad_email_and_inactive_delivery_method(gql):
    checkout = ready_checkout([(variant(), 1)], method=False)
    retired = shipping_method(name="停运快递", is_active=False)
    before = snapshot()
    error = only_error(gql(EMAIL, {"id": checkout_id(checkout), "email": "not an email"}), "checkoutEmailUpdate")
    assert (error["field"], error["code"]) == ("email", "INVALID")
    error = only_error(
        gql(DELIVERY, {"id": checkout_id(checkout), "method": gid(retired)}), "checkoutDeliveryMethodUpdate"
    )
    assert (error["field"], error["code"]) == ("deliveryMethodId", "INVALID")
    error = only_error(
        gql(DELIVERY, {"id": checkout_id(checkout), "method": to_global_id("ShippingMethod", 999999)}),
        "checkoutDeliveryMethodUpdate",
    )
    assert (error["field"], error["code"]) == ("deliveryMethodId", "NOT_FOUND")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("setup", "field", "code"),
    [
        ({"address": None}, "shippingAddress", "SHIPPING_ADDRESS_NOT_SET"),
        ({"method": False}, "deliveryMethod", "DELIVERY_METHOD_NOT_SET"),
        ({"email": ""}, "email", "EMAIL_NOT_SET"),
        ({"items": []}, "lines", "EMPTY_CHECKOUT"),
    ],
)
def test_complete_refuses_an_unready_checkout(gql, setup, field, code):
    """Each missing piece is named; no order is placed and no stock is taken."""
    v = variant(stock=5)
    checkout = ready_checkout(setup.pop("items", [(v, 2)]), **setup)
    before = snapshot()
    error = only_error(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")
    assert (error["field"], error["code"]) == (field, code)
    assert snapshot() == before
    assert Variant.objects.get(pk=v.pk).stock == 5 and not Order.objects.exists()


def test_adding_more_than_in_stock(gql):
    v = variant(stock=3)
    checkout = ready_checkout([(v, 2)], method=False, address=None)
    before = snapshot()
    error = only_error(gql(ADD, {"id": checkout_id(checkout), "lines": lines_input((v, 2))}), "checkoutLinesAdd")
    assert (error["field"], error["code"]) == ("lines", "INSUFFICIENT_STOCK")
    assert error["lines"] == [gid(CheckoutLine.objects.get())]
    line = CheckoutLine.objects.get()
    error = only_error(
        gql(UPDATE, {"id": checkout_id(checkout), "lines": [{"lineId": gid(line), "quantity": 4}]}),
        "checkoutLinesUpdate",
    )
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert snapshot() == before


def test_complete_when_stock_fell_meanwhile(gql):
    """Someone else bought the last units after this cart was filled: the shopper learns which
    line and product, and nothing is sold (not even the lines still in stock)."""
    plenty = variant(stock=10)
    scarce = variant(stock=5, name="最后几箱蜂蜜")
    checkout = ready_checkout([(plenty, 2), (scarce, 3)])
    Variant.objects.filter(pk=scarce.pk).update(stock=1)
    before = snapshot()

    error = only_error(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")

    assert (error["field"], error["code"]) == ("lines", "INSUFFICIENT_STOCK")
    assert error["lines"] == [gid(CheckoutLine.objects.get(variant=scarce))]
    assert "最后几箱蜂蜜" in error["message"]
    assert snapshot() == before
    assert Variant.objects.get(pk=plenty.pk).stock == 10 and not Checkout.objects.get().completed_at


def test_a_completed_checkout_cannot_change(gql):
    v = variant(stock=10)
    checkout = ready_checkout([(v, 1)])
    ok(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")
    line = CheckoutLine.objects.get()
    method = shipping_method(name="顺丰")
    before = snapshot()

    attempts = [
        ("checkoutLinesAdd", ADD, {"lines": lines_input((v, 1))}),
        ("checkoutLinesUpdate", UPDATE, {"lines": [{"lineId": gid(line), "quantity": 3}]}),
        ("checkoutLinesDelete", DELETE, {"ids": [gid(line)]}),
        ("checkoutEmailUpdate", EMAIL, {"email": "late@example.com"}),
        ("checkoutShippingAddressUpdate", ADDRESS_UPDATE, {"address": {**ADDRESS, "city": "深圳市"}}),
        ("checkoutDeliveryMethodUpdate", DELIVERY, {"method": gid(method)}),
    ]
    for mutation, query, variables in attempts:
        error = only_error(gql(query, {"id": checkout_id(checkout), **variables}), mutation)
        assert error["code"] == "CHECKOUT_COMPLETED", mutation
    assert snapshot() == before


def test_stripe_when_not_configured(gql, settings):
    settings.STRIPE_SECRET_KEY = ""
    v = variant(stock=5)
    checkout = ready_checkout([(v, 1)])
    before = snapshot()
    error = only_error(gql(COMPLETE, {"id": checkout_id(checkout), "method": "STRIPE"}), "checkoutComplete")
    assert (error["field"], error["code"]) == ("paymentMethod", "PAYMENT_METHOD_UNAVAILABLE")
    assert snapshot() == before


def test_goods_withdrawn_after_carting_are_not_sold(gql):
    """A product unpublished while it sat in a cart is refused at completion, stock untouched."""
    v = variant(stock=5, name="下架的茶叶")
    checkout = ready_checkout([(v, 1)])
    Product.objects.filter(pk=v.product_id).update(is_published=False)
    before = snapshot()
    error = only_error(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")
    assert error["code"] == "PRODUCT_UNAVAILABLE" and "下架的茶叶" in error["message"]
    assert snapshot() == before


def test_a_line_of_another_checkout_cannot_be_changed(gql):
    """Line IDs are checked against the checkout named, so one guest cannot edit another's cart."""
    mine = ready_checkout([(variant(), 1)], method=False, address=None)
    theirs = ready_checkout([(variant(), 1)], method=False, address=None)
    their_line = CheckoutLine.objects.get(checkout=theirs)
    before = snapshot()
    error = only_error(
        gql(UPDATE, {"id": checkout_id(mine), "lines": [{"lineId": gid(their_line), "quantity": 3}]}),
        "checkoutLinesUpdate",
    )
    assert (error["field"], error["code"]) == ("lineId", "NOT_FOUND")
    error = only_error(gql(DELETE, {"id": checkout_id(mine), "ids": [gid(their_line)]}), "checkoutLinesDelete")
    assert (error["field"], error["code"]) == ("linesIds", "NOT_FOUND")
    assert snapshot() == before


def test_totals_that_floats_cannot_add_exactly_still_make_an_order(gql):
    """¥39.90 of goods and ¥6.80 shipping is ¥46.70 to the fen; as binary floats it is
    46.699999999999996, which must not stop the order being placed."""
    method = shipping_method(rates=(("5", "6.80"),))
    checkout = ready_checkout([(variant(price="39.90", weight_kg="2.5"), 1)], method=method)
    order = ok(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")["order"]
    assert (order["subtotal"], order["shippingTotal"], order["total"]) == ("39.90", "6.80", "46.70")


def test_a_delivery_method_withdrawn_after_choosing_must_be_chosen_again(gql):
    checkout = ready_checkout([(variant(stock=5), 1)])
    checkout.shipping_method.is_active = False
    checkout.shipping_method.save()
    before = snapshot()
    error = only_error(gql(COMPLETE, {"id": checkout_id(checkout)}), "checkoutComplete")
    assert (error["field"], error["code"]) == ("deliveryMethod", "DELIVERY_METHOD_NOT_SET")
    assert snapshot() == before


PARCEL_DELIVERY = """
mutation ($id: ID!, $parcels: [ParcelDeliveryMethodInput!]!) {
  checkoutParcelDeliveryMethodsUpdate(id: $id, parcels: $parcels) {
    checkout { shippingPrice totalPrice parcels { sellerId sellerName shippingPrice deliveryMethod { name } } }
    errors { field code message }
  }
}"""


def test_each_parcel_may_get_its_own_courier_over_the_api(gql):
    standard = shipping_method()
    express = shipping_method(name="顺丰", rates=(("1", "18.00"), ("5", "26.00")))
    a = variant(price="39.90", stock=10, weight_kg="2.5")
    b = variant(price="12.50", stock=5, weight_kg="0.8")
    checkout = ready_checkout([(a, 2), (b, 1)], method=False)
    parcels = gql(CHECKOUT_QUERY.replace("sellerName", "sellerName sellerId"), {"id": checkout_id(checkout)})
    ids = {p["sellerName"]: p["sellerId"] for p in parcels["data"]["checkout"]["parcels"]}
    assert ids[a.product.farmer.name] == to_global_id("Farmer", a.product.farmer_id)
    chosen = [
        {"sellerId": ids[a.product.farmer.name], "deliveryMethodId": gid(standard)},
        {"sellerId": ids[b.product.farmer.name], "deliveryMethodId": gid(express)},
    ]
    data = ok(
        gql(PARCEL_DELIVERY, {"id": checkout_id(checkout), "parcels": chosen}), "checkoutParcelDeliveryMethodsUpdate"
    )
    got = {p["sellerName"]: (p["deliveryMethod"]["name"], p["shippingPrice"]) for p in data["checkout"]["parcels"]}
    assert got == {a.product.farmer.name: ("标准快递", "15.00"), b.product.farmer.name: ("顺丰", "18.00")}
    assert data["checkout"]["shippingPrice"] == "33.00" and data["checkout"]["totalPrice"] == "125.30"
    order = ok(gql(COMPLETE, {"id": checkout_id(checkout), "method": "OFFLINE"}), "checkoutComplete")["order"]
    assert Decimal(order["total"]) == Decimal("125.30")


@pytest.mark.parametrize(
    ("parcels", "code"),
    [
        ("one", "DELIVERY_METHOD_NOT_SET"),  # the other parcel has none
        ("stranger", "NOT_FOUND"),  # a seller with no parcel in this cart
        ("not-a-seller", "INVALID"),  # an ID of something else
        ("bad-method", "NOT_FOUND"),
    ],
)
def test_parcel_couriers_are_refused_with_a_reason_and_nothing_changes(gql, parcels, code):
    from shop.models import ParcelDelivery

    standard = shipping_method()
    a = variant(stock=10)
    b = variant(stock=10)
    checkout = ready_checkout([(a, 1), (b, 1)], method=False)
    seller = to_global_id("Farmer", a.product.farmer_id)
    choices = {
        "one": [{"sellerId": seller, "deliveryMethodId": gid(standard)}],
        "stranger": [
            {"sellerId": seller, "deliveryMethodId": gid(standard)},
            {"sellerId": to_global_id("Farmer", b.product.farmer_id), "deliveryMethodId": gid(standard)},
            {"sellerId": to_global_id("Farmer", f.farmer().pk), "deliveryMethodId": gid(standard)},
        ],
        "not-a-seller": [{"sellerId": gid(a), "deliveryMethodId": gid(standard)}],
        "bad-method": [{"sellerId": seller, "deliveryMethodId": to_global_id("ShippingMethod", 999999)}],
    }[parcels]
    error = only_error(
        gql(PARCEL_DELIVERY, {"id": checkout_id(checkout), "parcels": choices}), "checkoutParcelDeliveryMethodsUpdate"
    )
    assert (error["field"], error["code"]) == ("parcels", code)
    assert not ParcelDelivery.objects.exists() and Checkout.objects.get().shipping_method is None
