"""The Elasticsearch backend (official client 9.x and its `elasticsearch.dsl`).

Chinese is matched twice over: on our own pre-segmented token fields (jieba words, bigrams and
single characters, pinyin, synonyms, all from `search.analysis`, indexed as they are by a whitespace
analyzer), which is what makes results agree with the database backends, and on `name` and
`description` with the built-in `cjk` analyzer (bigrams, no plugin), which adds Elasticsearch's
own highlighting. Nothing the shopper types ever reaches a query parser: every clause is a
`multi_match` phrase of tokens that analysis has already cleaned to letters and digits.

A query that found nothing, and nothing with a word fewer (`AnalysedQuery.relaxed`), gets a last
try as on the databases: names whose words or pinyin are near what was typed ("tudo", "mihoutou").
The engine offers candidates from trigram fields (`name.trigrams`, `name_pinyin`), which are
measured with pg_trgm's word similarity (`analysis.word_similarity`) and searched like any match.

Indices are versioned (`<prefix>-products-<UTC timestamp>`) and served through the alias
`<prefix>-products`; a rebuild loads a new index and moves the alias in one `_aliases` request, so
searches keep answering from the old index until the new one is complete."""

import functools
import html
import logging
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import chain

from django.conf import settings
from django.utils.html import escape
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers
from elasticsearch.dsl import (
    A,
    Agg,
    Boolean,
    Date,
    Index,
    Keyword,
    Long,
    Mapping,
    Q,
    ScaledFloat,
    Search,
    Text,
    analyzer,
    tokenizer,
)
from elasticsearch.dsl.query import Query

from ..analysis import (
    WORD_SIMILARITY_THRESHOLD,
    AnalysedQuery,
    Term,
    bigrams,
    has_cjk,
    trigrams,
    word_similarity,
)
from ..highlight import SNIPPET_LENGTH, highlight
from ..query import (
    FACETS,
    PRICE_RANGES,
    PRICE_RANGES_BY_KEY,
    FacetCount,
    Page,
    SearchFilters,
    SearchHit,
    SearchResults,
    Suggestion,
)
from .base import RebuildReport, SearchBackend, SearchUnavailable

logger = logging.getLogger(__name__)

# --- Mapping ----------------------------------------------------------------------------------

# Our token fields arrive segmented and lower-cased: split on spaces and index them as they are.
TOKENS_ANALYZER = analyzer("shanhuo_tokens", tokenizer="whitespace", filter=["lowercase"])
TOKEN_FIELDS = ("title", "keywords", "sizes", "pinyin", "body", "weak")
FACET_FIELDS = {"category": "category_id", "province": "province_id", "county": "county_id", "village": "village_id"}
KEYWORD_FIELDS = ("category_id", "top_category_id", "province_id", "county_id", "village_id")
# The name and its pinyin as runs of three letters or digits within a word, lower-cased: pg_trgm's
# trigrams without its padding, as SQLite's FTS5 trigram table holds them. The near match (a typing
# slip: "tudo", "mihoutou") takes its candidates from these (`build_near_candidates`).
TRIGRAM_ANALYZER = analyzer(
    "shanhuo_trigrams",
    tokenizer=tokenizer("shanhuo_trigram", "ngram", min_gram=3, max_gram=3, token_chars=["letter", "digit"]),
    filter=["lowercase"],
)
NEAR_FIELDS = ("name.trigrams", "name_pinyin")


# BM25 without its length normalisation (b = 0) on every text field: a name carrying a pack size
# ("核桃 新货 纸皮 原味 5斤 礼盒装") is as much about 核桃 as a short one, as PostgreSQL's ts_rank
# and SQLite's name score judge it; length must not order goods the databases hold equal.
SIMILARITY = "shanhuo_bm25"
SIMILARITY_SETTINGS = {SIMILARITY: {"type": "BM25", "b": 0}}


