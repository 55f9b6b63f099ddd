"""Bad page arguments on every paginated field of the schema are coded errors, never "Internal error.".

The fields are found in the schema (any field taking `first`, `last` or `offset`), so a field added
later is covered without touching this file."""

import pytest
from graphene_django.settings import graphene_settings
from graphql import get_named_type, is_non_null_type, is_object_type

from tests import factories as f

pytestmark = pytest.mark.django_db

PAGE_ARGUMENTS = ("first", "last", "offset")
HUGE = 2**31 - 1  # the largest GraphQL Int


def paginated_fields() -> list[tuple[str, str]]:
    """(parent type, field) for every field of an object type that takes a page argument."""
    schema = graphene_settings.SCHEMA.graphql_schema
    found = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not is_object_type(graphql_type):
            continue
        for field_name, field in graphql_type.fields.items():
            if set(PAGE_ARGUMENTS) & set(field.args):
                found.append((type_name, field_name))
    return sorted(found)


def path_to(type_name: str) -> list[str]:
    """Root fields down to an object of `type_name`, through fields that need no arguments."""
    schema = graphene_settings.SCHEMA.graphql_schema
    query = schema.query_type
    paths, queue = {query.name: []}, [query]
    while queue:
        current = queue.pop(0)
        for field_name, field in current.fields.items():
            child = get_named_type(field.type)
            if not is_object_type(child) or child.name in paths:
                continue
            if any(is_non_null_type(argument.type) for argument in field.args.values()):
                continue
            paths[child.name] = [*paths[current.name], field_name]
            queue.append(child)
    return paths[type_name]


def query_for(type_name: str, field_name: str, arguments: dict) -> str:
    schema = graphene_settings.SCHEMA.graphql_schema
    field = schema.type_map[type_name].fields[field_name]
    required = {
        name: '"x"'
        for name, argument in field.args.items()
        if is_non_null_type(argument.type) and name not in arguments
    }
    rendered = ", ".join(f"{name}: {value}" for name, value in {**arguments, **required}.items())
    selection = f"{field_name}({rendered}) {{ __typename }}"
    for parent in reversed(path_to(type_name)):
        selection = f"{parent} {{ {selection} }}"
    return "{ " + selection + " }"


def bad_arguments(type_name: str, field_name: str) -> list[tuple[dict, str]]:
    """(arguments, the argument the error must name)."""
    args = graphene_settings.SCHEMA.graphql_schema.type_map[type_name].fields[field_name].args
    cases = [({name: -1}, name) for name in PAGE_ARGUMENTS if name in args]
    cases += [({name: HUGE}, name) for name in ("first", "last") if name in args]
    if "offset" in args and "before" in args:
        cases.append(({"offset": 1, "before": '"YXJyYXljb25uZWN0aW9uOjA="'}, "offset"))
    return cases


CASES = [
    pytest.param(type_name, field_name, arguments, named, id=f"{type_name}.{field_name}({arguments})")
    for type_name, field_name in paginated_fields()
    for arguments, named in bad_arguments(type_name, field_name)
]


def offset_fields() -> list[tuple[str, str]]:
    """The paginated fields that take an `offset` (the connections; the plain lists take `first` only)."""
    type_map = graphene_settings.SCHEMA.graphql_schema.type_map
    return [(t, name) for t, name in paginated_fields() if "offset" in type_map[t].fields[name].args]


OFFSET_FIELDS = offset_fields()
# Checked here, not only in a test: an empty parametrization would make the offset test vanish.
assert OFFSET_FIELDS, "no paginated field takes an offset: the schema changed, or its enumeration broke"


def test_the_schema_has_the_paginated_fields_we_know():
    """A sanity check on the enumeration itself: it must find the connections and the lists."""
    fields = set(paginated_fields())
    assert {("Query", "products"), ("Me", "orders"), ("EarningsStatement", "payouts"), ("Query", "feed")} <= fields
    assert path_to("EarningsStatement") == ["myEarnings"]
    assert {("Query", "products"), ("Me", "orders")} <= set(OFFSET_FIELDS)
    assert ("EarningsStatement", "payouts") not in OFFSET_FIELDS


@pytest.fixture
def signed_in_seller(gql):
    """A verified farmer who has a product: every path above resolves to an object, not null."""
    farmer = f.farmer()
    f.product(seller=farmer)
    return gql.login(farmer.user)


@pytest.mark.parametrize(("type_name", "field_name", "arguments", "named"), CASES)
def test_bad_page_arguments_are_coded_errors(signed_in_seller, type_name, field_name, arguments, named):
    body = signed_in_seller(query_for(type_name, field_name, arguments))
    errors = body.get("errors") or []
    assert errors, body
    assert all(error["message"] != "Internal error." for error in errors), errors
    [error] = errors
    assert error["extensions"]["code"] in ("INVALID", "PAGE_TOO_LARGE"), error
    assert error["extensions"]["field"] == named, error
    assert error["message"], error


@pytest.mark.parametrize(("type_name", "field_name"), OFFSET_FIELDS)
def test_a_huge_offset_is_an_empty_page(signed_in_seller, type_name, field_name):
    body = signed_in_seller(query_for(type_name, field_name, {"offset": HUGE, "first": 5}))
    assert "errors" not in body, body


def test_a_null_first_on_a_plain_list_is_its_default(signed_in_seller):
    body = signed_in_seller("{ myEarnings { payouts(first: null) { id } recentOrders(first: null) { orderNumber } } }")
    assert body == {"data": {"myEarnings": {"payouts": [], "recentOrders": []}}}
