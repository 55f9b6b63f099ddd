"""The real schema fuzzed with hypothesis-graphql: generated queries and mutations, sent as a guest
and as a signed-in shopper, must never answer HTTP 500 or "Internal error." (issue 18).

Bounded for the default suite: a fixed number of examples per case and a deadline per example,
derandomized so that a run is reproducible (the same examples each time). To search wider, run
with FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 (a failure prints the example, and hypothesis shrinks it)."""

import datetime
import json
import os

import pytest
from graphene_django.settings import graphene_settings
from graphql import StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from tests import factories as f

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))

# A wider search by hand gets a second per example.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(max(180, EXAMPLES))]


def string_node(values: st.SearchStrategy[str]) -> st.SearchStrategy[StringValueNode]:
    return values.map(lambda value: StringValueNode(value=value))


AMOUNTS = st.one_of(
    st.sampled_from(["0", "0.01", "-1", "1e30", "NaN", "Infinity", "99999999.99", "200000.01", "1.234", "", " "]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.text(max_size=12),
)
DATES = st.one_of(st.dates().map(datetime.date.isoformat), st.text(max_size=12))
DATETIMES = st.one_of(
    st.datetimes(timezones=st.just(datetime.UTC)).map(datetime.datetime.isoformat), st.text(max_size=20)
)
CUSTOM_SCALARS = {
    "Decimal": string_node(AMOUNTS),
    "ExactDecimal": string_node(AMOUNTS),
    "Date": string_node(DATES),
    "DateTime": string_node(DATETIMES),
    # A file cannot be sent in JSON: what a client could send instead (tests/core/test_graphql_robustness.py
    # covers real uploads).
    "Upload": string_node(st.text(max_size=5)),
}


def operations():
    schema = graphene_settings.SCHEMA.graphql_schema
    return from_schema(schema, custom_scalars=CUSTOM_SCALARS)


def post(client, query: str):
    response = client.post("/graphql/", json.dumps({"query": query}), content_type="application/json")
    assert response.status_code != 500, (query, response.content[:1000])
    assert b"Internal error." not in response.content, (query, response.content[:1000])
    assert response.status_code in (200, 400, 401, 403, 405, 413), (query, response.status_code)


def fuzz(client):
    @settings(
        max_examples=EXAMPLES,
        deadline=datetime.timedelta(seconds=10),
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(query=operations())
    def run(query):
        post(client, query)

    run()


@pytest.fixture
def catalog():
    """Something for the generated operations to find: a verified farmer's product."""
    farmer = f.farmer()
    f.product(seller=farmer)
    f.story()


def test_fuzzed_operations_as_a_guest(client, catalog):
    fuzz(client)


def test_fuzzed_operations_as_a_signed_in_shopper(client, catalog):
    client.force_login(f.user())
    fuzz(client)


def test_the_fuzz_reaches_both_queries_and_mutations():
    """A sanity check of the strategy itself: it generates both kinds of operation."""
    seen = set()

    @settings(max_examples=15, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(query=operations())
    def collect(query):
        seen.add(query.split(maxsplit=1)[0].strip("{"))

    collect()
    assert {"mutation"} <= seen and seen - {"mutation"}, seen
