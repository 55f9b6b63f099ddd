"""Benchmark: the feed and promoted clicks under gunicorn with Redis — feed requests a second and
latency at 8 and 32 concurrent clients, the promoted-slot selection's share of a feed request, Redis
round trips per feed request, clicks a second through /r/<token>, and billed spend against a cap.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/feed.py

DATABASE_URL names the PostgreSQL server: the benchmark works in a database of its own
(`shanhuo_bench_feed`, re-created and seeded by bench/feed_seed.py unless --reuse, and left behind).
REDIS_URL names the Redis server: the benchmark uses database --redis-db (7) of it, emptied at the
start, so that the budget counters, the cache and anything else the site sends to Redis are its own.

The site runs under gunicorn (`config.wsgi`, bound to 127.0.0.1 on a free port) with the Redis
budget backend and DEBUG off; the load comes from threads of this process, each a keep-alive
connection with a browser's User-Agent, and goes to 127.0.0.1 only. In order:
1. Feed: GET /feed/ (a page of 20, every 5th item a promoted slot) by one client (a reference with
   no queueing), then at each --clients level; the GraphQL `feed` query too when the schema has it.
   Latency is the client's (gunicorn's queue included); the promoted-slot selection is the
   server's own `Server-Timing: promo;dur=` figure (promotion.feed.build_page around `choose`: the
   running campaigns, their products, the ranking and the Redis servable check). Then the first
   level again with no campaign running, so the whole cost of promotion shows end to end too.
   Each pass is bounded by --requests and a time limit. On a machine with fewer cores than
   gunicorn workers plus PostgreSQL plus this process, every figure includes waiting for a CPU:
   the load average is printed at the start and the end.
2. Redis round trips: a separate pass of feed requests with MONITOR on (it slows Redis, so not
   during the timed passes), counting the commands the web processes sent to the bench database
   (commands run inside a Lua script are not round trips and are left out).
3. Clicks: the /r/<token> links harvested from the feed pages (or, while the page does not show
   them, tokens from promotion.feed.build_page called in this process), each clicked once by a new
   viewer (no cookies sent). Then the cap test: the `cap-redis` campaign has a total budget for
   exactly --cap-clicks clicks; this process mints 3x that many tokens for it with
   promotion.tokens.issue (the server shares this process's DJANGO_SECRET_KEY) and fires them
   concurrently. Billed spend is read from the database (Spend rows and Click outcomes).
4. Unless --no-database-path: gunicorn again with PROMOTION_BUDGET_BACKEND=database, a short feed
   pass, and the cap test on `cap-database`.
Exit status 1 when any campaign's billed spend passes a cap.
"""

import argparse
import collections
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import reusable_database  # noqa: E402

BENCH_DB = "shanhuo_bench_feed"
TARGET_SELECTION_P99_MS = 5.0
TARGET_ROUND_TRIPS = 1.0
TARGET_PER_WORKER = 300
TARGET_QUERIES = 2
BROWSER_UA = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
HEADERS = {"User-Agent": BROWSER_UA, "Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"}
TOKEN_LINK = re.compile(r"""["']/r/([A-Za-z0-9_\-:.%]+)["']""")
NEXT_LINK = re.compile(r"""[?&]after=([A-Za-z0-9_\-=%]+)""")
PROMO_TIMING = re.compile(r"promo;dur=([0-9.]+)")
PROMO_CPU_TIMING = re.compile(r"promo-cpu;dur=([0-9.]+)")
MONITOR_END = "shanhuo-bench-feed-monitor-end"


# --- Databases --------------------------------------------------------------------------------


def bench_redis_url(server_url: str, db: int) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


# --- The site under gunicorn --------------------------------------------------------------------


