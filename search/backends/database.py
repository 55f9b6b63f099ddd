"""The database backends: the index is the `search_entry` table of a Django database, matched by a
PostgreSQL `tsvector` or an SQLite FTS5 table. One SQL statement answers a search: the matching
rows are taken once (a materialised CTE), then the page of hits, the total and every facet's
counts are read from them.

A product matches when it holds `AnalysedQuery.required` of the query's terms (all of one or two
words, all but a third of more). Its score, the same on both databases and higher first:
`TERM_SCORE` for each term it holds, then `NAME_BONUS` for each word typed that its name holds,
then how well its name matches (PostgreSQL's `ts_rank` on the name's own vector, which does not
count a name's length; SQLite works out the same from which query tokens its name holds, so a name
with a pack size in it, "赣南脐橙 礼盒 10斤", ranks as the shorter names do). A query that found
nothing is tried again (`_near_matches`): a mistyped word broken into characters, then any one
term, then names that look like what was typed (pg_trgm's word similarity; on SQLite the same
measure over the names an FTS5 trigram table offers).

SQL is composed here from constants (columns, sort orders, price buckets) only; every value that
comes from a shopper (the query's tokens, filter ids) is a bound parameter."""

# ruff: noqa: S608

import hashlib
import math
import time
import uuid
from collections.abc import Iterable
from itertools import combinations, islice

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from ..analysis import (
    WORD_SIMILARITY_THRESHOLD,
    AnalysedQuery,
    Term,
    has_cjk,
    trigrams,
    word_similarity,
)
from ..highlight import highlights
from ..models import SearchEntry
from ..query import FACETS, PRICE_RANGES, FacetCount, Page, SearchFilters, SearchHit, SearchResults, Suggestion
from .base import RebuildReport, SearchBackend

BATCH_SIZE = 500
ENTRY_FIELDS = [
    f.name for f in SearchEntry._meta.concrete_fields if f.name not in ("product_id", "vector", "title_vector")
]
# How long the counts of a blank search (browsing everything, maybe with filters) are reused: they
# cover the whole index, the costliest thing to count, and the same for every shopper. Any write to
# the index starts a new generation, so they are only ever this stale across processes.
BROWSE_COUNTS_SECONDS = 300
FACET_COLUMNS = {"category": "category_id", "province": "province_id", "county": "county_id", "village": "village_id"}
ORDER = {
    "relevance": "score DESC, product_id DESC",
    "price_asc": "min_price ASC, product_id DESC",
    "price_desc": "min_price DESC, product_id DESC",
    "newest": "created_at DESC, product_id DESC",
}
_PRICE_BUCKET = (
    "CASE "
    + " ".join(f"WHEN min_price < {int(r.high)} THEN '{r.key}'" for r in PRICE_RANGES if r.high is not None)
    + f" ELSE '{PRICE_RANGES[-1].key}' END"
)


def _batches(items: Iterable, size: int = BATCH_SIZE):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _conditions(filters: SearchFilters) -> tuple[list[str], list]:
    """WHERE conditions (on the matched rows' columns) and their parameters."""
    sql, params = [], []
    if filters.category is not None:
        sql.append("(category_id = %s OR top_category_id = %s)")
        params += [filters.category, filters.category]
    for facet in ("province", "county", "village"):
        value = getattr(filters, facet)
        if value is not None:
            sql.append(f"{FACET_COLUMNS[facet]} = %s")
            params.append(value)
    if filters.price is not None:
        price_range = next(r for r in PRICE_RANGES if r.key == filters.price)
        if price_range.low is not None:
            sql.append("min_price >= %s")
            params.append(int(price_range.low))
        if price_range.high is not None:
            sql.append("min_price < %s")
            params.append(int(price_range.high))
    if filters.in_stock is not None:
        sql.append("in_stock = %s")
        params.append(filters.in_stock)
    return sql, params


def _where(filters: SearchFilters) -> tuple[str, list]:
    sql, params = _conditions(filters)
    return ("WHERE " + " AND ".join(sql)) if sql else "", params


# Added to an engine's score for each Chinese word typed that the name holds as it was typed: 土豆
# goods come before 马铃薯 goods when the shopper typed 土豆 (the engines' own scores cannot tell a
# synonym from the word itself). Larger than any engine score, so it orders first.
NAME_BONUS = 1000
# Added for each term a product matches: more than all name bonuses (at most MAX_QUERY_TERMS) and
# engine scores together, so goods that match more of the words come first, and goods that match
# all of them before any other.
TERM_SCORE = 100_000


