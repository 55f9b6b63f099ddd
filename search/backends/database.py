"""The database backends: the index is the `search_entry` table of a Django database, matched by a
PostgreSQL `tsvector` or an SQLite FTS5 table. One SQL statement answers a search: the matching
rows are taken once (a materialised CTE), then the page of hits, the total and every facet's
counts are read from them.

SQL is composed here from constants (columns, sort orders, price buckets) only; every value that
comes from a shopper (the query's tokens, filter ids) is a bound parameter."""

# ruff: noqa: S608

import hashlib
import time
import uuid
from collections.abc import Iterable
from itertools import islice

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from ..analysis import AnalysedQuery, Term, has_cjk
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
        upsert = (
            {}
            if fresh
            else {
                "update_conflicts": True,
                "unique_fields": ["product_id"],
                "update_fields": [*ENTRY_FIELDS, "vector", "title_vector"],
            }
        )
        SearchEntry.objects.using(self.using).bulk_create(entries, **upsert)
        self._write_text(batch, fresh)
        self._new_generation()

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

    def _match(self, query: AnalysedQuery) -> tuple[str, list]:
        """SQL selecting the matching entries' columns and a `score` (higher is better)."""
        if query.is_blank:
            return f"SELECT {_COLUMNS}, 0.0 AS score FROM search_entry e", []
        return self._match_text(query)

    def _match_text(self, query: AnalysedQuery) -> tuple[str, list]:
        raise NotImplementedError

    def _search(
        self, query: AnalysedQuery, filters: SearchFilters, facets: bool, sort: str, page: Page
    ) -> SearchResults:
        if query.is_blank:
            results = self._run(self._match(query), filters, False, sort, page, counts=False, text=False)
            results.total, results.facets = self._browse_counts(filters, facets)
            return results
        results = self._matching(query, filters, facets, sort, page)
        self._highlight(results.hits, query)
        return results

    def _ids(self, query: AnalysedQuery, limit: int) -> list[int]:
        found = self._matching(query, SearchFilters(), False, "relevance", Page(0, limit), counts=False)
        return [hit.product_id for hit in found.hits]

    def _matching(self, query, filters, facets, sort, page, counts=True) -> SearchResults:
        """The exact matches, or if there are none, the first second try that finds any."""
        results = self._run(self._match(query), filters, facets, sort, page, counts=counts)
        for near in self._near_matches(query) if not (results.total or results.hits) else ():
            results = self._run(near, filters, facets, sort, page, counts=counts)
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

    def _near_matches(self, query: AnalysedQuery):
        """Second tries for a query that found nothing. jieba breaks a mistyped word into single
        characters (赣南齐橙: 赣南 · 齐 · 橙): with two or more of those, any one of them will do,
        beside the whole words (赣南 and 齐-or-橙)."""
        single = [t for t in query.terms if len(t.text) == 1 and has_cjk(t.text)]
        if len(single) > 1:
            either = Term(" ".join(t.text for t in single), tuple(a for t in single for a in t.alternatives))
            whole = tuple(t for t in query.terms if t not in single)
            yield self._match_text(AnalysedQuery(query.text, (*whole, either)))

    def _run(
        self, match, filters: SearchFilters, facets: bool, sort: str, page: Page, hits=True, counts=True, text=True
    ) -> SearchResults:
        """The matches (`match`: SQL and parameters) taken once, then the page of hits, and the
        total and facet counts. Only the page is numbered (in order), not every match."""
        match_sql, params = match
        where, where_params = _where(filters)
        order = f"in_stock DESC, {ORDER[sort]}"
        parts, part_params = [], []
        if hits:
            parts.append(
                f"SELECT 'hit' AS kind, CAST(product_id AS TEXT) AS k, row_number() OVER (ORDER BY {order}) AS n, "
                f"score FROM (SELECT * FROM m {where} ORDER BY {order} LIMIT %s OFFSET %s) AS page"
            )
            part_params += [*where_params, page.limit, page.offset]
        if counts:
            parts.append(f"SELECT 'total', CAST(NULL AS TEXT), count(*), CAST(NULL AS DOUBLE PRECISION) FROM m {where}")
            part_params += where_params
        if counts and facets:
            for facet in FACETS:
                facet_where, facet_params = _where(filters.without(facet))
                key = _PRICE_BUCKET if facet == "price" else FACET_COLUMNS[facet]
                parts.append(
                    f"SELECT '{facet}', CAST({key} AS TEXT), count(*), CAST(NULL AS DOUBLE PRECISION) "
                    f"FROM m {facet_where} GROUP BY {key}"
                )
                part_params += facet_params
        # Several readers of the matches: take them once. The page alone: let the database read
        # them in order through an index and stop at the page's end.
        materialized = "MATERIALIZED" if len(parts) > 1 else "NOT MATERIALIZED"
        sql = f"WITH m AS {materialized} ({match_sql}) " + " UNION ALL ".join(parts)
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            if text:
                self._before_text_search(cursor)
            cursor.execute(sql, [*params, *part_params])
            rows = cursor.fetchall()
        return _results(rows, facets and counts)

    def _before_text_search(self, cursor) -> None:
        pass

    def _highlight(self, hits: list[SearchHit], query: AnalysedQuery) -> None:
        if not hits or query.is_blank:
            return
        texts = {
            product_id: {"name": name, "description": description}
            for product_id, name, description in SearchEntry.objects.using(self.using)
            .filter(product_id__in=[hit.product_id for hit in hits])
            .values_list("product_id", "name", "description")
        }
        for hit in hits:
            hit.highlights = highlights(texts.get(hit.product_id, {}), query)

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


