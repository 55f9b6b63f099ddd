"""Connections page forward without counting the list; `totalCount` counts, and stays exact."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import offset_to_cursor

from tests import factories as f

pytestmark = pytest.mark.django_db

PAGE = """
query($first: Int, $after: String, $offset: Int, $last: Int, $before: String) {
  products(first: $first, after: $after, offset: $offset, last: $last, before: $before) {
    %s
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}"""


def page(gql, fields="", **variables):
    with CaptureQueriesContext(connection) as queries:
        result = gql(PAGE % fields, variables)
    assert "errors" not in result, result
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    return result["data"]["products"], counts


@pytest.fixture
def five(gql):
    seller = f.farmer()
    return [f.product(seller=seller, name=f"茶{n}").name for n in range(5)][::-1]  # newest first


def test_a_page_without_total_count_runs_no_count(gql, five):
    first_page, counts = page(gql, first=2)

    assert counts == []
    assert [e["node"]["name"] for e in first_page["edges"]] == five[:2]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert first_page["pageInfo"]["hasPreviousPage"] is False

    rest, counts = page(gql, first=2, after=first_page["pageInfo"]["endCursor"])
    assert counts == []
    assert [e["node"]["name"] for e in rest["edges"]] == five[2:4]
    assert [e["cursor"] for e in rest["edges"]] == [offset_to_cursor(2), offset_to_cursor(3)]
    assert rest["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("variables", "names", "has_next"),
    [
        ({"first": 5}, slice(0, 5), False),  # exactly the rest: no next page
        ({"first": 4}, slice(0, 4), True),
        ({"first": 2, "offset": 3}, slice(3, 5), False),
        ({"first": 2, "after": offset_to_cursor(1), "offset": 1}, slice(3, 5), False),
        ({"first": 0}, slice(0, 0), True),
        ({"first": 3, "after": offset_to_cursor(9)}, slice(5, 5), False),
    ],
)
def test_next_page_and_total_as_counted(gql, five, variables, names, has_next):
    result, counts = page(gql, fields="totalCount", **variables)

    assert [e["node"]["name"] for e in result["edges"]] == five[names]
    assert result["pageInfo"]["hasNextPage"] is has_next
    assert result["totalCount"] == 5
    assert len(counts) <= 1


def test_a_last_page_of_the_list_knows_its_total_without_counting(gql, five):
    result, counts = page(gql, fields="totalCount", first=10)

    assert result["totalCount"] == 5
    assert counts == []


def test_backward_paging_counts_as_before(gql, five):
    result, counts = page(gql, fields="totalCount", last=2)

    assert [e["node"]["name"] for e in result["edges"]] == five[3:]
    assert result["pageInfo"]["hasPreviousPage"] is True
    assert result["totalCount"] == 5
    assert len(counts) == 1


def test_total_counts_only_what_shoppers_may_see(gql, five):
    f.product(name="草稿", published=False)

    result, counts = page(gql, fields="totalCount", first=1)

    assert result["totalCount"] == 5
    assert len(counts) == 1