def bench_services(bench_db: str, redis_db: int, reuse: bool) -> tuple[str, bool, str]:
    """The benchmark's own database on DATABASE_URL's PostgreSQL server (and whether it needs
    seeding) and its own database of REDIS_URL's Redis; exits saying what to set when either is not
    set."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    if not os.environ.get("REDIS_URL", "").startswith(("redis://", "rediss://")):
        sys.exit("Set REDIS_URL to a Redis server, e.g. redis://127.0.0.1:6379/0")
    database_url, must_seed = reusable_database(server, bench_db, reuse)
    return database_url, must_seed, bench_redis_url(os.environ["REDIS_URL"], redis_db)


def site_env(database_url: str, redis_url: str) -> dict:
    """The settings a benchmark's site runs with, as deployed (DEBUG off, the Redis budget). The
    benchmark's own process takes them too: it shares every setting with the server, the secret
    key included (tokens and sessions minted there)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "PROMOTION_BUDGET_BACKEND": "redis",
        "DJANGO_DEBUG": "0",
        # Plain HTTP on the loopback: production's HTTPS redirect and Secure cookies off.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PYTHONUNBUFFERED": "1",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """gunicorn serving config.wsgi on 127.0.0.1; stopped (its whole process group) on exit."""

    def __init__(self, env: dict, workers: int, threads: int, log_dir: Path, label: str):
        self.env, self.workers, self.threads = env, workers, threads
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{label}.log"
        self.process = None

    def describe(self) -> str:
        kind = f"gthread, {self.threads} threads each" if self.threads > 1 else "sync"
        return f"gunicorn, {self.workers} workers ({kind}), 127.0.0.1:{self.port}"

    def __enter__(self):
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread" if self.threads > 1 else "sync",
            "--threads",
            str(self.threads),
            "--backlog",
            "512",
            "--keep-alive",
            "30",
            "--timeout",
            "60",
            "--chdir",
            str(ROOT),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/feed/", headers=HEADERS)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    return self
                raise RuntimeError(f"GET /feed/ answered {response.status}:\n{self.tail()}")
            except (ConnectionRefusedError, http.client.RemoteDisconnected, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.tail()}") from None
                time.sleep(0.2)

    def __exit__(self, *exc):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's arbiter and its workers, started by us
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- Load -----------------------------------------------------------------------------------------


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


@dataclass
class Run:
    label: str
    clients: int
    seconds: float = 0.0
    latency_ms: list = field(default_factory=list)
    promo_ms: list = field(default_factory=list)
    promo_cpu_ms: list = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: list = field(default_factory=list)
    tokens: list = field(default_factory=list)
    promoted_links: int = 0
    personal: int = 0  # pages with a "why this" line: ranked for their reader

    @property
    def done(self) -> int:
        return len(self.latency_ms)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def drive(port: int, clients: int, jobs, max_seconds: float, work) -> tuple[float, list]:
    """Run `work(conn, job)` for each job over `clients` threads, each with one keep-alive
    connection; stop taking jobs after `max_seconds`. Returns (wall seconds, errors)."""
    jobs = iter(jobs)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    errors: list[str] = []
    deadline = [0.0]

    def next_job():
        with lock:
            if time.perf_counter() > deadline[0]:
                return None
            return next(jobs, None)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while (job := next_job()) is not None:
            try:
                work(conn, job)
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error)[:200])
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + max_seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


class Readers:
    """The readers the load comes from, in turn: each scroll (up to `scroll` pages) is one reader's,
    with their viewer cookie (a profile seeded by `seed_readers`), or, one in `new_every`, a first
    visit with no cookie."""

    def __init__(self, cookies: list[str], new_every: int = 10):
        self.cookies, self.new_every = cookies, new_every
        self.turn = 0
        self.lock = threading.Lock()

    def headers(self) -> dict:
        with self.lock:
            self.turn += 1
            turn = self.turn
        if not self.cookies or turn % self.new_every == 0:
            return HEADERS
        return {**HEADERS, "Cookie": f"shanhuo_viewer={self.cookies[turn % len(self.cookies)]}"}


def feed_run(port, label, clients, requests, max_seconds, harvest=0, scroll=3, readers=None) -> Run:
    """GET /feed/, following the page's own `?after=` link up to `scroll` pages deep when it has one,
    each scroll as one of `readers` (none: every request a first visit)."""
    run = Run(label, clients)
    depth = threading.local()
    readers = readers or Readers([])

    def work(conn, _job):
        path = getattr(depth, "next", None)
        if path is None:
            path, depth.headers = "/feed/", readers.headers()
        began = time.perf_counter()
        conn.request("GET", path, headers=depth.headers)
        response = conn.getresponse()
        body = response.read()
        run.latency_ms.append((time.perf_counter() - began) * 1000)
        run.statuses[response.status] += 1
        timing = PROMO_TIMING.search(response.getheader("Server-Timing") or "")
        if timing:
            run.promo_ms.append(float(timing.group(1)))
        cpu = PROMO_CPU_TIMING.search(response.getheader("Server-Timing") or "")
        if cpu:
            run.promo_cpu_ms.append(float(cpu.group(1)))
        html = body.decode("utf-8", "replace")
        links = TOKEN_LINK.findall(html)
        run.promoted_links += len(links)
        run.personal += 'class="card-note"' in html
        if len(run.tokens) < harvest:
            run.tokens.extend(unquote(token) for token in links)
        pages = getattr(depth, "pages", 0) + 1
        after = NEXT_LINK.search(html) if pages < scroll else None
        depth.next, depth.pages = (f"/feed/?after={after.group(1)}", pages) if after else (None, 0)

    run.seconds, run.errors = drive(port, clients, range(requests), max_seconds, work)
    return run


