"""The OpenSearch backend on the run's real node: what the behaviour suite does not show, because
it only sees results. The mapping the node accepts, highlights made by the engine itself (not
the Python fallback), the alias swap of a rebuild under searches, and a node that does not
answer. Small hand-made documents in indices of each test's own: no database needed."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from search.analysis import analyse_query, bigrams, characters, pinyin_tokens, segment_for_index, trigrams
from search.backends import SearchUnavailable
from search.backends.elasticsearch import build_search, index_body
from search.backends.opensearch import OpenSearchBackend
from search.query import Page, SearchFilters


def document(product_id: int, name: str, description: str = "", price: str = "10.00", in_stock: bool = True) -> dict:
    """A document as search.documents builds them, for a product that needs no database row."""
    return {
        "id": product_id,
        "name": name,
        "description": description,
        "title": " ".join(segment_for_index(name) + bigrams(name) + characters(name)),
        "keywords": "",
        "pinyin": "",
        "name_pinyin": " ".join(pinyin_tokens(name)),
        "body": " ".join(segment_for_index(description)),
        "category_id": 1,
        "top_category_id": 1,
        "province_id": 1,
        "county_id": 1,
        "village_id": 1,
        "min_price": Decimal(price),
        "in_stock": in_stock,
        "created_at": datetime(2025, 1, product_id, tzinfo=UTC),
    }


GOODS = [
    document(1, "赣南脐橙 10斤", "正宗赣南脐橙，果园直发。", "59.90"),
    document(2, "云南会泽土豆 黄心 10斤", "高原土豆，沙糯香甜。", "19.90"),
    document(3, "定西马铃薯 20斤", "淀粉含量高，耐储存。", "39.00", in_stock=False),
]


@pytest.fixture
def backend(opensearch_indices):
    backend = opensearch_indices.backend()
    yield backend
    opensearch_indices.drop(backend)


def test_the_node_accepts_the_mapping_as_written(backend):
    name = backend.new_index_name()
    backend.client.indices.create(index=name, body=index_body())
    mapping = backend.client.indices.get_mapping(index=name)[name]["mappings"]
    fields = mapping["properties"]
    assert mapping["dynamic"] == "false"
    assert fields["name"] == {
        "type": "text",
        "analyzer": "cjk",
        "similarity": "shanhuo_bm25",
        "fields": {"trigrams": {"type": "text", "analyzer": "shanhuo_trigrams"}},
    }
    # The near match's candidates: the name and its pinyin as trigrams.
    assert fields["name_pinyin"] == {"type": "text", "analyzer": "shanhuo_trigrams"}
    assert fields["title"] == {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"}
    settings = backend.client.indices.get_settings(index=name)[name]["settings"]["index"]
    assert settings["similarity"]["shanhuo_bm25"] == {"type": "BM25", "b": "0"}
    assert fields["min_price"] == {"type": "scaled_float", "scaling_factor": 100.0}
    assert fields["category_id"] == {"type": "keyword"}
    assert {fields[f]["type"] for f in ("id", "in_stock", "created_at")} == {"long", "boolean", "date"}
    # Our tokens arrive segmented: the index's own analyzer only splits on spaces and lower-cases.
    analysed = backend.client.indices.analyze(index=name, body={"analyzer": "shanhuo_tokens", "text": "赣南 Navel"})
    assert [token["token"] for token in analysed["tokens"]] == ["赣南", "navel"]
    # pg_trgm's trigrams inside each word (what SQLite's FTS5 trigram table finds by), lower-cased.
    text = "Tu dou tudou 赣南脐橙 10斤装"
    analysed = backend.client.indices.analyze(index=name, body={"analyzer": "shanhuo_trigrams", "text": text})
    assert [token["token"] for token in analysed["tokens"]] == [
        trigram for trigram in trigrams(text) if " " not in trigram
    ]


def test_highlights_come_from_the_engine_and_read_as_the_python_ones(backend):
    backend.rebuild(GOODS)
    query = analyse_query("赣南脐橙")
    raw = backend.client.search(
        index=backend.alias, body=build_search(query, SearchFilters(), False, "relevance", Page()).to_dict()
    )
    assert raw["hits"]["hits"][0]["highlight"]["name"] == ["<mark>赣南脐橙</mark> 10斤"]
    hit = backend.search("赣南脐橙", facets=False).hits[0]
    assert hit.product_id == 1
    assert hit.highlights == {
        "name": "<mark>赣南脐橙</mark> 10斤",
        "description": "正宗<mark>赣南脐橙</mark>，果园直发。",
    }


def test_facets_autocomplete_and_the_in_stock_first_order_on_the_node(backend):
    backend.rebuild(GOODS)
    results = backend.search("", facets=True)
    assert [hit.product_id for hit in results.hits] == [2, 1, 3]  # in stock first, then the newest
    assert {(c.value, c.count) for c in results.facets["price"]} == {("0-20", 1), ("20-50", 1), ("50-100", 1)}
    assert [(c.value, c.count) for c in results.facets["category"]] == [("1", 3)]
    assert [s.text for s in backend.autocomplete("赣南")] == ["赣南脐橙 10斤"]


def test_a_typing_slip_is_found_at_the_last_try_under_the_filters_with_their_facets(backend):
    """ "tudo" and "mihoutou" hold no word of any product: after the first two tries find nothing,
    the names whose pinyin is near them are searched like any match, filtered and counted."""
    backend.rebuild([*GOODS, document(4, "小土豆 迷你洋芋 5斤", price="25.00"), document(5, "红心猕猴桃 12个")])
    results = backend.search("tudo")
    # Both hold "tudou" in their pinyin, equally near: the newer first; 马铃薯 (malingshu) is not near.
    assert [hit.product_id for hit in results.hits] == [4, 2]
    # Scored as on PostgreSQL: "tudo" is 4 of the 5 trigrams it shares with "tudou" (word_similarity).
    assert results.total == 2 and [hit.score for hit in results.hits] == [pytest.approx(0.8)] * 2
    assert backend.matching_ids("tudo") == [4, 2]
    assert [hit.product_id for hit in backend.search("mihoutou").hits] == [5]
    filtered = backend.search("tudo", SearchFilters(price="20-50"))
    assert [hit.product_id for hit in filtered.hits] == [4] and filtered.total == 1
    # Each facet counted under the other filters: the price facet still shows both prices.
    assert {(c.value, c.count) for c in filtered.facets["price"]} == {("0-20", 1), ("20-50", 1)}
    assert [(c.value, c.count) for c in filtered.facets["category"]] == [("1", 1)]
    # Nothing near enough: still nothing ("tdo" is 0.5 near "tudou", under pg_trgm's 0.6).
    assert backend.search("xyzabc").total == 0
    assert backend.search("tdo").total == 0


def test_an_index_made_before_the_trigram_fields_finds_no_near_match_until_rebuilt(backend):
    """An index keeps the mapping it was made with: until `search_rebuild` makes a new one, the
    near try asks fields the old index does not have, and finds nothing rather than failing."""
    body = index_body()
    del body["mappings"]["properties"]["name_pinyin"]
    del body["mappings"]["properties"]["name"]["fields"]
    old = backend.new_index_name()
    backend._create_index(old, body)
    backend._point_alias(old)
    backend.bulk_index(GOODS)
    assert backend.search("土豆").total == 2  # the old index answers as before
    assert backend.search("tudo").total == 0
    backend.rebuild(GOODS)
    assert [hit.product_id for hit in backend.search("tudo").hits] == [2]


def test_writes_go_through_the_alias_and_deletes_of_missing_goods_are_no_error(backend):
    assert backend.search("土豆").total == 0  # no index yet: nothing, no error
    assert backend.bulk_index(GOODS[:2]) == 2
    backend.delete_many([2, 99])
    assert [hit.product_id for hit in backend.search("").hits] == [1]
    backend.clear()
    assert backend.search("").total == 0
    assert list(backend.client.indices.get_alias(index=backend.alias)) == [backend._holders()[0][0]]


def test_a_rebuild_swaps_the_alias_while_searches_keep_answering(backend):
    """Searches in a thread throughout two rebuilds: none fails, none comes back empty."""
    backend.rebuild(GOODS)
    first = backend._holders()[0]
    answers, failures, done = [], [], threading.Event()

    def keep_searching():
        while not done.is_set():
            try:
                answers.append(backend.search("土豆", facets=False).total)
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                failures.append(error)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        for _ in range(2):
            backend.rebuild([*GOODS, document(4, "小土豆 迷你洋芋 5斤")])
    finally:
        done.set()
        searcher.join(30)
    assert not failures
    # 土豆 and its synonym 马铃薯 before the first swap, and the new 小土豆 after it; never nothing.
    assert answers
    assert set(answers) <= {2, 3}
    assert backend.search("土豆", facets=False).total == 3
    holders = backend._holders()[0]
    assert len(holders) == 1 and holders != first  # the old indices are gone
    assert backend.client.indices.get(index=f"{backend.alias}-*").keys() == set(holders)


def test_a_node_that_does_not_answer_makes_search_unavailable():
    backend = OpenSearchBackend("http://127.0.0.1:9", "test-down", timeout=2)
    with pytest.raises(SearchUnavailable):
        backend.search("土豆")
