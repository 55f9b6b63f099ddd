"""Load test: the whole stack as deployed — gunicorn workers, a real Celery worker, PostgreSQL,
Redis — under mixed traffic for a set time, then the books and the stock checked.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py [--duration 600] [--clients 16] [--workers 3]

DATABASE_URL names the PostgreSQL server: the test works in a database of its own
(`shanhuo_bench_load`, re-created and seeded with bench/feed_seed.py unless --reuse, and left
behind). REDIS_URL names the Redis server: database --redis-db of it is emptied and used as the
cache, the budget counters and the Celery broker.

The site runs as deployed: gunicorn (bench/feed.py's `Site`: config.wsgi on 127.0.0.1, a free port,
DEBUG off, LOG_FORMAT=json, Prometheus multiprocess samples in a temporary folder) and
`celery -A config worker` as its own process (product changes' search sync and any other task the
traffic enqueues run there). The load is an asyncio client (aiohttp), bounded to --clients requests
in flight, to 127.0.0.1 only, each client picking its next request by these weights:

    feed        GET /feed/ (a page of the feed, promoted slots included; their /r/ links are kept)
    product     GET /p/<slug>/ of a visible product
    search      GET /search/?q=<two characters of a product's name>
    graphql     POST /graphql/ `LoadCatalog`: products(first: 20) and one product by slug
    village     GET /v/<slug>/
    farmer      GET /farmer/products/ or /farmer/orders/, logged in as one of --farmers sellers
    click       GET /r/<token> with a token harvested from a feed page (a browser's agent: billable)
    checkout    GraphQL checkoutCreate -> address -> delivery -> checkoutComplete(OFFLINE), 1-2 lines

It prints throughput, p50/p99 per kind, errors (5xx, broken connections, GraphQL errors; target 0),
business refusals apart (out of stock), each gunicorn worker's resident memory at the start (after
a warm-up), every 30 s and at the end (flat: at most FLAT_MIB gained over the run's second half,
when the per-process caches have filled), a few counters from the site's own /metrics, and then checks that every
ledger transaction balances, that no stock is negative, and that for every variant stock + sold =
its stock before the run. Exit status 1 when any check fails or any error happened.
"""

import argparse
import asyncio
import collections
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import percentile  # noqa: E402
from bench.feed import BROWSER_UA, TOKEN_LINK, Site, bench_services, site_env  # noqa: E402

BENCH_DB = "shanhuo_bench_load"
WEIGHTS = {
    "feed": 20,
    "product": 20,
    "search": 10,
    "graphql": 12,
    "village": 8,
    "farmer": 8,
    "click": 10,
    "checkout": 6,
}
CATALOG = """query LoadCatalog($slug: String) {
  products(first: 20) { edges { node { name slug variants { name price stock } } } }
  product(slug: $slug) { name slug }
}"""
CREATE = """mutation LoadCheckoutCreate($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) { checkout { id } errors { field code message } }
}"""
ADDRESS = """mutation LoadCheckoutAddress($id: ID!, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) { errors { field code message } }
}"""
DELIVERY = """mutation LoadCheckoutDelivery($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) { errors { field code message } }
}"""
COMPLETE = """mutation LoadCheckoutComplete($id: ID!) {
  checkoutComplete(id: $id, paymentMethod: OFFLINE) { order { id number } errors { field code message } }
}"""
ADDRESS_VALUES = {
    "province": "湖南省",
    "city": "湘西土家族苗族自治州",
    "district": "花垣县",
    "street": "双龙镇 18 号",
    "recipient": "石大姐",
    "phone": "13800138000",
}
# Business refusals under load (goods sold out meanwhile): counted apart, not errors.
REFUSALS = {"insufficient_stock", "out_of_stock", "unavailable", "not_available"}
HEADERS = {"User-Agent": BROWSER_UA, "Accept-Language": "zh-CN,zh;q=0.9"}


class Failure(Exception):
    pass


class Refused(Exception):
    pass


