"""What a product card shows beside the product (its category, its village and its sellers'
villages, the lists `listed_variants` and `ready_images`), loaded by `shop.selectors` from
statements compiled once (PostgreSQL), must be what Django's prefetching loads: the same objects,
the lists in the same order, each item knowing its product, one query each."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop import selectors
from shop.models import ImageStatus, Product, ProductImage
from tests import factories


def _variant(name, price, stock):
    return {"name": name, "price": Decimal(price), "stock": stock, "weight_kg": Decimal("1.0")}


def _image(product, status, position, name):
    return ProductImage.objects.create(product=product, status=status, position=position, small=f"products/{name}.jpg")


@pytest.fixture
def shelf():
    """Products with variants and photos out of order, some photos not ready, one product bare."""
    tea = factories.product(variants=[_variant("5 kg", "55.00", 2), _variant("1 kg", "12.50", 5)])
    honey = factories.product(variants=[_variant("罐", "88.00", 0), _variant("箱", "300.00", 1)])
    # The seller moved the first variant down: position, not id, orders the list.
    tea.variants.filter(name="5 kg").update(position=3)
    tea.variants.filter(name="1 kg").update(position=1)
    bare = factories.product(seller=factories.cooperative())
    _image(tea, ImageStatus.READY, 2, "tea-b")
    _image(tea, ImageStatus.PENDING, 0, "tea-pending")
    _image(tea, ImageStatus.READY, 1, "tea-a")
    _image(tea, ImageStatus.FAILED, 1, "tea-failed")
    _image(honey, ImageStatus.READY, 0, "honey")
    return [tea, honey, bare]


def _expected(product):
    """What Django's own prefetching (or plain queries) give."""
    return (
        [v.pk for v in product.variants.order_by("position", "id")],
        [i.pk for i in product.images.filter(status=ImageStatus.READY).order_by("position", "id")],
    )


def _loaded(products):
    return {
        product.pk: ([v.pk for v in product.listed_variants], [i.pk for i in product.ready_images])
        for product in products
    }


@pytest.mark.django_db
def test_the_lists_hold_what_djangos_prefetching_holds(shelf, require_postgres):
    ordered = Product.objects.filter(pk__in=[p.pk for p in shelf]).order_by("pk")
    with CaptureQueriesContext(connection) as queries:
        products = list(selectors.with_catalog_relations(ordered, variants_as_list=True))
    assert _loaded(products) == {product.pk: _expected(product) for product in shelf}
    assert _loaded(products)[shelf[2].pk][1] == []  # a product without photos: an empty list
    kept = [q["sql"] for q in queries.captured_queries if "= ANY(" in q["sql"]]
    for table in ("shop_variant", "shop_productimage", "shop_category", "farmers_village"):
        assert len([sql for sql in kept if f'FROM "{table}"' in sql]) == 1, f"one query for {table}, the ids an array"
    assert len(queries.captured_queries) == 5  # and the products themselves
    # Each item knows its product without a query.
    with CaptureQueriesContext(connection) as later:
        for product in products:
            assert all(v.product is product for v in product.listed_variants)
            assert all(i.product is product for i in product.ready_images)
    assert later.captured_queries == []


@pytest.mark.django_db
def test_a_second_page_runs_the_same_statement_with_other_ids(shelf, require_postgres):
    """The statement is kept; only its array of ids changes, whatever the page's size."""
    first = list(selectors.with_catalog_relations(Product.objects.filter(pk=shelf[0].pk), variants_as_list=True))
    with CaptureQueriesContext(connection) as queries:
        rest = list(
            selectors.with_catalog_relations(
                Product.objects.filter(pk__in=[shelf[1].pk, shelf[2].pk]).order_by("pk"), variants_as_list=True
            )
        )
    assert _loaded(first) == {shelf[0].pk: _expected(shelf[0])}
    assert _loaded(rest) == {p.pk: _expected(p) for p in shelf[1:]}
    variant_queries = [q["sql"] for q in queries.captured_queries if '"shop_variant"' in q["sql"]]
    assert len(variant_queries) == 1 and "= ANY(" in variant_queries[0]


@pytest.mark.django_db
def test_a_product_listed_twice_gets_its_lists_each_time(shelf, require_postgres):
    """A queryset may yield one product twice (a filter across a list): each instance gets the
    whole list, as Django's prefetching gives it."""
    twice = Product.objects.filter(variants__stock__gte=0, pk=shelf[0].pk)
    products = list(selectors.with_catalog_relations(twice, variants_as_list=True))
    assert len(products) == 2 and products[0] is not products[1]
    for product in products:
        assert ([v.pk for v in product.listed_variants], [i.pk for i in product.ready_images]) == _expected(shelf[0])


@pytest.mark.django_db
def test_only_the_lists_asked_for_are_loaded(shelf, require_postgres):
    products = list(selectors.with_catalog_relations(Product.objects.filter(pk=shelf[0].pk), {"images"}))
    assert [i.pk for i in products[0].ready_images] == _expected(shelf[0])[1]
    assert not hasattr(products[0], "listed_variants")
    # Without `variants_as_list`, the variants stay behind `.variants.all()`, prefetched by Django.
    products = list(selectors.with_catalog_relations(Product.objects.filter(pk=shelf[0].pk)))
    expected = _expected(shelf[0])[0]
    with CaptureQueriesContext(connection) as queries:
        assert [v.pk for v in products[0].variants.all()] == expected
    assert queries.captured_queries == []


@pytest.mark.django_db
def test_every_database_gives_the_same_lists(shelf):
    """On any database (SQLite uses Django's prefetching), the same lists."""
    ordered = Product.objects.filter(pk__in=[p.pk for p in shelf]).order_by("pk")
    products = list(selectors.with_catalog_relations(ordered, variants_as_list=True))
    assert _loaded(products) == {product.pk: _expected(product) for product in shelf}


def _places(product):
    """The product's category (with its parent), its village (with county and province) and its
    seller's village, as plain values."""
    seller = product.farmer or product.cooperative
    return (
        product.category.pk,
        product.category.name,
        product.category.parent.name if product.category.parent else None,
        product.village.name,
        product.village.county.name,
        product.village.county.province.name,
        seller.village.name,
        seller.village.county.province.name,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("on_postgres", [True, False], ids=["kept statements", "django prefetching"])
def test_categories_and_villages_are_what_django_loads(shelf, on_postgres, require_postgres, monkeypatch):
    """Both roads on one PostgreSQL database: the kept statements, and Django's own."""
    produce = factories.category("农产品")
    shelf[1].category = factories.category("蜂蜜", parent=produce)
    shelf[1].save(update_fields=["category"])
    if not on_postgres:
        monkeypatch.setattr(selectors, "connections", {"default": type("Other", (), {"vendor": "sqlite"})()})
    ordered = Product.objects.filter(pk__in=[p.pk for p in shelf]).order_by("pk")
    products = list(selectors.with_catalog_relations(ordered, variants_as_list=True))
    with CaptureQueriesContext(connection) as queries:
        loaded = [_places(product) for product in products]
    assert queries.captured_queries == [], "everything loaded with the products"
    assert loaded == [_places(Product.objects.get(pk=product.pk)) for product in products]
    assert loaded[1][2] == "农产品"
    # One village object wherever it shows: the product's and its seller's, when the same.
    same = [p for p in products if (p.farmer or p.cooperative).village_id == p.village_id]
    assert same and all((p.farmer or p.cooperative).village is p.village for p in same)
