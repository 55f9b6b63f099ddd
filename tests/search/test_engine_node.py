"""The test search engine itself (tests/engine, tests/engine_node.py): the node the search suite
runs on is the OpenSearch we chose, with the modules our mapping and the backend need."""

import json
import urllib.request
import uuid

import pytest


def call(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - the node's URL
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test node's URL
        return json.load(response)


@pytest.fixture
def index(engine_url):
    name = f"test-node-{uuid.uuid4().hex[:12]}"
    yield f"{engine_url}/{name}"
    call(f"{engine_url}/{name}", "DELETE")


def test_the_node_is_opensearch_2_19_on_loopback(engine_url):
    assert engine_url.startswith("http://127.0.0.1:")
    info = call(engine_url)
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"] == "2.19.6"


def test_the_cjk_analyzer_makes_bigrams(engine_url):
    tokens = call(f"{engine_url}/_analyze", "POST", {"analyzer": "cjk", "text": "赣南脐橙"})["tokens"]
    assert [token["token"] for token in tokens] == ["赣南", "南脐", "脐橙"]


def test_scaled_float_and_delete_by_query(index):
    """mapper-extras (scaled_float) and reindex (_delete_by_query) are loaded."""
    call(index, "PUT", {"mappings": {"properties": {"price": {"type": "scaled_float", "scaling_factor": 100}}}})
    assert call(f"{index}/_mapping")[index.rsplit("/", 1)[1]]["mappings"]["properties"]["price"]["type"] == (
        "scaled_float"
    )
    call(f"{index}/_doc/1?refresh=true", "PUT", {"price": 12.345})
    hits = call(f"{index}/_search", "POST", {"query": {"range": {"price": {"gte": 12.34, "lte": 12.35}}}})
    assert hits["hits"]["total"]["value"] == 1
    deleted = call(f"{index}/_delete_by_query?refresh=true", "POST", {"query": {"match_all": {}}})
    assert deleted["deleted"] == 1
    assert call(f"{index}/_count")["count"] == 0
