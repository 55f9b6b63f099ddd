"""Catalog mutations: who may change what, every bad input a clear error, and no partial writes."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from farmers.models import VerificationState
from shop.models import Product, Variant
from tests import factories as f

pytestmark = pytest.mark.django_db

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id name isPublished minPrice inStock variants { name price stock weightKg } farmer { name } }
    errors { field code message }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: ProductUpdateInput!) {
  productUpdate(id: $id, input: $input) { product { name isPublished } errors { field code message } }
}"""
DELETE = "mutation($id: ID!) { productDelete(id: $id) { deletedId errors { field code message } } }"
VARIANT_CREATE = """
mutation($product: ID!, $input: ProductVariantInput!) {
  productVariantCreate(product: $product, input: $input) {
    variant { name price stock } product { minPrice inStock } errors { field code message }
  }
}"""
VARIANT_UPDATE = """
mutation($id: ID!, $input: ProductVariantUpdateInput!) {
  productVariantUpdate(id: $id, input: $input) {
    variant { price stock } product { minPrice inStock } errors { field code message }
  }
}"""


def gid(obj) -> str:
    names = {"Variant": "ProductVariant"}
    return to_global_id(names.get(type(obj).__name__, type(obj).__name__), obj.pk)


def product_input(category_obj, **extra):
    data = {
        "name": "赣南脐橙",
        "category": gid(category_obj),
        "description": "果园在山坡上，阳光充足。",
        "harvestDate": "2026-11-10",
        "isPublished": True,
        "variants": [
            {"name": "5斤装", "price": "39.90", "stock": 20, "weightKg": "2.6"},
            {"name": "10斤装", "price": "69.00", "stock": 0, "weightKg": "5.2"},
        ],
    }
    data.update(extra)
    return data


def errors_of(result, mutation):
    assert "errors" not in result, result
    return result["data"][mutation]["errors"]


def only_error(result, mutation):
    errors = errors_of(result, mutation)
    assert len(errors) == 1, errors
    assert errors[0]["message"]
    return errors[0]["field"], errors[0]["code"]


# --- Creating ---------------------------------------------------------------------------------


def test_verified_farmer_lists_a_product(gql):
    farmer = f.farmer()
    result = gql.login(farmer.user)(CREATE, {"input": product_input(f.category())})

    assert errors_of(result, "productCreate") == []
    product = result["data"]["productCreate"]["product"]
    assert product["isPublished"] is True and product["minPrice"] == "39.90" and product["inStock"] is True
    assert product["farmer"]["name"] == farmer.name
    assert [v["price"] for v in product["variants"]] == ["39.90", "69.00"]
    saved = Product.objects.get()
    assert saved.village == farmer.village and saved.created_by == farmer.user


def test_json_number_price_is_read_exactly(gql):
    farmer = f.farmer()
    data = product_input(f.category(), variants=[{"name": "箱", "price": 39.9, "stock": 1, "weightKg": "1"}])
    result = gql.login(farmer.user)(CREATE, {"input": data})
    assert errors_of(result, "productCreate") == []
    assert Variant.objects.get().price == Decimal("39.90")


def test_pending_farmer_cannot_publish_but_can_prepare(gql):
    farmer = f.farmer(state=VerificationState.PENDING)
    gql.login(farmer.user)
    result = gql(CREATE, {"input": product_input(f.category())})
    assert only_error(result, "productCreate") == ("isPublished", "SELLER_NOT_VERIFIED")
    assert not Product.objects.exists() and not Variant.objects.exists()

    draft = gql(CREATE, {"input": product_input(f.category(), isPublished=False)})
    assert errors_of(draft, "productCreate") == []
    assert Product.objects.get().is_published is False


