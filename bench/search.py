"""Benchmark: product search at catalogue scale, on the PostgreSQL backend or on the engine
(OpenSearch) — query latency for 50 mixed queries, the time to rebuild the whole index, and the
throughput of the text analysis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/search.py --engine --reuse

DATABASE_URL names the PostgreSQL server to use; the benchmark works in a database of its own
(`shanhuo_bench_search`, or --database / SEARCH_BENCH_DATABASE so that two runs on one server do not
drop each other's; re-created and seeded by bench/search_seed.py unless --reuse finds it holding the
same number of products) and leaves it behind for the next --reuse. With --engine (--backend
opensearch) the searches go to an OpenSearch node started for the run through
`tests/engine_node.running_node()` (Java 17 and Maven; or --engine-url / SEARCH_BENCH_ENGINE_URL names
one already running) and stopped after it; the catalogue stays in PostgreSQL, where the service call
re-reads the products it shows.

What it measures, in this order:
1. Text analysis in this process, on a sample of the catalogue: jieba segmentation (characters a
   second), pinyin, whole index documents (`search.documents.document`, documents a second).
2. `search.indexing.rebuild()`, the code path of `manage.py search_rebuild` (every visible product
   read, analysed and written), with a cold pinyin cache as a fresh command would have.
3. The 50 queries: 1 warm-up round, then --rounds measured rounds in a shuffled order, each query
   timed as the backend call (`backend.search(...)`, facets on: the engine's work, split into the
   time spent waiting for PostgreSQL or the engine and the rest) and as the service call
   (`search.product_search.search_products(...)`, what the search page calls: the backend plus the
   products to show, re-read through `visible_products()` with a card's columns, and the facets'
   labels). Three misspelt queries, which take the near-match path, are measured apart.
Targets: the service call's p95 under 50 ms, the rebuild under 2 minutes, on each backend.
With --explain N (or when the p95 target is missed) the N slowest queries' SQL is run again under
EXPLAIN ANALYZE and the plans printed (PostgreSQL). The machine's load average is printed with the
figures: on a shared machine, other work shows in the p95.
"""

import argparse
import contextlib
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = "shanhuo_bench_search"
TARGET_P95_MS = 50
TARGET_REBUILD_S = 120
OPENSEARCH_BACKEND = "search.backends.opensearch.OpenSearchBackend"
PAGE_SIZE = 20


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    filters: dict = field(default_factory=dict)  # facet → a slug/name resolved once seeded, or a value
    sort: str = "relevance"

    def label(self) -> str:
        extras = [f"{name}={value}" for name, value in self.filters.items()]
        if self.sort != "relevance":
            extras.append(self.sort)
        return (self.text or "(blank)") + (f" [{', '.join(extras)}]" if extras else "")


def _queries(kind: str, *texts: str) -> list[Query]:
    return [Query(kind, text) for text in texts]


# What shoppers type: words and longer names, other names of the same produce, pinyin in full and
# in initials, English, one character, two words, and the same with filters, sorts and browsing.
QUERIES = [
    *_queries("chinese", "土豆", "脐橙", "苹果", "猕猴桃", "蜂蜜", "黑木耳", "核桃", "红茶"),
    *_queries("compound", "赣南脐橙", "冰糖心苹果", "云南高原黄心土豆", "秭归脐橙", "土蜂蜜", "大红袍花椒"),
    *_queries("synonym", "马铃薯", "洋芋", "地瓜", "奇异果", "胡桃"),
    *_queries("pinyin", "tudou", "qicheng", "pingguo", "fengmi", "mihoutao"),
    *_queries("initials", "td", "qc", "pg", "mht"),
    *_queries("english", "potato", "navel orange", "honey", "walnut", "green tea"),
    *_queries("one char", "橙", "茶", "米", "枣", "蜜"),
    *_queries("two words", "云南 土豆", "散养 土鸡蛋"),
    Query("filtered", "土豆", {"province": "云南省"}),
    Query("filtered", "苹果", {"price": "20-50"}),
    Query("filtered", "茶", {"category": "tea"}),
    Query("filtered", "蜂蜜", {"in_stock": True}),
    Query("filtered", "脐橙", {"county": "秭归县", "price": "50-100"}),
    Query("sorted", "脐橙", sort="price_asc"),
    Query("sorted", "蜂蜜", sort="price_desc"),
    Query("sorted", "核桃", sort="newest"),
    Query("browse", ""),
    Query("browse", "", {"category": "fruit"}, sort="price_asc"),
]
assert len(QUERIES) == 50, len(QUERIES)
KINDS = list(dict.fromkeys(query.kind for query in QUERIES))
# Slips of the keyboard find nothing as typed, so the backend tries again with near matches
# (pg_trgm): a second statement. Measured apart from the 50, as most searches never take this path.
TYPOS = _queries("typo", "tudo", "mihoutou", "赣南齐橙")


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def server_admin_url(server_url: str) -> str:
    parts = urlsplit(server_url)
    scheme = parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, "/postgres", "", ""))