def seed_readers(count: int, seed: int = 7) -> list[str]:
    """`count` readers with a taste, as promotion.affinities records it in the bench's Redis: each
    looked at four goods of each of two categories and ordered one of them. Their viewer cookies."""
    import random

    from promotion import affinities
    from shop.selectors import visible_products

    rng = random.Random(seed)
    by_category: dict[int, list[int]] = {}
    for pk, category in visible_products().filter(in_stock=True).values_list("pk", "category_id"):
        by_category.setdefault(category, []).append(pk)
    categories = sorted(by_category)
    cookies = []
    for _n in range(count):
        cookie = f"{rng.getrandbits(128):032x}"
        goods = [
            pk
            for c in rng.sample(categories, min(2, len(categories)))
            for pk in rng.sample(by_category[c], min(4, len(by_category[c])))
        ]
        affinities.record_many([f"c:{cookie}"], "view", goods)
        affinities.record_many([f"c:{cookie}"], "order", goods[:1])
        cookies.append(cookie)
    return cookies


def queries_per_page(cookies: list[str], pages: int) -> list[int]:
    """SQL queries of feed pages made in this process through Django's test client (the site's own
    settings, middleware and Redis), one reader after another, once the process's caches are warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_USER_AGENT=BROWSER_UA)
    counts = []
    for n in range(pages + 3):
        client.cookies["shanhuo_viewer"] = cookies[n % len(cookies)]
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/feed/")
        if n >= 3 and response.status_code == 200:  # the first pages build the caches
            counts.append(len(queries))
    return counts


def click_run(port, label, clients, tokens, max_seconds) -> Run:
    """GET /r/<token> once per token, never sending a cookie: every click is a new viewer."""
    run = Run(label, clients)

    def work(conn, token):
        began = time.perf_counter()
        conn.request("GET", "/r/" + quote(token, safe=":"), headers=HEADERS)
        response = conn.getresponse()
        response.read()
        run.latency_ms.append((time.perf_counter() - began) * 1000)
        run.statuses[response.status] += 1

    run.seconds, run.errors = drive(port, clients, tokens, max_seconds, work)
    return run


GRAPHQL_FEEDS = (
    "{ feed(first: 20) { edges { cursor promoted sponsorName clickUrl node { __typename } } "
    "pageInfo { hasNextPage endCursor } } }",
    "{ feed(first: 20) { edges { cursor node { __typename } } pageInfo { hasNextPage } } }",
)


def graphql_run(port, clients, requests, max_seconds) -> tuple[Run | None, str]:
    """POST the feed query, when the schema has one: (the run, the query sent, or why not)."""
    import json

    try:
        from config.schema import schema

        if "feed" not in schema.graphql_schema.query_type.fields:
            return None, "no feed query in the schema"
    except Exception as error:  # noqa: BLE001 - the schema is another helper's work in progress
        return None, f"the schema does not load: {error!r}"[:200]
    headers = {**HEADERS, "Content-Type": "application/json", "Accept": "application/json"}
    for query in GRAPHQL_FEEDS:  # the richest query the schema answers
        body = json.dumps({"query": query})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/graphql/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        if response.status == 200 and b'"errors"' not in payload:
            break
    else:
        return None, f"the feed query fails: {payload[:200]!r}"
    run = Run("POST /graphql/ feed(first: 20) *", clients)

    def work(conn, _job):
        began = time.perf_counter()
        conn.request("POST", "/graphql/", body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        run.latency_ms.append((time.perf_counter() - began) * 1000)
        run.statuses[response.status if b'"errors"' not in payload else 599] += 1
        if b'"errors"' in payload and len(run.errors) < 3:
            run.errors.append(payload[:300].decode("utf-8", "replace"))

    run.seconds, errors = drive(port, clients, range(requests), max_seconds, work)
    run.errors += errors
    return run, query


# --- Redis round trips ------------------------------------------------------------------------------


def count_redis_commands(redis_url: str, db: int, during) -> tuple[collections.Counter, object]:
    """Commands sent to Redis database `db` by any client while `during()` runs, by name, read
    with MONITOR (commands a Lua script runs show as client "lua" and are not round trips).
    Returns (commands, what `during` returned)."""
    import redis

    server = redis.Redis.from_url(redis_url)
    marker = redis.Redis.from_url(redis_url)
    marker.ping()  # connected (and its SELECT sent) before MONITOR starts: only the marker's ECHO is seen
    monitor = server.monitor()
    counted: collections.Counter = collections.Counter()
    prefix = f"[{db} "
    ready, finished = threading.Event(), threading.Event()

    def listen():
        with monitor as m:
            ready.set()
            while True:
                line = m.connection.read_response()
                if isinstance(line, bytes):
                    line = line.decode("utf-8", "replace")
                _time, _sep, rest = line.partition(" ")
                if MONITOR_END in rest:
                    break
                if not rest.startswith(prefix) or rest.startswith(prefix + "lua]"):
                    continue
                name = rest.split("] ", 1)[1].split(" ", 1)[0].strip('"').upper()
                counted[name] += 1
        finished.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("MONITOR did not start")
    result = during()
    marker.echo(MONITOR_END)  # on the bench database, and not counted
    if not finished.wait(30):
        raise RuntimeError("MONITOR did not see the end marker")
    return counted, result


# --- Figures from the database ------------------------------------------------------------------


def outcomes_since(started, campaign=None) -> collections.Counter:
    from django.db.models import Count

    from promotion.models import Click

    clicks = Click.objects.filter(created_at__gte=started)
    if campaign is not None:
        clicks = clicks.filter(campaign=campaign)
    return collections.Counter(dict(clicks.values_list("outcome").annotate(n=Count("id")).order_by()))


def cap_figures(campaign_name: str, redis_url: str | None) -> dict:
    from django.db.models import Sum

    from promotion.budget import _keys
    from promotion.clock import budget_day
    from promotion.models import Campaign, Click, ClickOutcome, Spend

    campaign = Campaign.objects.get(name=campaign_name)
    spends = Spend.objects.filter(campaign=campaign)
    spent = spends.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    day_spent = max((row["total"] for row in spends.values("day").annotate(total=Sum("amount"))), default=Decimal(0))
    figures = {
        "campaign": campaign,
        "spent": spent,
        "spends": spends.count(),
        "billed_clicks": Click.objects.filter(campaign=campaign, outcome=ClickOutcome.BILLED).count(),
        "overspend": max(Decimal("0"), spent - campaign.total_cap) + max(Decimal("0"), day_spent - campaign.daily_cap),
        "state": campaign.state,
        "redis_fen": None,
    }
    if redis_url:
        import redis
        from django.utils import timezone

        value = redis.Redis.from_url(redis_url).get(_keys(campaign.pk, budget_day(timezone.now()))["total"])
        figures["redis_fen"] = int(value) if value is not None else None
    return figures


def overspend_everywhere() -> tuple[Decimal, list[str]]:
    """Every campaign's billed spend against its caps, from the Spend rows."""
    from django.db.models import Sum

    from promotion.models import Campaign, Spend

    caps = {c.pk: c for c in Campaign.objects.all()}
    over, offenders = Decimal("0"), []
    totals = Spend.objects.values("campaign").annotate(total=Sum("amount")).order_by()
    for row in totals:
        excess = row["total"] - caps[row["campaign"]].total_cap
        if excess > 0:
            over += excess
            offenders.append(f"{caps[row['campaign']].name}: total {row['total']} > {caps[row['campaign']].total_cap}")
    for row in Spend.objects.values("campaign", "day").annotate(total=Sum("amount")).order_by():
        excess = row["total"] - caps[row["campaign"]].daily_cap
        if excess > 0:
            over += excess
            offenders.append(f"{caps[row['campaign']].name}: {row['day']} {row['total']} > daily cap")
    return over, offenders