class World:
    """What the clients pick from: read from the database before the run."""

    def __init__(self, slugs, villages, variants, method_id, farmer_sessions, words):
        self.slugs, self.villages, self.variants = slugs, villages, variants
        self.method_id, self.farmer_sessions, self.words = method_id, farmer_sessions, words
        self.tokens: collections.deque = collections.deque(maxlen=5000)


class Stats:
    def __init__(self):
        self.latency = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.error_samples: list[str] = []
        self.refused = collections.Counter()
        self.orders = 0

    def error(self, kind: str, text: str):
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {text[:300]}")


async def graphql(session, base, query, variables, name=None) -> dict:
    async with session.post(
        f"{base}/graphql/", json={"query": query, "variables": variables}, headers=HEADERS
    ) as response:
        body = await response.text()
        if response.status != 200:
            raise Failure(f"HTTP {response.status} {body[:200]}")
    payload = json.loads(body)
    if payload.get("errors"):
        raise Failure(f"GraphQL errors {payload['errors']}")
    data = payload["data"]
    if name is not None:
        errors = (data.get(name) or {}).get("errors") or []
        codes = {str(error.get("code") or "").lower() for error in errors}  # the API's enums are upper case
        if errors and codes <= REFUSALS:
            raise Refused(",".join(sorted(filter(None, codes))))
        if errors:
            raise Failure(f"{name}: {errors}")
    return data


async def get(session, url, *, cookies=None, allow_redirects=True) -> str:
    async with session.get(url, headers=HEADERS, cookies=cookies, allow_redirects=allow_redirects) as response:
        body = await response.text()
        if response.status >= 500 or (response.status >= 400 and response.status != 404):
            raise Failure(f"HTTP {response.status} GET {url.split('?')[0][-60:]}")
        return body


async def one_request(kind, session, base, world: World, rng: random.Random, stats: Stats):
    if kind == "feed":
        body = await get(session, f"{base}/feed/")
        world.tokens.extend(TOKEN_LINK.findall(body))
    elif kind == "product":
        await get(session, f"{base}/p/{rng.choice(world.slugs)}/")
    elif kind == "search":
        await get(session, f"{base}/search/?q={rng.choice(world.words)}")
    elif kind == "graphql":
        await graphql(session, base, CATALOG, {"slug": rng.choice(world.slugs)})
    elif kind == "village":
        await get(session, f"{base}/v/{rng.choice(world.villages)}/")
    elif kind == "farmer":
        path = rng.choice(("/farmer/products/", "/farmer/orders/"))
        await get(session, f"{base}{path}", cookies={"sessionid": rng.choice(world.farmer_sessions)})
    elif kind == "click":
        if not world.tokens:
            await get(session, f"{base}/feed/")  # nothing harvested yet: a feed page instead
            return "feed"
        # A click redirects to the goods; the redirect is not followed (that is a product view).
        await get(session, f"{base}/r/{world.tokens.popleft()}", allow_redirects=False)
    elif kind == "checkout":
        lines = [
            {"variantId": variant_id, "quantity": 1} for variant_id in rng.sample(world.variants, rng.choice((1, 2)))
        ]
        input_ = {"email": f"load{rng.randrange(10**6)}@example.com", "lines": lines}
        created = await graphql(session, base, CREATE, {"input": input_}, "checkoutCreate")
        checkout_id = created["checkoutCreate"]["checkout"]["id"]
        await graphql(
            session,
            base,
            ADDRESS,
            {"id": checkout_id, "address": ADDRESS_VALUES},
            "checkoutShippingAddressUpdate",
        )
        await graphql(
            session, base, DELIVERY, {"id": checkout_id, "method": world.method_id}, "checkoutDeliveryMethodUpdate"
        )
        await graphql(session, base, COMPLETE, {"id": checkout_id}, "checkoutComplete")
        stats.orders += 1
    return kind


