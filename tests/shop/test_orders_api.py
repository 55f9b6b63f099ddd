"""Orders after checkout over GraphQL: each farmer ships their own parcel, the order's status
follows parcels and payment, cancelling returns the stock (and the money), and only the people
concerned see an order."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from payments import ledger
from payments.models import PaymentStatus
from shop.models import Fulfilment, FulfilmentStatus, Order, OrderStatus, Product, Variant
from tests import factories as f
from tests.shop.buying import gid, place_order, two_farmer_order, variant

pytestmark = pytest.mark.django_db

SHIP = """
mutation($id: ID!, $carrier: String!, $tracking: String!) {
  fulfilmentShip(id: $id, input: {carrier: $carrier, trackingNumber: $tracking}) {
    fulfilment { status carrier trackingNumber orderStatus }
    errors { field code message }
  }
}"""
DELIVER = """
mutation($id: ID!) {
  fulfilmentDeliver(id: $id) { fulfilment { status orderStatus } errors { field code message } }
}"""
CANCEL = """
mutation($id: ID!) {
  orderCancel(id: $id) {
    order { status cancelledAt fulfilments { status } payment { status amount refundedAmount } }
    errors { field code message }
  }
}"""
CONFIRM = """
mutation($id: ID!) {
  orderPaymentConfirm(id: $id, reference: "转账 0042") { order { status paidAt } errors { field code message } }
}"""
ORDER = "query($id: ID!) { order(id: $id) { id number status total } }"
TO_SHIP = "{ fulfilmentsToShip { totalCount edges { node { id sellerName orderNumber } } } }"


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


def parcel_of(order, farmer) -> Fulfilment:
    return order.fulfilments.get(farmer=farmer)


def ship(gql, user, fulfilment, carrier="顺丰", tracking="SF1234567890"):
    return gql.login(user)(SHIP, {"id": gid(fulfilment), "carrier": carrier, "tracking": tracking})


def fulfilment_state():
    return list(Fulfilment.objects.order_by("pk").values("pk", "status", "carrier", "tracking_number", "shipped_at"))


# --- Shipping ---------------------------------------------------------------------------------------


def test_each_farmer_ships_only_their_own_parcel(gql):
    """A farmer ships their parcel and sees only it; another farmer, the shopper or a visitor cannot."""
    shopper = f.user()
    order, farmer_a, farmer_b, _a, _b = two_farmer_order(user=shopper)
    parcel_a = parcel_of(order, farmer_a)
    before = fulfilment_state()

    for user in (farmer_b.user, shopper):
        error = only_error(ship(gql, user, parcel_a), "fulfilmentShip")
        assert error["code"] == "PERMISSION_DENIED"
    gql.client.logout()
    anonymous = gql(SHIP, {"id": gid(parcel_a), "carrier": "顺丰", "tracking": "SF1"})
    assert only_error(anonymous, "fulfilmentShip")["code"] == "PERMISSION_DENIED"
    assert fulfilment_state() == before

    to_ship = gql.login(farmer_a.user)(TO_SHIP)["data"]["fulfilmentsToShip"]
    assert to_ship["totalCount"] == 1 and to_ship["edges"][0]["node"]["id"] == gid(parcel_a)

    shipped = ok(ship(gql, farmer_a.user, parcel_a, carrier=" 中国 邮政 ", tracking="EA 123 456 CN"), "fulfilmentShip")
    assert shipped["fulfilment"] == {
        "status": "SHIPPED",
        "carrier": "中国 邮政",
        "trackingNumber": "EA123456CN",
        "orderStatus": "PARTIALLY_SHIPPED",
    }
    assert parcel_of(order, farmer_b).status == FulfilmentStatus.UNFULFILLED


def test_a_card_order_ships_only_once_paid(gql, settings):
    """Card money must arrive before goods leave; an unpaid Stripe order cannot ship."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # only so that card payment is offered; Stripe is never called
    order, farmer_a, _b, _va, _vb = two_farmer_order(payment_method="stripe")
    assert order.payment.status == PaymentStatus.PENDING and order.paid_at is None
    before = fulfilment_state()

    error = only_error(ship(gql, farmer_a.user, parcel_of(order, farmer_a)), "fulfilmentShip")
    assert error["code"] == "NOT_PAID"
    assert fulfilment_state() == before


def test_an_offline_order_may_ship_unpaid(gql):
    """Cash on delivery: the courier collects the money, so the parcel ships before payment."""
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    result = ok(ship(gql, farmer_a.user, parcel_of(order, farmer_a)), "fulfilmentShip")
    assert result["fulfilment"]["status"] == "SHIPPED"
    assert Order.objects.get().paid_at is None


