"""The seller's "orders to ship" page (/farmer/orders/): each farmer sees and ships only their own
parcel of an order; the order's status follows the parcels; the service's refusals (nothing typed,
cancelled order, card order not paid) are shown on the page and write nothing.

Orders are made through the real checkout and payment services. Errors are checked by field and
code, never by English text: the pages open in Chinese.
"""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.shopper_payments import confirm_offline_payment, refund_payment
from shop.checkout import (
    LineRequest,
    complete_checkout,
    create_checkout,
    update_delivery_method,
    update_shipping_address,
)
from shop.models import Fulfilment, FulfilmentStatus, Order, OrderStatus, ShippingMethod
from shop.orders import cancel_order
from tests import factories as f
from tests.shop.buying import ADDRESS

pytestmark = pytest.mark.django_db

LIST = reverse("seller:orders")


# --- Helpers ------------------------------------------------------------------------------------


def variant_of(seller, name, price="39.90", stock=10, weight_kg="2.5"):
    variants = [{"name": "5斤装", "price": Decimal(price), "stock": stock, "weight_kg": Decimal(weight_kg)}]
    return f.product(seller=seller, name=name, variants=variants).variants.get()


def place_order(buyer, items) -> Order:
    """An offline (cash on delivery) order, through the checkout services as a shopper makes it."""
    checkout = create_checkout(buyer, lines=[LineRequest(variant, quantity) for variant, quantity in items])
    update_shipping_address(checkout, dict(ADDRESS))
    update_delivery_method(checkout, ShippingMethod.objects.first())
    return complete_checkout(buyer, checkout, "offline")


@pytest.fixture
def buyer():
    return f.user(email="buyer@example.com")


@pytest.fixture
def two_farmers(buyer):
    """One order from two farmers: 龙大姐's kiwis (2) and 石大哥's bacon (1), one parcel each."""
    long, shi = f.farmer(name="龙大姐"), f.farmer(name="石大哥")
    # Prices whole or half yuan: on SQLite the ledger check of conftest sums amounts as floats, where
    # 174.80 - 94.80 - 80.00 is not 0 (see payments.ledger.unbalanced_transactions).
    kiwi, bacon = variant_of(long, "猕猴桃", price="39.50"), variant_of(shi, "腊肉", price="68.00")
    order = place_order(buyer, [(kiwi, 2), (bacon, 1)])
    return order, long, shi


def parcel_of(order, farmer) -> Fulfilment:
    return order.fulfilments.get(farmer=farmer)


def ship_url(parcel) -> str:
    return reverse("seller:order_ship", args=[parcel.pk])


def deliver_url(parcel) -> str:
    return reverse("seller:order_deliver", args=[parcel.pk])


def ship_data(parcel, carrier="顺丰速运", tracking="SF 1234 5678 9012", other="", **extra) -> dict:
    prefix = f"p{parcel.pk}"
    data = {f"{prefix}-carrier": carrier, f"{prefix}-carrier_other": other, f"{prefix}-tracking_number": tracking}
    return {**data, **extra}


def codes(errors) -> list[str]:
    return [error.code for error in errors.as_data()]


def field_codes(form, field) -> list[str]:
    return [error.code for error in form.errors.as_data().get(field, [])]


def snapshot(parcel) -> tuple:
    parcel.refresh_from_db()
    parcel.order.refresh_from_db()
    return parcel.status, parcel.carrier, parcel.tracking_number, parcel.shipped_at, parcel.order.status


# --- Who may use the page -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    before = snapshot(parcel)
    login = resolve_url(settings.LOGIN_URL)
    for method, url, data in (
        (client.get, LIST, {}),
        (client.post, ship_url(parcel), ship_data(parcel)),
        (client.post, deliver_url(parcel), {}),
    ):
        response = method(url, data)
        assert response.status_code == 302 and response["Location"].startswith(f"{login}?next="), url
    assert snapshot(parcel) == before


def test_shoppers_are_refused(client, two_farmers, buyer):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    client.force_login(buyer)
    assert client.get(LIST).status_code == 403
    assert client.post(ship_url(parcel), ship_data(parcel)).status_code == 403
    assert snapshot(parcel)[0] == FulfilmentStatus.UNFULFILLED


def test_the_actions_take_only_post(client, two_farmers):
    order, long, _ = two_farmers
    client.force_login(long.user)
    assert client.get(ship_url(parcel_of(order, long))).status_code == 405
    assert client.get(deliver_url(parcel_of(order, long))).status_code == 405


# --- The list -----------------------------------------------------------------------------------


