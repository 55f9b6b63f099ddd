"""The Elasticsearch backend, exactly: its mapping, the request bodies it sends for each kind of
query, its bulk bodies and its alias swap, and how it reads the answers.

No Elasticsearch server can run on this machine, so the server is replaced at the network edge:
the official client, its serializers, retries and error mapping and `elasticsearch.dsl` run as in
production over a node class that records each HTTP request and answers with canned responses
(tests/search/es_transport.py). What results a real server gives is the behaviour suite's job,
which runs against Elasticsearch whenever ELASTICSEARCH_URL answers."""

import datetime
import itertools
from decimal import Decimal

import elastic_transport
import pytest
from elasticsearch import BadRequestError
from elasticsearch.helpers import BulkIndexError

from search.analysis import QueryTooLong
from search.backends import SearchUnavailable
from search.backends import elasticsearch as es_backend
from search.backends.elasticsearch import ElasticsearchBackend, make_client
from search.query import FacetCount, Page, SearchFilters, Suggestion
from tests.search.es_transport import (
    ACKNOWLEDGED,
    URL,
    Recorder,
    Request,
    Response,
    bulk_response,
    error,
    search_response,
)

ALIAS = "test-products"
V1 = "test-products-20250102030405000001"
V2 = "test-products-20250102030405000002"

TOKEN_FIELDS = ["title^4", "keywords^2", "sizes^2", "pinyin^2", "body^1"]
# The word as typed also reaches the weak field (seller's name, English category and place names).
TYPED_FIELDS = [*TOKEN_FIELDS, "weak^0.5"]
CJK_FIELDS = ["name^3", "description^1"]


def tokens(text, kind="phrase"):
    return {"multi_match": {"query": text, "type": kind, "fields": TOKEN_FIELDS}}


def typed(text, kind="phrase"):
    """The clause of the word as typed: our token fields and the weak field."""
    return {"multi_match": {"query": text, "type": kind, "fields": TYPED_FIELDS}}


def cjk(text, kind="phrase"):
    return {"multi_match": {"query": text, "type": kind, "fields": CJK_FIELDS}}


def synonym(clause):
    """A clause for a synonym of what was typed: it counts half."""
    return {"multi_match": {**clause["multi_match"], "boost": 0.5}}


def any_of(*alternatives):
    return {"bool": {"should": list(alternatives), "minimum_should_match": 1}}


def either(*clauses):
    """A word and its bigrams: one alternative matched two ways, the better counts."""
    return {"dis_max": {"queries": list(clauses)}}


def name_bonus(*phrases):
    """1,000 for each Chinese word typed that the name holds: the phrase of its bigrams (or the
    character) on `title`, as the database backends' name bonus."""
    return [{"constant_score": {"filter": {"match_phrase": {"title": p}}, "boost": 1000}} for p in phrases]


def all_of(*terms, named=()):
    query = {"bool": {"must": list(terms)}}
    if named:
        query["bool"]["should"] = name_bonus(*named)
    return query


def counted(term):
    """A term that adds 10,000 to the score when it matches: the sum counts the terms matched."""
    return {"function_score": {"query": term, "functions": [{"weight": 10_000}], "boost_mode": "sum"}}


def most_of(minimum, *terms, named=()):
    query = {"bool": {"should": [counted(term) for term in terms], "minimum_should_match": minimum}}
    return {"bool": {"must": [query], "should": name_bonus(*named)}} if named else query


IN_STOCK_FIRST = {"in_stock": {"order": "desc"}}
BY_ID = {"id": {"order": "desc"}}
HIGHLIGHT = {
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "encoder": "html",
    "fields": {"name": {"number_of_fragments": 0}, "description": {"fragment_size": 80, "number_of_fragments": 1}},
}
PRICE_BUCKETS = [
    {"key": "0-20", "to": 20},
    {"key": "20-50", "from": 20, "to": 50},
    {"key": "50-100", "from": 50, "to": 100},
    {"key": "100-200", "from": 100, "to": 200},
    {"key": "200-", "from": 200},
]
MATCH_ALL = {"match_all": {}}


def facet_aggs(category=MATCH_ALL, province=MATCH_ALL, county=MATCH_ALL, village=MATCH_ALL, price=MATCH_ALL):
    def terms(field):
        return {"terms": {"field": field, "size": 50}}

    return {
        "category": {"filter": category, "aggs": {"values": terms("category_id")}},
        "province": {"filter": province, "aggs": {"values": terms("province_id")}},
        "county": {"filter": county, "aggs": {"values": terms("county_id")}},
        "village": {"filter": village, "aggs": {"values": terms("village_id")}},
        "price": {"filter": price, "aggs": {"values": {"range": {"field": "min_price", "ranges": PRICE_BUCKETS}}}},
    }