def mapping() -> Mapping:
    m = Mapping()
    # Unknown fields are kept in _source but not indexed: a new document field never breaks writes.
    m.meta("dynamic", False)
    m.field("id", Long())  # the product id as a number, for the final tie-break (never sort on _id)
    # The trigram fields keep BM25's length normalisation, as SQLite's FTS5 rank of its candidates:
    # of two names sharing a run, the shorter is nearer.
    m.field("name", Text(analyzer="cjk", similarity=SIMILARITY, fields={"trigrams": Text(analyzer=TRIGRAM_ANALYZER)}))
    m.field("name_pinyin", Text(analyzer=TRIGRAM_ANALYZER))
    m.field("description", Text(analyzer="cjk", similarity=SIMILARITY))
    for name in TOKEN_FIELDS:
        m.field(name, Text(analyzer=TOKENS_ANALYZER, similarity=SIMILARITY))
    for name in KEYWORD_FIELDS:
        m.field(name, Keyword())  # ids as terms: exact filters and terms aggregations
    m.field("min_price", ScaledFloat(scaling_factor=100))
    m.field("in_stock", Boolean())
    m.field("created_at", Date())
    return m


# While a new index is loaded nobody searches it: no refreshes, no replicas to copy to.
LOADING_SETTINGS = {"number_of_replicas": 0, "refresh_interval": "-1"}
# Serving: the default refresh, and a replica wherever the cluster has a second node for it.
LIVE_SETTINGS = {"auto_expand_replicas": "0-1"}
RESTORE_SETTINGS = {"index": {"refresh_interval": None, **LIVE_SETTINGS}}


def index_body(loading: bool = False) -> dict:
    """Settings (with the analyzer) and mappings of a new index."""
    index = Index("products")
    index.settings(**(LOADING_SETTINGS if loading else LIVE_SETTINGS), similarity=SIMILARITY_SETTINGS)
    index.mapping(mapping())
    return index.to_dict()