def test_each_farmer_sees_only_their_own_parcel_of_a_shared_order(client, two_farmers):
    order, long, shi = two_farmers
    for farmer, mine, theirs in ((long, "猕猴桃", "腊肉"), (shi, "腊肉", "猕猴桃")):
        client.force_login(farmer.user)
        response = client.get(LIST)
        page = response.content.decode()

        assert response.status_code == 200
        assert 'lang="zh-hans"' in page and "<script" not in page
        assert response.context["tab"] == FulfilmentStatus.UNFULFILLED
        rows = response.context["rows"]
        assert [row["parcel"] for row in rows] == [parcel_of(order, farmer)]
        assert [line.product_name for line in rows[0]["parcel"].lines.all()] == [mine]
        assert mine in page and theirs not in page
        # What is needed to pack and send it: the order number, lines, money, recipient and address.
        assert order.number in page
        parcel = rows[0]["parcel"]
        assert f"¥{parcel.subtotal}" in page and f"¥{parcel.shipping_price}" in page
        assert "李雷" in page and 'href="tel:13800138000"' in page and "广东省广州市天河区天河路 100 号" in page
        # Cash on delivery: not paid yet, and it may ship.
        assert rows[0]["payment"] == "cod" and rows[0]["state"] == "ship"
        assert f'action="{ship_url(parcel)}"' in page
        assert not response.context["show_seller"]  # a farmer's own parcels: no seller column


def test_a_paid_order_says_so(client, two_farmers):
    order, long, _ = two_farmers
    confirm_offline_payment(f.staff_user(), order.payment)
    client.force_login(long.user)
    assert client.get(LIST).context["rows"][0]["payment"] == "paid"


def test_tabs_hold_parcels_by_state_with_counts_and_newest_first(client, buyer):
    farmer = f.farmer()
    kiwi = variant_of(farmer, "猕猴桃", stock=50)
    first, second, third = (place_order(buyer, [(kiwi, 1)]) for _ in range(3))
    parcels = [parcel_of(order, farmer) for order in (first, second, third)]
    client.force_login(farmer.user)
    client.post(ship_url(parcels[0]), ship_data(parcels[0]))
    client.post(ship_url(parcels[1]), ship_data(parcels[1]))
    client.post(deliver_url(parcels[1]))

    to_ship = client.get(LIST)
    assert [row["parcel"] for row in to_ship.context["rows"]] == [parcels[2]]
    assert {tab["state"]: tab["count"] for tab in to_ship.context["tabs"]} == {
        "unfulfilled": 1,
        "shipped": 1,
        "delivered": 1,
    }
    shipped = client.get(LIST, {"state": "shipped"})
    assert [row["parcel"] for row in shipped.context["rows"]] == [parcels[0]]
    assert f'action="{deliver_url(parcels[0])}"' in shipped.content.decode()
    assert "SF123456789012" in shipped.content.decode()
    delivered = client.get(LIST, {"state": "delivered"})
    assert [row["parcel"] for row in delivered.context["rows"]] == [parcels[1]]
    assert "<form" not in delivered.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    # An unknown tab is the default one.
    assert client.get(LIST, {"state": "nonsense"}).context["tab"] == "unfulfilled"

    # Newest order first.
    more = place_order(buyer, [(kiwi, 1)])
    rows = client.get(LIST).context["rows"]
    assert [row["order"] for row in rows] == [more, third]


def test_twenty_parcels_a_page(client, buyer):
    farmer = f.farmer()
    kiwi = variant_of(farmer, "猕猴桃", stock=50)
    orders = [place_order(buyer, [(kiwi, 1)]) for _ in range(21)]
    client.force_login(farmer.user)
    first = client.get(LIST)
    assert len(first.context["rows"]) == 20
    assert first.context["rows"][0]["order"] == orders[-1]
    second = client.get(LIST, {"page": "2"})
    assert [row["order"] for row in second.context["rows"]] == [orders[0]]
    assert 'href="?state=unfulfilled&amp;page=1"' in second.content.decode()