def _results(rows, facets: bool) -> SearchResults:
    hits, total, counts = [], 0, {facet: [] for facet in FACETS} if facets else {}
    for kind, key, n, score in rows:
        if kind == "hit":
            hits.append((n, SearchHit(product_id=int(key), score=score)))
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


def tsquery_text(query: AnalysedQuery) -> str:
    """All terms (&), each any of its alternatives (|), an alternative all of its tokens (&).
    Plain lexemes only, no phrases or weights: the GIN index then answers exactly, and no row's
    vector is read to check a match."""
    return " & ".join(_tsquery_term(term) for term in query.terms)


def _tsquery_term(term: Term) -> str:
    """Any alternative; what was typed (`term.own`) also as the weak field's marked tokens."""
    alternatives = []
    weak = [tuple(WEAK_MARK + token for token in alternative) for alternative in term.own]
    for alternative in (*term.alternatives, *weak):
        tokens = [_lexeme(token) for token in alternative]
        if term.prefix:
            tokens[-1] += ":*"
        alternatives.append(tokens[0] if len(tokens) == 1 else "(" + " & ".join(tokens) + ")")
    return "(" + " | ".join(alternatives) + ")"


class PostgresBackend(DatabaseBackend):
    vendor = "postgresql"

    def _vectors(self, document: dict) -> tuple[str, str]:
        return tsvector_text(document), tsvector_text(document, _TITLE_WEIGHTS)

    def _match_text(self, query: AnalysedQuery) -> tuple[str, list]:
        """Matched on the whole vector (through its index), ranked on the name's small vector
        (ts_rank's weights for D, C, B, A): reading every match's whole vector to rank it cost
        more than all the rest of a search. Goods matched by their name come first."""
        bonus, params = _name_bonus(query)
        return (
            f"SELECT {_COLUMNS}, {bonus} + ts_rank('{{0.1, 0.3, 0.5, 1.0}}', e.title_vector, q) AS score "
            "FROM search_entry e, CAST(%s AS tsquery) AS q WHERE e.vector @@ q",
            [*params, tsquery_text(query)],
        )

    def _before_text_search(self, cursor) -> None:
        # For a common word (土豆: a tenth of the catalogue) the planner's estimate favours reading
        # the whole table, not counting that each row's vector would then be fetched out of line;
        # the index is always cheaper here (measured: 500 ms against 70 ms at 100,000 goods).
        cursor.execute("SET LOCAL enable_seqscan = off")

    def _near_matches(self, query: AnalysedQuery):
        """Then typing slips in one word ("tudo", "mihoutou"): pg_trgm word similarity against the
        name and its pinyin. Needs three characters; two Chinese characters make no trigram."""
        yield from super()._near_matches(query)
        text = " ".join(term.text for term in query.terms)  # cleaned words: no NUL, no punctuation
        if len(text.replace(" ", "")) < 3:
            return
        yield (
            f"SELECT {_COLUMNS}, greatest(word_similarity(%s, e.name), word_similarity(%s, e.name_pinyin)) AS score "
            "FROM search_entry e WHERE %s <%% e.name OR %s <%% e.name_pinyin",
            [text] * 4,
        )

    def _after_rebuild(self) -> None:
        # The rebuild left the old index behind as dead rows: reclaim them (VACUUM cannot run
        # inside a caller's transaction; autovacuum does it then), and plan on the new rows.
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_entry" if connection.in_atomic_block else "VACUUM ANALYZE search_entry")


