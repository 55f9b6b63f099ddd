"""Hostile or malformed requests get a clear 4xx answer, cheaply, and never a 500."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from graphql_relay import to_global_id

from shop.models import Product, ProductImage
from tests import factories as f

pytestmark = pytest.mark.django_db


def post(client, payload, **extra):
    return client.post("/graphql/", json.dumps(payload), content_type="application/json", **extra)


def first_error(response):
    body = response.json()
    assert body.get("data") is None or any(v is None for v in body["data"].values()), body
    return body["errors"][0]


@pytest.mark.timeout(60)
def test_fragments_spreading_each_other_are_costed_in_linear_time(client):
    """Each fragment spreads the next twice: 2**60 fields if expanded naively."""
    levels = 60
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = "{ ...F0 } " + fragments + f" fragment F{levels} on Query {{ categories {{ name }} }}"
    response = post(client, {"query": query})
    assert response.status_code == 400
    assert first_error(response)["extensions"]["code"] == "QUERY_TOO_COSTLY"


def test_fragment_cycle_is_a_validation_error(client):
    query = "query { ...A } fragment A on Query { categories { name } ...B } fragment B on Query { ...A }"
    response = post(client, {"query": query})
    assert response.status_code == 400
    assert "Cannot spread fragment" in first_error(response)["message"]


def test_over_long_query_is_refused_before_parsing(client):
    query = "{ " + " ".join(f"a{i}: categories {{ name }}" for i in range(1000)) + " }"
    assert len(query) > 20_000
    response = post(client, {"query": query})
    assert response.status_code == 400
    assert first_error(response)["extensions"]["code"] == "QUERY_TOO_LARGE"


def test_aliasing_a_lookup_many_times_is_too_costly(client, django_assert_num_queries):
    product = f.product()
    gid = to_global_id("Product", product.pk)
    query = "{ " + " ".join(f'a{i}: product(id: "{gid}") {{ name }}' for i in range(25)) + " }"
    with django_assert_num_queries(0):
        response = post(client, {"query": query})
    assert first_error(response)["extensions"]["code"] == "QUERY_TOO_COSTLY"


@pytest.mark.parametrize("query", [5, ["{ categories { name } }"], {"q": 1}])
def test_query_that_is_not_a_string(client, query):
    response = post(client, {"query": query})
    assert response.status_code == 400
    assert "string" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "data",
    [
        {"operations": "nope", "map": "{}"},
        {"operations": json.dumps({"query": "{ categories { name } }"}), "map": "[1, 2]"},
        {"operations": json.dumps({"query": "{ categories { name } }"}), "map": json.dumps({"0": ["x.y.z"]})},
    ],
)
def test_malformed_multipart_request(client, data):
    data = {**data, "0": SimpleUploadedFile("a.jpg", b"x")}
    response = client.post("/graphql/", data)
    assert response.status_code == 400


@pytest.mark.parametrize("cursor", ["garbage!", base64.b64encode(b"arrayconnection:-5").decode()])
def test_bad_cursor(client, cursor):
    f.product()
    response = post(
        client,
        {"query": "query($a: String){ products(first: 5, after: $a) { totalCount } }", "variables": {"a": cursor}},
    )
    error = first_error(response)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID", "after")


@pytest.mark.parametrize("first", [-1, 101])
def test_bad_page_size(client, first):
    response = post(
        client, {"query": "query($n: Int){ products(first: $n) { totalCount } }", "variables": {"n": first}}
    )
    assert first_error(response)["extensions"]["code"] in ("INVALID", "PAGE_TOO_LARGE")


def test_price_bound_out_of_range(client):
    query = 'query { products(first: 5, filter: {priceRange: {gte: "1e30"}}) { totalCount } }'
    error = first_error(post(client, {"query": query}))
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID", "filter.priceRange.gte")


@pytest.mark.parametrize("pk", [10**30, 0])
def test_out_of_range_ids(client, pk):
    query = "query($id: ID!){ products(first: 5, filter: {farmer: $id}) { totalCount } }"
    error = first_error(post(client, {"query": query, "variables": {"id": to_global_id("Farmer", pk)}}))
    assert error["extensions"]["code"] == "INVALID_ID"


def test_mutation_over_get_is_refused(client):
    response = client.get(
        "/graphql/", {"query": 'mutation { productDelete(id: "x") { deletedId } }'}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 405


@pytest.mark.parametrize("path", ["/p/a%00b/", "/?category=a%00b", "/v/x%00/"])
def test_nul_characters_in_addresses(client, path):
    assert client.get(path).status_code == 400


def test_photo_sent_as_a_string_is_a_clear_error(client):
    farmer = f.farmer()
    product = f.product(seller=farmer)
    client.force_login(farmer.user)
    query = "mutation($p: ID!, $i: Upload!){ productImageCreate(product: $p, image: $i) { errors { field code } } }"
    response = post(client, {"query": query, "variables": {"p": to_global_id("Product", product.pk), "i": "x"}})
    assert response.json()["data"]["productImageCreate"]["errors"] == [{"field": "image", "code": "INVALID_IMAGE"}]
    assert not ProductImage.objects.exists()


CREATE = """mutation($input: ProductCreateInput!) {
  productCreate(input: $input) { product { id } errors { field code message } } }"""


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"name": "脐\x00橙"}, "name", "INVALID"),
        ({"name": "脐橙\n第二行"}, "name", "INVALID"),
        ({"description": "好" * 4001}, "description", "MAX_LENGTH"),
        ({"variants": [{"name": "箱", "price": "10", "weightKg": "1.23456"}]}, "variants.0.weightKg", "INVALID"),
        ({"variants": [{"name": "箱\x07", "price": "10"}]}, "variants.0.name", "INVALID"),
    ],
)
def test_text_and_weight_rules(client, change, field, code):
    farmer = f.farmer()
    client.force_login(farmer.user)
    data = {
        "name": "脐橙",
        "category": to_global_id("Category", f.category().pk),
        "variants": [{"name": "箱", "price": "10"}],
        **change,
    }
    errors = post(client, {"query": CREATE, "variables": {"input": data}}).json()["data"]["productCreate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert not Product.objects.exists()


def test_multiline_description_is_fine(client):
    farmer = f.farmer()
    client.force_login(farmer.user)
    data = {"name": "脐橙", "category": to_global_id("Category", f.category().pk), "description": "第一行\n第二行"}
    result = post(client, {"query": CREATE, "variables": {"input": data}}).json()["data"]["productCreate"]
    assert result["errors"] == []
    assert Product.objects.get().description == "第一行\n第二行"


def test_a_name_of_only_invisible_characters_is_refused(client):
    farmer = f.farmer()
    client.force_login(farmer.user)
    data = {"name": "\u200b\u200b", "category": to_global_id("Category", f.category().pk)}
    errors = post(client, {"query": CREATE, "variables": {"input": data}}).json()["data"]["productCreate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("name", "INVALID")]
    assert not Product.objects.exists()


def deeply_nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [1000, 100_000, 33])
def test_a_deeply_nested_body_is_a_bad_request(client, depth):
    """Python's JSON decoder recurses: 1,000 deep was a RecursionError and a 500. Not signed in."""
    body = b'{"query": "{ categories { name } }", "variables": {"a": ' + deeply_nested(depth) + b"}}"
    response = client.generic("POST", "/graphql/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "The request nests objects and lists more than 32 deep."


def test_nesting_up_to_the_bound_is_fine(client):
    body = b'{"query": "{ categories { name } }", "variables": {"a": ' + deeply_nested(30) + b"}}"
    response = client.generic("POST", "/graphql/", body, content_type="application/json")
    assert response.json() == {"data": {"categories": []}}


def test_deeply_nested_variables_sent_as_a_string_are_a_bad_request(client):
    response = client.get("/graphql/", {"query": "{ categories { name } }", "variables": deeply_nested(40).decode()})
    assert response.status_code == 400
    assert "more than 32 deep" in response.json()["errors"][0]["message"]


def test_deeply_nested_multipart_operations_are_a_bad_request(client):
    operations = b'{"query": "{ categories { name } }", "variables": ' + deeply_nested(1000) + b"}"
    data = {"operations": operations.decode(), "map": "{}", "0": SimpleUploadedFile("a.jpg", b"x")}
    response = client.post("/graphql/", data)
    assert response.status_code == 400
    assert "more than 32 deep" in response.json()["errors"][0]["message"]


def test_an_over_large_body_is_refused_before_it_is_decoded(client, settings):
    settings.GRAPHQL_MAX_BODY_BYTES = 1000
    body = json.dumps({"query": "{ categories { name } }", "variables": {"a": "x" * 1000}})
    response = client.generic("POST", "/graphql/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == "The request is larger than 1000 bytes."


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"\xff\xfe"),
        ("application/graphql", b"\xff\xfe"),
        ("application/json", b"[]"),
        ("application/json", b"null"),
        ("application/json", b'{"query": '),
        ("application/json", b'{"query": "{ categories { name } }", "variables": 5}'),
        ("application/json", b'{"query": "{ categories { name } }", "variables": "[1"}'),
        ("application/json", b'{"query": "{ categories { name } }", "operationName": ["a"]}'),
        ("application/json", b'{"query": "{ categories { name \\u0000 } }"}'),
    ],
)
def test_malformed_bodies_are_bad_requests(client, content_type, body):
    response = client.generic("POST", "/graphql/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.fixture
def validation_must_not_run(monkeypatch):
    """The refusals below must come before validation, which is quadratic in repeated fields."""
    from core.graphql import views

    def validate(*args, **kwargs):
        raise AssertionError("validation ran")

    monkeypatch.setattr(views, "validate", validate)


REPEATED_FIELD_QUERIES = {
    # The probe: 20 KB, one field 3,900 times; stopped by the parser at 2,000 tokens.
    "tokens": ("{ categories { " + "name " * 3900 + "} }", "QUERY_TOO_LARGE"),
    # Fewer tokens than that, but one field 1,900 times in one place.
    "repeats": ("{ categories { " + "name " * 1900 + "} }", "QUERY_TOO_REPETITIVE"),
    "inline fragments": ("{ categories { " + "... on Category { name } " * 300 + "} }", "QUERY_TOO_REPETITIVE"),
    "distinct fragments": (
        "{ categories { "
        + " ".join(f"...F{i}" for i in range(150))
        + " } } "
        + " ".join(f"fragment F{i} on Category {{ name }}" for i in range(150)),
        "QUERY_TOO_REPETITIVE",
    ),
}


@pytest.mark.parametrize("case", REPEATED_FIELD_QUERIES)
def test_repeated_fields_are_refused_before_validation(client, validation_must_not_run, case):
    query, code = REPEATED_FIELD_QUERIES[case]
    assert len(query) <= 20_000
    response = post(client, {"query": query})
    assert response.status_code == 400
    error = first_error(response)
    assert error["extensions"]["code"] == code
    assert error["message"] in (
        "The query has more than 2000 tokens (names, values and punctuation).",
        "The query selects `name` 1900 times in one place; at most 20 are allowed.",
        "The query selects `name` 300 times in one place; at most 20 are allowed.",
        "The query selects fragments 150 times in one place; at most 20 are allowed.",
    )


def test_a_field_repeated_up_to_the_bound_is_fine(client):
    f.category(name="水果")
    response = post(client, {"query": "{ categories { " + "name " * 20 + "} }"})
    assert response.json() == {"data": {"categories": [{"name": "水果"}]}}


def test_the_full_introspection_query_still_works(client):
    """What GraphiQL and code generators send (every option on): far below the token bound."""
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = post(client, {"query": query}).json()
    assert "errors" not in body
    assert {"name": "Product"} in [{"name": t["name"]} for t in body["data"]["__schema"]["types"]]