def _name_bonus(query: AnalysedQuery) -> tuple[str, list]:
    words = [term.alternatives[0][0] for term in query.terms if len(term.alternatives[0]) == 1]
    words = [word for word in words if has_cjk(word)]
    if not words:
        return "0", []
    cases = " + ".join("CASE WHEN e.name LIKE %s THEN 1 ELSE 0 END" for _ in words)
    return f"{NAME_BONUS} * ({cases})", [f"%{word}%" for word in words]


class DatabaseBackend(SearchBackend):
    """What PostgreSQL and SQLite share; each says how to match (`_match_text`) and how to keep the
    text index (`_write_text`, `_delete_text`).

    `DatabaseBackend(using=...)` itself builds the backend for the vendor of the connection `using`
    (a PostgresBackend or an SqliteBackend, the way `pathlib.Path()` is a PosixPath or a
    WindowsPath), so one settings entry fits whichever database DATABASE_URL names."""

    vendor = "database"

    def __new__(cls, using: str = "default", **options):
        if cls is DatabaseBackend:
            cls = _backend_class(using)
        return super().__new__(cls)

    def __init__(self, using: str = "default", *, name: str = "default"):
        super().__init__(name=name)
        self.using = using

    # --- Writing ------------------------------------------------------------------------------

    def bulk_index(self, documents: Iterable[dict]) -> int:
        written = 0
        for batch in _batches(documents):
            with transaction.atomic(using=self.using):
                self._write(batch)
            written += len(batch)
        return written

    def _write(self, batch: list[dict], fresh: bool = False) -> None:
        """Upsert a batch (`fresh`: into an emptied index, plain inserts)."""
        entries = [self._entry(document) for document in batch]
        if fresh:
            self._insert(entries)
        else:
            SearchEntry.objects.using(self.using).bulk_create(
                entries,
                update_conflicts=True,
                unique_fields=["product_id"],
                update_fields=[*ENTRY_FIELDS, "vector", "title_vector"],
            )
        self._write_text(batch, fresh)
        self._new_generation()

    def _insert(self, entries: list[SearchEntry]) -> None:
        """Into an emptied index."""
        SearchEntry.objects.using(self.using).bulk_create(entries)

    def _entry(self, document: dict) -> SearchEntry:
        entry = SearchEntry(product_id=document["id"], **{name: document[name] for name in ENTRY_FIELDS})
        entry.vector, entry.title_vector = self._vectors(document)
        return entry

    def _vectors(self, document: dict) -> tuple[str | None, str | None]:
        return None, None

    def _write_text(self, batch: list[dict], fresh: bool) -> None:
        pass

    def _delete_text(self, product_ids: list[int] | None) -> None:
        pass

    def delete_many(self, product_ids: Iterable[int]) -> None:
        for batch in _batches(product_ids):
            with transaction.atomic(using=self.using):
                SearchEntry.objects.using(self.using).filter(product_id__in=batch).delete()
                self._delete_text(batch)
                self._new_generation()

    def clear(self) -> None:
        with transaction.atomic(using=self.using):
            SearchEntry.objects.using(self.using).all().delete()
            self._delete_text(None)
            self._new_generation()

    def _generation_key(self) -> str:
        return f"search:generation:{self.vendor}:{self.using}"

    def _new_generation(self) -> None:
        cache.set(self._generation_key(), uuid.uuid4().hex, None)

    def rebuild(self, documents: Iterable[dict]) -> RebuildReport:
        """In one transaction: searches keep seeing the old index until the new one commits."""
        started = time.monotonic()
        with transaction.atomic(using=self.using):
            SearchEntry.objects.using(self.using).all().delete()
            self._delete_text(None)
            count = 0
            for batch in _batches(documents):
                self._write(batch, fresh=True)
                count += len(batch)
        self._after_rebuild()
        return RebuildReport(documents=count, seconds=time.monotonic() - started, index=SearchEntry._meta.db_table)

    def _after_rebuild(self) -> None:
        pass

    # --- Reading ------------------------------------------------------------------------------

    def _match(self, query: AnalysedQuery, ranked: bool = True) -> tuple[str, list]:
        """SQL selecting the matching entries' columns and a `score` (higher is better). Without
        `ranked` (a search sorted by price or date) the score counts only the terms matched: the
        name bonus and the name's relevance, read for every match, would order nothing."""
        if query.is_blank:
            return f"SELECT {_COLUMNS}, 0.0 AS score FROM search_entry e", []
        return self._match_text(query, ranked)

    def _match_text(self, query: AnalysedQuery, ranked: bool = True) -> tuple[str, list]:
        raise NotImplementedError

    def _search(
        self, query: AnalysedQuery, filters: SearchFilters, facets: bool, sort: str, page: Page
    ) -> SearchResults:
        if query.is_blank:
            results = self._run(self._match(query), filters, False, sort, page, counts=False, text=False)
            results.total, results.facets = self._browse_counts(filters, facets)
            return results
        return self._matching(query, filters, facets, sort, page, highlight=True)

    def _ids(self, query: AnalysedQuery, limit: int) -> list[int]:
        found = self._matching(query, SearchFilters(), False, "relevance", Page(0, limit), counts=False)
        return [hit.product_id for hit in found.hits]

    def _matching(self, query, filters, facets, sort, page, counts=True, highlight=False) -> SearchResults:
        """The exact matches, or if there are none, the first second try that finds any; with
        `highlight`, the hits marked where they match the query."""
        marked = query if highlight else None
        ranked = sort == "relevance"
        results = self._run(self._match(query, ranked), filters, facets, sort, page, counts=counts, highlight=marked)
        for near in self._near_matches(query, ranked) if not (results.total or results.hits) else ():
            results = self._run(near, filters, facets, sort, page, counts=counts, highlight=marked)
            if results.total or results.hits:
                break
        return results

    def _browse_counts(self, filters: SearchFilters, facets: bool) -> tuple[int, dict]:
        generation = cache.get_or_set(self._generation_key(), lambda: uuid.uuid4().hex, None)
        asked = hashlib.sha256(f"{facets}:{filters}".encode()).hexdigest()
        key = f"search:browse:{self.vendor}:{self.using}:{generation}:{asked}"
        counted = cache.get(key)
        if counted is None:
            found = self._run(
                self._match(AnalysedQuery("", ())), filters, facets, "relevance", Page(), hits=False, text=False
            )
            counted = (found.total, found.facets)
            cache.set(key, counted, BROWSE_COUNTS_SECONDS)
        return counted

    def _near_matches(self, query: AnalysedQuery, ranked: bool = True):
        """Second tries for a query that found nothing. jieba breaks a mistyped word into single
        characters (赣南齐橙: 赣南 · 齐 · 橙): with two or more of those, any one of them will do,
        beside the whole words (赣南 and 齐-or-橙). Then any one term of several (`relaxed`)."""
        single = [t for t in query.terms if len(t.text) == 1 and has_cjk(t.text)]
        if len(single) > 1:
            either = Term(" ".join(t.text for t in single), tuple(a for t in single for a in t.alternatives))
            whole = tuple(t for t in query.terms if t not in single)
            yield self._match_text(AnalysedQuery(query.text, (*whole, either)), ranked)
        relaxed = query.relaxed()
        if relaxed is not None:
            yield self._match_text(relaxed, ranked)

    def _run(
        self,
        match,
        filters: SearchFilters,
        facets: bool,
        sort: str,
        page: Page,
        hits=True,
        counts=True,
        text=True,
        highlight: AnalysedQuery | None = None,
    ) -> SearchResults:
        """The matches (`match`: SQL and parameters) taken once, then the page of hits, and the
        total and facet counts, in one statement. Only the page is numbered (in order), not every
        match. With `highlight`, the page's names and descriptions come in the same statement and
        the hits are marked where they match that query."""
        match_sql, params = match
        where, where_params = _where(filters)
        order = f"in_stock DESC, {ORDER[sort]}"
        parts, part_params = [], []
        if hits:
            numbered = (
                f"SELECT product_id, score, row_number() OVER (ORDER BY {order}) AS n "
                f"FROM (SELECT * FROM m {where} ORDER BY {order} LIMIT %s OFFSET %s) AS p"
            )
            texts, joined = (", t.name, t.description", "JOIN search_entry t ON t.product_id = page.product_id")
            if highlight is None:
                texts, joined = ", CAST(NULL AS TEXT), CAST(NULL AS TEXT)", ""
            parts.append(
                f"SELECT 'hit' AS kind, CAST(page.product_id AS TEXT) AS k, page.n, page.score{texts} "
                f"FROM ({numbered}) AS page {joined}"
            )
            part_params += [*where_params, page.limit, page.offset]
        if counts:
            counted, counted_params = self._counts(filters, facets)
            parts += counted
            part_params += counted_params
        # Several readers of the matches: take them once. The page alone: let the database read
        # them in order through an index and stop at the page's end.
        materialized = "MATERIALIZED" if len(parts) > 1 else "NOT MATERIALIZED"
        sql = f"WITH m AS {materialized} ({match_sql}) " + " UNION ALL ".join(parts)
        return _results(self._fetch(sql, [*params, *part_params], text), facets and counts, highlight)

    def _fetch(self, sql: str, params: list, text: bool) -> list[tuple]:
        """The rows of a search's statement (`text`: a search of words, not browsing)."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _counts(self, filters: SearchFilters, facets: bool) -> tuple[list[str], list]:
        """SELECTs over the matches `m` of the total and (with `facets`) each facet's counts, as
        rows (kind, key, count, NULL); a facet is counted under every filter but its own."""
        where, where_params = _where(filters)
        parts = [f"SELECT 'total', CAST(NULL AS TEXT), count(*), {_NO_HIT} FROM m {where}"]
        params = list(where_params)
        for facet in FACETS if facets else ():
            _add_facet_counts(parts, params, filters, facet)
        return parts, params

    def _autocomplete(self, query: AnalysedQuery, limit: int) -> list[Suggestion]:
        results = self._run(self._match(query), SearchFilters(), False, "relevance", Page(0, limit * 3))
        names = dict(
            SearchEntry.objects.using(self.using)
            .filter(product_id__in=[hit.product_id for hit in results.hits])
            .values_list("product_id", "name")
        )
        suggestions, seen = [], set()
        for hit in results.hits:
            name = names.get(hit.product_id)
            if name and name not in seen:
                seen.add(name)
                suggestions.append(Suggestion(text=name, product_id=hit.product_id))
        return suggestions[:limit]


# A count row's score, name and description.
_NO_HIT = "CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS TEXT), CAST(NULL AS TEXT)"


def _facet_key(facet: str) -> str:
    return _PRICE_BUCKET if facet == "price" else FACET_COLUMNS[facet]


def _add_facet_counts(parts: list[str], params: list, filters: SearchFilters, facet: str) -> None:
    """One facet's counts over the matches `m`, under every filter but its own."""
    where, where_params = _where(filters.without(facet))
    key = _facet_key(facet)
    parts.append(f"SELECT '{facet}', CAST({key} AS TEXT), count(*), {_NO_HIT} FROM m {where} GROUP BY {key}")
    params += where_params


