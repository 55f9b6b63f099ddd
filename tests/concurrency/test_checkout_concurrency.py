"""Checkout completion under real concurrency: threads, each with its own database connection and
its own Django test client, posting `checkoutComplete` to /graphql/ at the same moment.

The rows are really committed (`transactional_db`), so each thread's connection sees them and the
database's row locks do the work they do in production. PostgreSQL only (`require_postgres`):
SQLite serialises writers, which would hide exactly what these tests look for. Every call is
released by one `threading.Barrier`, so the completions overlap rather than queue up in Python.
"""

import json
import time
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from graphql_relay import from_global_id, to_global_id

from payments import ledger
from payments.models import LedgerTransaction, Payment, PaymentStatus
from payments.shopper_payments import confirm_offline_payment
from shop.models import Checkout, Order, OrderLine, OrderStatus, ShippingMethod, ShippingRate, Variant
from tests import factories as f
from tests.concurrency.threads import ROUND_TIMEOUT, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(60)]

CREATE = """
mutation ($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) { checkout { id } errors { field code message } }
}"""

ADDRESS = """
mutation ($id: ID!, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) { errors { field code message } }
}"""

DELIVERY = """
mutation ($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) { errors { field code message } }
}"""

COMPLETE = """
mutation ($id: ID!) {
  checkoutComplete(id: $id, paymentMethod: OFFLINE) {
    order { id number total lines { quantity } }
    errors { field code message lines }
  }
}"""

ADDRESS_VALUES = {
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "street": "天河路 385 号",
    "recipient": "陈小姐",
    "phone": "13800138000",
}


# --- Helpers ----------------------------------------------------------------------------------


def post(client: Client, query: str, variables: dict) -> dict:
    """One GraphQL request; a 500 raises in the test client, anything but 200 fails here."""
    response = client.post("/graphql/", json.dumps({"query": query, "variables": variables}), "application/json")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def mutation(client: Client, name: str, query: str, variables: dict) -> dict:
    payload = post(client, query, variables)
    assert "errors" not in payload, payload
    result = payload["data"][name]
    assert result["errors"] == [], result["errors"]
    return result


def open_checkout(client: Client, method: ShippingMethod, lines: list[tuple[Variant, int]]) -> str:
    """A guest checkout ready to complete: lines (in the order given), address and delivery."""
    created = mutation(
        client,
        "checkoutCreate",
        CREATE,
        {
            "input": {
                "email": "shopper@example.com",
                "lines": [
                    {"variantId": to_global_id("ProductVariant", variant.pk), "quantity": quantity}
                    for variant, quantity in lines
                ],
            }
        },
    )
    checkout_id = created["checkout"]["id"]
    mutation(client, "checkoutShippingAddressUpdate", ADDRESS, {"id": checkout_id, "address": ADDRESS_VALUES})
    mutation(
        client,
        "checkoutDeliveryMethodUpdate",
        DELIVERY,
        {"id": checkout_id, "method": to_global_id("ShippingMethod", method.pk)},
    )
    return checkout_id


def complete(checkout_id: str) -> dict:
    """`checkoutComplete` from a client of the calling thread's own (and so its own connection)."""
    payload = post(Client(), COMPLETE, {"id": checkout_id})
    assert "errors" not in payload, f"top-level GraphQL errors: {payload['errors']}"
    return payload["data"]["checkoutComplete"]


def order_pk(result: dict) -> int:
    return int(from_global_id(result["order"]["id"])[1])


def sold(variant: Variant) -> int:
    return OrderLine.objects.filter(variant=variant).aggregate(total=Sum("quantity"))["total"] or 0