def point_django_at_bench_database(server_url: str, products: int, reuse: bool, name: str = BENCH_DB) -> bool:
    """The benchmark database `name` on the given server; True when it must be seeded. With `reuse`,
    a database already holding exactly `products` products is kept."""
    import psycopg

    admin_url = server_admin_url(server_url)
    bench_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    seeded = False
    if exists and reuse:
        with psycopg.connect(bench_url) as conn:
            table = conn.execute("SELECT to_regclass('shop_product')").fetchone()[0]
            seeded = table is not None and conn.execute("SELECT count(*) FROM shop_product").fetchone()[0] == products
    if not seeded:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    return not seeded


# --- Analysis throughput --------------------------------------------------------------------------


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def measure_analysis(sample_size: int) -> list[str]:
    """Throughput of the pieces every indexed document goes through, on the first products."""
    from search import analysis
    from search.documents import document
    from search.selectors import indexable_products

    lines = []
    _, first = timed(analysis.segment, "云南高原黄心土豆")
    lines.append(f"  jieba dictionaries loaded on first use: {first * 1000:.0f} ms (once a process)")
    products = list(indexable_products().order_by("pk")[:sample_size])
    names = [product.name for product in products]
    descriptions = [product.description for product in products]
    texts = names + descriptions
    chars = sum(len(text) for text in texts)

    def rate(what, seconds, amount, unit):
        lines.append(f"  {what:<46} {amount / seconds:>12,.0f} {unit}/s   ({amount:,} {unit} in {seconds:.2f} s)")

    analysis._index_pieces.cache_clear()
    tokens, seconds = timed(lambda: sum(len(analysis.segment_for_index(text)) for text in texts))
    rate("segment_for_index (jieba search mode), cold", seconds, chars, "chars")
    _, seconds = timed(lambda: [analysis._tokenizer().lcut_for_search(analysis.normalise(text)) for text in texts])
    rate("jieba's cut_for_search alone (no runs kept)", seconds, chars, "chars")
    _, seconds = timed(lambda: [analysis.segment(text) for text in texts])
    rate("segment (jieba accurate mode, as queries)", seconds, chars, "chars")
    name_chars = sum(len(name) for name in names)
    analysis.word_pinyin.cache_clear()
    _, seconds = timed(lambda: [analysis.pinyin_tokens(name) for name in names])
    rate("pinyin_tokens of names (segment + pinyin), cold", seconds, name_chars, "chars")
    words = [word for name in names for word in analysis.segment(name)]
    analysis.word_pinyin.cache_clear()
    _, seconds = timed(lambda: [analysis.word_pinyin(word) for word in words])
    rate("word_pinyin (pypinyin) of their words, cold", seconds, len(words), "words")
    _, seconds = timed(lambda: [analysis.word_pinyin(word) for word in words])
    rate("word_pinyin of their words, warm (lru cache)", seconds, len(words), "words")
    analysis.word_pinyin.cache_clear()
    analysis._index_pieces.cache_clear()
    _, seconds = timed(lambda: [document(product) for product in products])
    rate("document(product) (all fields, cold caches)", seconds, len(products), "docs")
    texts = [query.text for query in QUERIES if query.text]
    _, seconds = timed(lambda: [analysis.analyse_query(text) for text in texts * 20])
    lines.append(f"  analyse_query: {seconds * 1e6 / (len(texts) * 20):.0f} µs a query (synonyms, pinyin, characters)")
    lines.append(
        f"  sample: {len(products):,} products, {chars:,} characters of names and descriptions, {tokens:,} tokens"
    )
    # The rebuild starts cold, as `manage.py search_rebuild` does (its processes are forked from this one).
    analysis.word_pinyin.cache_clear()
    analysis._index_pieces.cache_clear()
    return lines