def _results(rows, facets: bool, highlight: AnalysedQuery | None = None) -> SearchResults:
    hits, total, counts = [], 0, {facet: [] for facet in FACETS} if facets else {}
    for kind, key, n, score, name, description in rows:
        if kind == "hit":
            marked = highlights({"name": name, "description": description}, highlight) if highlight else {}
            hits.append((n, SearchHit(product_id=int(key), score=score, highlights=marked)))
        elif kind == "total":
            total = n
        elif key is not None:
            counts[kind].append(FacetCount(value=key, count=n))
    order = {r.key: i for i, r in enumerate(PRICE_RANGES)}
    for facet, values in counts.items():
        if facet == "price":
            values.sort(key=lambda c: order.get(c.value, len(order)))
        else:
            values.sort(key=lambda c: (-c.count, int(c.value)))
    return SearchResults(total=total, hits=[hit for _, hit in sorted(hits, key=lambda pair: pair[0])], facets=counts)


_COLUMNS = (
    "e.product_id, e.category_id, e.top_category_id, e.province_id, e.county_id, e.village_id, "
    "e.min_price, e.in_stock, e.created_at"
)

# --- PostgreSQL -------------------------------------------------------------------------------

# Field → tsvector weight: ts_rank counts A (the name) highest and D (the description) lowest.
# The weak field's tokens are marked (`WEAK_MARK`) as well as weighted lowest: only the words a
# shopper typed are looked for with the mark, never their synonyms (see `analysis.Term.own`).
_ALL_WEIGHTS = (("title", "A"), ("keywords", "B"), ("sizes", "B"), ("pinyin", "C"), ("body", "D"), ("weak", "D"))
WEAK_MARK = "~"  # no token has it: analysis keeps only letters and digits
# What ranking reads: the name's own tokens and pinyin, a few hundred bytes that stay in the row.
_TITLE_WEIGHTS = (("title", "A"), ("name_pinyin", "C"))
_MAX_POSITION = 16383  # PostgreSQL's limit; later positions are clamped to it


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(document: dict, weights=_ALL_WEIGHTS) -> str:
    """The document's tokens as a tsvector literal with positions and weights."""
    positions: dict[str, list[str]] = {}
    position = 1
    for field, weight in weights:
        mark = WEAK_MARK if field == "weak" else ""
        for token in (document.get(field) or "").split():
            positions.setdefault(mark + token, []).append(f"{min(position, _MAX_POSITION)}{weight}")
            position += 1
    return " ".join(f"{_lexeme(token)}:{','.join(marks[:256])}" for token, marks in positions.items())


