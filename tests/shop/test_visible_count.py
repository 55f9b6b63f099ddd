"""`products { totalCount }` over the whole catalogue is kept between changes (shop.visible_count),
and follows every change that shows or hides a product at once."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from farmers.models import VerificationState
from farmers.verification import change_verification_state
from shop import catalog, visible_count
from tests import factories as f

pytestmark = pytest.mark.django_db

# A page of none: the page alone never tells how long the list is, so the count is asked for.
TOTAL = "{ products(first: 0) { totalCount } }"


def total(gql) -> tuple[int, int]:
    """The count, and how many COUNT queries the database ran for it."""
    with CaptureQueriesContext(connection) as queries:
        result = gql(TOTAL)
    assert "errors" not in result, result
    counted = sum("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    return result["data"]["products"]["totalCount"], counted


@pytest.fixture
def shared_cache(require_redis, settings, django_capture_on_commit_callbacks):
    """A cache every process shares (Redis), and commits' callbacks run as in production."""
    settings.REDIS_URL = require_redis
    with django_capture_on_commit_callbacks(execute=True):
        yield


def test_the_count_is_kept_and_follows_publishing_and_verification(shared_cache, gql):
    seller = f.farmer()
    first = f.product(seller=seller, name="脐橙")
    second = f.product(name="茶叶")
    f.product(name="蜂蜜")

    assert total(gql) == (3, 1)
    assert total(gql) == (3, 0)  # kept: no scan of the catalogue

    first.is_published = False
    first.save()
    assert total(gql) == (2, 1)

    first.is_published = True
    first.save()
    assert total(gql) == (3, 1)

    change_verification_state(seller, VerificationState.SUSPENDED, by=f.staff_user(), reason="假货")
    assert total(gql) == (2, 1)

    second.delete()
    assert total(gql) == (1, 1)
    assert total(gql) == (1, 0)


def test_a_seller_verified_publishes_waiting_listings_and_the_count_follows(shared_cache, gql):
    pending = f.farmer(state=VerificationState.PENDING)
    f.product(name="脐橙")
    f.product(name="茶叶")
    waiting = f.product(seller=pending, published=False, name="待审核")
    waiting.publish_when_verified = True
    waiting.save()
    assert total(gql) == (2, 1)

    change_verification_state(pending, VerificationState.VERIFIED, by=f.staff_user())

    assert total(gql) == (3, 1)


def test_a_price_removed_hides_the_product_and_the_count_follows(shared_cache, gql):
    f.product(name="茶叶")
    product = f.product(
        variants=[{"name": "5斤装", "price": Decimal("39.90"), "stock": 10, "weight_kg": Decimal("2.5")}]
    )
    assert total(gql) == (2, 1)

    product.variants.get().delete()
    catalog.refresh_product_summary(product)

    assert total(gql) == (1, 1)


def test_filtered_lists_and_a_cache_of_its_own_per_process_always_count(require_redis, settings, gql):
    f.product()
    settings.REDIS_URL = None  # a local-memory cache: another process's change would go unseen
    assert total(gql) == (1, 1)
    assert total(gql) == (1, 1)

    settings.REDIS_URL = require_redis
    category = gql("{ products(first: 1) { edges { node { category { id } } } } }")
    category_id = category["data"]["products"]["edges"][0]["node"]["category"]["id"]
    filtered = "query($c: ID) { products(first: 0, filter: {category: $c}) { totalCount } }"
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert gql(filtered, {"c": category_id})["data"]["products"]["totalCount"] == 1
        assert any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def test_a_version_lost_from_the_cache_is_replaced_and_the_count_made_again(shared_cache, gql):
    f.product(name="脐橙")
    f.product(name="茶叶")
    assert total(gql) == (2, 1)

    cache.delete(visible_count.VERSION_KEY)  # expired or evicted

    assert total(gql) == (2, 1)  # a new token: the kept count is not under it
    assert total(gql) == (2, 0)
