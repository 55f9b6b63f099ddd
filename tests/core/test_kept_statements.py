"""`core.kept_statements.KeptStatement`: a queryset compiled once, run with other ids, gives what
the queryset itself gives for those ids."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from core.kept_statements import KeptStatement
from farmers.models import Village
from shop.models import Variant
from tests import factories


def _rows(instances):
    return [(v.pk, v.name, v.county.name, v.county.province.name) for v in instances]


@pytest.mark.django_db
def test_the_same_objects_as_the_queryset_for_any_ids(require_postgres):
    villages = [factories.village(f"村{n}") for n in range(5)]
    queryset = Village.objects.select_related("county__province").order_by("-name")
    kept = KeptStatement(queryset, "pk", "default")
    for ids in ([villages[0].pk], [v.pk for v in villages[1:4]], [v.pk for v in villages], []):
        with CaptureQueriesContext(connection) as queries:
            found = kept.objects(ids)
            rows = _rows(found)  # the joined objects were built with the row
        assert len(queries.captured_queries) == 1
        assert rows == _rows(queryset.filter(pk__in=ids))
        assert all(v._state.adding is False and v._state.db == "default" for v in found)


@pytest.mark.django_db
def test_ids_may_be_large_numbers_and_any_iterable(require_postgres):
    product = factories.product()
    variant = product.variants.get()
    big = 2**40  # past int4, beside a small one
    kept = KeptStatement(Variant.objects.order_by("id"), "product_id", "default")
    assert [v.pk for v in kept.objects({product.pk, big})] == [variant.pk]
    assert [v.pk for v in kept.objects(iter([product.pk]))] == [variant.pk]


@pytest.mark.django_db
def test_what_it_cannot_build_is_refused(require_postgres):
    with pytest.raises(ValueError, match="no annotations"):
        KeptStatement(Village.objects.annotate(growers=Count("farmers")), "pk", "default")


def test_another_database_is_refused(monkeypatch):
    """`= ANY(array)` is PostgreSQL's: SQLite's callers use Django's own queries instead."""
    sqlite = type("Connection", (), {"vendor": "sqlite"})()
    monkeypatch.setattr("core.kept_statements.connections", {"default": sqlite})
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        KeptStatement(Village.objects.all(), "pk", "default")