def index_state() -> str:
    """What the rebuild left: sizes, and dead rows (a rebuild in place leaves the old index's rows
    dead until VACUUM; the next rebuild of this benchmark with --reuse shows them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size(c.oid)), pg_size_pretty(pg_relation_size(c.reltoastrelid)), "
            "pg_size_pretty(pg_indexes_size(c.oid)), s.n_live_tup, s.n_dead_tup "
            "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'search_entry'"
        )
        heap, toast, indexes, live, dead = cursor.fetchone()
    return f"search_entry: table {heap}, TOAST {toast}, indexes {indexes}; {live:,} live rows, {dead:,} dead rows"


# --- Queries ------------------------------------------------------------------------------------


def resolve(query: Query):
    """The query's filters with the names of places and categories turned into their ids."""
    from farmers.models import County, Province, Village
    from search.query import SearchFilters
    from shop.models import Category

    values = {}
    for name, value in query.filters.items():
        if name == "category":
            value = Category.objects.get(slug=value).pk
        elif name in ("province", "county", "village"):
            model = {"province": Province, "county": County, "village": Village}[name]
            value = model.objects.get(name=value).pk
        values[name] = value
    return SearchFilters(**values)


@dataclass
class Timing:
    query: Query
    filters: object
    total: int = 0
    hits: int = 0
    statements: int = 0
    backend_ms: list = field(default_factory=list)
    sql_ms: list = field(default_factory=list)  # of backend_ms: waiting for PostgreSQL or the engine
    service_ms: list = field(default_factory=list)


class Waiting:
    """Counts the requests a backend sends and the time spent waiting for their answers: the
    statements PostgreSQL runs, or the HTTP requests the engine answers."""

    def __init__(self, backend):
        self.requests, self.seconds = 0, 0.0
        self.engine = backend.vendor not in ("postgresql", "sqlite")
        if self.engine:
            transport = backend.client.transport
            send = transport.perform_request

            def clocked(*args, **kwargs):
                return self._clock(send, *args, **kwargs)

            transport.perform_request = clocked

    def _clock(self, send, *args, **kwargs):
        started = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            self.requests += 1
            self.seconds += time.perf_counter() - started

    def watching(self):
        from django.db import connection

        if self.engine:
            return contextlib.nullcontext()
        return connection.execute_wrapper(lambda execute, *args: self._clock(execute, *args))


def run_queries(queries: list[Query], rounds: int) -> list[Timing]:
    from search.backends import get_backend
    from search.product_search import search_products
    from search.query import Page

    backend = get_backend()
    waiting = Waiting(backend)
    page = Page(0, PAGE_SIZE)
    timings = [Timing(query, resolve(query)) for query in queries]
    with waiting.watching():
        for timing in timings:  # the warm-up round, also counting statements (requests) and hits
            before = waiting.requests
            results = backend.search(timing.query.text, timing.filters, True, timing.query.sort, page)
            timing.statements, timing.total, timing.hits = waiting.requests - before, results.total, len(results.hits)
    for timing in timings:
        search_products(timing.query.text, timing.filters, timing.query.sort, page)

    order = list(timings)
    rng = random.Random(5)
    gc.collect()
    for _ in range(rounds):
        rng.shuffle(order)
        for timing in order:
            query = timing.query
            waiting.seconds = 0.0
            with waiting.watching():
                started = time.perf_counter()
                backend.search(query.text, timing.filters, True, query.sort, page)
                timing.backend_ms.append((time.perf_counter() - started) * 1000)
            timing.sql_ms.append(waiting.seconds * 1000)
            started = time.perf_counter()
            search_products(query.text, timing.filters, query.sort, page)
            timing.service_ms.append((time.perf_counter() - started) * 1000)
    return timings


def explain(timing: Timing) -> list[str]:
    """The plans of the statements one search sends, as PostgreSQL ran them."""
    from django.db import connection

    from search.backends import get_backend
    from search.query import Page

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        get_backend().search(timing.query.text, timing.filters, True, timing.query.sort, Page(0, PAGE_SIZE))
    lines = []
    for sql, params in captured:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        lines.append(f"    SQL: {sql[:300]}{'…' if len(sql) > 300 else ''}")
        lines.append(f"    params: {str(params)[:300]}")
        lines += [f"      {row}" for row in plan]
    return lines