@pytest.mark.parametrize(
    ("carrier", "tracking", "expected"),
    [
        ("", "SF1", [("carrier", "REQUIRED")]),
        ("顺丰", "   ", [("trackingNumber", "REQUIRED")]),
        (" ", "", [("carrier", "REQUIRED"), ("trackingNumber", "REQUIRED")]),
        ("顺" * 41, "SF1", [("carrier", "MAX_LENGTH")]),
        ("顺丰", "9" * 41, [("trackingNumber", "MAX_LENGTH")]),
    ],
)
def test_carrier_and_tracking_number_are_required(gql, carrier, tracking, expected):
    order, farmer_a, _b, _va, _vb = two_farmer_order()
    before = fulfilment_state()
    result = data_of(ship(gql, farmer_a.user, parcel_of(order, farmer_a), carrier, tracking), "fulfilmentShip")
    assert sorted((e["field"], e["code"]) for e in result["errors"]) == expected
    assert fulfilment_state() == before


def test_order_status_follows_payment_and_parcels(gql):
    """unpaid → paid (an operator confirms the transfer) → partly shipped → shipped → delivered."""
    shopper = f.user()
    order, farmer_a, farmer_b, _va, _vb = two_farmer_order(user=shopper)
    parcel_a, parcel_b = parcel_of(order, farmer_a), parcel_of(order, farmer_b)

    def status():
        return Order.objects.get().status

    assert status() == OrderStatus.UNPAID
    refused = only_error(gql.login(shopper)(CONFIRM, {"id": gid(order)}), "orderPaymentConfirm")
    assert refused["code"] == "PERMISSION_DENIED"
    refused = only_error(gql.login(farmer_a.user)(CONFIRM, {"id": gid(order)}), "orderPaymentConfirm")
    assert refused["code"] == "PERMISSION_DENIED"
    assert status() == OrderStatus.UNPAID and Order.objects.get().payment.status == PaymentStatus.PENDING

    staff = f.staff_user()
    confirmed = ok(gql.login(staff)(CONFIRM, {"id": gid(order)}), "orderPaymentConfirm")["order"]
    assert confirmed["status"] == "PAID" and confirmed["paidAt"]
    payment = Order.objects.get().payment
    assert (payment.status, payment.confirmed_by, payment.reference) == (PaymentStatus.SUCCEEDED, staff, "转账 0042")
    assert only_error(gql(CONFIRM, {"id": gid(order)}), "orderPaymentConfirm")["code"] == "ALREADY_PAID"

    early = only_error(gql.login(shopper)(DELIVER, {"id": gid(parcel_a)}), "fulfilmentDeliver")
    assert early["code"] == "INVALID_TRANSITION"

    assert ok(ship(gql, farmer_a.user, parcel_a), "fulfilmentShip")["fulfilment"]["orderStatus"] == "PARTIALLY_SHIPPED"
    assert only_error(ship(gql, farmer_a.user, parcel_a), "fulfilmentShip")["code"] == "INVALID_TRANSITION"
    assert ok(ship(gql, farmer_b.user, parcel_b), "fulfilmentShip")["fulfilment"]["orderStatus"] == "SHIPPED"

    stranger = only_error(gql.login(f.user())(DELIVER, {"id": gid(parcel_a)}), "fulfilmentDeliver")
    assert stranger["code"] == "PERMISSION_DENIED"
    delivered = ok(gql.login(shopper)(DELIVER, {"id": gid(parcel_a)}), "fulfilmentDeliver")["fulfilment"]
    assert delivered == {"status": "DELIVERED", "orderStatus": "SHIPPED"}
    delivered = ok(gql.login(farmer_b.user)(DELIVER, {"id": gid(parcel_b)}), "fulfilmentDeliver")["fulfilment"]
    assert delivered == {"status": "DELIVERED", "orderStatus": "DELIVERED"}
    assert status() == OrderStatus.DELIVERED


# --- Cancelling -------------------------------------------------------------------------------------


def test_owner_cancels_before_shipping_and_the_stock_returns(gql):
    """Cancelling puts the units back on sale; a product that had sold out is in stock again."""
    shopper = f.user()
    last = variant(stock=2)
    other = variant(stock=10)
    order = place_order([(last, 2), (other, 3)], user=shopper)
    assert Variant.objects.get(pk=last.pk).stock == 0 and Product.objects.get(pk=last.product_id).in_stock is False

    result = ok(gql.login(shopper)(CANCEL, {"id": gid(order)}), "orderCancel")["order"]

    assert result["status"] == "CANCELLED" and result["cancelledAt"]
    assert {x["status"] for x in result["fulfilments"]} == {"CANCELLED"}
    assert result["payment"]["status"] == "CANCELLED"
    assert Variant.objects.get(pk=last.pk).stock == 2 and Variant.objects.get(pk=other.pk).stock == 10
    assert Product.objects.get(pk=last.product_id).in_stock is True
    again = only_error(gql(CANCEL, {"id": gid(order)}), "orderCancel")
    assert again["code"] == "CANNOT_CANCEL"
    assert Variant.objects.get(pk=last.pk).stock == 2  # not returned twice