def test_the_list_runs_a_fixed_number_of_queries_whatever_its_length(client, buyer):
    """10 parcels cost the same queries as 2, on each tab: no query per parcel or per line."""
    farmer = f.farmer()
    kiwi, walnut = variant_of(farmer, "猕猴桃", stock=50), variant_of(farmer, "核桃", stock=50)
    client.force_login(farmer.user)

    def queries_per_tab() -> dict[str, int]:
        counts = {}
        for tab in ("unfulfilled", "shipped"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(LIST, {"state": tab})
            assert response.status_code == 200
            counts[tab] = len(queries)
        return counts

    def add_orders(n):
        for index in range(n):
            order = place_order(buyer, [(kiwi, 1), (walnut, 2)])
            if index % 2:
                parcel = parcel_of(order, farmer)
                assert client.post(ship_url(parcel), ship_data(parcel)).status_code == 302

    add_orders(4)  # 2 to ship, 2 shipped
    few = queries_per_tab()
    add_orders(16)  # 10 and 10
    many = queries_per_tab()
    assert len(client.get(LIST).context["rows"]) == 10
    assert many == few, (few, many)


# --- Shipping -----------------------------------------------------------------------------------


def test_shipping_moves_the_parcel_and_then_the_order(client, two_farmers):
    order, long, shi = two_farmers
    mine, theirs = parcel_of(order, long), parcel_of(order, shi)

    client.force_login(long.user)
    response = client.post(ship_url(mine), ship_data(mine, state="unfulfilled", page="1"))
    assert response.status_code == 302 and response["Location"] == LIST
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    mine.refresh_from_db()
    order.refresh_from_db()
    assert (mine.status, mine.carrier, mine.tracking_number) == ("shipped", "顺丰速运", "SF123456789012")
    assert mine.shipped_at is not None
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert snapshot(theirs)[0] == FulfilmentStatus.UNFULFILLED

    # The other farmer ships with a courier that is not in the list.
    client.force_login(shi.user)
    response = client.post(
        ship_url(theirs), ship_data(theirs, carrier="other", other="  乡村 快运 ", tracking="XC-001")
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    order.refresh_from_db()
    assert (theirs.status, theirs.carrier, theirs.tracking_number) == ("shipped", "乡村 快运", "XC-001")
    assert order.status == OrderStatus.SHIPPED


def test_a_missing_tracking_number_is_shown_on_the_form_and_nothing_is_written(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    before = snapshot(parcel)
    client.force_login(long.user)

    response = client.post(ship_url(parcel), ship_data(parcel, tracking="   "))
    assert response.status_code == 400
    form = response.context["rows"][0]["ship_form"]
    assert form.is_bound and field_codes(form, "tracking_number") == ["required"]
    page = response.content.decode()
    assert 'class="seller-field seller-field-error"' in page and 'value="顺丰速运" selected' in page
    assert snapshot(parcel) == before


def test_other_courier_without_a_name_is_an_error_beside_its_box(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    before = snapshot(parcel)
    client.force_login(long.user)

    response = client.post(ship_url(parcel), ship_data(parcel, carrier="other", other=" "))
    assert response.status_code == 400
    form = response.context["rows"][0]["ship_form"]
    assert field_codes(form, "carrier_other") == ["required"] and field_codes(form, "carrier") == []
    # Every mistake at once, not one after another.
    response = client.post(ship_url(parcel), ship_data(parcel, carrier="other", other="", tracking=""))
    form = response.context["rows"][0]["ship_form"]
    assert field_codes(form, "carrier_other") == field_codes(form, "tracking_number") == ["required"]
    # A name too long for the record: the service's limit, beside the box it was typed in.
    response = client.post(ship_url(parcel), ship_data(parcel, carrier="other", other="快" * 41))
    assert field_codes(response.context["rows"][0]["ship_form"], "carrier_other") == ["max_length"]
    # No courier chosen at all, or one not in the list: the select's own error.
    response = client.post(ship_url(parcel), ship_data(parcel, carrier=""))
    assert field_codes(response.context["rows"][0]["ship_form"], "carrier") == ["required"]
    response = client.post(ship_url(parcel), ship_data(parcel, carrier="不存在的快递"))
    assert field_codes(response.context["rows"][0]["ship_form"], "carrier") == ["invalid_choice"]
    # Too long for the waybill field: the service's limit, beside the field.
    response = client.post(ship_url(parcel), ship_data(parcel, tracking="9" * 41))
    assert field_codes(response.context["rows"][0]["ship_form"], "tracking_number") == ["max_length"]
    assert snapshot(parcel) == before


def test_another_farmer_cannot_ship_or_deliver_a_parcel_not_theirs(client, two_farmers):
    order, long, shi = two_farmers
    parcel = parcel_of(order, long)
    before = snapshot(parcel)
    for intruder in (shi, f.farmer(name="外人")):
        client.force_login(intruder.user)
        assert client.post(ship_url(parcel), ship_data(parcel)).status_code == 404
        assert client.post(deliver_url(parcel)).status_code == 404
    assert snapshot(parcel) == before

    client.force_login(long.user)
    client.post(ship_url(parcel), ship_data(parcel))
    shipped = snapshot(parcel)
    client.force_login(shi.user)
    assert client.post(deliver_url(parcel)).status_code == 404
    assert snapshot(parcel) == shipped


def test_a_cancelled_orders_parcel_cannot_be_shipped(client, two_farmers, buyer):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    client.force_login(long.user)
    form_seen = client.get(LIST).content.decode()
    assert f'action="{ship_url(parcel)}"' in form_seen
    cancel_order(buyer, order)  # while the farmer has the page open
    before = snapshot(parcel)

    response = client.post(ship_url(parcel), ship_data(parcel))
    assert response.status_code == 400
    # The parcel left "to ship": it is shown above the list with the reason, and without a form.
    assert response.context["rows"] == []
    failed = response.context["failed_row"]
    assert failed["parcel"] == parcel and failed["state"] == "closed" and failed["ship_form"] is None
    assert codes(failed["errors"]) == ["order_closed"]
    page = response.content.decode()
    assert 'role="alert"' in page and f'action="{ship_url(parcel)}"' not in page
    assert snapshot(parcel) == before and before[0] == FulfilmentStatus.CANCELLED and before[4] == "cancelled"


def test_a_refunded_orders_parcel_leaves_to_ship_and_cannot_be_shipped(client, two_farmers):
    order, long, _ = two_farmers
    staff = f.staff_user()
    refund_payment(staff, confirm_offline_payment(staff, order.payment))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    parcel = parcel_of(order, long)
    client.force_login(long.user)

    response = client.get(LIST)
    assert response.context["rows"] == [] and response.context["tabs"][0]["count"] == 0
    before = snapshot(parcel)
    response = client.post(ship_url(parcel), ship_data(parcel))
    assert response.status_code == 400
    assert codes(response.context["failed_row"]["errors"]) == ["order_closed"]
    assert snapshot(parcel) == before


def test_a_card_order_waits_for_its_payment(client, two_farmers):
    order, long, _ = two_farmers
    Order.objects.filter(pk=order.pk).update(payment_method="stripe")  # as if paid by card, not yet paid
    parcel = parcel_of(order, long)
    client.force_login(long.user)

    row = client.get(LIST).context["rows"][0]
    assert (row["payment"], row["state"], row["ship_form"]) == ("unpaid", "wait", None)
    before = snapshot(parcel)
    response = client.post(ship_url(parcel), ship_data(parcel))
    assert response.status_code == 400
    assert codes(response.context["rows"][0]["errors"]) == ["not_paid"]
    assert snapshot(parcel) == before


def test_shipping_twice_is_refused(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    client.force_login(long.user)
    client.post(ship_url(parcel), ship_data(parcel))
    shipped = snapshot(parcel)

    response = client.post(ship_url(parcel), ship_data(parcel, tracking="SF999"), follow=False)
    assert response.status_code == 400
    assert codes(response.context["failed_row"]["errors"]) == ["invalid_transition"]
    assert snapshot(parcel) == shipped


# --- Delivery -----------------------------------------------------------------------------------


def test_delivering_moves_the_parcel_and_then_the_order(client, two_farmers):
    order, long, shi = two_farmers
    mine, theirs = parcel_of(order, long), parcel_of(order, shi)
    for farmer, parcel in ((long, mine), (shi, theirs)):
        client.force_login(farmer.user)
        client.post(ship_url(parcel), ship_data(parcel))

    client.force_login(long.user)
    response = client.post(deliver_url(mine), {"state": "shipped"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?state=shipped"
    mine.refresh_from_db()
    order.refresh_from_db()
    assert mine.status == FulfilmentStatus.DELIVERED and mine.delivered_at is not None
    assert order.status == OrderStatus.SHIPPED

    client.force_login(shi.user)
    client.post(deliver_url(theirs))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_an_unshipped_parcel_cannot_be_delivered(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    before = snapshot(parcel)
    client.force_login(long.user)
    response = client.post(deliver_url(parcel))
    assert response.status_code == 400
    assert codes(response.context["rows"][0]["errors"]) == ["invalid_transition"]
    assert snapshot(parcel) == before


# --- Cooperatives and staff ---------------------------------------------------------------------


def test_a_cooperative_manager_ships_for_members_and_the_cooperative(client, buyer):
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member = f.farmer(name="社员王", cooperative=coop)
    outsider = f.farmer(name="外人")
    items = [(variant_of(member, "茶叶"), 1), (variant_of(coop, "菌菇"), 1), (variant_of(outsider, "蜂蜜"), 1)]
    order = place_order(buyer, items)
    client.force_login(manager)

    response = client.get(LIST)
    rows = response.context["rows"]
    assert {row["parcel"].seller_name for row in rows} == {"社员王", coop.name}
    assert response.context["show_seller"] and "蜂蜜" not in response.content.decode()
    for row in rows:
        assert client.post(ship_url(row["parcel"]), ship_data(row["parcel"])).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    outsiders = parcel_of(order, outsider)
    assert client.post(ship_url(outsiders), ship_data(outsiders)).status_code == 404


def test_staff_may_act_on_any_parcel(client, two_farmers):
    order, long, _ = two_farmers
    parcel = parcel_of(order, long)
    client.force_login(f.staff_user())
    assert client.post(ship_url(parcel), ship_data(parcel)).status_code == 302
    assert snapshot(parcel)[0] == FulfilmentStatus.SHIPPED