MAPPINGS = {
    "dynamic": False,
    "properties": {
        "id": {"type": "long"},
        "name": {
            "type": "text",
            "analyzer": "cjk",
            "similarity": "shanhuo_bm25",
            "fields": {"trigrams": {"type": "text", "analyzer": "shanhuo_trigrams"}},
        },
        "name_pinyin": {"type": "text", "analyzer": "shanhuo_trigrams"},
        "description": {"type": "text", "analyzer": "cjk", "similarity": "shanhuo_bm25"},
        "title": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "keywords": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "sizes": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "pinyin": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "body": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "weak": {"type": "text", "analyzer": "shanhuo_tokens", "similarity": "shanhuo_bm25"},
        "category_id": {"type": "keyword"},
        "top_category_id": {"type": "keyword"},
        "province_id": {"type": "keyword"},
        "county_id": {"type": "keyword"},
        "village_id": {"type": "keyword"},
        "min_price": {"type": "scaled_float", "scaling_factor": 100},
        "in_stock": {"type": "boolean"},
        "created_at": {"type": "date"},
    },
}
ANALYSIS = {
    "analyzer": {
        "shanhuo_tokens": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]},
        # The name and its pinyin as the trigrams inside each word, for the near match's candidates.
        "shanhuo_trigrams": {"type": "custom", "tokenizer": "shanhuo_trigram", "filter": ["lowercase"]},
    },
    "tokenizer": {
        "shanhuo_trigram": {"type": "ngram", "min_gram": 3, "max_gram": 3, "token_chars": ["letter", "digit"]}
    },
}
# Text fields score without BM25's length normalisation: a long name is as relevant as a short one.
SIMILARITY = {"shanhuo_bm25": {"type": "BM25", "b": 0}}


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def backend(recorder):
    """Configured as in production (make_client), only the node is the recorder."""
    return ElasticsearchBackend(URL, "test", client=make_client(URL, node_class=recorder.node_class))


@pytest.fixture(autouse=True)
def versions(monkeypatch):
    counter = itertools.count(1)
    monkeypatch.setattr(es_backend, "index_version", lambda: f"20250102030405{next(counter):06d}")


def sent_search(recorder, index=0) -> dict:
    request = recorder.requests[index]
    assert (request.method, request.path, request.params) == ("POST", f"/{ALIAS}/_search", {})
    return request.body


def document(product_id, **fields):
    return {
        "id": product_id,
        "name": "赣南脐橙",
        "description": "果园直发",
        "title": "赣南 脐橙 赣南脐橙 赣南 南脐 脐橙 赣 南 脐 橙",
        "keywords": "水果 fruit 江西 jiangxi",
        "pinyin": "gan nan gannan gn qi cheng qicheng qc jiang xi jiangxi jx",
        "name_pinyin": "gan nan gannan gn qi cheng qicheng qc",
        "body": "果园 直发",
        "category_id": 3,
        "top_category_id": 1,
        "province_id": 36,
        "county_id": 360,
        "village_id": 3601,
        "min_price": Decimal("39.90"),
        "in_stock": True,
        "created_at": datetime.datetime(2025, 3, 1, 8, 30, tzinfo=datetime.UTC),
        **fields,
    }


def sent_document(product_id, **fields):
    """The same document as the server receives it: JSON numbers and ISO dates."""
    sent = document(product_id, **fields)
    sent["min_price"] = float(sent["min_price"])
    sent["created_at"] = sent["created_at"].isoformat()
    return sent


# --- Mapping ----------------------------------------------------------------------------------


def test_mapping_cjk_on_text_our_tokens_by_whitespace_keywords_for_facets():
    assert es_backend.index_body() == {
        "settings": {"auto_expand_replicas": "0-1", "similarity": SIMILARITY, "analysis": ANALYSIS},
        "mappings": MAPPINGS,
    }


def test_a_new_index_is_loaded_without_refreshes_or_replicas():
    assert es_backend.index_body(loading=True) == {
        "settings": {"number_of_replicas": 0, "refresh_interval": "-1", "similarity": SIMILARITY, "analysis": ANALYSIS},
        "mappings": MAPPINGS,
    }


# --- Query bodies -----------------------------------------------------------------------------


def test_chinese_word_whole_request(backend, recorder):
    recorder.respond(search_response(), search_response(), search_response())  # the near match's candidates: none
    backend.search("赣南脐橙")
    # Nothing held it: the second try reads the compound as its words, either of them will do.
    second = sent_search(recorder, 1)["query"]
    assert second == most_of(1, any_of(typed("赣南"), cjk("赣南")), ORANGE_TERM, named=["赣南", "脐橙"])
    assert sent_search(recorder) == {
        # Its bigrams count as the word itself; on the cjk fields the word is already its bigrams.
        "query": all_of(
            any_of(either(typed("赣南脐橙"), tokens("赣南 南脐 脐橙")), cjk("赣南脐橙")), named=["赣南 南脐 脐橙"]
        ),
        "aggs": facet_aggs(),
        "sort": [IN_STOCK_FIRST, {"_score": {"order": "desc"}}, BY_ID],
        "_source": ["name", "description"],
        "highlight": HIGHLIGHT,
        "track_total_hits": True,
        "from": 0,
        "size": 20,
    }


def test_pinyin_matches_our_pinyin_tokens_and_the_chinese_words_it_spells(backend, recorder):
    recorder.respond(search_response(), search_response())  # the near match's candidates: none
    backend.search("tudou", facets=False)
    assert sent_search(recorder)["query"] == all_of(
        any_of(
            typed("tudou"),
            synonym(tokens("potato")),
            synonym(tokens("土豆")),
            either(synonym(tokens("山药蛋")), synonym(tokens("山药 药蛋"))),
            synonym(tokens("洋芋")),
            either(synonym(tokens("马铃薯")), synonym(tokens("马铃 铃薯"))),
            synonym(cjk("土豆")),
            synonym(cjk("山药蛋")),
            synonym(cjk("洋芋")),
            synonym(cjk("马铃薯")),
        )
    )


def test_pinyin_initials_are_one_token(backend, recorder):
    recorder.respond(search_response(), search_response())  # the near match's candidates: none
    backend.search("gnqc", facets=False)  # 赣南脐橙
    assert sent_search(recorder)["query"] == all_of(any_of(typed("gnqc")))