def mint_cap_tokens(campaign_name: str, count: int) -> list[str]:
    from django.utils import timezone

    from promotion import tokens
    from promotion.models import Campaign

    campaign = Campaign.objects.get(name=campaign_name)
    products = list(campaign.products.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    return [tokens.issue(campaign.pk, products[i % len(products)], now) for i in range(count)]


def tokens_from_build_page(count: int) -> list[str]:
    """Serve tokens as the feed page would show them, made by the feed code in this process."""
    from promotion.feed import build_page

    found: list[str] = []
    for _ in range(count * 2):
        found += [entry.token for entry in build_page(20).entries if entry.token]
        if len(found) >= count:
            break
    return found[:count]


# --- Report --------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.1f}" if value == value else "-"


def feed_line(run: Run) -> str:
    promo = run.promo_ms
    ok = run.statuses.get(200, 0)
    bad = run.done - ok + len(run.errors)
    line = (
        f"  {run.label:<34} {run.clients:>3} {run.done:>6} {run.rate:>7.1f} {ms(statistics.median(run.latency_ms)):>7}"
        f" {ms(percentile(run.latency_ms, 0.99)):>7} {ms(statistics.median(promo) if promo else float('nan')):>8}"
        f" {ms(percentile(promo, 0.99)) if promo else '-':>8}"
        f" {ms(percentile(run.promo_cpu_ms, 0.99)) if run.promo_cpu_ms else '-':>8} {bad:>5}"
    )
    return line


def click_line(run: Run, outcomes: collections.Counter) -> str:
    shown = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items(), key=lambda kv: -kv[1]))
    bad = run.done - run.statuses.get(302, 0) + len(run.errors)
    return (
        f"  {run.label:<34} {run.clients:>3} {run.done:>6} {run.rate:>7.1f} {ms(statistics.median(run.latency_ms)):>7}"
        f" {ms(percentile(run.latency_ms, 0.99)):>7} {bad:>5}   {shown}"
    )