# Up to this many ways of choosing the required terms, the tsquery lists them all (3 words: 3 ways
# of two; 8 words: 28 ways of six), so the GIN index finds exactly the goods holding enough terms.
_MAX_COMBINATIONS = 30


def tsquery_text(query: AnalysedQuery, weak: bool = True) -> str:
    """All terms (&); when some may be missing, every choice of the required ones (|), or, past
    `_MAX_COMBINATIONS`, any term (rows are then counted and filtered). Each term any of its
    alternatives (|), an alternative all of its tokens (&). Plain lexemes only, no phrases or
    weights: the GIN index then answers exactly, and no row's vector is read to check a match.
    Without `weak`, no term asks for the weak field's marked tokens (ranking on the name's vector,
    which holds none)."""
    terms = [_tsquery_term(term, weak) for term in query.terms]
    required = query.required
    if required >= len(terms):
        return " & ".join(terms)
    if _exact_choices(query):
        return " | ".join("(" + " & ".join(chosen) + ")" for chosen in combinations(terms, required))
    return " | ".join(terms)


def _exact_choices(query: AnalysedQuery) -> bool:
    return math.comb(len(query.terms), query.required) <= _MAX_COMBINATIONS


def _tsquery_term(term: Term, weak: bool = True) -> str:
    """Any alternative; what was typed (`term.own`) also as the weak field's marked tokens."""
    alternatives = []
    marked = [tuple(WEAK_MARK + token for token in alternative) for alternative in term.own] if weak else []
    for alternative in (*term.alternatives, *marked):
        tokens = [_lexeme(token) for token in alternative]
        if term.prefix:
            tokens[-1] += ":*"
        alternatives.append(tokens[0] if len(tokens) == 1 else "(" + " & ".join(tokens) + ")")
    return "(" + " | ".join(alternatives) + ")"