def split(results: list[dict]) -> tuple[list[int], list[int]]:
    """Indexes of the calls that placed an order and of those refused for want of stock; any other
    outcome (an order and errors at once, another error code, two errors) fails the test."""
    placed, refused = [], []
    for index, result in enumerate(results):
        if result["order"] is not None:
            assert result["errors"] == [], result
            placed.append(index)
        else:
            assert [error["code"] for error in result["errors"]] == ["INSUFFICIENT_STOCK"], result
            assert result["errors"][0]["field"] == "lines" and result["errors"][0]["lines"], result
            refused.append(index)
    return placed, refused


def assert_books_balance(orders: list[Order], confirm: int = 3) -> None:
    """(d) Nothing unbalanced is booked; then an operator confirms the offline payment of a few of
    the orders, which books them, and the ledger still balances."""
    assert list(ledger.unbalanced_transactions()) == []
    operator = f.staff_user()
    chosen = orders[:confirm]
    for order in chosen:
        payment = confirm_offline_payment(operator, Payment.objects.get(order=order))
        assert payment.status == PaymentStatus.SUCCEEDED
    assert list(ledger.unbalanced_transactions()) == []
    for order in chosen:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert LedgerTransaction.objects.filter(key=f"payment:{order.payment.pk}").count() == 1
        assert LedgerTransaction.objects.filter(key=f"fee:{order.payment.pk}").count() == 1


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def method(require_postgres, transactional_db, settings):
    """A delivery method with its price table. Made here: flushing after a transactional test
    deletes the rows the migrations created. A platform fee, so paying books fee entries too."""
    settings.PLATFORM_FEE_PERCENT = "5"
    method = ShippingMethod.objects.create(name="标准快递", extra_kg_price=Decimal("2.00"))
    ShippingRate.objects.bulk_create(
        ShippingRate(method=method, max_weight_kg=Decimal(weight), price=Decimal(price))
        for weight, price in [("1", "8.00"), ("3", "12.00"), ("5", "15.00"), ("10", "22.00")]
    )
    return method


def variant_with_stock(stock: int, seller=None, price="39.90") -> Variant:
    product = f.product(
        seller=seller,
        variants=[{"name": "5斤装", "price": Decimal(price), "stock": stock, "weight_kg": Decimal("2.5")}],
    )
    return product.variants.get()


# --- (a) Many shoppers, little stock ----------------------------------------------------------


def test_fifty_shoppers_for_ten_units_make_exactly_ten_orders(method):
    variant = variant_with_stock(10)
    client = Client()
    checkouts = [open_checkout(client, method, [(variant, 1)]) for _ in range(50)]  # all while stock is 10

    started = time.monotonic()
    results = run_together([lambda checkout_id=checkout_id: complete(checkout_id) for checkout_id in checkouts])
    elapsed = time.monotonic() - started

    placed, refused = split(results)
    variant.refresh_from_db()
    assert len(placed) == 10 and len(refused) == 40
    assert variant.stock == 0
    assert Order.objects.count() == 10
    assert sold(variant) == 10
    assert len({order_pk(results[i]) for i in placed}) == 10
    # The winners' checkouts are closed, the others still open (the shopper may change them).
    winners = [from_global_id(checkouts[i])[1] for i in placed]
    assert Checkout.objects.filter(completed_at__isnull=False).count() == 10
    assert set(map(str, Checkout.objects.filter(completed_at__isnull=False).values_list("pk", flat=True))) == set(
        winners
    )
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == 10
    variant.product.refresh_from_db()
    assert variant.product.in_stock is False  # sold out, so the catalog says so
    assert elapsed < ROUND_TIMEOUT
    assert_books_balance(list(Order.objects.order_by("pk")))