def test_synonyms_are_alternatives_of_one_term(backend, recorder):
    recorder.respond(search_response(), search_response())  # the near match's candidates: none
    backend.search("马铃薯", facets=False)
    # The word typed (or its bigrams) counts in full, every synonym (or its bigrams) at half.
    assert sent_search(recorder)["query"] == all_of(
        any_of(
            either(typed("马铃薯"), tokens("马铃 铃薯")),
            synonym(tokens("potato")),
            synonym(tokens("土豆")),
            either(synonym(tokens("山药蛋")), synonym(tokens("山药 药蛋"))),
            synonym(tokens("洋芋")),
            cjk("马铃薯"),
            synonym(cjk("土豆")),
            synonym(cjk("山药蛋")),
            synonym(cjk("洋芋")),
        ),
        named=["马铃 铃薯"],
    )


def test_english_phrase_and_its_chinese_synonym(backend, recorder):
    recorder.respond(search_response(), search_response())  # the near match's candidates: none
    backend.search("Navel Oranges", facets=False)
    assert sent_search(recorder)["query"] == all_of(
        any_of(typed("navel orange"), synonym(tokens("脐橙")), synonym(cjk("脐橙")))
    )


def test_single_character_has_no_bigram_clause_of_its_own(backend, recorder):
    recorder.respond(search_response())
    backend.search("橙", facets=False)
    assert sent_search(recorder)["query"] == all_of(
        any_of(
            typed("橙"),
            synonym(tokens("orange")),
            synonym(tokens("橙子")),
            synonym(tokens("甜橙")),
            synonym(cjk("橙子")),
            synonym(cjk("甜橙")),
        ),
        named=["橙"],  # one character: the character itself
    )


ORANGE_TERM = any_of(typed("脐橙"), synonym(tokens("navel orange")), cjk("脐橙"))
YUNNAN_TERM = any_of(typed("云南"), cjk("云南"))
HONEY_TERM = any_of(
    typed("蜂蜜"),
    synonym(tokens("honey")),
    either(synonym(tokens("土蜂蜜")), synonym(tokens("土蜂 蜂蜜"))),
    cjk("蜂蜜"),
    synonym(cjk("土蜂蜜")),
)


def test_both_words_of_two_must_match_then_either_will_do(backend, recorder):
    recorder.respond(search_response(), search_response())
    backend.search("脐橙 云南", facets=False)
    assert sent_search(recorder)["query"] == all_of(ORANGE_TERM, YUNNAN_TERM, named=["脐橙", "云南"])
    # Nothing held both: the second try lets one be missing, goods holding more ranked first.
    assert sent_search(recorder, 1)["query"] == most_of(1, ORANGE_TERM, YUNNAN_TERM, named=["脐橙", "云南"])


def test_of_three_words_two_must_match_and_each_counts(backend, recorder):
    recorder.respond(search_response([(7, {"name": "云南脐橙"}, None, 20012.5)]))
    results = backend.search("脐橙 云南 蜂蜜", facets=False)
    assert sent_search(recorder)["query"] == most_of(
        2, ORANGE_TERM, YUNNAN_TERM, HONEY_TERM, named=["脐橙", "云南", "蜂蜜"]
    )
    assert [hit.product_id for hit in results.hits] == [7]
    assert len(recorder.requests) == 1, "found at the first try: no second"


def test_blank_query_matches_everything_without_highlighting(backend, recorder):
    recorder.respond(search_response())
    backend.search("   ")
    body = sent_search(recorder)
    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body
    assert body["aggs"] == facet_aggs()
    assert body["sort"] == [IN_STOCK_FIRST, {"_score": {"order": "desc"}}, BY_ID]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("relevance", {"_score": {"order": "desc"}}),
        ("price_asc", {"min_price": {"order": "asc"}}),
        ("price_desc", {"min_price": {"order": "desc"}}),
        ("newest", {"created_at": {"order": "desc"}}),
    ],
)
def test_sorts_keep_stock_first_and_break_ties_by_newest_id(backend, recorder, sort, order):
    recorder.respond(search_response())
    backend.search("苹果", sort=sort, facets=False)
    assert sent_search(recorder)["sort"] == [IN_STOCK_FIRST, order, BY_ID]


def test_page_is_from_and_size(backend, recorder):
    recorder.respond(search_response())
    backend.search("苹果", page=Page(offset=40, limit=10), facets=False)
    body = sent_search(recorder)
    assert (body["from"], body["size"]) == (40, 10)
    assert "aggs" not in body and "post_filter" not in body


CATEGORY = {
    "bool": {
        "should": [{"term": {"category_id": "3"}}, {"term": {"top_category_id": "3"}}],
        "minimum_should_match": 1,
    }
}
PROVINCE = {"term": {"province_id": "53"}}
COUNTY = {"term": {"county_id": "530"}}
VILLAGE = {"term": {"village_id": "5301"}}
PRICE = {"range": {"min_price": {"gte": 20, "lt": 50}}}
IN_STOCK = {"term": {"in_stock": True}}


def test_filters_in_post_filter_and_each_facet_counted_under_the_others(backend, recorder):
    recorder.respond(search_response())
    filters = SearchFilters(category=3, province=53, county=530, village=5301, price="20-50", in_stock=True)
    backend.search("苹果", filters)
    body = sent_search(recorder)
    assert body["post_filter"] == {"bool": {"filter": [CATEGORY, PROVINCE, COUNTY, VILLAGE, PRICE, IN_STOCK]}}
    assert body["aggs"] == facet_aggs(
        category={"bool": {"filter": [PROVINCE, COUNTY, VILLAGE, PRICE, IN_STOCK]}},
        province={"bool": {"filter": [CATEGORY, COUNTY, VILLAGE, PRICE, IN_STOCK]}},
        county={"bool": {"filter": [CATEGORY, PROVINCE, VILLAGE, PRICE, IN_STOCK]}},
        village={"bool": {"filter": [CATEGORY, PROVINCE, COUNTY, PRICE, IN_STOCK]}},
        price={"bool": {"filter": [CATEGORY, PROVINCE, COUNTY, VILLAGE, IN_STOCK]}},
    )
    # The match itself is not narrowed: facets count over every match.
    assert body["query"] == all_of(any_of(typed("苹果"), synonym(tokens("apple")), cjk("苹果")), named=["苹果"])


