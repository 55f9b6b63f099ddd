"""Each size's weight: typed in 斤 on the farmer's forms, stored in kilograms, required, more than 0
and at most 100 斤 (50 kg), refused with a Chinese note beside the field; the API refuses a missing or
0 weight too; sizes listed before weights were asked for are flagged to their farmer; and a 5 斤 box
is shipped at the price of 2.5 kg, not of an empty parcel."""

from decimal import Decimal

import pytest
from django.urls import reverse
from graphql_relay import to_global_id

from shop.models import Product, ShippingMethod, Variant
from shop.shipping import parcel_price
from tests import factories as f
from tests.shop import buying

pytestmark = pytest.mark.django_db

NEW = reverse("seller:product_new")
LIST = reverse("seller:products")


def listing(category, weight) -> dict:
    data = {
        "name": "赣南脐橙",
        "category": str(category.pk),
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "20",
        "variants-0-name": "5斤装",
        "variants-0-price": "39.90",
        "variants-0-stock": "20",
    }
    if weight is not None:
        data["variants-0-weight"] = weight
    return data


@pytest.fixture
def farmer():
    return f.farmer()


@pytest.fixture
def citrus():
    return f.category(name="柑橘", parent=f.category(name="水果"))


def weightless(farmer, name="老规格的货"):
    """A size listed before weights were asked for."""
    product = f.product(seller=farmer, name=name)
    Variant.objects.filter(product=product).update(weight_kg=Decimal("0"))
    return product, product.variants.get()


# --- The listing form ---------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "kg"), [("5", "2.500"), ("2.5", "1.250"), ("5斤", "2.500"), ("１００", "50.000")])
def test_the_listing_form_saves_the_weight_typed_in_jin_as_kilograms(client, farmer, citrus, typed, kg):
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, typed))
    assert response.status_code == 302
    assert Variant.objects.get().weight_kg == Decimal(kg)


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        (None, "required", "请填一份重几斤，运费按它算。"),
        ("", "required", "请填一份重几斤，运费按它算。"),
        ("0", "invalid", "重量要大于 0 斤。"),
        ("-5", "invalid", "重量要大于 0 斤。"),
        ("101", "invalid", "一份最多 100 斤（50 公斤）。"),
        ("5000", "invalid", "一份最多 100 斤（50 公斤）。"),
        ("2.555", "invalid", "最多两位小数，像 2.5 这样。"),
        ("五斤", "invalid", "只填斤数，像 5 或 2.5 这样。"),
    ],
)
def test_the_listing_form_refuses_a_bad_weight_beside_its_field_and_writes_nothing(
    client, farmer, citrus, typed, code, message
):
    client.force_login(farmer.user)
    response = client.post(NEW, listing(citrus, typed))
    assert response.status_code == 200
    row = response.context["formset"].forms[0]
    assert [error.code for error in row.errors.as_data()["weight"]] == [code]
    assert message in response.content.decode()
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_the_listing_form_asks_for_the_weight_in_jin(client, farmer):
    client.force_login(farmer.user)
    page = client.get(NEW).content.decode()
    assert 'name="variants-0-weight"' in page and "一份重几斤" in page


# --- Changing a size ----------------------------------------------------------------------------


def test_a_size_row_of_my_products_shows_and_saves_its_weight(client, farmer):
    variant = f.product(seller=farmer).variants.get()  # 2.5 kg
    client.force_login(farmer.user)
    assert f'name="v{variant.pk}-weight" value="5"' in client.get(LIST).content.decode()
    data = {f"v{variant.pk}-price": "39.90", f"v{variant.pk}-weight": "10", f"v{variant.pk}-stock": "10"}
    assert client.post(reverse("seller:variant_update", args=[variant.pk]), data).status_code == 302
    variant.refresh_from_db()
    assert variant.weight_kg == Decimal("5.000")


@pytest.mark.parametrize("typed", ["", "0", "-1", "101"])
def test_a_size_row_refuses_a_bad_weight_and_keeps_the_old_values(client, farmer, typed):
    variant = f.product(seller=farmer).variants.get()
    client.force_login(farmer.user)
    data = {f"v{variant.pk}-price": "45.00", f"v{variant.pk}-weight": typed, f"v{variant.pk}-stock": "3"}
    response = client.post(reverse("seller:variant_update", args=[variant.pk]), data)
    assert response.status_code == 200
    assert "weight" in response.context["rows"][0]["variants"][0][1].errors
    variant.refresh_from_db()
    assert (variant.price, variant.weight_kg, variant.stock) == (Decimal("39.90"), Decimal("2.500"), 10)


# --- Sizes without a weight ---------------------------------------------------------------------


def test_my_products_flags_each_product_with_a_size_without_weight(client, farmer):
    product, _variant = weightless(farmer)
    fine = f.product(seller=farmer, name="新货")
    client.force_login(farmer.user)
    response = client.get(LIST)
    page = response.content.decode()
    assert page.count("有规格没填重量，运费会算错，请补上") == 1
    edit = reverse("seller:product_edit", args=[product.pk])
    assert f'href="{edit}#sizes"' in page
    assert f'href="{reverse("seller:product_edit", args=[fine.pk])}#sizes"' not in page
    flags = {row["product"].pk: row["needs_weight"] for row in response.context["rows"]}
    assert flags == {product.pk: True, fine.pk: False}