async def client(base, world, stats, deadline, seed):
    import aiohttp

    rng = random.Random(seed)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    timeout = aiohttp.ClientTimeout(total=60)
    # Each client is one shopper's connection (keep-alive); cookies are not kept between requests.
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as session:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            began = time.perf_counter()
            try:
                done = await one_request(kind, session, base, world, rng, stats)
                stats.latency[done].append((time.perf_counter() - began) * 1000)
            except Refused as refusal:
                stats.refused[f"{kind}: {refusal}"] += 1
            except (TimeoutError, Failure, aiohttp.ClientError, json.JSONDecodeError, KeyError) as error:
                stats.error(kind, repr(error))


async def drive(base, world, clients, seconds) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(client(base, world, stats, deadline, seed) for seed in range(clients)))
    return stats, time.monotonic() - started


# --- The stack ----------------------------------------------------------------------------------


class Worker:
    """`celery -A config worker` in a process group of its own, stopped on exit."""

    def __init__(self, env, log: Path, concurrency: int):
        self.env, self.log, self.concurrency, self.process = env, log, concurrency, None

    def __enter__(self):
        command = [
            *(str(Path(sys.executable).parent / "celery"), "-A", "config", "worker"),
            *("--loglevel", "INFO", "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle"),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        time.sleep(3)
        if self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{self.log.read_text(errors='replace')[-2000:]}")
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


FLAT_MIB = 2.0


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemoryTrace:
    """Each gunicorn worker's resident memory every `every` seconds while the load runs: a cache
    that fills and stops is flat once full, a leak keeps rising, so the run's second half is what
    tells them apart."""

    def __init__(self, master_pid: int, every: float = 30):
        self.master_pid, self.every = master_pid, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self):
        self._sample()
        while not self._stop.wait(self.every):
            self._sample()

    def _sample(self):
        pids = worker_pids(self.master_pid)
        self.samples.append((time.monotonic() - self._started, {pid: rss_mib(pid) for pid in pids}))

    def second_half_growth(self) -> dict[int, float]:
        """MiB each worker gained between the sample nearest the run's middle and the last."""
        end_t, end = self.samples[-1]
        _t, middle = min(self.samples, key=lambda sample: abs(sample[0] - end_t / 2))
        return {pid: end[pid] - middle[pid] for pid in end if pid in middle}


def scrape(port: int, token: str) -> str:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own loopback server
        return response.read().decode()