KIWI_PINYIN = "hong xin hongxin hx mi hou tao mihoutao mht"
# The near match's candidates: names and their pinyin sharing trigrams with "mihoutou".
NEAR_CANDIDATES = {
    "query": {"multi_match": {"query": "hou iho mih out tou uto", "fields": ["name.trigrams", "name_pinyin"]}},
    "_source": ["name", "name_pinyin"],
    "track_total_hits": False,
    "size": 200,
}


def near(*scored):
    """Exactly these goods, each scoring its similarity: (score, ids) pairs, lowest score first."""
    ids = sorted(str(product_id) for _, group in scored for product_id in group)
    functions = [{"filter": {"ids": {"values": [str(i) for i in group]}}, "weight": score} for score, group in scored]
    return {
        "function_score": {
            "query": {"ids": {"values": ids}},
            "functions": functions,
            "score_mode": "first",
            "boost_mode": "replace",
        }
    }


def test_a_typing_slip_is_searched_last_among_the_names_near_it_under_the_same_filters(backend, recorder):
    """ "mihoutou" holds no word (one word: no second try). The third request asks for candidates;
    those whose name or pinyin is near enough (pg_trgm's word similarity ≥ 0.6, as PostgreSQL
    finds them) are searched with the first request's filters, facets, sort and highlights."""
    recorder.respond(
        search_response(),
        search_response(
            [
                (7, {"name": "红心猕猴桃", "name_pinyin": KIWI_PINYIN}, None, 9.0),
                (8, {"name": "猴头菇", "name_pinyin": "hou tou gu houtougu htg"}, None, 5.0),  # 0.44
                (9, {"name": "猕猴桃 12个", "name_pinyin": "mi hou tao mihoutao mht"}, None, 4.0),
            ]
        ),
        search_response([(9, {"name": "猕猴桃 12个"}, None, 0.6666667), (7, {"name": "红心猕猴桃"}, None, 0.6666667)]),
    )
    filters = SearchFilters(province=53, price="20-50")
    results = backend.search("mihoutou", filters)
    first, candidates, found = (sent_search(recorder, n) for n in range(3))
    assert len(recorder.requests) == 3
    assert candidates == NEAR_CANDIDATES
    assert found["query"] == near((pytest.approx(2 / 3), [7, 9]))
    assert {key: value for key, value in found.items() if key != "query"} == {
        key: value for key, value in first.items() if key != "query"
    }
    assert found["post_filter"] == {"bool": {"filter": [PROVINCE, PRICE]}}
    assert [hit.product_id for hit in results.hits] == [9, 7]
    # matching_ids takes the same last try, lean.
    recorder.respond(
        search_response(), search_response([(7, {"name": "红心猕猴桃", "name_pinyin": KIWI_PINYIN}, None, 9)])
    )
    recorder.respond(search_response([(7, {}, None, 0.6666667)]))
    assert backend.matching_ids("mihoutou", limit=10) == [7]
    assert sent_search(recorder, 5)["query"] == near((pytest.approx(2 / 3), [7]))
    assert sent_search(recorder, 5)["_source"] is False


def test_no_near_try_when_an_earlier_try_found_goods_or_no_name_is_near(backend, recorder):
    recorder.respond(search_response(), search_response([(7, {"name": "云南会泽土豆"}, None, 10001.0)]))
    assert backend.search("tudou 云南", facets=False).total == 1
    assert len(recorder.requests) == 2, "the second try found goods: no third"
    far = search_response([(8, {"name": "猴头菇", "name_pinyin": "hou tou gu houtougu htg"}, None, 5.0)])
    recorder.respond(search_response(), far)
    assert backend.search("mihoutou").total == 0
    assert len(recorder.requests) == 4, "no candidate near enough: no search of them"
    # Two letters make no trigram: no candidates are asked for.
    recorder.respond(search_response())
    assert backend.search("td").total == 0
    assert len(recorder.requests) == 5


def test_one_filter_leaves_its_own_facet_unfiltered(backend, recorder):
    recorder.respond(search_response())
    backend.search("", SearchFilters(price="200-"))
    body = sent_search(recorder)
    above = {"range": {"min_price": {"gte": 200}}}
    assert body["post_filter"] == {"bool": {"filter": [above]}}
    only_price = {"bool": {"filter": [above]}}
    assert body["aggs"] == facet_aggs(
        category=only_price, province=only_price, county=only_price, village=only_price, price=MATCH_ALL
    )


def test_an_unknown_price_range_is_refused_before_asking(backend, recorder):
    with pytest.raises(ValueError, match="price"):
        backend.search("苹果", SearchFilters(price="1-2"))
    assert recorder.requests == []


def test_autocomplete_request(backend, recorder):
    recorder.respond(search_response())
    backend.autocomplete("赣南脐", limit=5)
    assert sent_search(recorder) == {
        "query": all_of(
            any_of(typed("赣南"), cjk("赣南")),
            any_of(typed("脐", "phrase_prefix")),
            named=["赣南", "脐"],
        ),
        "sort": [IN_STOCK_FIRST, {"_score": {"order": "desc"}}, BY_ID],
        "_source": ["name"],
        "track_total_hits": False,
        "size": 15,
    }