def index_version() -> str:
    """Sortable, and distinct for two rebuilds within the same second."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")


# --- Queries ----------------------------------------------------------------------------------

# Field boosts: the product's own name counts most; category, place and pinyin words next; the
# weak field (seller's name, English names of category and places) least, and only for the words
# as typed (`analysis.Term.own`).
TITLE_BOOST = 4
KEYWORDS_BOOST = 2
SIZES_BOOST = 2
PINYIN_BOOST = 2
BODY_BOOST = 1
WEAK_BOOST = 0.5
# The cjk-analysed name and description (Chinese alternatives only).
NAME_BOOST = 3
DESCRIPTION_BOOST = 1
# A synonym (or the Chinese a pinyin query spells) matches, but below the word as typed.
SYNONYM_BOOST = 0.5
# Added for each term a product matches when some may be missing: far above what relevance adds
# (tens, a few hundred at most), so goods matching more of the words come first; not so far that
# a score's float loses relevance's fractions.
TERM_SCORE = 10_000
# Added for each Chinese word typed that the name holds (`name_bonus`): above any relevance score
# of the fields, below one more term matched.
NAME_BONUS = 1_000

TOKEN_FIELD_BOOSTS = (
    f"title^{TITLE_BOOST}",
    f"keywords^{KEYWORDS_BOOST}",
    f"sizes^{SIZES_BOOST}",
    f"pinyin^{PINYIN_BOOST}",
    f"body^{BODY_BOOST}",
)
OWN_TOKEN_FIELD_BOOSTS = (*TOKEN_FIELD_BOOSTS, f"weak^{WEAK_BOOST}")
CJK_FIELD_BOOSTS = (f"name^{NAME_BOOST}", f"description^{DESCRIPTION_BOOST}")

# Terms aggregation size: more places or categories than this in one result list are not shown.
FACET_SIZE = 50
MARK = ("<mark>", "</mark>")

SORT_ORDERS = {
    "relevance": [{"_score": {"order": "desc"}}],
    "price_asc": [{"min_price": {"order": "asc"}}],
    "price_desc": [{"min_price": {"order": "desc"}}],
    "newest": [{"created_at": {"order": "desc"}}],
}
IN_STOCK_FIRST = {"in_stock": {"order": "desc"}}
# Equal otherwise: the newest product (the highest id) first, as on every backend.
TIE_BREAK = {"id": {"order": "desc"}}

# Rebuilds and bulk loads may take longer than a shopper waits for a search.
WRITE_TIMEOUT = 120
BULK_CHUNK = 500


def _is_chinese(alternative: tuple[str, ...]) -> bool:
    return all(has_cjk(token) for token in alternative)


def _text(alternative: tuple[str, ...]) -> str:
    """The text an alternative stands for: the word its bigrams were made of (冰糖 糖心: 冰糖心), else
    its tokens run together (Chinese is written without spaces)."""
    if len(alternative) > 1 and all(len(token) == 2 for token in alternative):
        word = alternative[0][0] + "".join(token[1] for token in alternative)
        if tuple(bigrams(word)) == alternative:
            return word
    return "".join(alternative)


def _is_own(alternative: tuple[str, ...], term: Term) -> bool:
    """The word as typed (or its bigrams), as against a synonym or a word its pinyin spells."""
    return _text(alternative) == "".join(term.text.split())


def term_query(term: Term) -> Query:
    """Any alternative of the term: a phrase of our tokens, and for Chinese the same words on the
    cjk-analysed name and description (a phrase of bigrams, so as strict as our tokens). What the
    shopper typed counts more than its synonyms, so 土豆 ranks goods named 土豆 first."""
    kind = "phrase_prefix" if term.prefix else "phrase"

    def clause(text: str, fields: tuple[str, ...], own: bool) -> Query:
        extra = {} if own else {"boost": SYNONYM_BOOST}
        return Q("multi_match", query=text, type=kind, fields=list(fields), **extra)

    # A word and its bigrams are one alternative matched two ways: the better of the two counts,
    # or a three-character synonym (马铃薯) would outscore the two-character word typed (土豆).
    same_text: dict[str, list[Query]] = {}
    for alt in term.alternatives:
        fields = OWN_TOKEN_FIELD_BOOSTS if alt in term.own else TOKEN_FIELD_BOOSTS
        same_text.setdefault(_text(alt), []).append(clause(" ".join(alt), fields, _is_own(alt, term)))
    clauses = [group[0] if len(group) == 1 else Q("dis_max", queries=group) for group in same_text.values()]
    seen = set()
    for alternative in term.alternatives:
        # The cjk analyzer makes a word's bigrams itself: a word and its bigrams are one clause there.
        text = _text(alternative)
        # One character has no bigram to match: our `title` characters already find it.
        if _is_chinese(alternative) and len(text) > 1 and text not in seen:
            seen.add(text)
            clauses.append(clause(text, CJK_FIELD_BOOSTS, _is_own(alternative, term)))
    return Q("bool", should=clauses, minimum_should_match=1)


def counted_term_query(term: Term) -> Query:
    """The term's query, scoring `TERM_SCORE` more when it matches (a `weight` function added to
    its relevance, no script): the sum over the terms counts those a product holds."""
    return Q("function_score", query=term_query(term), functions=[{"weight": TERM_SCORE}], boost_mode="sum")


def name_bonus(query: AnalysedQuery) -> list[Query]:
    """`NAME_BONUS` for each Chinese word typed that the product's name holds, as the database
    backends add theirs: 土豆 goods before 马铃薯 goods when the shopper typed 土豆, whatever the
    words' rarity makes of a synonym's score. On `title`, whose bigrams and characters run in the
    name's order, so a phrase of the word's bigrams (or the character itself) is the word in the name."""
    clauses = []
    for term in query.terms:
        word = term.alternatives[0]
        if len(word) == 1 and has_cjk(word[0]):
            phrase = " ".join(bigrams(word[0]) or [word[0]])
            clauses.append(Q("constant_score", filter=Q("match_phrase", title=phrase), boost=NAME_BONUS))
    return clauses


def match_query(query: AnalysedQuery) -> Query:
    """`query.required` of the terms must match (all of one or two words: every one must); blank
    matches everything. When some may be missing, goods matching more terms score higher; then
    goods whose name holds the words typed (`name_bonus`)."""
    if query.is_blank:
        return Q("match_all")
    bonus = name_bonus(query)
    if query.required >= len(query.terms):
        return Q("bool", must=[term_query(term) for term in query.terms], **({"should": bonus} if bonus else {}))
    most = Q("bool", should=[counted_term_query(term) for term in query.terms], minimum_should_match=query.required)
    return Q("bool", must=[most], should=bonus) if bonus else most


# --- Near matches -----------------------------------------------------------------------------

# How many names the near match measures: those sharing most trigrams with the words typed, as
# SQLite's `NEAR_CANDIDATES`.
NEAR_CANDIDATES = 200


def near_text(query: AnalysedQuery) -> str:
    """The words typed (without stop words) that names are measured against, as the databases
    measure them; empty under three letters, which make no trigram of a word."""
    text = " ".join(term.text for term in query.terms)
    return text if len(text.replace(" ", "")) >= 3 else ""


def build_near_candidates(text: str) -> Search | None:
    """The names (and their pinyin) sharing most trigrams with `text`, the third try of a query
    that found nothing (a typing slip in one word: "tudo", "mihoutou"). No filters: as on SQLite,
    the candidates are measured first (`near_scores`) and the near ones then searched under the
    filters (`build_search(..., near=...)`). None when `text` has no trigram."""
    inner = sorted({trigram for trigram in trigrams(text) if " " not in trigram})
    if not inner:
        return None
    search = Search().query(Q("multi_match", query=" ".join(inner), fields=list(NEAR_FIELDS)))
    search = search.extra(track_total_hits=False).source(["name", "name_pinyin"])
    return search[:NEAR_CANDIDATES]


def near_scores(body: dict | None, text: str) -> dict[int, float]:
    """Of the candidates, the goods PostgreSQL's `<%` accepts, each with its score there: pg_trgm's
    word similarity of `text` to the name or to its pinyin, the better, at least the threshold
    (`analysis.word_similarity`, the measure SQLite's near match computes too)."""
    similar = {}
    for hit in body["hits"]["hits"] if body else []:
        source = hit.get("_source") or {}
        names = (source.get("name") or "", source.get("name_pinyin") or "")
        score = max(word_similarity(text, name) for name in names)
        if score >= WORD_SIMILARITY_THRESHOLD:
            similar[int(hit["_id"])] = score
    return similar


def near_query(similar: dict[int, float]) -> Query:
    """Exactly these goods, each scoring its similarity as the databases score a near match
    (equally near goods: the sort's tie-break, the newest first). A `weight` per score, no script."""
    by_score: dict[float, list[str]] = {}
    for product_id, score in sorted(similar.items()):
        by_score.setdefault(score, []).append(str(product_id))
    functions = [{"filter": {"ids": {"values": ids}}, "weight": score} for score, ids in sorted(by_score.items())]
    return Q(
        "function_score",
        query=Q("ids", values=[str(product_id) for product_id in sorted(similar)]),
        functions=functions,
        score_mode="first",
        boost_mode="replace",
    )


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def filter_clauses(filters: SearchFilters) -> list[Query]:
    clauses = []
    if filters.category is not None:
        value = str(filters.category)
        clauses.append(
            Q("bool", should=[Q("term", category_id=value), Q("term", top_category_id=value)], minimum_should_match=1)
        )
    for facet in ("province", "county", "village"):
        value = getattr(filters, facet)
        if value is not None:
            clauses.append(Q("term", **{FACET_FIELDS[facet]: str(value)}))
    if filters.price is not None:
        price_range = PRICE_RANGES_BY_KEY.get(filters.price)
        if price_range is None:
            raise ValueError(f"unknown price range {filters.price!r}")
        bounds = {}
        if price_range.low is not None:
            bounds["gte"] = _number(price_range.low)
        if price_range.high is not None:
            bounds["lt"] = _number(price_range.high)
        clauses.append(Q("range", min_price=bounds))
    if filters.in_stock is not None:
        clauses.append(Q("term", in_stock=filters.in_stock))
    return clauses


def filter_query(filters: SearchFilters) -> Query | None:
    clauses = filter_clauses(filters)
    return Q("bool", filter=clauses) if clauses else None


def facet_aggregation(facet: str) -> Agg:
    if facet == "price":
        ranges = []
        for price_range in PRICE_RANGES:
            bucket = {"key": price_range.key}
            if price_range.low is not None:
                bucket["from"] = _number(price_range.low)
            if price_range.high is not None:
                bucket["to"] = _number(price_range.high)
            ranges.append(bucket)
        return A("range", field="min_price", ranges=ranges)
    return A("terms", field=FACET_FIELDS[facet], size=FACET_SIZE)


def build_search(
    query: AnalysedQuery,
    filters: SearchFilters,
    facets: bool,
    sort: str,
    page: Page,
    near: dict[int, float] | None = None,
) -> Search:
    """Filters go in `post_filter`, so that each facet's aggregation can count under all filters
    but its own (its `filter` aggregation) while the hits obey them all. With `near` (the near
    matches of a query that found nothing, `near_scores`), those goods, filtered, counted and
    ranked the same way."""
    matching = match_query(query) if near is None else near_query(near)
    search = Search().query(matching).extra(track_total_hits=True)
    post_filter = filter_query(filters)
    if post_filter is not None:
        search = search.post_filter(post_filter)
    if facets:
        for facet in FACETS:
            others = filter_query(filters.without(facet)) or Q("match_all")
            search.aggs.bucket(facet, "filter", filter=others).bucket("values", facet_aggregation(facet))
    search = search.sort(IN_STOCK_FIRST, *SORT_ORDERS[sort], TIE_BREAK)
    search = search.source(["name", "description"])
    if not query.is_blank:
        search = search.highlight_options(pre_tags=[MARK[0]], post_tags=[MARK[1]], encoder="html")
        search = search.highlight("name", number_of_fragments=0)
        search = search.highlight("description", fragment_size=SNIPPET_LENGTH, number_of_fragments=1)
    return search[page.offset : page.offset + page.limit]


def build_ids(query: AnalysedQuery, limit: int, near: dict[int, float] | None = None) -> Search:
    """Just the best hits' ids: no source, no highlights, no aggregations, no total."""
    matching = match_query(query) if near is None else near_query(near)
    search = Search().query(matching).extra(track_total_hits=False)
    search = search.sort(IN_STOCK_FIRST, *SORT_ORDERS["relevance"], TIE_BREAK).source(False)
    return search[:limit]


def build_autocomplete(query: AnalysedQuery, limit: int) -> Search:
    """More hits than names wanted: several products may share a name."""
    search = Search().query(match_query(query)).extra(track_total_hits=False)
    search = search.sort(IN_STOCK_FIRST, *SORT_ORDERS["relevance"], TIE_BREAK).source(["name"])
    return search[: limit * 3]


# --- Responses --------------------------------------------------------------------------------

_TAGS = re.compile("(" + "|".join(re.escape(tag) for tag in MARK) + ")")


def _normalised(fragment: str) -> str:
    """Elasticsearch's fragment escaped as Django escapes (Lucene also escapes "/"), neighbouring
    marks (overlapping bigrams) made one, as the Python highlighter gives them."""
    parts = _TAGS.split(fragment)
    html_text = "".join(part if part in MARK else escape(html.unescape(part)) for part in parts)
    return html_text.replace(MARK[1] + MARK[0], "")


def _with_ellipses(fragment: str, text: str) -> str:
    """A description fragment marked like the Python snippet: … where text was left out."""
    plain = html.unescape(_TAGS.sub("", fragment))
    start = text.find(plain)
    if start == -1 or not plain:
        return fragment
    return ("…" if start > 0 else "") + fragment + ("…" if start + len(plain) < len(text) else "")


def hit_highlights(hit: dict, query: AnalysedQuery) -> dict[str, str]:
    """Elasticsearch's highlights where it has them; otherwise the Python highlighter's, which also
    sees what matched through pinyin, synonyms and our own segmentation."""
    if query.is_blank:
        return {}
    source = hit.get("_source") or {}
    found = hit.get("highlight") or {}
    result = {}
    for field, snippet in (("name", False), ("description", True)):
        text = source.get(field) or ""
        fragments = found.get(field)
        if fragments:
            fragment = _normalised(fragments[0])
            result[field] = _with_ellipses(fragment, text) if snippet else fragment
        else:
            marked = highlight(text, query, snippet=snippet)
            if marked:
                result[field] = marked
    return result


def facet_counts(aggregations: dict) -> dict[str, list[FacetCount]]:
    counts = {}
    for facet in FACETS:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        values = [FacetCount(value=str(b["key"]), count=b["doc_count"]) for b in buckets if b["doc_count"] > 0]
        if facet == "price":
            order = {price_range.key: i for i, price_range in enumerate(PRICE_RANGES)}
            values.sort(key=lambda c: order.get(c.value, len(order)))
        else:
            values.sort(key=lambda c: (-c.count, int(c.value)))
        counts[facet] = values
    return counts


def results(body: dict, query: AnalysedQuery, facets: bool) -> SearchResults:
    hits = [
        SearchHit(product_id=int(hit["_id"]), score=hit.get("_score"), highlights=hit_highlights(hit, query))
        for hit in body["hits"]["hits"]
    ]
    return SearchResults(
        total=body["hits"]["total"]["value"],
        hits=hits,
        facets=facet_counts(body.get("aggregations", {})) if facets else {},
    )


# --- The backend ------------------------------------------------------------------------------


def make_client(url: str, timeout: float | None = None, **options) -> Elasticsearch:
    """A client whose requests give up after `timeout` seconds (ELASTICSEARCH_TIMEOUT by default): a
    search that waits longer is better answered with "search is unavailable". One retry, on
    another connection."""
    return Elasticsearch(
        url,
        request_timeout=settings.ELASTICSEARCH_TIMEOUT if timeout is None else timeout,
        max_retries=1,
        retry_on_timeout=False,
        **options,
    )


def _unavailable(error: Exception) -> bool:
    if isinstance(error, ApiError):
        return error.meta.status >= 500 or error.meta.status == 429
    return isinstance(error, TransportError)  # connection refused, timeouts, TLS


def writes_unavailable(method):
    """A write the engine cannot take now (down, timing out, overloaded) raises SearchUnavailable,
    as a search does, so that indexing queues it for later (`search.indexing.catch_up`). The
    client's errors and their reading are the backend's own where it has them (another client's,
    as OpenSearch's), else this module's."""

    @functools.wraps(method)
    def write(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except getattr(self, "client_errors", (ApiError, TransportError)) as error:
            if getattr(self, "_is_unavailable", _unavailable)(error):
                raise SearchUnavailable(str(error)) from error
            raise

    return write


class ElasticsearchBackend(SearchBackend):
    """Options: `url` of the server, `index_prefix` of its indices, `timeout` of a request in
    seconds (ELASTICSEARCH_TIMEOUT when not given); `client` replaces the one built from them.

    Every request body comes from the module's builders; the methods under "The client" are the
    only ones that call the client, so that another client (OpenSearch's, in
    `search.backends.opensearch`) replaces just those."""

    vendor = "elasticsearch"
    # What the client raises for a failed request (HTTP errors, connections, timeouts).
    client_errors: tuple[type[Exception], ...] = (ApiError, TransportError)

    def __init__(
        self,
        url: str,
        index_prefix: str = "shanhuo",
        *,
        timeout: float | None = None,
        client: Elasticsearch | None = None,
        name: str = "default",
    ):
        super().__init__(name=name)
        self.url = url
        self.alias = f"{index_prefix}-products"
        self.timeout = settings.ELASTICSEARCH_TIMEOUT if timeout is None else timeout
        self._client = client
        self._lock = threading.Lock()
        self._alias_ready = False

    @property
    def client(self) -> Elasticsearch:
        """Built on first use: choosing the backend never opens a connection."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def new_index_name(self) -> str:
        return f"{self.alias}-{index_version()}"

    # --- The client ---------------------------------------------------------------------------

    def _make_client(self) -> Elasticsearch:
        return make_client(self.url, self.timeout)

    def _writer(self) -> Elasticsearch:
        return self.client.options(request_timeout=max(WRITE_TIMEOUT, self.timeout))

    def _bulk(self, actions: Iterable[dict], **options) -> int:
        """helpers.bulk with a writer's timeout; the number of actions that succeeded."""
        written, _ = helpers.bulk(self._writer(), actions, chunk_size=BULK_CHUNK, **options)
        return written

    def _create_index(self, name: str, body: dict) -> None:
        self._writer().indices.create(index=name, **body)

    def _delete_indices(self, names: list[str]) -> None:
        """Missing ones are no error."""
        self._writer().options(ignore_status=404).indices.delete(index=names, ignore_unavailable=True)

    def _put_settings(self, name: str, index_settings: dict) -> None:
        self._writer().indices.put_settings(index=name, settings=index_settings)

    def _refresh(self, name: str) -> None:
        self._writer().indices.refresh(index=name)

    def _aliases(self) -> dict | None:
        """GET _alias/<alias>: {index: {...}} of the indices holding it; None when none does."""
        response = self._writer().options(ignore_status=404).indices.get_alias(index=self.alias)
        return None if response.meta.status == 404 else dict(response.body)

    def _update_aliases(self, actions: list[dict]) -> None:
        self._writer().indices.update_aliases(actions=actions)

    def _delete_all(self) -> None:
        self._writer().delete_by_query(index=self.alias, query={"match_all": {}}, refresh=True, conflicts="proceed")

    def _send(self, search: Search) -> dict:
        """A search's response body; the client's own errors pass through."""
        return search.using(self.client).index(self.alias).execute().to_dict()

    def _is_missing_index(self, error: Exception) -> bool:
        return isinstance(error, NotFoundError) and error.error == "index_not_found_exception"

    def _is_unavailable(self, error: Exception) -> bool:
        return _unavailable(error)

    # --- Writing ------------------------------------------------------------------------------

    @writes_unavailable
    def bulk_index(self, documents: Iterable[dict]) -> int:
        documents = iter(documents)
        first = next(documents, None)
        if first is None:
            return 0
        self._ensure_alias()
        actions = ({"_index": self.alias, "_id": str(d["id"]), "_source": d} for d in chain([first], documents))
        return self._bulk(actions, refresh="wait_for", require_alias=True)

    @writes_unavailable
    def delete_many(self, product_ids: Iterable[int]) -> None:
        ids = [str(product_id) for product_id in product_ids]
        if not ids:
            return
        self._ensure_alias()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": product_id} for product_id in ids)
        # 404: not indexed (any more), which is what we wanted.
        self._bulk(actions, refresh="wait_for", require_alias=True, ignore_status=404)

    @writes_unavailable
    def clear(self) -> None:
        self._ensure_alias()
        self._delete_all()

    def rebuild(self, documents: Iterable[dict]) -> RebuildReport:
        """Load a new index, then move the alias to it in one request: searches read the old index
        until the moment the new one is complete, then the new one."""
        started = time.monotonic()
        name = self.new_index_name()
        self._create_index(name, index_body(loading=True))
        count = 0
        try:

            def actions():
                nonlocal count
                for document in documents:
                    count += 1
                    yield {"_index": name, "_id": str(document["id"]), "_source": document}

            self._bulk(actions(), max_retries=3)
            self._put_settings(name, RESTORE_SETTINGS)
            self._refresh(name)
            old = self._point_alias(name)
        except BaseException:
            self._discard(name)
            raise
        self._alias_ready = True
        if old:
            try:
                self._delete_indices(old)
            except self.client_errors:
                # Search already reads the new index; the old one only takes disk until the next rebuild.
                logger.exception("could not delete the old search indices %s", old)
        return RebuildReport(documents=count, seconds=time.monotonic() - started, index=name)

    def _discard(self, name: str) -> None:
        """Drop a half-built index; the alias never pointed at it."""
        try:
            self._delete_indices([name])
        except self.client_errors:
            logger.exception("could not delete the unfinished search index %s", name)

    def _holders(self) -> tuple[list[str], bool]:
        """The indices the alias points at, and whether a concrete index has the alias's name."""
        names = list(self._aliases() or {})
        return sorted(name for name in names if name != self.alias), self.alias in names

    def _point_alias(self, name: str, holders: tuple[list[str], bool] | None = None) -> list[str]:
        """One `_aliases` request, applied atomically; returns the indices the alias left."""
        old, concrete = holders if holders is not None else self._holders()
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        if concrete:
            # Only a write without the alias creates this (with guessed mappings): replace it.
            logger.warning("replacing the index %s by an alias; rebuild the search index", self.alias)
            actions.append({"remove_index": {"index": self.alias}})
        actions.append({"add": {"index": name, "alias": self.alias}})
        self._update_aliases(actions)
        return old

    def _ensure_alias(self) -> None:
        """Writes go through the alias (and require it): before the first rebuild, an empty index
        is created behind it."""
        if self._alias_ready:
            return
        holders = self._holders()
        if not holders[0]:
            name = self.new_index_name()
            self._create_index(name, index_body())
            self._point_alias(name, holders)
        self._alias_ready = True

    # --- Reading ------------------------------------------------------------------------------

    def _execute(self, search: Search) -> dict | None:
        """The response body, or None when no index exists yet."""
        try:
            return self._send(search)
        except self.client_errors as error:
            if self._is_missing_index(error):
                return None
            if self._is_unavailable(error):
                raise SearchUnavailable(str(error)) from error
            raise

    def _search(
        self, query: AnalysedQuery, filters: SearchFilters, facets: bool, sort: str, page: Page
    ) -> SearchResults:
        body = self._execute(build_search(query, filters, facets, sort, page))
        relaxed = query.relaxed()
        if body is not None and not body["hits"]["total"]["value"] and relaxed is not None:
            # Nothing held enough of the words: any one will do, as on the database backends.
            body = self._execute(build_search(relaxed, filters, facets, sort, page))
        if body is not None and not body["hits"]["total"]["value"]:
            # Still nothing: a typing slip in a word, as the databases' last try finds them.
            near = self._near(query)
            if near:
                body = self._execute(build_search(query, filters, facets, sort, page, near=near))
        if body is None:
            return SearchResults(total=0, hits=[], facets={facet: [] for facet in FACETS} if facets else {})
        return results(body, query, facets)

    def _ids(self, query: AnalysedQuery, limit: int) -> list[int]:
        body = self._execute(build_ids(query, limit))
        relaxed = query.relaxed()
        if body is not None and not body["hits"]["hits"] and relaxed is not None and limit:
            body = self._execute(build_ids(relaxed, limit))
        if body is not None and not body["hits"]["hits"] and limit:
            near = self._near(query)
            if near:
                body = self._execute(build_ids(query, limit, near=near))
        return [int(hit["_id"]) for hit in body["hits"]["hits"]] if body else []

    def _near(self, query: AnalysedQuery) -> dict[int, float]:
        """The goods whose name, or its pinyin, is near the words typed (`near_scores`): one more
        request, made only when the first tries found nothing."""
        text = near_text(query)
        candidates = build_near_candidates(text) if text else None
        if candidates is None:
            return {}
        return near_scores(self._execute(candidates), text)

    def _autocomplete(self, query: AnalysedQuery, limit: int) -> list[Suggestion]:
        body = self._execute(build_autocomplete(query, limit))
        suggestions, seen = [], set()
        for hit in body["hits"]["hits"] if body else []:
            name = (hit.get("_source") or {}).get("name")
            if name and name not in seen:
                seen.add(name)
                suggestions.append(Suggestion(text=name, product_id=int(hit["_id"])))
        return suggestions[:limit]