# --- SQLite -----------------------------------------------------------------------------------

# The FTS5 columns (migration 0005), and their bm25 weights: the name most, then category and
# place words, sizes, pinyin, the description, and last the weak field (seller, English names).
FTS_COLUMNS = ("title", "keywords", "sizes", "pinyin", "body", "weak")
_BM25 = "bm25(search_fts, 10.0, 4.0, 3.0, 2.0, 1.0, 0.5)"
# Every column but the weak one: where synonyms and the Chinese a pinyin spells may match.
_STRONG_COLUMNS = "{" + " ".join(column for column in FTS_COLUMNS if column != "weak") + "}"


def _fts_alternative(tokens: tuple[str, ...], prefix: bool, own: bool = True) -> str:
    quoted = ['"' + token.replace('"', '""') + '"' for token in tokens]
    if prefix:
        quoted[-1] += "*"
    if not own:
        quoted = [f"{_STRONG_COLUMNS} : {token}" for token in quoted]
    return quoted[0] if len(quoted) == 1 else "(" + " AND ".join(quoted) + ")"


def fts_query_text(query: AnalysedQuery) -> str:
    """All terms (AND), each any of its alternatives (OR), an alternative all of its tokens; only
    what was typed (`term.own`) may match the weak column."""
    return " AND ".join(
        "("
        + " OR ".join(
            _fts_alternative(alternative, term.prefix, alternative in term.own) for alternative in term.alternatives
        )
        + ")"
        for term in query.terms
    )


class SqliteBackend(DatabaseBackend):
    vendor = "sqlite"

    def _write_text(self, batch: list[dict], fresh: bool) -> None:
        ids = [document["id"] for document in batch]
        with connections[self.using].cursor() as cursor:
            if not fresh:
                cursor.execute(f"DELETE FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(ids))})", ids)
            cursor.executemany(
                f"INSERT INTO search_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (%s{', %s' * len(FTS_COLUMNS)})",
                [(d["id"], *(d.get(column) or "" for column in FTS_COLUMNS)) for d in batch],
            )

    def _delete_text(self, product_ids: list[int] | None) -> None:
        with connections[self.using].cursor() as cursor:
            if product_ids is None:
                cursor.execute("DELETE FROM search_fts")
            else:
                cursor.execute(
                    f"DELETE FROM search_fts WHERE rowid IN ({', '.join(['%s'] * len(product_ids))})", product_ids
                )

    def _match_text(self, query: AnalysedQuery) -> tuple[str, list]:
        # bm25 is lower for better matches; negated so that every backend sorts score descending.
        bonus, params = _name_bonus(query)
        return (
            f"SELECT {_COLUMNS}, {bonus} - {_BM25} AS score FROM search_fts "
            "JOIN search_entry e ON e.product_id = search_fts.rowid WHERE search_fts MATCH %s",
            [*params, fts_query_text(query)],
        )


def _backend_class(using: str) -> type[DatabaseBackend]:
    vendor = connections[using].vendor
    for backend in (PostgresBackend, SqliteBackend):
        if backend.vendor == vendor:
            return backend
    raise ImproperlyConfigured(
        f"No database search backend for {vendor} (the database {using!r}): "
        "search needs PostgreSQL, SQLite or Elasticsearch."
    )