def stats(samples: list[float]) -> tuple[float, float, float, float]:
    return statistics.median(samples), percentile(samples, 0.95), percentile(samples, 0.99), max(samples)


def report_queries(
    timings: list[Timing], typos: list[Timing], rounds: int, per_query: bool, engine: str
) -> tuple[float, float]:
    """`engine`: what the backend waits for (PostgreSQL, OpenSearch)."""
    print(f"queries: {len(timings)} queries, {rounds} measured rounds after 1 warm-up, page of {PAGE_SIZE}, facets on")
    print(
        f"  times in ms; backend = backend.search(...), of which waiting = waiting for {engine} (the rest is "
        "analysis, highlighting, results); service = search_products(...) (the backend call + the products "
        f"re-read from PostgreSQL for their cards + facet labels); req = statements or requests sent to {engine}"
    )
    header = (
        f"  {'kind':<10} {'n':>3} {'hits avg':>9} {'req':>4}   {'backend p50':>11} {'p95':>7} {'max':>7}"
        f"   {'waiting p50':>11} {'p95':>7}   {'service p50':>11} {'p95':>7} {'max':>7}"
    )
    print(header)

    def row(label, group):
        backend = [ms for t in group for ms in t.backend_ms]
        service = [ms for t in group for ms in t.service_ms]
        in_sql = [ms for t in group for ms in t.sql_ms]
        b50, b95, _, bmax = stats(backend)
        s50, s95, _, smax = stats(service)
        q50, q95, _, _ = stats(in_sql)
        total = statistics.mean(t.total for t in group)
        sql = statistics.mean(t.statements for t in group)
        print(
            f"  {label:<10} {len(group):>3} {total:>9,.0f} {sql:>4.1f}   {b50:>11.1f} {b95:>7.1f} {bmax:>7.1f}"
            f"   {q50:>11.1f} {q95:>7.1f}   {s50:>11.1f} {s95:>7.1f} {smax:>7.1f}"
        )

    for kind in KINDS:
        row(kind, [t for t in timings if t.query.kind == kind])
    row("all", timings)
    if typos:
        row("typos *", typos)
        print(f"  * not among the 50: {', '.join(t.query.text for t in typos)}, which find nothing as typed")
    backend = [ms for t in timings for ms in t.backend_ms]
    service = [ms for t in timings for ms in t.service_ms]
    b50, b95, b99, bmax = stats(backend)
    s50, s95, s99, smax = stats(service)
    print(f"  all {len(backend)} samples: backend p50 {b50:.1f}  p95 {b95:.1f}  p99 {b99:.1f}  max {bmax:.1f}")
    print(f"  all {len(service)} samples: service p50 {s50:.1f}  p95 {s95:.1f}  p99 {s99:.1f}  max {smax:.1f}")
    cards = [s - b for t in timings for s, b in zip(t.service_ms, t.backend_ms, strict=True)]
    c50, c95, c99, _ = stats(cards)
    print(
        f"  the products and labels (service − backend, each query's rounds paired): p50 {c50:.1f}  p95 {c95:.1f}  "
        f"p99 {c99:.1f}"
    )
    verdict = "met" if b95 < TARGET_P95_MS else "missed"
    service_verdict = "met" if s95 < TARGET_P95_MS else "MISSED"
    print(
        f"  target: the service call's p95 under {TARGET_P95_MS} ms on {engine}: {service_verdict} ({s95:.1f} ms); "
        f"the backend call's alone: {verdict} ({b95:.1f} ms)"
    )
    slowest = sorted(timings, key=lambda t: -percentile(t.backend_ms, 0.95))
    shown = timings if per_query else slowest[:8]
    print("  per query (all, in order):" if per_query else "  slowest queries by backend p95:")
    for t in shown:
        print(
            f"    {t.query.kind:<10} {t.query.label():<40} {t.total:>7,} hits   backend p50 "
            f"{statistics.median(t.backend_ms):6.1f} p95 {percentile(t.backend_ms, 0.95):6.1f} "
            f"(waiting {statistics.median(t.sql_ms):6.1f})   service p50 "
            f"{statistics.median(t.service_ms):6.1f} p95 {percentile(t.service_ms, 0.95):6.1f}"
        )
    empty = [t.query.label() for t in timings if t.total == 0]
    if empty:
        print(f"  WARNING: no hits for {', '.join(empty)} (a query that finds nothing measures little)")
    return b95, s95


