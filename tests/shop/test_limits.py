"""Prices and quantities are bounded so that every total fits its column (issue 18, defect 11: a
cart of 200 x 99,999,999.99 overflowed `numeric(12, 2)` at completion). The bounds live in
`shop.limits`; the columns are read from the models, so shrinking one breaks this test."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import translation
from graphql_relay import to_global_id

from promotion import campaigns
from shop import limits
from shop.models import Order, Product, Variant
from tests import factories as f
from tests.shop.buying import ready_checkout, variant
from tests.shop.test_checkout_api import COMPLETE, checkout_id, ok

pytestmark = pytest.mark.django_db

WORST_ORDER = limits.MAX_CHECKOUT_LINES * limits.MAX_LINE_QUANTITY * limits.MAX_PRICE + limits.SHIPPING_ALLOWANCE


def column_max(model, name: str) -> Decimal:
    field = model._meta.get_field(name)
    return limits.largest(field.max_digits, field.decimal_places)


def test_the_worst_order_fits_every_order_amount_column():
    """Every 2-place Decimal column of shop and payments holds at least an order's largest total,
    except the per-unit and per-parcel ones, which hold their own worst case."""
    per_unit = {
        ("shop", "product", "min_price"),
        ("shop", "variant", "price"),
        ("shop", "orderline", "unit_price"),
        ("shop", "checkoutline", "price_seen"),
    }
    per_parcel = {("shop", "fulfilment", "shipping_price")}
    operator_set = {("shop", "shippingmethod", "extra_kg_price"), ("shop", "shippingrate", "price")}
    fees = {("payments", "payment", "provider_fee")}
    checked = 0
    for app in ("shop", "payments"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if not isinstance(field, models.DecimalField) or field.decimal_places != 2:
                    continue
                key = (app, model._meta.model_name, field.name)
                largest = limits.largest(field.max_digits, field.decimal_places)
                if key in per_unit:
                    assert largest >= limits.MAX_PRICE, key
                elif key in per_parcel:
                    assert largest >= limits.SHIPPING_ALLOWANCE, key
                elif key not in operator_set | fees:
                    assert largest >= WORST_ORDER, key
                    checked += 1
    assert checked >= 8  # order, line, parcel, payment, refund, payout, dispute, ledger amounts
    assert column_max(Order, "total") == limits.MAX_ORDER_AMOUNT


def test_campaign_bounds_are_their_columns():
    from promotion.models import Campaign, Click, Spend

    assert campaigns.MAX_BID == column_max(Campaign, "bid") <= column_max(Click, "cost")
    assert column_max(Spend, "amount") >= campaigns.MAX_BID
    assert campaigns.MAX_CAP == column_max(Campaign, "daily_cap") == column_max(Campaign, "total_cap")


def test_the_largest_cart_at_the_highest_price_completes(gql):
    """200 units at the highest price: 40,000,000 yuan, placed, with every total exact."""
    v = variant(price=str(limits.MAX_PRICE), stock=200, weight_kg="0.5")
    checkout = ready_checkout([(v, 200)])
    order = ok(gql(COMPLETE, {"id": checkout_id(checkout), "method": "OFFLINE"}), "checkoutComplete")["order"]
    assert order["subtotal"] == "40000000.00"
    assert Order.objects.get().subtotal == Decimal("40000000.00")


CREATE = """mutation($input: ProductCreateInput!) {
  productCreate(input: $input) { product { id } errors { field code message } } }"""


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "The price can be at most 200,000.00 yuan."), ("zh-hans", "价格最多 200,000.00 元。")],
)
def test_a_price_above_the_bound_is_refused_where_it_is_typed(client, gql, language, message):
    """The issue's 99,999,999.99 never reaches a cart: the listing refuses it, naming the field."""
    farmer = f.farmer()
    gql.login(farmer.user)
    data = {
        "name": "脐橙",
        "category": to_global_id("Category", f.category().pk),
        "variants": [
            {"name": "箱", "price": "1", "weightKg": "1"},
            {"name": "大箱", "price": "99999999.99", "weightKg": "1"},
        ],
    }
    with translation.override(language):
        client.cookies["django_language"] = language
        result = gql(CREATE, {"input": data}, HTTP_ACCEPT_LANGUAGE=language)
    errors = result["data"]["productCreate"]["errors"]
    assert errors == [{"field": "variants.1.price", "code": "INVALID_PRICE", "message": message}]
    assert not Product.objects.exists()


def test_the_highest_price_itself_is_accepted(gql):
    gql.login(f.farmer().user)
    data = {
        "name": "脐橙",
        "category": to_global_id("Category", f.category().pk),
        "variants": [{"name": "箱", "price": "200000.00", "weightKg": "1"}],
    }
    assert gql(CREATE, {"input": data})["data"]["productCreate"]["errors"] == []
    assert Variant.objects.get().price == limits.MAX_PRICE


def test_the_model_and_the_database_refuse_a_price_above_the_bound():
    v = variant(price="10")
    v.price = limits.MAX_PRICE + Decimal("0.01")
    with pytest.raises(ValidationError) as refused:
        v.full_clean()
    assert set(refused.value.message_dict) == {"price"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.filter(pk=v.pk).update(price=Decimal("99999999.99"))