@pytest.mark.parametrize(
    ("variant", "field", "code"),
    [
        ({"name": "箱", "price": "-1.00", "stock": 1, "weightKg": "1"}, "variants.0.price", "INVALID_PRICE"),
        ({"name": "箱", "price": "0", "stock": 1, "weightKg": "1"}, "variants.0.price", "INVALID_PRICE"),
        ({"name": "箱", "price": "12.345", "stock": 1, "weightKg": "1"}, "variants.0.price", "INVALID_PRICE"),
        ({"name": "箱", "price": "1e12", "stock": 1, "weightKg": "1"}, "variants.0.price", "INVALID_PRICE"),
        ({"name": "箱", "price": "10.00", "stock": -3, "weightKg": "1"}, "variants.0.stock", "INVALID_STOCK"),
        ({"name": "箱", "price": "10.00", "stock": 1, "weightKg": "-2"}, "variants.0.weightKg", "INVALID"),
        ({"name": "箱" * 41, "price": "10.00", "stock": 1, "weightKg": "1"}, "variants.0.name", "MAX_LENGTH"),
        ({"name": "", "price": "10.00", "stock": 1, "weightKg": "1"}, "variants.0.name", "REQUIRED"),
    ],
)
def test_bad_variant_values_are_refused_and_nothing_is_written(gql, variant, field, code):
    farmer = f.farmer()
    good = {"name": "好的", "price": "10.00", "stock": 1, "weightKg": "1"}
    result = gql.login(farmer.user)(CREATE, {"input": product_input(f.category(), variants=[variant, good])})
    assert only_error(result, "productCreate") == (field, code)
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_a_bad_second_variant_writes_nothing(gql):
    farmer = f.farmer()
    variants = [
        {"name": "好的", "price": "10.00", "stock": 1, "weightKg": "1"},
        {"name": "坏的", "price": "-1", "stock": 1, "weightKg": "1"},
    ]
    result = gql.login(farmer.user)(CREATE, {"input": product_input(f.category(), variants=variants)})
    assert only_error(result, "productCreate") == ("variants.1.price", "INVALID_PRICE")
    assert not Product.objects.exists() and not Variant.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"name": "橙" * 121}, "name", "MAX_LENGTH"),
        ({"name": "   "}, "name", "REQUIRED"),
        ({"category": "not-an-id"}, "category", "INVALID"),
        ({"category": to_global_id("Village", 1)}, "category", "INVALID"),
        ({"category": to_global_id("Category", 424242)}, "category", "NOT_FOUND"),
        ({"farmer": to_global_id("Farmer", 424242)}, "farmer", "NOT_FOUND"),
    ],
)
def test_bad_product_fields(gql, change, field, code):
    result = gql.login(f.farmer().user)(CREATE, {"input": product_input(f.category(), **change)})
    assert only_error(result, "productCreate") == (field, code)
    assert not Product.objects.exists()


def test_price_typed_as_words_is_a_graphql_error(gql):
    data = product_input(f.category(), variants=[{"name": "箱", "price": "三十", "stock": 1, "weightKg": "1"}])
    result = gql.login(f.farmer().user)(CREATE, {"input": data})
    assert "price" in result["errors"][0]["message"]
    assert not Product.objects.exists()


def test_anonymous_and_shoppers_cannot_list(gql):
    result = gql(CREATE, {"input": product_input(f.category())})
    assert only_error(result, "productCreate") == (None, "PERMISSION_DENIED")
    result = gql.login(f.user())(CREATE, {"input": product_input(f.category())})
    assert only_error(result, "productCreate") == (None, "PERMISSION_DENIED")
    assert not Product.objects.exists()


def test_farmer_cannot_list_for_another_farmer(gql):
    other = f.farmer()
    result = gql.login(f.farmer().user)(CREATE, {"input": product_input(f.category(), farmer=gid(other))})
    assert only_error(result, "productCreate") == (None, "PERMISSION_DENIED")
    assert not Product.objects.exists()


def test_cooperative_manager_lists_for_a_member_and_the_listing_records_who(gql):
    manager = f.user()
    coop = f.cooperative(manager=manager)
    member = f.farmer(cooperative=coop, with_user=False)
    outsider = f.farmer()
    gql.login(manager)

    result = gql(CREATE, {"input": product_input(f.category(), farmer=gid(member))})
    assert errors_of(result, "productCreate") == []
    product = Product.objects.get()
    assert product.farmer == member and product.created_by == manager

    refused = gql(CREATE, {"input": product_input(f.category(), farmer=gid(outsider))})
    assert only_error(refused, "productCreate") == (None, "PERMISSION_DENIED")
    own = gql(CREATE, {"input": product_input(f.category(), cooperative=gid(coop))})
    assert errors_of(own, "productCreate") == []
    assert Product.objects.filter(cooperative=coop).count() == 1


def test_staff_lists_for_any_farmer(gql):
    farmer = f.farmer()
    result = gql.login(f.staff_user())(CREATE, {"input": product_input(f.category(), farmer=gid(farmer))})
    assert errors_of(result, "productCreate") == []


# --- Changing ---------------------------------------------------------------------------------


def test_farmer_updates_own_product(gql):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    result = gql.login(farmer.user)(UPDATE, {"id": gid(product), "input": {"name": "新名字", "isPublished": False}})
    assert errors_of(result, "productUpdate") == []
    product.refresh_from_db()
    assert product.name == "新名字" and product.is_published is False