# For a common word (土豆: a tenth of the catalogue) the planner's estimate favours reading the
# whole table, not counting that each row's vector would then be fetched out of line; the index is
# always cheaper here (measured: 500 ms against 70 ms at 100,000 goods).
_NO_TABLE_SCAN = "SET LOCAL enable_seqscan = off"


def _binds_on_client(cursor) -> bool:
    """Whether the driver's cursor merges parameters into the statement (psycopg's ClientCursor,
    Django's default), and so may send several statements in one message."""
    from psycopg import ClientCursor

    return isinstance(cursor.cursor, ClientCursor)


class PostgresBackend(DatabaseBackend):
    vendor = "postgresql"

    def _vectors(self, document: dict) -> tuple[str, str]:
        return tsvector_text(document), tsvector_text(document, _TITLE_WEIGHTS)

    def _match_text(self, query: AnalysedQuery, ranked: bool = True) -> tuple[str, list]:
        """Matched on the whole vector (through its index), ranked on the name's small vector
        (ts_rank's weights for D, C, B, A): reading every match's whole vector to rank it cost
        more than all the rest of a search. Goods matched by their name come first.

        When some terms may be missing (three words or more), the index finds the goods holding
        enough of them, and each one's vector is read to count them: once, whether it holds all,
        when one only may be missing (three to five words), else once a term."""
        # Ranked on the name's vector by the query without the weak field's marked tokens, which
        # that vector never holds: ts_rank looks up each of a query's tokens in each match's
        # vector, so they cost a tenth of a one-word search's ranking and added nothing to it.
        rank, params = "0", []
        if ranked:
            bonus, params = _name_bonus(query)
            rank = f"{bonus} + ts_rank('{{0.1, 0.3, 0.5, 1.0}}', e.title_vector, CAST(%s AS tsquery))"
            params.append(tsquery_text(query, weak=False))
        count = len(query.terms)
        if query.required >= count:
            return (
                f"SELECT {_COLUMNS}, {TERM_SCORE * count} + {rank} AS score "
                "FROM search_entry e, CAST(%s AS tsquery) AS q WHERE e.vector @@ q",
                [*params, tsquery_text(query)],
            )
        if count - query.required == 1:
            matched = f"{query.required} + CAST(e.vector @@ CAST(%s AS tsquery) AS integer)"
            matched_params = [" & ".join(_tsquery_term(term) for term in query.terms)]
        else:
            matched = " + ".join("CAST(e.vector @@ CAST(%s AS tsquery) AS integer)" for _ in query.terms)
            matched_params = [_tsquery_term(term) for term in query.terms]
        having, having_params = ("", []) if _exact_choices(query) else ("WHERE e.matched >= %s", [query.required])
        # OFFSET 0 keeps the subquery apart, so each row's terms are counted once, not once a use.
        return (
            f"SELECT {_COLUMNS}, {TERM_SCORE} * e.matched + {rank} AS score FROM ("
            f"SELECT {_COLUMNS}, e.name, e.title_vector, {matched} AS matched "
            "FROM search_entry e, CAST(%s AS tsquery) AS q WHERE e.vector @@ q OFFSET 0"
            f") AS e {having}",
            [*params, *matched_params, tsquery_text(query), *having_params],
        )

    def _counts(self, filters: SearchFilters, facets: bool) -> tuple[list[str], list]:
        """The total and the counts of every facet the shopper has not filtered by are taken under
        the same conditions: one pass over the matches counts them all, where a pass each cost a
        third of a search of many matches. The pass groups the matches by all those facets'
        values at once (one hash table; a village has one county and province, so the groups
        are few), and GROUPING SETS adds those groups up for each facet: every match is hashed
        once rather than once a facet (土豆's 5,817 matches: 4.1 → 2.5 ms of processor time).
        Filtered facets are counted apart."""
        together = [facet for facet in FACETS if facets and getattr(filters, facet) is None]
        if not together:
            return super()._counts(filters, facets)
        where, params = _where(filters)
        keys = [f"f{n}" for n in range(len(together))]
        grouped = ", ".join(f"{_facet_key(facet)} AS {key}" for facet, key in zip(together, keys, strict=True))
        kind = " ".join(f"WHEN GROUPING({key}) = 0 THEN '{facet}'" for facet, key in zip(together, keys, strict=True))
        value = ", ".join(f"CAST({key} AS TEXT)" for key in keys)
        sets = ", ".join(f"({key})" for key in keys)
        parts = [
            f"SELECT CASE {kind} ELSE 'total' END, COALESCE({value}), CAST(COALESCE(sum(g.n), 0) AS BIGINT), "
            f"{_NO_HIT} FROM (SELECT {grouped}, count(*) AS n FROM m {where} GROUP BY {', '.join(keys)}) AS g "
            f"GROUP BY GROUPING SETS ({sets}, ())"
        ]
        params = list(params)
        for facet in FACETS:
            if facet not in together:
                _add_facet_counts(parts, params, filters, facet)
        return parts, params

    def _fetch(self, sql: str, params: list, text: bool) -> list[tuple]:
        """A search of words is planned without reading the whole table (`_NO_TABLE_SCAN`), a
        setting of its transaction. Both statements go in one message, one round trip instead of
        three (the setting, the search, the commit): PostgreSQL runs a message's statements in
        one transaction, which ends with it, and SET LOCAL with that. Django's cursors bind
        parameters on the client, so a message may hold several statements; one bound on the
        server (OPTIONS `server_side_binding`) may not, and then sends them apart."""
        if not text:
            return super()._fetch(sql, params, text)
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if _binds_on_client(cursor):
                cursor.execute(f"{_NO_TABLE_SCAN}; {sql}", params)
                cursor.nextset()
                return cursor.fetchall()
        with transaction.atomic(using=self.using), connection.cursor() as cursor:
            cursor.execute(_NO_TABLE_SCAN)
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _near_matches(self, query: AnalysedQuery, ranked: bool = True):
        """Then typing slips in one word ("tudo", "mihoutou"): pg_trgm word similarity against the
        name and its pinyin. Needs three characters; two Chinese characters make no trigram."""
        yield from super()._near_matches(query, ranked)
        text = " ".join(term.text for term in query.terms)  # cleaned words: no NUL, no punctuation
        if len(text.replace(" ", "")) < 3:
            return
        yield (
            f"SELECT {_COLUMNS}, greatest(word_similarity(%s, e.name), word_similarity(%s, e.name_pinyin)) AS score "
            "FROM search_entry e WHERE %s <%% e.name OR %s <%% e.name_pinyin",
            [text] * 4,
        )

    def _insert(self, entries: list[SearchEntry]) -> None:
        """COPY, not INSERT: a rebuild writes every product, and an INSERT of a batch is a
        statement of megabytes for psycopg to quote and PostgreSQL to parse."""
        columns = ["product_id", *ENTRY_FIELDS, "vector", "title_vector"]
        statement = f"COPY search_entry ({', '.join(columns)}) FROM STDIN"
        with connections[self.using].cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for entry in entries:
                copy.write_row([getattr(entry, column) for column in columns])

    def _after_rebuild(self) -> None:
        # The rebuild left the old index behind as dead rows: reclaim them (VACUUM cannot run
        # inside a caller's transaction; autovacuum does it then), and plan on the new rows.
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_entry" if connection.in_atomic_block else "VACUUM ANALYZE search_entry")