def test_only_the_owner_or_staff_cancels(gql):
    shopper = f.user()
    v = variant(stock=5)
    order = place_order([(v, 2)], user=shopper)
    guest_order = place_order([(v, 1)])

    for target in (order, guest_order):
        error = only_error(gql.login(f.user())(CANCEL, {"id": gid(target)}), "orderCancel")
        assert error["code"] == "PERMISSION_DENIED"
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.UNPAID}
    assert Variant.objects.get(pk=v.pk).stock == 2

    assert ok(gql.login(f.staff_user())(CANCEL, {"id": gid(guest_order)}), "orderCancel")["order"]["status"] == (
        "CANCELLED"
    )
    assert Variant.objects.get(pk=v.pk).stock == 3


def test_cannot_cancel_once_a_parcel_shipped(gql):
    shopper = f.user()
    order, farmer_a, _b, _va, _vb = two_farmer_order(user=shopper)
    ok(ship(gql, farmer_a.user, parcel_of(order, farmer_a)), "fulfilmentShip")
    stock = dict(Variant.objects.values_list("pk", "stock"))

    error = only_error(gql.login(shopper)(CANCEL, {"id": gid(order)}), "orderCancel")

    assert error["code"] == "CANNOT_CANCEL"
    assert Order.objects.get().status == OrderStatus.PARTIALLY_SHIPPED
    assert dict(Variant.objects.values_list("pk", "stock")) == stock


def test_cancelling_a_paid_offline_order_refunds_it_in_full(gql, settings):
    """The money goes back: the payment is refunded, and the farmers are owed nothing."""
    settings.PLATFORM_FEE_PERCENT = "3"
    shopper = f.user()
    order, farmer_a, farmer_b, _va, _vb = two_farmer_order(user=shopper)
    ok(gql.login(f.staff_user())(CONFIRM, {"id": gid(order)}), "orderPaymentConfirm")
    assert ledger.owed_to(farmer_a) > 0 and ledger.owed_to(farmer_b) > 0

    result = ok(gql.login(shopper)(CANCEL, {"id": gid(order)}), "orderCancel")["order"]

    assert result["status"] == "CANCELLED"
    assert result["payment"] == {"status": "REFUNDED", "amount": "115.30", "refundedAmount": "115.30"}
    assert ledger.owed_to(farmer_a) == 0 and ledger.owed_to(farmer_b) == 0
    assert ledger.balance(ledger.cash_account("offline")) == 0
    assert ledger.balance(ledger.fee_account()) == 0
    assert not ledger.unbalanced_transactions().exists()


def test_a_cancelled_order_cannot_ship(gql):
    shopper = f.user()
    order, farmer_a, _b, _va, _vb = two_farmer_order(user=shopper)
    ok(gql.login(shopper)(CANCEL, {"id": gid(order)}), "orderCancel")
    error = only_error(ship(gql, farmer_a.user, parcel_of(order, farmer_a)), "fulfilmentShip")
    assert error["code"] == "ORDER_CLOSED"


# --- Who sees an order -------------------------------------------------------------------------------


def test_order_is_visible_to_its_owner_and_staff_only(gql):
    shopper = f.user()
    order = place_order([(variant(price="10.00", weight_kg="0.5"), 1)], user=shopper)
    expected = {"id": gid(order), "number": order.number, "status": "UNPAID", "total": "18.00"}

    assert gql.login(shopper)(ORDER, {"id": gid(order)}) == {"data": {"order": expected}}
    assert gql.login(f.staff_user())(ORDER, {"id": gid(order)}) == {"data": {"order": expected}}

    for viewer in (f.user(), None):
        gql.client.logout()
        if viewer:
            gql.login(viewer)
        result = gql(ORDER, {"id": gid(order)})
        assert result["data"]["order"] is None
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        node = gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid(order)})
        assert node["data"]["node"] is None


def test_a_guest_follows_their_order_through_the_checkout(gql):
    """A guest has no account: the checkout's unguessable ID is how they see their order."""
    v = variant(price="10.00", weight_kg="0.5", name="核桃")
    order = place_order([(v, 2)], email="guest@example.com")
    checkout_id = to_global_id("Checkout", order.checkout_id)

    result = gql(
        "query($id: ID!) { checkout(id: $id) { isCompleted order { number status total lines { productName } } } }",
        {"id": checkout_id},
    )

    assert result == {
        "data": {
            "checkout": {
                "isCompleted": True,
                "order": {
                    "number": order.number,
                    "status": "UNPAID",
                    "total": "28.00",
                    "lines": [{"productName": "核桃"}],
                },
            }
        }
    }
    assert gql(ORDER, {"id": gid(order)})["data"]["order"] is None  # not by the order's own ID
    assert order.total == Decimal("28.00")