def test_the_edit_page_marks_the_weight_field_of_a_size_without_weight(client, farmer):
    product, variant = weightless(farmer)
    other = Variant.objects.create(product=product, name="10斤装", price=Decimal("69"), stock=1, weight_kg=5)
    client.force_login(farmer.user)
    page = client.get(reverse("seller:product_edit", args=[product.pk])).content.decode()
    assert 'id="sizes"' in page
    marked = page.split(f'name="v{variant.pk}-weight"')[0].rsplit('<div class="seller-field', 1)[1]
    assert marked.startswith(" seller-field-error") and "还没填，运费会算错，请补上。" in marked
    unmarked = page.split(f'name="v{other.pk}-weight"')[0].rsplit('<div class="seller-field', 1)[1]
    assert not unmarked.startswith(" seller-field-error")
    assert f'name="v{variant.pk}-weight" inputmode="decimal"' in page  # blank: nothing to keep
    assert f'name="v{other.pk}-weight" value="10"' in page


def test_the_edit_page_saves_a_weight_and_comes_back(client, farmer):
    product, variant = weightless(farmer)
    client.force_login(farmer.user)
    edit = reverse("seller:product_edit", args=[product.pk])
    data = {
        f"v{variant.pk}-price": "39.90",
        f"v{variant.pk}-weight": "5",
        f"v{variant.pk}-stock": "10",
        f"v{variant.pk}-back": "edit",
    }
    response = client.post(reverse("seller:variant_update", args=[variant.pk]), data)
    assert response.status_code == 302 and response["Location"] == edit
    variant.refresh_from_db()
    assert variant.weight_kg == Decimal("2.500")
    assert "有规格没填重量" not in client.get(LIST).content.decode()


def test_a_refused_weight_on_the_edit_page_is_shown_there(client, farmer):
    _product, variant = weightless(farmer)
    client.force_login(farmer.user)
    data = {
        f"v{variant.pk}-price": "39.90",
        f"v{variant.pk}-weight": "0",
        f"v{variant.pk}-stock": "10",
        f"v{variant.pk}-back": "edit",
    }
    response = client.post(reverse("seller:variant_update", args=[variant.pk]), data)
    assert response.status_code == 200
    assert response.templates[0].name == "seller/product_edit.html"
    assert "重量要大于 0 斤。" in response.content.decode()
    variant.refresh_from_db()
    assert variant.weight_kg == 0


def test_another_farmers_size_cannot_be_changed(client, farmer):
    _product, variant = weightless(f.farmer())
    client.force_login(farmer.user)
    data = {f"v{variant.pk}-price": "1.00", f"v{variant.pk}-weight": "5", f"v{variant.pk}-stock": "1"}
    assert client.post(reverse("seller:variant_update", args=[variant.pk]), data).status_code == 404
    variant.refresh_from_db()
    assert variant.weight_kg == 0


# --- The API ------------------------------------------------------------------------------------

VARIANT_CREATE = """
mutation($product: ID!, $input: ProductVariantInput!) {
  productVariantCreate(product: $product, input: $input) { variant { weightKg } errors { field code message } }
}"""


@pytest.mark.parametrize(
    ("weight", "code"),
    [(None, "REQUIRED"), ("0", "INVALID"), ("-1", "INVALID"), ("50.001", "INVALID"), ("1.0001", "INVALID")],
)
def test_the_api_refuses_a_missing_or_impossible_weight(gql, farmer, weight, code):
    product = f.product(seller=farmer)
    given = {"name": "10斤装", "price": "69.00", "stock": 1}
    if weight is not None:
        given["weightKg"] = weight
    result = gql.login(farmer.user)(VARIANT_CREATE, {"product": to_global_id("Product", product.pk), "input": given})
    errors = result["data"]["productVariantCreate"]["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [("weightKg", code)]
    assert product.variants.count() == 1


def test_the_api_takes_a_weight_in_kilograms(gql, farmer):
    product = f.product(seller=farmer)
    given = {"name": "10斤装", "price": "69.00", "stock": 1, "weightKg": "5"}
    result = gql.login(farmer.user)(VARIANT_CREATE, {"product": to_global_id("Product", product.pk), "input": given})
    assert result["data"]["productVariantCreate"] == {"variant": {"weightKg": "5.000"}, "errors": []}


# --- Shipping -----------------------------------------------------------------------------------


def test_a_5_jin_box_listed_through_the_form_is_shipped_in_the_up_to_3_kg_bracket(client, farmer, citrus):
    """The table: up to 1 kg ¥8, up to 3 kg ¥12, up to 5 kg ¥15. With no weight the box went at ¥8."""
    method = buying.shipping_method()
    client.force_login(farmer.user)
    assert client.post(NEW, listing(citrus, "5")).status_code == 302
    variant = Variant.objects.get()
    assert parcel_price(method, variant.weight_kg) == Decimal("12.00")
    assert parcel_price(method, Decimal("0")) == Decimal("8.00")

    order = buying.place_order([(variant, 1)], method=ShippingMethod.objects.get(pk=method.pk))
    parcel = order.fulfilments.get()
    assert (parcel.weight_kg, parcel.shipping_price) == (Decimal("2.500"), Decimal("12.00"))
    two = buying.place_order([(variant, 2)], method=method).fulfilments.get()
    assert (two.weight_kg, two.shipping_price) == (Decimal("5.000"), Decimal("15.00"))