# --- SQLite -----------------------------------------------------------------------------------

# The FTS5 columns (migration 0005): the name, category and place words, sizes, pinyin, the
# description, and the weak field (seller, English names).
FTS_COLUMNS = ("title", "keywords", "sizes", "pinyin", "body", "weak")
# Every column but the weak one: where synonyms and the Chinese a pinyin spells may match.
_STRONG_COLUMNS = "{" + " ".join(column for column in FTS_COLUMNS if column != "weak") + "}"
# How many names SQLite's near match measures (those sharing most trigrams with the query).
NEAR_CANDIDATES = 200
# PostgreSQL's ts_rank weights of the name's vector: the name's tokens (A) and its pinyin (C).
_TITLE_WEIGHT = 1.0
_NAME_PINYIN_WEIGHT = 0.3


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_alternative(tokens: tuple[str, ...], prefix: bool, own: bool = True) -> str:
    quoted = [_quoted(token) for token in tokens]
    if prefix:
        quoted[-1] += "*"
    if not own:
        quoted = [f"{_STRONG_COLUMNS} : {token}" for token in quoted]
    return quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")"


def _fts_term(term: Term) -> str:
    alternatives = (_fts_alternative(alt, term.prefix, alt in term.own) for alt in term.alternatives)
    return "(" + " OR ".join(alternatives) + ")"


