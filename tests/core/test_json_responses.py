"""JSON answers carry Chinese as UTF-8 and travel gzipped when the client accepts it; HTML pages
are never compressed (BREACH: docs/decisions.md, under "catalog")."""

import gzip
import json

import pytest

from core.responses import JsonResponse, utf8_json
from tests import factories as f

pytestmark = pytest.mark.django_db

NAMES = "{ products(first: 10) { edges { node { name village { name } } } } }"


def post_graphql(client, query, **headers):
    return client.post("/graphql/", json.dumps({"query": query}), content_type="application/json", headers=headers)


def test_chinese_in_the_graphql_answer_is_raw_utf8(client):
    f.product(name="赣南脐橙")

    response = post_graphql(client, NAMES)

    assert response.status_code == 200
    assert "赣南脐橙".encode() in response.content
    assert b"\\u" not in response.content
    assert response.json()["data"]["products"]["edges"][0]["node"]["name"] == "赣南脐橙"


def test_graphql_errors_are_utf8_too(client):
    response = post_graphql(client, '{ product(slug: "没有这个") { name } }')

    assert "没有这个".encode() in response.content
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_graphql_answer_is_gzipped_for_a_client_that_accepts_it(client):
    for n in range(5):
        f.product(name=f"高山云雾茶{n}")
    plain = post_graphql(client, NAMES)

    packed = post_graphql(client, NAMES, accept_encoding="gzip, deflate")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)
    assert int(packed["Content-Length"]) == len(packed.content)


def test_html_pages_are_not_compressed(client):
    f.product(name="赣南脐橙")

    page = client.get("/", headers={"accept-encoding": "gzip"})

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert len(page.content) > 1000
    assert "Content-Encoding" not in page
    assert b"<html" in page.content.lower()


def test_json_response_writes_chinese_as_utf8():
    response = JsonResponse({"message": "库存不足"})

    assert response.content == '{"message": "库存不足"}'.encode()
    assert response["Content-Type"] == "application/json"


def test_text_utf8_cannot_carry_stays_escaped_so_the_answer_is_still_valid():
    """A lone surrogate (a client can send `"\\ud800"` in JSON) would make UTF-8 encoding fail."""
    text = utf8_json({"slug": "\ud800", "name": "茶"})

    assert json.loads(text.encode("utf-8")) == {"slug": "\ud800", "name": "茶"}
    assert "\\ud800" in text