# --- The benchmark ------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds of the 50 queries (after 1 warm-up)")
    parser.add_argument("--reuse", action="store_true", help="keep the benchmark database if it holds --products")
    parser.add_argument(
        "--database",
        default=os.environ.get("SEARCH_BENCH_DATABASE", BENCH_DB),
        help=f"the benchmark's database (re-created unless --reuse): {BENCH_DB} unless SEARCH_BENCH_DATABASE says",
    )
    parser.add_argument("--sample", type=int, default=5_000, help="products for the analysis throughput figures")
    parser.add_argument("--no-rebuild", action="store_true", help="query the index as it is (with --reuse)")
    parser.add_argument("--explain", type=int, default=None, help="plans of the N slowest queries (default: 3 if slow)")
    parser.add_argument("--per-query", action="store_true", help="print every query's figures")
    parser.add_argument(
        "--backend",
        choices=["postgresql", "opensearch"],
        default="postgresql",
        help="what answers the searches: the PostgreSQL backend, or an OpenSearch node (the catalogue stays in "
        "PostgreSQL: the service call re-reads the hits' products there)",
    )
    parser.add_argument(
        "--engine", dest="backend", action="store_const", const="opensearch", help="--backend opensearch"
    )
    parser.add_argument(
        "--engine-url",
        default=os.environ.get("SEARCH_BENCH_ENGINE_URL"),
        help="with --engine: an OpenSearch node already running (default: start one for the run, tests/engine_node.py)",
    )
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "The benchmark's catalogue lives in PostgreSQL. "
            "Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
        )
    for name in ("ELASTICSEARCH_URL", "OPENSEARCH_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)  # the backend chosen here; no broker, so nothing is queued
    must_seed = point_django_at_bench_database(server, args.products, args.reuse, args.database)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shop.models import Product
    from shop.selectors import visible_products

    call_command("migrate", verbosity=0)
    if must_seed:
        # In a process of its own, as bench/catalog.py does: seeding leaves a large heap behind,
        # which would slow every garbage collection of this process and skew the figures.
        started = time.perf_counter()
        command = [sys.executable, str(ROOT / "bench" / "search_seed.py"), "--products", str(args.products)]
        subprocess.run(command, check=True, env=os.environ)  # noqa: S603 - fixed argv
        print(f"  (seeding, with its process start: {time.perf_counter() - started:.1f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    products = Product.objects.count()
    visible = visible_products().count()
    print(
        f"catalogue: {products:,} products ({visible:,} visible: {products - visible:,} unpublished or their "
        f"seller not verified) in PostgreSQL {version}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}"
    )

    with engine_node(args) as url:
        engine = use_engine(url) if url else f"PostgreSQL {version}"
        measure(args, engine, visible)


@contextlib.contextmanager
def engine_node(args):
    """The engine's URL (None: PostgreSQL): the one given, or a node started for the run and
    stopped after it (tests/engine_node.py: one OpenSearch node in a JVM of at most 512 MB)."""
    if args.backend != "opensearch":
        yield None
    elif args.engine_url:
        yield args.engine_url
    else:
        from tests.engine_node import running_node

        started = time.perf_counter()
        with running_node() as url:
            print(f"  (an OpenSearch node started at {url} in {time.perf_counter() - started:.1f} s)")
            yield url


def use_engine(url: str) -> str:
    """The shop's `default` search backend is then OpenSearch at `url`; returns its name and version."""
    import logging

    from django.test import override_settings

    logging.getLogger("opensearch").setLevel(logging.WARNING)  # not a line a request

    from search.backends import get_backend

    override_settings(
        SEARCH_BACKENDS={
            "default": {
                "BACKEND": OPENSEARCH_BACKEND,
                "OPTIONS": {"url": url, "index_prefix": "shanhuo-bench", "timeout": 30},
            }
        }
    ).enable()
    info = get_backend().client.info()
    return f"{info['version'].get('distribution', 'engine')} {info['version']['number']}".replace(
        "opensearch", "OpenSearch"
    )


def indexed_count(backend) -> int:
    if backend.vendor in ("postgresql", "sqlite"):
        from search.models import SearchEntry

        return SearchEntry.objects.count()
    backend.client.indices.refresh(index=backend.alias)
    return backend.client.count(index=backend.alias)["count"]


def engine_index_state(backend) -> str:
    stats = backend.client.indices.stats(index=backend.alias)["_all"]["primaries"]
    return (
        f"{backend.alias}: {stats['docs']['count']:,} documents, {stats['store']['size_in_bytes'] / 2**20:,.0f} MB, "
        f"{stats['segments']['count']} segments"
    )


def cpu_seconds(backend) -> dict[str, float]:
    """Processor time used so far by this process, its finished children (the rebuild's document
    processes), and what serves the index: this connection's PostgreSQL server process (read from
    /proc, when the server runs on this machine) or the engine's node (its own statistics). On a
    shared machine the wall-clock time says more about the neighbours; this says what the work cost."""
    times = os.times()
    used = {
        "this process": times.user + times.system,
        "document processes": times.children_user + times.children_system,
    }
    try:
        if backend.vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used["PostgreSQL"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        else:
            nodes = backend.client.nodes.stats(metric="process")["nodes"]
            used["OpenSearch"] = sum(n["process"]["cpu"]["total_in_millis"] for n in nodes.values()) / 1000
    except (OSError, IndexError, KeyError, ValueError):
        pass  # a server on another machine: not counted
    return used


def measure(args, engine: str, visible: int) -> None:
    from django.db import connection

    from search import indexing
    from search.backends import get_backend

    backend = get_backend()
    is_database = backend.vendor == "postgresql"
    name = engine.split()[0]
    print(f"backend: {type(backend).__name__} ({engine})")
    print(f"analysis (one process, on {args.sample:,} products):")
    for line in measure_analysis(args.sample):
        print(line)

    if args.no_rebuild:
        indexed = indexed_count(backend)
        if not indexed:
            sys.exit("--no-rebuild: the index is empty; run once without it")
        print(f"rebuild: skipped (--no-rebuild); {indexed:,} documents indexed")
    else:
        gc.collect()
        cpu_before = cpu_seconds(backend)
        report, rebuild_s = timed(indexing.rebuild, backend)
        cpu = {name: seconds - cpu_before.get(name, 0.0) for name, seconds in cpu_seconds(backend).items()}
        indexed = indexed_count(backend)
        verdict = "met" if rebuild_s < TARGET_REBUILD_S else "MISSED"
        print(
            f"rebuild: search.indexing.rebuild() (as manage.py search_rebuild) on {name}: {report.documents:,} "
            f"documents into {report.index} in {rebuild_s:.1f} s ({report.documents / rebuild_s:,.0f} docs/s; "
            f"backend.rebuild {report.seconds:.1f} s); load average "
            f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}"
        )
        print(f"  target: under {TARGET_REBUILD_S} s: {verdict}")
        print(
            f"  processor time: {sum(cpu.values()):.1f} s in all ("
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
            + f"): at least {sum(cpu.values()) / (os.cpu_count() or 1):.0f} s on {os.cpu_count()} idle CPUs"
        )
        if indexed != visible:
            print(f"  WARNING: {indexed:,} documents indexed for {visible:,} visible products")
        print(f"  {index_state() if is_database else engine_index_state(backend)}")
        connection.close()  # a fresh session for the queries, as a web worker would have

    timings = run_queries(QUERIES, args.rounds)
    typos = run_queries(TYPOS, args.rounds)
    b95, _ = report_queries(timings, typos, args.rounds, args.per_query, name)
    print(f"  load average (1, 5, 15 min) at the end: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")

    explain_count = args.explain if args.explain is not None else (3 if b95 >= TARGET_P95_MS else 0)
    if explain_count and is_database:
        print(f"plans of the {explain_count} slowest queries (backend p95):")
        for timing in sorted(timings, key=lambda t: -percentile(t.backend_ms, 0.95))[:explain_count]:
            print(f"  {timing.query.kind}: {timing.query.label()}")
            for line in explain(timing):
                print(line)


if __name__ == "__main__":
    main()