def fts_query_text(query: AnalysedQuery) -> str:
    """All terms (AND) when all are required, else any (OR, the rows are then counted); each term
    any of its alternatives (OR), an alternative all of its tokens; only what was typed
    (`term.own`) may match the weak column."""
    joiner = " AND " if query.required >= len(query.terms) else " OR "
    return joiner.join(_fts_term(term) for term in query.terms)


def _lexemes(query: AnalysedQuery) -> list[tuple[str, bool]]:
    """Each distinct token of the query, and whether it may be the start of a longer one."""
    seen: dict[tuple[str, bool], None] = {}
    for term in query.terms:
        for alternative in term.alternatives:
            for n, token in enumerate(alternative):
                seen[(token, term.prefix and n == len(alternative) - 1)] = None
    return list(seen)


def _in_fts(table: str = "search_fts") -> str:
    return f"e.product_id IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)"


def _name_rank(query: AnalysedQuery) -> tuple[str, list]:
    """What PostgreSQL's ts_rank reads on the name's vector, without its counting of repeats and
    distances: of the query's tokens, the share the name holds (its own words count 1, its pinyin
    0.3). Unlike FTS5's bm25 it does not favour short names."""
    lexemes = _lexemes(query)
    cases, params = [], []
    for token, prefix in lexemes:
        cases.append(
            f"CASE WHEN {_in_fts()} THEN {_TITLE_WEIGHT} "
            f"WHEN ' ' || e.name_pinyin || ' ' LIKE %s THEN {_NAME_PINYIN_WEIGHT} ELSE 0 END"
        )
        params += [f"title : {_quoted(token)}{'*' if prefix else ''}", f"% {token}{'%' if prefix else ' %'}"]
    return f"({' + '.join(cases)}) / {len(lexemes)}.0", params