FEED_HEADER = (
    f"  {'':<34} {'cl':>3} {'reqs':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
    f" {'promo50':>8} {'promo99':>8} {'cpu99':>8} {'bad':>5}"
)
CLICK_HEADER = (
    f"  {'':<34} {'cl':>3} {'clicks':>6} {'/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bad':>5}   outcomes (database)"
)


def describe_errors(run: Run) -> list[str]:
    lines = []
    odd = {status: n for status, n in run.statuses.items() if status not in (200, 302)}
    if odd:
        lines.append(f"    {run.label}: statuses {odd}")
    if run.errors:
        lines.append(f"    {run.label}: {len(run.errors)} errors, e.g. {run.errors[0]}")
    return lines


# --- The benchmark --------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=4_000, help="catalogue to seed")
    parser.add_argument("--stories", type=int, default=100, help="published stories to seed")
    parser.add_argument("--campaigns", type=int, default=30, help="active campaigns to seed")
    parser.add_argument("--cap-clicks", type=int, default=500, help="the cap campaigns' budget, in clicks")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32], help="feed concurrency levels")
    parser.add_argument("--requests", type=int, default=1_000, help="feed requests per level (and without campaigns)")
    parser.add_argument("--max-seconds", type=float, default=30, help="time limit of each feed pass")
    parser.add_argument("--single-requests", type=int, default=150, help="feed requests of the 1-client reference")
    parser.add_argument("--monitor-requests", type=int, default=150, help="feed requests counted with MONITOR")
    parser.add_argument("--clicks", type=int, default=500, help="feed-token clicks (before the cap test)")
    parser.add_argument("--click-clients", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn sync workers (default: one a CPU; the load runs on the same CPUs, so more workers only "
        "take turns on them)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads a worker (above 1: gthread)")
    parser.add_argument("--redis-db", type=int, default=7, help="the Redis database the benchmark owns")
    parser.add_argument("--no-database-path", action="store_true", help="skip the database budget backend's run")
    parser.add_argument("--reuse", action="store_true", help="keep an existing benchmark database (unseeded runs)")
    parser.add_argument("--readers", type=int, default=300, help="readers with a taste the feed load comes from")
    parser.add_argument("--worker-clients", type=int, default=3, help="clients of the one-worker pass")
    args = parser.parse_args()

    database_url, must_seed, redis_url = bench_services(BENCH_DB, args.redis_db, args.reuse)
    env = site_env(database_url, redis_url)
    os.environ.update(env)
    import django
    import redis

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from promotion.models import Campaign, CampaignState, ContentItem
    from shop.selectors import visible_products

    redis_server = redis.Redis.from_url(redis_url)
    redis_server.flushdb()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if must_seed:
        command = [
            sys.executable,
            str(ROOT / "bench" / "feed_seed.py"),
            *("--products", str(args.products), "--stories", str(args.stories)),
            *("--campaigns", str(args.campaigns)),
        ]
        subprocess.run(command, check=True, env=os.environ)  # noqa: S603 - fixed argv
    # The cap test's campaigns, fresh on every run (with --reuse too); the second waits for the database path.
    sys.path.insert(0, str(ROOT / "bench"))
    from feed_seed import cap_campaign

    run_tag = timezone.localtime().strftime("%H%M%S")
    cap_names = {"redis": f"cap-redis-{run_tag}", "database": f"cap-database-{run_tag}"}
    cap_campaign(cap_names["redis"], args.cap_clicks, CampaignState.ACTIVE)
    cap_campaign(cap_names["database"], args.cap_clicks, CampaignState.PAUSED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(
        f"feed: {visible_products().filter(in_stock=True).count():,} visible in-stock products, "
        f"{ContentItem.objects.filter(status='published').count()} published stories, "
        f"{Campaign.objects.filter(state=CampaignState.ACTIVE).count()} active campaigns "
        f"(prepared in {time.perf_counter() - started:.1f} s); PostgreSQL {pg_version}, "
        f"Redis {redis_server.info('server')['redis_version']} db {args.redis_db}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    connection.close()

    started = time.perf_counter()
    cookies = seed_readers(args.readers)
    readers = Readers(cookies)
    print(
        f"readers: {len(cookies)} with a taste (seeded in {time.perf_counter() - started:.1f} s); "
        "one scroll in 10 is a first visit"
    )
    log_dir = Path(tempfile.mkdtemp(prefix="shanhuo-bench-feed-"))
    results: dict = {"feed": [], "clicks": [], "caps": [], "db_feed": None}
    harvest = args.clicks
    click_source = "harvested from the feed pages' /r/<token> links"

    with Site(env, args.workers, args.threads, log_dir, "redis") as site:
        print(f"site: {site.describe()}, PROMOTION_BUDGET_BACKEND=redis, DEBUG off; load from {os.getpid()}'s threads")
        feed_run(site.port, "warm-up", 4, 40, 30)  # every worker loaded, the Lua scripts cached
        single = feed_run(site.port, "GET /feed/, one client (reference)", 1, args.single_requests, 10, readers=readers)
        results["single"] = single
        print(FEED_HEADER + "\n" + feed_line(single))
        tokens: list[str] = []
        for clients in args.clients:
            run = feed_run(
                site.port,
                "GET /feed/ (redis budget)",
                clients,
                args.requests,
                args.max_seconds,
                harvest - len(tokens),
                readers=readers,
            )
            tokens += run.tokens
            results["feed"].append(run)
            print(feed_line(run))
        graphql, graphql_query = graphql_run(site.port, args.clients[0], args.requests // 3, 20)
        if graphql:
            results["feed"].append(graphql)
            print(feed_line(graphql))
        else:
            print(f"  (GraphQL feed skipped: {graphql_query})")

        # Redis round trips a feed request, with nothing else on the bench database.
        commands, monitored = count_redis_commands(
            redis_url,
            args.redis_db,
            lambda: feed_run(
                site.port, "GET /feed/ under MONITOR", args.clients[0], args.monitor_requests, 60, readers=readers
            ),
        )
        results["monitor"] = (commands, monitored)

        # The same load with nothing to promote: what promotion costs end to end.
        states = dict(Campaign.objects.values_list("pk", "state"))
        Campaign.objects.filter(state=CampaignState.ACTIVE).update(state=CampaignState.PAUSED)
        try:
            baseline = feed_run(
                site.port, "GET /feed/, no campaign running", args.clients[0], args.requests, 20, readers=readers
            )
        finally:
            for state in set(states.values()):
                Campaign.objects.filter(pk__in=[pk for pk, s in states.items() if s == state]).update(state=state)
        results["baseline"] = baseline
        print(feed_line(baseline))

        if len(tokens) < args.clicks:
            click_source = (
                f"{len(tokens)} harvested from the feed pages' /r/<token> links, "
                f"{args.clicks - len(tokens)} from promotion.feed.build_page in the benchmark process"
            )
            tokens += tokens_from_build_page(args.clicks - len(tokens))
        print(CLICK_HEADER)
        began = timezone.now()
        run = click_run(site.port, "GET /r/<token> from the feed", args.click_clients, tokens, 60)
        results["clicks"].append((run, outcomes_since(began)))
        print(click_line(*results["clicks"][-1]))

        cap_tokens = mint_cap_tokens(cap_names["redis"], args.cap_clicks * 3)
        cap = Campaign.objects.get(name=cap_names["redis"])
        began = timezone.now()
        run = click_run(site.port, "GET /r/<token>, cap test, redis", args.click_clients, cap_tokens, 120)
        results["clicks"].append((run, outcomes_since(began, cap)))
        print(click_line(*results["clicks"][-1]))
        results["caps"].append(("redis", run, cap_figures(cap_names["redis"], redis_url)))
        connection.close()

    # Per worker: one sync worker, its clients on the other core. Measured in the steady state of a
    # worker that has served a while: its first pages render the cards of the goods they show
    # (promotion.feed_cache keeps them for PROMOTION_FEED_CACHE_SECONDS), shown apart as "cold".
    with Site(env, 1, 1, log_dir, "one-worker") as site:
        cold = feed_run(site.port, "GET /feed/, 1 sync worker, cold", args.worker_clients, 300, 30, readers=readers)
        print(feed_line(cold))
        results["one_worker_cold"] = cold
        feed_run(site.port, "warm-up", args.worker_clients, 900, 30, readers=readers)
        results["one_worker"] = feed_run(
            site.port,
            "GET /feed/, 1 sync worker",
            args.worker_clients,
            args.requests,
            args.max_seconds,
            readers=readers,
        )
        print(feed_line(results["one_worker"]))
    results["queries"] = queries_per_page(cookies, 60)
    connection.close()

    if not args.no_database_path:
        Campaign.objects.filter(name=cap_names["database"]).update(state=CampaignState.ACTIVE)
        db_env = {**env, "PROMOTION_BUDGET_BACKEND": "database"}
        with Site(db_env, args.workers, args.threads, log_dir, "database") as site:
            feed_run(site.port, "warm-up", 4, 40, 30)
            run = feed_run(site.port, "GET /feed/ (database budget)", args.clients[0], args.requests // 2, 15)
            results["db_feed"] = run
            print(feed_line(run))
            cap_tokens = mint_cap_tokens(cap_names["database"], args.cap_clicks * 3)
            cap = Campaign.objects.get(name=cap_names["database"])
            began = timezone.now()
            run = click_run(site.port, "GET /r/<token>, cap test, database", args.click_clients, cap_tokens, 120)
            results["clicks"].append((run, outcomes_since(began, cap)))
            print(click_line(*results["clicks"][-1]))
            results["caps"].append(("database", run, cap_figures(cap_names["database"], None)))
            connection.close()

    # --- Summary ---------------------------------------------------------------------------------
    print()
    print(
        "summary (latency is the client's: gunicorn's queue included; promo = Server-Timing promo;dur, the "
        "selection's wall time; cpu = promo-cpu;dur, its CPU time)"
    )
    print(FEED_HEADER)
    feed_runs = [
        results["single"],
        *results["feed"],
        results["one_worker"],
        results["baseline"],
        *([results["db_feed"]] if results["db_feed"] else []),
    ]
    for run in feed_runs:
        print(feed_line(run))
    links = results["feed"][0].promoted_links / max(1, results["feed"][0].done)
    print(f"  promoted /r/ links a feed page: {links:.2f}; click tokens: {click_source}")
    if any(run.label.startswith("POST /graphql/") for run in results["feed"]):
        print(f"  * the query: {graphql_query}")
    redis_feed = [run for run in results["feed"] if run.promo_ms]  # the --clients levels, under load
    promo_all = [x for run in redis_feed for x in run.promo_ms]
    promo_p99 = percentile(promo_all, 0.99) if promo_all else float("nan")
    single_p99 = percentile(results["single"].promo_ms, 0.99) if results["single"].promo_ms else float("nan")
    cpu_all = [x for run in redis_feed for x in run.promo_cpu_ms]
    cpu_p99 = percentile(cpu_all, 0.99) if cpu_all else float("nan")
    floor = results["baseline"].promo_ms
    floor_p99 = percentile(floor, 0.99) if floor else float("nan")
    print(
        f"  selection under load: wall p99 {promo_p99:.2f} ms, CPU p99 {cpu_p99:.2f} ms; the same wall measurement "
        f"with no campaign running (nothing to select: the machine's scheduling noise) p99 {floor_p99:.2f} ms"
    )
    base_p50 = statistics.median(results["baseline"].latency_ms)
    with_p50 = statistics.median(results["feed"][0].latency_ms)
    print(
        f"  with promotion vs none at {args.clients[0]} clients: p50 {with_p50:.1f} vs {base_p50:.1f} ms "
        f"({with_p50 - base_p50:+.1f} ms end to end)"
    )
    personal_share = sum(r.personal for r in results["feed"]) / max(1, sum(r.done for r in results["feed"]))
    print(f"  pages ranked for their reader (a 'why this' line shown): {personal_share:.0%}")
    per_worker = results["one_worker"].rate
    queries = results["queries"]
    print(
        f"  per worker: {per_worker:.1f} req/s (1 sync worker, {args.worker_clients} clients, after its first "
        f"1,200 pages; {results['one_worker_cold'].rate:.1f} over its first 300, the cards not yet rendered); "
        "SQL queries a page "
        f"(in-process, warm, {len(queries)} readers' pages): mean {statistics.mean(queries):.2f}, max {max(queries)}"
    )
    commands, monitored = results["monitor"]
    feed_requests = monitored.statuses.get(200, 0)
    per_request = sum(commands.values()) / max(1, feed_requests)
    breakdown = ", ".join(f"{name} {n}" for name, n in commands.most_common())
    print(
        f"  Redis: {sum(commands.values())} commands from the web processes for {feed_requests} feed requests "
        f"= {per_request:.2f} a request ({breakdown or 'none'}); scripts' inner commands not counted"
    )
    print(CLICK_HEADER)
    for run, outcomes in results["clicks"]:
        print(click_line(run, outcomes))
    print("  cap test: tokens minted in the benchmark process with promotion.tokens.issue (shared DJANGO_SECRET_KEY)")
    exit_status = 0
    for _backend, run, figures in results["caps"]:
        campaign = figures["campaign"]
        redis_note = f", Redis counter {figures['redis_fen']} fen" if figures["redis_fen"] is not None else ""
        print(
            f"  {campaign.name}: {run.done} clicks fired for a budget of {args.cap_clicks} "
            f"({campaign.bid} a click): billed spend {figures['spent']} of cap {campaign.total_cap} "
            f"({figures['billed_clicks']} billed clicks, {figures['spends']} Spend rows); "
            f"overspend {figures['overspend']}; state now {figures['state']}{redis_note}"
        )
        if run.done < args.cap_clicks * 3 or figures["spent"] != campaign.total_cap:
            print(f"  WARNING {campaign.name}: the test did not drive the campaign to its cap (time limit or errors)")
    over, offenders = overspend_everywhere()
    for line in offenders:
        print(f"  OVERSPENT {line}")
    for run in [*feed_runs, *(r for r, _o in results["clicks"])]:
        for line in describe_errors(run):
            print(line)

    verdicts = [
        (over == 0, f"overspend 0 across all campaigns (total overspend {over})"),
        (
            promo_p99 < TARGET_SELECTION_P99_MS,
            f"promoted-slot selection p99 < {TARGET_SELECTION_P99_MS:g} ms at {' and '.join(map(str, args.clients))} "
            f"clients on the Redis path ({promo_p99:.2f} ms; {single_p99:.2f} ms with one client)",
        ),
        (
            cpu_p99 < TARGET_SELECTION_P99_MS,
            f"promoted-slot selection's CPU time p99 < {TARGET_SELECTION_P99_MS:g} ms under load ({cpu_p99:.2f} ms)",
        ),
        (
            per_request <= TARGET_ROUND_TRIPS,
            f"Redis round trips <= {TARGET_ROUND_TRIPS:g} per feed request ({per_request:.2f})",
        ),
        (per_worker >= TARGET_PER_WORKER, f"at least {TARGET_PER_WORKER} req/s per sync worker ({per_worker:.1f})"),
        (max(queries) <= TARGET_QUERIES, f"at most {TARGET_QUERIES} SQL queries a page ({max(queries)} at most)"),
    ]
    for ok, text in verdicts:
        print(f"{'PASS' if ok else 'FAIL'} {text}")
    if over > 0:
        exit_status = 1
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sys.exit(exit_status)


if __name__ == "__main__":
    main()
