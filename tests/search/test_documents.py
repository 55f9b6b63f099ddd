"""What a document holds, field by field: the strong words (the name, the Chinese names of its
category and places), its sizes, and the weak field (the seller's name, the English names), which
every backend weighs least and matches only with the words a shopper typed."""

from decimal import Decimal

import pytest

from search import indexing
from search.backends import get_backend
from search.documents import documents
from shop import catalog
from shop.models import Category, Variant
from tests import factories

pytestmark = pytest.mark.django_db


def document_of(product) -> dict:
    return next(documents([product.pk]))


def test_a_cooperatives_name_and_english_names_go_to_the_weak_field_only():
    coop = factories.cooperative()
    category = Category.objects.create(name="薯芋", name_en="Potatoes and tubers", slug="potatoes-and-tubers")
    product = factories.product(seller=coop, category_=category, name="紫薯")
    found = document_of(product)
    weak, keywords = found["weak"].split(), found["keywords"].split()
    assert {"potato", "tuber", "合作社"} <= set(weak)
    assert "薯芋" in keywords
    assert not {"potato", "tuber", "合作社"} & set(keywords), keywords
    assert "合作社" not in found["title"].split() and "合作社" not in found["pinyin"]


def test_the_sizes_are_the_variants_names_as_words():
    product = factories.product(
        name="赣南脐橙",
        variants=[
            {"name": "5斤装", "price": Decimal("39.90"), "stock": 10, "weight_kg": Decimal("2.5")},
            {"name": "10 斤装", "price": Decimal("69.90"), "stock": 0, "weight_kg": Decimal("5")},
            {"name": "礼盒 5斤装", "price": Decimal("59.90"), "stock": 2, "weight_kg": Decimal("2.5")},
        ],
    )
    sizes = document_of(product)["sizes"].split()
    assert {"5斤", "10斤", "礼盒"} <= set(sizes)
    assert len(sizes) == len(set(sizes)), "each word once"


def test_a_renamed_size_reaches_the_index(django_capture_on_commit_callbacks):
    product = factories.product(name="冰糖心苹果")
    indexing.index_products([product.pk])
    assert product.pk in {hit.product_id for hit in get_backend().search("5斤").hits}
    variant = Variant.objects.get(product=product)
    with django_capture_on_commit_callbacks(execute=True):
        catalog.update_variant(variant.product.farmer.user, variant, name="20斤装")
    found = {hit.product_id for hit in get_backend().search("20斤").hits}
    assert product.pk in found
    assert product.pk not in {hit.product_id for hit in get_backend().search("5斤").hits}