def test_matching_ids_is_one_lean_request(backend, recorder):
    """`products(search:)` wants only ids, best first: no source, highlights, aggregations or total."""
    recorder.respond(search_response([(9, {}, None, 5.0), (4, {}, None, 2.0)]))
    assert backend.matching_ids("赣南", limit=1000) == [9, 4]
    assert sent_search(recorder) == {
        "query": all_of(any_of(typed("赣南"), cjk("赣南")), named=["赣南"]),
        "sort": [IN_STOCK_FIRST, {"_score": {"order": "desc"}}, BY_ID],
        "_source": False,
        "track_total_hits": False,
        "size": 1000,
    }
    assert len(recorder.requests) == 1


def test_autocomplete_prefix_reaches_pinyin_and_cjk_fields(backend, recorder):
    recorder.respond(search_response(), search_response(), search_response())
    backend.autocomplete("tud")
    backend.autocomplete("脐橙")
    backend.autocomplete("冰糖心")
    assert sent_search(recorder, 0)["query"] == all_of(any_of(typed("tud", "phrase_prefix")))
    assert sent_search(recorder, 1)["query"] == all_of(
        any_of(
            typed("脐橙", "phrase_prefix"),
            synonym(tokens("navel orange", "phrase_prefix")),
            cjk("脐橙", "phrase_prefix"),
        ),
        named=["脐橙"],
    )
    assert sent_search(recorder, 2)["query"] == all_of(
        any_of(
            either(typed("冰糖心", "phrase_prefix"), tokens("冰糖 糖心", "phrase_prefix")),
            cjk("冰糖心", "phrase_prefix"),
        ),
        named=["冰糖 糖心"],
    )


# --- Bad input --------------------------------------------------------------------------------

RAW_SYNTAX = ("query_string", "simple_query_string", "regexp", "wildcard", "fuzzy", "prefix", "script")