def test_shoppers_wanting_one_to_three_units_never_oversell(method):
    variant = variant_with_stock(10)
    client = Client()
    wanted = [1 + i % 3 for i in range(30)]  # 60 units asked for, 10 in stock
    checkouts = [open_checkout(client, method, [(variant, quantity)]) for quantity in wanted]

    results = run_together([lambda checkout_id=checkout_id: complete(checkout_id) for checkout_id in checkouts])

    placed, refused = split(results)
    variant.refresh_from_db()
    units_sold = sold(variant)
    assert variant.stock >= 0
    assert units_sold <= 10
    assert variant.stock + units_sold == 10
    assert units_sold == sum(wanted[i] for i in placed)
    assert [line["quantity"] for i in placed for line in results[i]["order"]["lines"]] == [wanted[i] for i in placed]
    assert Order.objects.count() == len(placed)
    # Stock only falls here, so a refusal was right only if what is left is still too little for it.
    assert refused and variant.stock < min(wanted[i] for i in refused)
    assert_books_balance(list(Order.objects.order_by("pk")))


# --- (b) Two variants taken in opposite orders ------------------------------------------------


def test_checkouts_listing_two_variants_in_opposite_orders_do_not_deadlock(method):
    """Half the carts list A then B, half B then A (two farmers, so two parcels an order). Stock is
    taken in variant-ID order, so no two completions wait on each other's rows: every call ends,
    and the totals add up. B runs out first: exactly 8 orders, each with one of A and one of B."""
    a = variant_with_stock(12, seller=f.farmer())
    b = variant_with_stock(8, seller=f.farmer(), price="25.00")
    client = Client()
    checkouts = [open_checkout(client, method, [(a, 1), (b, 1)] if i % 2 else [(b, 1), (a, 1)]) for i in range(40)]

    started = time.monotonic()
    results = run_together([lambda checkout_id=checkout_id: complete(checkout_id) for checkout_id in checkouts])
    elapsed = time.monotonic() - started

    placed, refused = split(results)
    a.refresh_from_db()
    b.refresh_from_db()
    assert len(placed) == 8 and len(refused) == 32
    assert (a.stock, b.stock) == (4, 0)
    assert (sold(a), sold(b)) == (8, 8)
    assert a.stock + sold(a) == 12 and b.stock + sold(b) == 8
    for order in Order.objects.prefetch_related("lines", "fulfilments"):
        assert sorted(line.variant_id for line in order.lines.all()) == sorted([a.pk, b.pk])
        assert order.fulfilments.count() == 2
        assert order.total == order.subtotal + order.shipping_total == Decimal("64.90") + 2 * Decimal("12.00")
    assert elapsed < ROUND_TIMEOUT
    assert_books_balance(list(Order.objects.order_by("pk")))


# --- (c) One checkout, completed many times at once -------------------------------------------


def test_one_checkout_completed_by_ten_threads_makes_one_order(method):
    variant = variant_with_stock(10)
    checkout_id = open_checkout(Client(), method, [(variant, 2)])
    checkout_pk = from_global_id(checkout_id)[1]

    results = run_together([lambda: complete(checkout_id)] * 10)

    assert all(result["errors"] == [] for result in results), results
    assert len({result["order"]["id"] for result in results}) == 1
    assert Order.objects.filter(checkout_id=checkout_pk).count() == 1
    assert Order.objects.count() == 1
    variant.refresh_from_db()
    assert variant.stock == 8 and sold(variant) == 2
    order = Order.objects.get(checkout_id=checkout_pk)
    assert Payment.objects.filter(order=order).count() == 1

    # Five operators confirm the same transfer at once: one booking, balanced.
    operators = [f.staff_user() for _ in range(5)]
    stale = Payment.objects.get(order=order)

    def confirm(operator):
        try:
            return confirm_offline_payment(operator, Payment.objects.get(pk=stale.pk)).status
        except Exception as error:  # noqa: BLE001 - "already confirmed" is a right answer for the late ones
            return getattr(error, "code", None) or repr(error)

    outcomes = run_together([lambda operator=operator: confirm(operator) for operator in operators])
    assert set(outcomes) <= {PaymentStatus.SUCCEEDED, "already_paid"}, outcomes
    assert LedgerTransaction.objects.filter(key=f"payment:{stale.pk}").count() == 1
    assert list(ledger.unbalanced_transactions()) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