def test_another_farmers_product_cannot_be_changed_or_deleted(gql):
    product = f.product(name="原名")
    gql.login(f.farmer().user)
    assert only_error(gql(UPDATE, {"id": gid(product), "input": {"name": "偷改"}}), "productUpdate") == (
        None,
        "PERMISSION_DENIED",
    )
    assert only_error(gql(DELETE, {"id": gid(product)}), "productDelete") == (None, "PERMISSION_DENIED")
    variant = product.variants.get()
    assert only_error(
        gql(VARIANT_UPDATE, {"id": gid(variant), "input": {"price": "1.00"}}), "productVariantUpdate"
    ) == (None, "PERMISSION_DENIED")
    product.refresh_from_db()
    variant.refresh_from_db()
    assert product.name == "原名" and variant.price == Decimal("39.90")


def test_suspended_farmer_cannot_republish(gql):
    farmer = f.farmer()
    product = f.product(seller=farmer, published=False)
    farmer.verification_state = VerificationState.SUSPENDED
    farmer.save()
    result = gql.login(farmer.user)(UPDATE, {"id": gid(product), "input": {"isPublished": True}})
    assert only_error(result, "productUpdate") == ("isPublished", "SELLER_NOT_VERIFIED")
    product.refresh_from_db()
    assert product.is_published is False


@pytest.mark.parametrize("bad_id", ["", "!!", to_global_id("Product", "x"), to_global_id("Farmer", 1)])
def test_malformed_ids(gql, bad_id):
    result = gql.login(f.farmer().user)(UPDATE, {"id": bad_id, "input": {"name": "x"}})
    assert only_error(result, "productUpdate") == ("id", "INVALID")


def test_unknown_id(gql):
    result = gql.login(f.farmer().user)(DELETE, {"id": to_global_id("Product", 987654)})
    assert only_error(result, "productDelete") == ("id", "NOT_FOUND")


def test_delete_own_product(gql):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    result = gql.login(farmer.user)(DELETE, {"id": gid(product)})
    assert errors_of(result, "productDelete") == []
    assert result["data"]["productDelete"]["deletedId"] == gid(product)
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_variant_create_and_update_keep_the_summary(gql):
    farmer = f.farmer()
    product = f.product(
        seller=farmer, variants=[{"name": "5斤", "price": Decimal("30.00"), "stock": 0, "weight_kg": Decimal("2.5")}]
    )
    assert product.in_stock is False
    gql.login(farmer.user)

    created = gql(
        VARIANT_CREATE,
        {"product": gid(product), "input": {"name": "2斤", "price": "12.50", "stock": 4, "weightKg": "1"}},
    )
    assert errors_of(created, "productVariantCreate") == []
    assert created["data"]["productVariantCreate"]["product"] == {"minPrice": "12.50", "inStock": True}

    variant = product.variants.get(name="2斤")
    updated = gql(VARIANT_UPDATE, {"id": gid(variant), "input": {"price": "45.00", "stock": 0}})
    assert errors_of(updated, "productVariantUpdate") == []
    assert updated["data"]["productVariantUpdate"]["product"] == {"minPrice": "30.00", "inStock": False}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"price": "-5"}, "price", "INVALID_PRICE"),
        ({"price": "9.999"}, "price", "INVALID_PRICE"),
        ({"stock": -1}, "stock", "INVALID_STOCK"),
        ({"name": "x" * 41}, "name", "MAX_LENGTH"),
    ],
)
def test_variant_update_bad_values_change_nothing(gql, change, field, code):
    farmer = f.farmer()
    variant = f.product(seller=farmer).variants.get()
    result = gql.login(farmer.user)(VARIANT_UPDATE, {"id": gid(variant), "input": {"stock": 99, **change}})
    assert only_error(result, "productVariantUpdate") == (field, code)
    variant.refresh_from_db()
    assert (variant.price, variant.stock, variant.name) == (Decimal("39.90"), 10, "5斤装")


def test_variant_create_with_bad_price_writes_nothing(gql):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    result = gql.login(farmer.user)(
        VARIANT_CREATE, {"product": gid(product), "input": {"name": "箱", "price": "1.001"}}
    )
    assert only_error(result, "productVariantCreate") == ("price", "INVALID_PRICE")
    assert product.variants.count() == 1


@pytest.mark.parametrize("price", ["1e26", "1E+27", "1e30"])
def test_prices_too_large_to_quantize_are_refused(gql, price):
    data = product_input(f.category(), variants=[{"name": "箱", "price": price, "stock": 1, "weightKg": "1"}])
    result = gql.login(f.farmer().user)(CREATE, {"input": data})
    assert only_error(result, "productCreate") == ("variants.0.price", "INVALID_PRICE")
    assert not Product.objects.exists()