def _walk(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


@pytest.mark.parametrize(
    "text",
    [
        '"土豆"',
        "土豆*",
        "name:土豆",
        "(土豆",
        "土豆) OR (1=1",
        "'; DROP TABLE search_entry; --",
        "苹果 AND NOT 梨 || title:*",
        "🍊土豆🍊",
        "a\\b/c~2^3",
    ],
)
def test_syntax_characters_never_reach_a_query_parser(backend, recorder, text):
    recorder.respond(search_response(), search_response(), search_response(), search_response())  # second, near tries
    backend.search(text)
    backend.autocomplete(text)
    for request in recorder.requests:
        keys = {key for key, _ in _walk(request.body)}
        assert not keys & set(RAW_SYNTAX)
        queries = [inner["query"] for key, inner in _walk(request.body) if key == "multi_match"]
        assert queries
        for query in queries:
            assert query.replace(" ", "").isalnum(), query


def test_sql_and_lucene_fragments_become_plain_words(backend, recorder):
    recorder.respond(search_response(), search_response(), search_response())  # the near match's candidates: none
    backend.search('"土豆" OR 1=1; DROP TABLE', facets=False)
    potato = any_of(
        typed("土豆"),
        synonym(tokens("potato")),
        either(synonym(tokens("山药蛋")), synonym(tokens("山药 药蛋"))),
        synonym(tokens("洋芋")),
        either(synonym(tokens("马铃薯")), synonym(tokens("马铃 铃薯"))),
        cjk("土豆"),
        synonym(cjk("山药蛋")),
        synonym(cjk("洋芋")),
        synonym(cjk("马铃薯")),
    )
    word = any_of
    assert sent_search(recorder)["query"] == most_of(
        3,
        potato,
        # "or" is a stop word: dropped; "1" typed twice is one word
        word(typed("1")),
        word(typed("drop")),
        word(typed("table")),
        named=["土豆"],
    )


def test_only_emoji_or_punctuation_asks_nothing_and_finds_nothing(backend, recorder):
    for text in ("🍊🍊🍊", "*:()\"'", "？！。"):
        results = backend.search(text)
        assert (results.total, results.hits, results.facets) == (0, [], {})
        assert backend.autocomplete(text) == []
    assert recorder.requests == []


def test_a_thousand_characters_is_a_clear_error_not_a_request(backend, recorder):
    with pytest.raises(QueryTooLong):
        backend.search("土" * 1000)
    with pytest.raises(QueryTooLong):
        backend.autocomplete("a" * 1000)
    assert recorder.requests == []


# --- Reading answers --------------------------------------------------------------------------


def test_hits_in_the_servers_order_with_total(backend, recorder):
    recorder.respond(
        search_response(
            [
                (12, {"name": "赣南脐橙", "description": ""}, None, 7.5),
                (3, {"name": "赣南脐橙 礼盒", "description": ""}, None, 7.5),
                (40, {"name": "脐橙", "description": ""}, None, 1.25),
            ],
            total=137,
            aggregations={},
        )
    )
    results = backend.search("脐橙", page=Page(0, 3))
    assert results.total == 137
    assert [(hit.product_id, hit.score) for hit in results.hits] == [(12, 7.5), (3, 7.5), (40, 1.25)]


def test_highlights_from_elasticsearch_with_the_python_highlighter_where_it_has_none(backend, recorder):
    long_description = "山里的土豆，" * 20 + "沙地种的马铃薯，口感粉糯。" + "产自海拔两千米的山区。" * 10
    recorder.respond(
        search_response(
            [
                # ES marked the name (overlapping bigrams as neighbouring marks) and a description fragment.
                (
                    1,
                    {"name": "高山马铃薯 5斤", "description": long_description},
                    {
                        "name": ["高山<mark>马铃</mark><mark>薯</mark> 5斤"],
                        "description": ["沙地种的<mark>马铃薯</mark>，口感粉糯。"],
                    },
                    3.0,
                ),
                # Nothing from ES: "tudou" matched through pinyin, which only the Python highlighter sees.
                (2, {"name": "<新>土豆 & 洋芋", "description": "好吃"}, None, 2.0),
                # ES marked only the name; the description fallback is Python's.
                (3, {"name": "洋芋", "description": "本地洋芋"}, {"name": ["<mark>洋芋</mark>"]}, 1.0),
            ],
            aggregations={},
        )
    )
    hits = backend.search("tudou").hits
    assert hits[0].highlights == {
        "name": "高山<mark>马铃薯</mark> 5斤",
        "description": "…沙地种的<mark>马铃薯</mark>，口感粉糯。…",
    }
    assert hits[1].highlights == {"name": "&lt;新&gt;<mark>土豆</mark> &amp; <mark>洋芋</mark>"}
    assert hits[2].highlights == {"name": "<mark>洋芋</mark>", "description": "本地<mark>洋芋</mark>"}


def test_elasticsearch_highlights_are_escaped_as_the_other_backends_escape(backend, recorder):
    name = '<b>花椒</b> & "麻" 的'
    # Lucene's HTML encoder also escapes "/" and "'": the same HTML whichever engine answered.
    es_name = "&lt;b&gt;<mark>花椒</mark>&lt;&#x2F;b&gt; &amp; &quot;麻&quot; 的"
    es_description = "&lt;script&gt;alert(&#x27;<mark>花椒</mark>&#x27;)&lt;&#x2F;script&gt;"
    source = {"name": name, "description": "<script>alert('花椒')</script>"}
    recorder.respond(
        search_response([(1, source, {"name": [es_name], "description": [es_description]}, 1.0)], aggregations={})
    )
    assert backend.search("花椒").hits[0].highlights == {
        "name": "&lt;b&gt;<mark>花椒</mark>&lt;/b&gt; &amp; &quot;麻&quot; 的",
        "description": "&lt;script&gt;alert(&#x27;<mark>花椒</mark>&#x27;)&lt;/script&gt;",
    }


def test_blank_query_has_no_highlights(backend, recorder):
    recorder.respond(search_response([(5, {"name": "土豆", "description": "土豆"}, None, 1.0)], aggregations={}))
    assert backend.search("").hits[0].highlights == {}


def test_facets_sorted_by_count_then_id_prices_in_range_order_zeros_dropped(backend, recorder):
    def terms(*pairs):
        return {"doc_count": 99, "values": {"buckets": [{"key": k, "doc_count": n} for k, n in pairs]}}

    aggregations = {
        "category": terms(("5", 2), ("12", 4), ("3", 2)),
        "province": terms(("53", 1)),
        "county": terms(),
        "village": terms(("10", 1), ("9", 1)),
        "price": {
            "doc_count": 9,
            "values": {
                "buckets": [
                    {"key": "200-", "from": 200.0, "doc_count": 2},
                    {"key": "0-20", "to": 20.0, "doc_count": 0},
                    {"key": "100-200", "from": 100.0, "to": 200.0, "doc_count": 1},
                    {"key": "20-50", "from": 20.0, "to": 50.0, "doc_count": 6},
                    {"key": "50-100", "from": 50.0, "to": 100.0, "doc_count": 0},
                ]
            },
        },
    }
    recorder.respond(search_response(total=9, aggregations=aggregations))
    facets = backend.search("苹果").facets
    assert facets == {
        "category": [FacetCount("12", 4), FacetCount("3", 2), FacetCount("5", 2)],
        "province": [FacetCount("53", 1)],
        "county": [],
        "village": [FacetCount("9", 1), FacetCount("10", 1)],
        "price": [FacetCount("20-50", 6), FacetCount("100-200", 1), FacetCount("200-", 2)],
    }


def test_autocomplete_distinct_names_in_the_servers_order(backend, recorder):
    recorder.respond(
        search_response(
            [
                (9, {"name": "赣南脐橙"}, None, 5.0),
                (8, {"name": "赣南脐橙"}, None, 5.0),
                (4, {"name": "赣南脐橙 礼盒"}, None, 4.0),
                (2, {"name": "赣南蜜桔"}, None, 1.0),
            ],
        )
    )
    assert backend.autocomplete("赣南", limit=2) == [
        Suggestion("赣南脐橙", 9),
        Suggestion("赣南脐橙 礼盒", 4),
    ]


def test_no_index_yet_finds_nothing(backend, recorder):
    recorder.respond(error(404, "index_not_found_exception"), error(404, "index_not_found_exception"))
    results = backend.search("苹果")
    assert (results.total, results.hits) == (0, [])
    assert results.facets == {"category": [], "province": [], "county": [], "village": [], "price": []}
    assert backend.autocomplete("苹") == []


# --- Unavailable ------------------------------------------------------------------------------


def test_connection_refused_is_unavailable_after_one_retry(backend, recorder):
    recorder.route = lambda request: elastic_transport.ConnectionError("connection refused")
    with pytest.raises(SearchUnavailable):
        backend.search("苹果")
    assert len(recorder.requests) == 2
    with pytest.raises(SearchUnavailable):
        backend.autocomplete("苹")


def test_timeout_is_unavailable_without_waiting_twice(backend, recorder):
    recorder.route = lambda request: elastic_transport.ConnectionTimeout("read timed out")
    with pytest.raises(SearchUnavailable):
        backend.search("苹果")
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_unavailable(backend, recorder, status):
    recorder.route = lambda request: error(status, "cluster_block_exception")
    with pytest.raises(SearchUnavailable):
        backend.search("苹果")


def test_a_bad_request_is_a_bug_not_an_outage(backend, recorder):
    recorder.respond(error(400, "search_phase_execution_exception"))
    with pytest.raises(BadRequestError):
        backend.search("苹果")


def test_requests_time_out_after_the_configured_seconds(recorder, settings):
    settings.ELASTICSEARCH_TIMEOUT = 3
    backend = ElasticsearchBackend(URL, "test", client=make_client(URL, node_class=recorder.node_class))
    recorder.respond(search_response(aggregations={}))
    backend.search("苹果")
    assert recorder.requests[0].timeout == 3


def test_client_is_built_on_first_use_and_a_closed_port_is_unavailable():
    backend = ElasticsearchBackend("http://127.0.0.1:9", "test")
    assert backend._client is None  # choosing the backend opens nothing
    with pytest.raises(SearchUnavailable):
        backend.search("苹果")
    assert backend._client is not None


# --- Writing ----------------------------------------------------------------------------------

HOLDS_ALIAS = {"test-products-20240101000000000000": {"aliases": {ALIAS: {}}}}


def test_first_write_creates_a_versioned_index_behind_the_alias(backend, recorder):
    recorder.respond(
        error(404, "index_not_found_exception"),
        ACKNOWLEDGED,
        ACKNOWLEDGED,
        bulk_response(("index", "7", 201)),
        bulk_response(("index", "8", 201)),
    )
    assert backend.bulk_index([document(7)]) == 1
    assert backend.bulk_index(iter([document(8, in_stock=False)])) == 1
    assert recorder.lines == [
        ("GET", f"/{ALIAS}/_alias", {}, None),
        ("PUT", f"/{V1}", {}, es_backend.index_body()),
        ("POST", "/_aliases", {}, {"actions": [{"add": {"index": V1, "alias": ALIAS}}]}),
        (
            "PUT",
            "/_bulk",
            {"refresh": "wait_for", "require_alias": "true"},
            [{"index": {"_index": ALIAS, "_id": "7"}}, sent_document(7)],
        ),
        (
            "PUT",
            "/_bulk",
            {"refresh": "wait_for", "require_alias": "true"},
            [{"index": {"_index": ALIAS, "_id": "8"}}, sent_document(8, in_stock=False)],
        ),
    ]


def test_writes_go_through_an_existing_alias(backend, recorder):
    recorder.respond(HOLDS_ALIAS, bulk_response(("index", "1", 200), ("index", "2", 201)))
    assert backend.bulk_index([document(1), document(2, min_price=Decimal("5"))]) == 2
    assert recorder.lines[0] == ("GET", f"/{ALIAS}/_alias", {}, None)
    assert recorder.lines[1][3] == [
        {"index": {"_index": ALIAS, "_id": "1"}},
        sent_document(1),
        {"index": {"_index": ALIAS, "_id": "2"}},
        sent_document(2, min_price=Decimal("5")),
    ]
    assert len(recorder.requests) == 2


def test_nothing_to_write_asks_nothing(backend, recorder):
    assert backend.bulk_index([]) == 0
    backend.delete_many([])
    assert recorder.requests == []


def test_a_rejected_document_raises(backend, recorder):
    recorder.respond(HOLDS_ALIAS, bulk_response(("index", "1", 400)))
    with pytest.raises(BulkIndexError):
        backend.bulk_index([document(1)])


def test_delete_many_ignores_documents_not_indexed(backend, recorder):
    recorder.respond(HOLDS_ALIAS, bulk_response(("delete", "4", 200), ("delete", "5", 404)))
    backend.delete_many([4, 5])
    assert recorder.lines[1] == (
        "PUT",
        "/_bulk",
        {"refresh": "wait_for", "require_alias": "true"},
        [{"delete": {"_index": ALIAS, "_id": "4"}}, {"delete": {"_index": ALIAS, "_id": "5"}}],
    )


def test_delete_many_raises_on_other_failures(backend, recorder):
    recorder.respond(HOLDS_ALIAS, bulk_response(("delete", "4", 409)))
    with pytest.raises(BulkIndexError):
        backend.delete_many([4])


def test_clear_deletes_every_document(backend, recorder):
    recorder.respond(HOLDS_ALIAS, {"deleted": 3})
    backend.clear()
    assert recorder.lines[1] == (
        "POST",
        f"/{ALIAS}/_delete_by_query",
        {"conflicts": "proceed", "refresh": "true"},
        {"query": {"match_all": {}}},
    )


# --- Rebuild: a new index, one alias switch ---------------------------------------------------


def _load_steps(documents):
    lines = []
    for product_id in documents:
        lines += [{"index": {"_index": V1, "_id": str(product_id)}}, sent_document(product_id)]
    return [
        ("PUT", f"/{V1}", {}, es_backend.index_body(loading=True)),
        ("PUT", "/_bulk", {}, lines),
        ("PUT", f"/{V1}/_settings", {}, {"index": {"refresh_interval": None, "auto_expand_replicas": "0-1"}}),
        ("POST", f"/{V1}/_refresh", {}, None),
        ("GET", f"/{ALIAS}/_alias", {}, None),
    ]


def test_rebuild_swaps_the_alias_in_one_request_then_deletes_the_old_indices(backend, recorder):
    old = {
        "test-products-20240101000000000000": {"aliases": {ALIAS: {}}},
        "test-products-20240202000000000000": {"aliases": {ALIAS: {}}},
    }
    recorder.respond(
        ACKNOWLEDGED,
        bulk_response(("index", "1", 201), ("index", "2", 201)),
        ACKNOWLEDGED,
        {"_shards": {}},
        old,
        ACKNOWLEDGED,
        ACKNOWLEDGED,
    )
    report = backend.rebuild(iter([document(1), document(2)]))
    assert (report.documents, report.index) == (2, V1)
    assert recorder.lines == [
        *_load_steps([1, 2]),
        (
            "POST",
            "/_aliases",
            {},
            {
                "actions": [
                    {"remove": {"index": "test-products-20240101000000000000", "alias": ALIAS}},
                    {"remove": {"index": "test-products-20240202000000000000", "alias": ALIAS}},
                    {"add": {"index": V1, "alias": ALIAS}},
                ]
            },
        ),
        (
            "DELETE",
            "/test-products-20240101000000000000,test-products-20240202000000000000",
            {"ignore_unavailable": "true"},
            None,
        ),
    ]
    # Loading waits as long as a bulk load may take, not a shopper's search timeout.
    assert {request.timeout for request in recorder.requests} == {es_backend.WRITE_TIMEOUT}


def test_rebuild_replaces_a_concrete_index_named_like_the_alias_in_the_same_request(backend, recorder):
    recorder.respond(
        ACKNOWLEDGED,
        bulk_response(("index", "1", 201)),
        ACKNOWLEDGED,
        {"_shards": {}},
        {ALIAS: {"aliases": {}}},
        ACKNOWLEDGED,
    )
    backend.rebuild([document(1)])
    assert recorder.lines == [
        *_load_steps([1]),
        (
            "POST",
            "/_aliases",
            {},
            {"actions": [{"remove_index": {"index": ALIAS}}, {"add": {"index": V1, "alias": ALIAS}}]},
        ),
    ]


def test_first_rebuild_only_adds_the_alias(backend, recorder):
    recorder.respond(
        ACKNOWLEDGED,
        bulk_response(("index", "1", 201)),
        ACKNOWLEDGED,
        {"_shards": {}},
        error(404, "index_not_found_exception"),
        ACKNOWLEDGED,
        bulk_response(("index", "1", 200)),
    )
    backend.rebuild([document(1)])
    assert recorder.lines[-1] == ("POST", "/_aliases", {}, {"actions": [{"add": {"index": V1, "alias": ALIAS}}]})
    # Later writes trust the alias the rebuild made.
    backend.bulk_index([document(1)])
    assert recorder.lines[-1][:2] == ("PUT", "/_bulk")
    assert len(recorder.requests) == 7


def test_a_failed_load_drops_the_new_index_and_leaves_the_alias(backend, recorder):
    recorder.respond(ACKNOWLEDGED, bulk_response(("index", "1", 400)), ACKNOWLEDGED)
    with pytest.raises(BulkIndexError):
        backend.rebuild([document(1)])
    assert [line[:2] for line in recorder.lines] == [("PUT", f"/{V1}"), ("PUT", "/_bulk"), ("DELETE", f"/{V1}")]


def test_old_indices_left_behind_do_not_fail_a_finished_rebuild(backend, recorder):
    recorder.respond(
        ACKNOWLEDGED,
        bulk_response(("index", "1", 201)),
        ACKNOWLEDGED,
        {"_shards": {}},
        HOLDS_ALIAS,
        ACKNOWLEDGED,
        *[error(500, "process_cluster_event_timeout_exception")] * 2,
    )
    report = backend.rebuild([document(1)])
    assert report.index == V1
    assert recorder.lines[-1][0] == "DELETE"


class Cluster:
    """Just enough of a server to follow which index the alias serves at every moment."""

    def __init__(self):
        self.indices = {"test-products-old": {"9": {"name": "旧"}}}
        self.aliases = {"test-products-old": {ALIAS}}
        self.searched = []

    def __call__(self, request: Request):
        path = request.path.strip("/")
        if request.method == "PUT" and "/" not in path and not path.startswith("_"):
            self.indices[path] = {}
            return ACKNOWLEDGED
        if path == "_bulk":
            lines = iter(request.body)
            for action, source in zip(lines, lines, strict=True):
                self.indices[action["index"]["_index"]][action["index"]["_id"]] = source
            return bulk_response(*[("index", a["index"]["_id"], 201) for a in request.body[::2]])
        if path.endswith(("/_settings", "/_refresh")):
            return ACKNOWLEDGED
        if path == f"{ALIAS}/_alias":
            return {name: {"aliases": {a: {} for a in held}} for name, held in self.aliases.items() if ALIAS in held}
        if path == "_aliases":
            for action in request.body["actions"]:
                ((kind, spec),) = action.items()
                if kind == "remove":
                    self.aliases[spec["index"]].discard(spec["alias"])
                elif kind == "add":
                    self.aliases.setdefault(spec["index"], set()).add(spec["alias"])
            return ACKNOWLEDGED
        if request.method == "DELETE":
            for name in path.split(","):
                del self.indices[name]
                self.aliases.pop(name, None)
            return ACKNOWLEDGED
        if path == f"{ALIAS}/_search":
            (served,) = [name for name, held in self.aliases.items() if ALIAS in held]
            self.searched.append(served)
            docs = self.indices[served]
            return search_response([(int(i), d, None, 1.0) for i, d in docs.items()], aggregations={})
        return Response(400, {"error": f"unexpected {request.method} {path}"})


def test_search_never_goes_dark_during_a_rebuild(backend, recorder):
    cluster = Cluster()
    recorder.route = cluster
    seen_during_load = []

    def documents():
        for product_id in (1, 2):
            seen_during_load.append([hit.product_id for hit in backend.search("").hits])
            yield document(product_id)

    backend.rebuild(documents())
    after = [hit.product_id for hit in backend.search("").hits]
    assert seen_during_load == [[9], [9]]
    assert sorted(after) == [1, 2]
    assert cluster.searched == ["test-products-old", "test-products-old", V1]
    assert set(cluster.indices) == {V1}