def metric_sum(text: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


# --- Before and after ---------------------------------------------------------------------------


def prepare_world(rng: random.Random, farmers: int) -> tuple[World, dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from graphql_relay import to_global_id

    from farmers.models import Farmer, Village
    from shop.models import ShippingMethod, Variant
    from shop.selectors import visible_products

    products = list(visible_products().values_list("slug", "name")[:2000])
    slugs = [slug for slug, _name in products]
    words = sorted({name[:2] for _slug, name in products if len(name) >= 2})
    villages = list(Village.objects.exclude(slug="").values_list("slug", flat=True)[:500])
    buyable = list(
        Variant.objects.filter(product__in=visible_products(), stock__gte=5).values_list("pk", flat=True)[:400]
    )
    variants = [to_global_id("ProductVariant", pk) for pk in buyable]
    method = ShippingMethod.objects.filter(is_active=True).order_by("pk").first()
    if method is None:
        sys.exit("No active shipping method in the database: checkouts cannot be delivered.")
    # Sellers logged in the way a browser would be: a session of the site's own (force_login).
    # The seed's farmers have no accounts: the first few get one (kept on later runs with --reuse).
    sellers = list(Farmer.objects.order_by("pk").select_related("user")[:farmers])
    for farmer in sellers:
        if farmer.user is None:
            farmer.user = get_user_model().objects.create_user(username=f"load-farmer-{farmer.pk}")
            farmer.save(update_fields=["user"])
    sessions = []
    for farmer in sellers:
        browser = Client()
        browser.force_login(farmer.user)
        sessions.append(browser.cookies["sessionid"].value)
    if not (slugs and villages and variants and sessions):
        sys.exit(f"Not enough data: {len(slugs)} products, {len(villages)} villages, {len(sessions)} sellers")
    stock_before = dict(Variant.objects.values_list("pk", "stock"))
    world = World(slugs, villages, variants, to_global_id("ShippingMethod", method.pk), sessions, words)
    return world, stock_before


def check_books(stock_before: dict, sold_before: dict) -> list[tuple[bool, str]]:
    """The ledger balances; no stock below zero; each variant's stock now plus what this run's
    orders took equals its stock before the run (orders are never cancelled here: offline
    payments do not time out)."""
    from payments.ledger import unbalanced_transactions
    from payments.models import LedgerTransaction
    from shop.models import Variant

    unbalanced = list(unbalanced_transactions().values_list("key", flat=True)[:10])
    transactions = LedgerTransaction.objects.count()
    stock_now = dict(Variant.objects.values_list("pk", "stock"))
    sold_now = sold_by_variant()
    negative = [pk for pk, stock in stock_now.items() if stock < 0]
    mismatched = [
        pk
        for pk, before in stock_before.items()
        if stock_now.get(pk, 0) + sold_now.get(pk, 0) - sold_before.get(pk, 0) != before
    ]
    sold = sum(sold_now.values()) - sum(sold_before.values())
    return [
        (not unbalanced, f"ledger balanced: {transactions} transactions, unbalanced {len(unbalanced)} {unbalanced}"),
        (not negative, f"no negative stock ({len(negative)} variants below zero {negative[:10]})"),
        (
            not mismatched,
            f"stock + sold = initial for all {len(stock_before):,} variants ({sold} units sold this run; "
            f"{len(mismatched)} differ {mismatched[:10]})",
        ),
    ]


def sold_by_variant() -> dict:
    from django.db.models import Sum

    from shop.models import OrderLine

    return dict(
        OrderLine.objects.filter(variant__isnull=False)
        .values_list("variant")
        .annotate(n=Sum("quantity"))
        .values_list("variant", "n")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load (default 600)")
    parser.add_argument("--clients", type=int, default=16, help="requests in flight at most (default 16)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads a gunicorn worker (default 1: sync)")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--farmers", type=int, default=8, help="sellers whose pages are read")
    parser.add_argument("--products", type=int, default=4_000)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="keep an existing, seeded bench database")
    args = parser.parse_args()
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("The load test needs aiohttp: .venv/bin/pip install -r requirements-dev.txt")

    database_url, must_seed, redis_url = bench_services(BENCH_DB, args.redis_db, args.reuse)
    metrics_dir = tempfile.mkdtemp(prefix="shanhuo-load-metrics-")
    log_dir = Path(tempfile.mkdtemp(prefix="shanhuo-load-"))
    metrics_token = secrets.token_urlsafe(24)
    env = {
        **site_env(database_url, redis_url),
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": metrics_token,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    env.pop("SENTRY_DSN", None)
    os.environ.update({k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"})
    import django
    import redis

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    redis.Redis.from_url(redis_url).flushdb()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if must_seed:
        command = [sys.executable, str(ROOT / "bench" / "feed_seed.py"), "--products", str(args.products)]
        subprocess.run(command, check=True, env=os.environ)  # noqa: S603 - fixed argv
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rng = random.Random(1)
    world, stock_before = prepare_world(rng, args.farmers)
    sold_before = sold_by_variant()
    connection.close()
    print(
        f"load: {len(world.slugs):,} products, {len(world.villages)} villages, {len(world.variants)} buyable variants, "
        f"{len(world.farmer_sessions)} sellers (prepared in {time.perf_counter() - started:.1f} s); "
        f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )

    with (
        Site(env, args.workers, args.threads, log_dir, "load") as site,
        Worker(env, log_dir / "celery.log", args.celery_concurrency),
    ):
        base = f"http://127.0.0.1:{site.port}"
        print(f"site: {site.describe()}; Celery worker (concurrency {args.celery_concurrency}); logs in {log_dir}")
        asyncio.run(drive(base, world, min(4, args.clients), 15))  # warm-up: every worker loaded
        world.tokens.clear()
        pids = worker_pids(site.process.pid)
        rss_start = {pid: rss_mib(pid) for pid in pids}
        print(f"running {args.duration:.0f} s of mixed traffic, {args.clients} clients ...", flush=True)
        with MemoryTrace(site.process.pid, every=min(30, args.duration / 10)) as memory:
            stats, seconds = asyncio.run(drive(base, world, args.clients, args.duration))
        pids_end = worker_pids(site.process.pid)
        rss_end = {pid: rss_mib(pid) for pid in pids_end}
        exposition = scrape(site.port, metrics_token)
        time.sleep(2)  # tasks enqueued by the last requests

    # --- Report -----------------------------------------------------------------------------------
    done = sum(len(samples) for samples in stats.latency.values())
    errors = sum(stats.errors.values())
    print()
    print(f"{done:,} requests in {seconds:.1f} s = {done / seconds:.1f} a second; {stats.orders} orders placed")
    print(f"  {'kind':<10} {'count':>7} {'a second':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in WEIGHTS:
        samples = stats.latency.get(kind, [])
        p50 = percentile(samples, 0.5) if samples else float("nan")
        p99 = percentile(samples, 0.99) if samples else float("nan")
        print(
            f"  {kind:<10} {len(samples):>7} {len(samples) / seconds:>9.1f} {p50:>8.1f} {p99:>8.1f} "
            f"{stats.errors.get(kind, 0):>7}"
        )
    print("  (checkout: the four GraphQL calls of one checkout, end to end)")
    for refusal, count in stats.refused.most_common():
        print(f"  refused (not an error): {refusal} x{count}")
    for sample in stats.error_samples:
        print(f"  ERROR {sample}")
    print("memory (RSS) of each gunicorn worker, after the warm-up -> at the end:")
    for pid in sorted(set(rss_start) | set(rss_end)):
        start, end = rss_start.get(pid), rss_end.get(pid)
        if start is None or end is None:
            print(f"  pid {pid}: {'started during the run' if start is None else 'gone by the end'} (restarted worker)")
        else:
            print(f"  pid {pid}: {start:.1f} -> {end:.1f} MiB ({end - start:+.1f})")
    print("  through the run (MiB, every worker, at each tenth of the run):")
    tenth = max(1, len(memory.samples) // 10)
    for at, sizes in memory.samples[::tenth]:
        print(f"    {at:6.0f} s  " + "  ".join(f"{sizes[pid]:.1f}" for pid in sorted(sizes)))
    late_growth = memory.second_half_growth()

    def total(name, **labels):
        return f"{metric_sum(exposition, name, **labels):.0f}"

    print(
        "the site's /metrics (every gunicorn worker and the Celery worker): "
        f"{total('shanhuo_http_responses_total')} responses, "
        f"{total('shanhuo_http_responses_total', status='5xx')} 5xx; "
        f"{total('shanhuo_clicks_total', outcome='billed')} billed clicks, "
        f"{total('shanhuo_budget_debits_total')} budget debits; "
        f"{total('shanhuo_payments_total', state='pending')} payments opened; "
        f"{total('shanhuo_celery_task_runs_total')} task runs, {total('shanhuo_celery_task_failures_total')} failed"
    )
    flat = max(late_growth.values(), default=float("nan"))
    checks = [
        (errors == 0, f"errors 0 ({errors})"),
        # Flat: a worker gains at most 2 MiB over the second half of the run (caches full by then).
        (flat <= FLAT_MIB, f"memory flat: at most {FLAT_MIB} MiB a worker over the run's second half ({flat:+.1f})"),
        *check_books(stock_before, sold_before),
    ]
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'} {text}")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sys.exit(0 if all(ok for ok, _text in checks) else 1)


if __name__ == "__main__":
    main()