class SqliteBackend(DatabaseBackend):
    vendor = "sqlite"

    # search_fts holds the tokens; search_trigram the name and its pinyin, for near matches.
    def _write_text(self, batch: list[dict], fresh: bool) -> None:
        ids = [document["id"] for document in batch]
        with connections[self.using].cursor() as cursor:
            if not fresh:
                for table in ("search_fts", "search_trigram"):
                    cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({', '.join(['%s'] * len(ids))})", ids)
            cursor.executemany(
                f"INSERT INTO search_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (%s{', %s' * len(FTS_COLUMNS)})",
                [(d["id"], *(d.get(column) or "" for column in FTS_COLUMNS)) for d in batch],
            )
            cursor.executemany(
                "INSERT INTO search_trigram (rowid, name, name_pinyin) VALUES (%s, %s, %s)",
                [(d["id"], d["name"], d["name_pinyin"]) for d in batch],
            )

    def _delete_text(self, product_ids: list[int] | None) -> None:
        with connections[self.using].cursor() as cursor:
            for table in ("search_fts", "search_trigram"):
                if product_ids is None:
                    cursor.execute(f"DELETE FROM {table}")
                else:
                    cursor.execute(
                        f"DELETE FROM {table} WHERE rowid IN ({', '.join(['%s'] * len(product_ids))})", product_ids
                    )

    def _match_text(self, query: AnalysedQuery, ranked: bool = True) -> tuple[str, list]:
        """FTS5 finds the goods (with all terms, or any when some may be missing: then each
        term's goods are looked up once to count the terms a product holds); the score is
        PostgreSQL's, not FTS5's bm25 (see `_name_rank`)."""
        bonus, params = _name_bonus(query) if ranked else ("0", [])
        rank, rank_params = _name_rank(query) if ranked else ("0", [])
        count = len(query.terms)
        if query.required >= count:
            matched, matched_params, having, having_params = str(count), [], "", []
        else:
            matched = " + ".join(f"({_in_fts()})" for _ in query.terms)
            matched_params = [_fts_term(term) for term in query.terms]
            having, having_params = "WHERE e.matched >= %s", [query.required]
        # OFFSET 0 keeps the subquery apart, so each row's terms are counted once, not once a use.
        return (
            f"SELECT {_COLUMNS}, {TERM_SCORE} * e.matched + {bonus} + {rank} AS score FROM ("
            f"SELECT {_COLUMNS}, e.name, e.name_pinyin, {matched} AS matched FROM search_fts "
            "JOIN search_entry e ON e.product_id = search_fts.rowid WHERE search_fts MATCH %s LIMIT -1 OFFSET 0"
            f") AS e {having}",
            [*params, *rank_params, *matched_params, fts_query_text(query), *having_params],
        )

    def _near_matches(self, query: AnalysedQuery, ranked: bool = True):
        """Then typing slips in one word ("tudo", "mihoutou"), as PostgreSQL finds them: the names
        (and their pinyin) sharing most trigrams with the words typed are measured with pg_trgm's
        word similarity, and those PostgreSQL would accept are found."""
        yield from super()._near_matches(query, ranked)
        similar = self._similar_names(query)
        if similar:
            cases = " ".join("WHEN %s THEN %s" for _ in similar)
            yield (
                f"SELECT {_COLUMNS}, CASE e.product_id {cases} END AS score FROM search_entry e "
                f"WHERE e.product_id IN ({', '.join(['%s'] * len(similar))})",
                [*(value for pair in similar.items() for value in pair), *similar],
            )

    def _similar_names(self, query: AnalysedQuery) -> dict[int, float]:
        text = " ".join(term.text for term in query.terms)
        if len(text.replace(" ", "")) < 3:
            return {}
        # FTS5's trigrams are a name's runs of three characters, without pg_trgm's padding.
        inner = sorted({trigram for trigram in trigrams(text) if " " not in trigram})
        if not inner:
            return {}
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT e.product_id, e.name, e.name_pinyin FROM search_trigram "
                "JOIN search_entry e ON e.product_id = search_trigram.rowid "
                "WHERE search_trigram MATCH %s ORDER BY search_trigram.rank LIMIT %s",
                [" OR ".join(_quoted(trigram) for trigram in inner), NEAR_CANDIDATES],
            )
            rows = cursor.fetchall()
        similar = {}
        for product_id, name, name_pinyin in rows:
            score = max(word_similarity(text, name), word_similarity(text, name_pinyin))
            if score >= WORD_SIMILARITY_THRESHOLD:
                similar[product_id] = score
        return similar


def _backend_class(using: str) -> type[DatabaseBackend]:
    vendor = connections[using].vendor
    for backend in (PostgresBackend, SqliteBackend):
        if backend.vendor == vendor:
            return backend
    raise ImproperlyConfigured(
        f"No database search backend for {vendor} (the database {using!r}): "
        "search needs PostgreSQL, SQLite or Elasticsearch."
    )
