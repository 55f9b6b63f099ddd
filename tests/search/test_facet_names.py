"""Facet options' names are kept per process (search.facet_names): a renamed place or category
shows its new name at the next search, a place added without a save signal is still named, and a
search after the first reads no name from the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from farmers.models import Village
from search import indexing
from search.product_search import search_products
from tests.search.test_graphql_search import build_catalog

pytestmark = pytest.mark.django_db


def facet_labels(facet: str) -> set[str]:
    with translation.override("zh-hans"):  # the Chinese names
        return {option.label for option in search_products("").facets[facet]}


def test_a_renamed_village_and_category_show_their_new_names_at_the_next_search():
    catalog = build_catalog()
    assert "高原村" in facet_labels("village")
    village = catalog.products["potato"].village
    village.name = "云上村"
    village.save()
    category = catalog.products["honey"].category
    category.name = "蜜"
    category.save()

    assert "云上村" in facet_labels("village") and "高原村" not in facet_labels("village")
    assert "蜜" in facet_labels("category")


def test_a_place_added_without_a_signal_is_named_all_the_same():
    catalog = build_catalog()
    facet_labels("village")
    potato = catalog.products["potato"]
    [new] = Village.objects.bulk_create(
        [Village(county=potato.village.county, name="新村", name_en="Xincun", slug="xincun")]
    )
    potato.village = new
    potato.save()
    indexing.index_products([potato.pk])  # now counted in the new village

    assert "新村" in facet_labels("village")


def test_after_the_first_search_no_name_is_read_from_the_database():
    build_catalog()
    search_products("")
    with CaptureQueriesContext(connection) as queries:
        search_products("")
    assert not [q["sql"] for q in queries if "name_en" in q["sql"]]
