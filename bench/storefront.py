"""Benchmark: the shopper's web pages from product to order under concurrency, the SQL queries of
each page for carts of 1, 5 and 20 lines, and whether stock and orders add up afterwards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/storefront.py

DATABASE_URL names the PostgreSQL server to use; the benchmark works in a database of its own
(`shanhuo_bench_storefront`, re-created on each run and dropped at the end unless --keep) and
prints the figures. Each concurrent client is a process of its own (forked once Django is set up),
with its own Django test client (so its own session, as a browser has) and database connection:
request handling is Python, and threads of one process would take turns on one GIL. All traffic
stays in-process: no server, no network. Per order a client runs the whole web flow as a guest:
product page, add 3 lines of 2 farmers (product page POSTs), cart, address page and its POST,
delivery page and its POST, confirm page and its POST (offline payment), then the order page.
Orders/s is orders per wall-clock second of a level, from the moment every client is ready.
"""

import argparse
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import drop_database, percentile, set_up_django_on_fresh_database  # noqa: E402

BENCH_DB = "shanhuo_bench_storefront"
BARRIER_TIMEOUT = 300  # seconds; a client that long silent has failed
STOCK = 1_000_000
ADDRESS = {
    "email": "shopper@example.com",
    "recipient": "陈小姐",
    "phone": "13800138000",
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "street": "天河路 385 号",
}
STEPS = [
    "product",
    "add",
    "cart",
    "address",
    "address POST",
    "delivery",
    "delivery POST",
    "confirm",
    "confirm POST",
    "order",
]
COUNTED = [step for step in STEPS if step not in ("product", "add")]
TOTAL = re.compile(r'name="total" value="([\d.]+)"')


# --- One shopper's browser --------------------------------------------------------------------------


def expect(response, status: int, step: str):
    if response.status_code != status:
        raise RuntimeError(f"{step}: HTTP {response.status_code}, wanted {status}: {response.content[:300]!r}")
    return response


def buy(client, lines: list[tuple[str, int, int]], method_id: int, timed=None) -> str:
    """The whole web flow for one order of `lines` (product slug, variant pk, quantity); the order
    page's path. `timed(step, request)` runs each request (and may time or count it)."""
    from tests.shop.buying import checked_choices

    timed = timed or (lambda step, request: request())
    expect(timed("product", lambda: client.get(f"/p/{lines[0][0]}/")), 200, "product")
    for slug, variant, quantity in lines:
        chosen = {"variant": variant, "quantity": quantity}
        expect(timed("add", lambda s=slug, c=chosen: client.post(f"/p/{s}/", c)), 302, "add")
    expect(timed("cart", lambda: client.get("/cart/")), 200, "cart")
    expect(timed("address", lambda: client.get("/checkout/")), 200, "address")
    expect(timed("address POST", lambda: client.post("/checkout/", ADDRESS)), 302, "address POST")
    delivery = expect(timed("delivery", lambda: client.get("/checkout/delivery/")), 200, "delivery")
    chosen = checked_choices(delivery.content.decode())  # the courier drawn first for each parcel
    if not chosen:
        raise RuntimeError("the delivery page offered no courier")
    expect(timed("delivery POST", lambda: client.post("/checkout/delivery/", chosen)), 302, "delivery POST")
    confirm = expect(timed("confirm", lambda: client.get("/checkout/confirm/")), 200, "confirm")
    place = {"payment_method": "offline", "total": TOTAL.search(confirm.content.decode())[1]}
    placed = expect(timed("confirm POST", lambda: client.post("/checkout/confirm/", place)), 302, "confirm POST")
    order_page = placed["Location"]
    if not order_page.startswith("/orders/"):
        raise RuntimeError(f"confirm POST went to {order_page}, not an order page")
    expect(timed("order", lambda: client.get(order_page)), 200, "order")
    return order_page


def client_process(orders, method_id, barrier, results):
    """One shopper's browser: wait for the others, then buy its share of the orders."""
    from django.db import connection
    from django.test import Client

    report = {"placed": 0, "ms": {step: [] for step in STEPS}, "error": None}

    def timed(step, request):
        started = time.perf_counter()
        response = request()
        report["ms"][step].append((time.perf_counter() - started) * 1000)
        return response

    try:
        client = Client()
        barrier.wait(BARRIER_TIMEOUT)  # everyone ready: the round starts
        for lines in orders:
            buy(client, lines, method_id, timed)
            report["placed"] += 1
        barrier.wait(BARRIER_TIMEOUT)  # everyone done
    except BaseException as error:  # noqa: BLE001 - sent to the parent, which reports it
        report["error"] = repr(error)[:500]
        barrier.abort()
    finally:
        connection.close()
        results.put(report)


def run_round(orders: list, clients: int, method_id: int) -> dict:
    """Deal the orders to `clients` forked processes; time the round from the parent."""
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    shares = [orders[i::clients] for i in range(clients)]
    processes = [context.Process(target=client_process, args=(share, method_id, barrier, results)) for share in shares]
    for process in processes:
        process.start()
    try:
        barrier.wait(BARRIER_TIMEOUT)
        started = time.perf_counter()
        barrier.wait(BARRIER_TIMEOUT)
        finished = time.perf_counter()
    except threading.BrokenBarrierError:
        reports = [results.get(timeout=BARRIER_TIMEOUT) for _ in processes]
        errors = [report["error"] for report in reports if report["error"]]
        sys.exit(f"a client failed: {errors[0] if errors else 'no report'}")
    reports = [results.get(timeout=BARRIER_TIMEOUT) for _ in processes]
    for process in processes:
        process.join(BARRIER_TIMEOUT)
    errors = [report["error"] for report in reports if report["error"]]
    if errors:
        sys.exit(f"a client failed: {errors[0]}")
    return {
        "placed": sum(report["placed"] for report in reports),
        "ms": {step: [ms for report in reports for ms in report["ms"][step]] for step in STEPS},
        "seconds": finished - started,
    }


# --- The benchmark --------------------------------------------------------------------------------


def seed(products: int) -> None:
    """The demo catalogue (farmers in real villages), in a process of its own like bench/checkout.py."""
    command = [sys.executable, str(ROOT / "manage.py"), "seed_demo", "--products", str(products)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ)  # noqa: S603 - fixed argv


def pick_goods(farmers: int, per_farmer: int) -> dict[int, list[tuple[str, int]]]:
    """(product slug, variant pk) of visible goods of several farmers, restocked so no order of
    the benchmark runs short."""
    from django.db.models import Count

    from shop.models import Product, Variant
    from shop.selectors import visible_products

    sellers = list(
        visible_products()
        .filter(farmer__isnull=False)
        .values("farmer")
        .annotate(n=Count("variants"))
        .filter(n__gte=per_farmer)
        .order_by("farmer")
        .values_list("farmer", flat=True)[:farmers]
    )
    if len(sellers) < farmers:
        sys.exit(f"the seeded catalogue has only {len(sellers)} farmers with {per_farmer} variants; seed more")
    goods = {
        farmer: list(
            Variant.objects.filter(product__in=visible_products().filter(farmer=farmer))
            .order_by("pk")
            .values_list("product__slug", "pk")[:per_farmer]
        )
        for farmer in sellers
    }
    restocked = [pk for pairs in goods.values() for _slug, pk in pairs]
    Variant.objects.filter(pk__in=restocked).update(stock=STOCK)
    Product.objects.filter(variants__pk__in=restocked).update(in_stock=True)
    return goods


def cart(rng: random.Random, goods: dict) -> list[tuple[str, int, int]]:
    """3 lines from 2 farmers: two of one farmer's goods, one of another's."""
    first, second = rng.sample(sorted(goods), 2)
    return [*((slug, pk, 1) for slug, pk in rng.sample(goods[first], 2)), (*rng.choice(goods[second]), 1)]


def count_queries(goods: dict, method_id: int, lines: int) -> dict[str, int]:
    """The SQL queries of each page for one guest whose cart has `lines` lines (of several
    farmers, taken in turn), and of the order they place."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    farmers = sorted(goods)
    interleaved = [goods[farmer][i] for i in range(max(map(len, goods.values()))) for farmer in farmers]
    if lines > len(interleaved):
        sys.exit(f"only {len(interleaved)} variants picked; a cart of {lines} lines needs more")
    counts = {}

    def counted(step, request):
        if step not in COUNTED:
            return request()
        reset_queries()  # Django also empties the log when a request starts; start from an empty one
        with CaptureQueriesContext(connection) as captured:
            response = request()
        counts[step] = len(captured)
        return response

    buy(Client(), [(slug, pk, 1) for slug, pk in interleaved[:lines]], method_id, counted)
    return counts


def check_stock(goods: dict) -> tuple[int, int, int]:
    """(units sold, units missing from stock, lowest stock): missing is stock taken minus units in
    order lines, which must be 0."""
    from django.db.models import Min, Sum

    from shop.models import OrderLine, Variant

    picked = [pk for pairs in goods.values() for _slug, pk in pairs]
    taken = len(picked) * STOCK - Variant.objects.filter(pk__in=picked).aggregate(left=Sum("stock"))["left"]
    sold = OrderLine.objects.filter(variant__in=picked).aggregate(units=Sum("quantity"))["units"] or 0
    lowest = Variant.objects.aggregate(lowest=Min("stock"))["lowest"]
    return sold, taken - sold, lowest


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100, help="orders per concurrency level")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    parser.add_argument("--products", type=int, default=600, help="catalogue to seed (bulk above 500)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database behind")
    args = parser.parse_args()
    if not 1 <= args.orders <= 10_000 or not all(1 <= clients <= 64 for clients in args.clients):
        sys.exit("--orders takes 1 to 10000, --clients 1 to 64 each")

    # The order link's email stays in memory, and the eager tasks' log lines stay out of the figures.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    server = set_up_django_on_fresh_database(BENCH_DB, str(ROOT / "bench" / ".media"))
    from django.core.management import call_command
    from django.db import connection

    from shop.models import Order, ShippingMethod

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        seed(args.products)
        goods = pick_goods(farmers=8, per_farmer=4)
        method = ShippingMethod.objects.filter(is_active=True).order_by("pk").first()
        if method is None:
            sys.exit("no active shipping method (migration shop 0005 makes one)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        print(f"prepared {BENCH_DB}: migrated and seeded {args.products} products in {elapsed:.1f} s")

        # One guest per cart size; this also warms this process (templates, URLs) before it forks.
        sizes = (1, 5, 20)
        queries = {lines: count_queries(goods, method.pk, lines) for lines in sizes}

        rng = random.Random(1)
        rows = []
        for clients in args.clients:
            before = Order.objects.count()
            result = run_round([cart(rng, goods) for _ in range(args.orders)], clients, method.pk)
            made = Order.objects.count() - before
            rows.append((clients, result, made))
        sold, missing, lowest = check_stock(goods)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(server, BENCH_DB)

    print(
        f"storefront: {args.orders} guest orders per level through the web pages, each 3 lines from 2 farmers "
        "(product -> 3 adds -> cart -> address -> delivery -> confirm -> place, offline -> order page)"
    )
    print(
        f"  clients are processes ({os.cpu_count()} CPUs here), each with its own Django test client (session) "
        "and DB connection"
    )
    print("  clients   orders/s   placed   orders made")
    for clients, result, made in rows:
        print(f"  {clients:7d}   {result['placed'] / result['seconds']:8.1f}   {result['placed']:6d}   {made:11d}")
    print()
    print("  latency per request, ms (p50 / p95)")
    print(f"  {'step':<15}" + "".join(f"{f'{clients} clients':>18}" for clients, _result, _made in rows))
    for step in STEPS:
        cells = []
        for _clients, result, _made in rows:
            samples = result["ms"][step]
            cells.append(f"{statistics.median(samples):8.1f} / {percentile(samples, 0.95):6.1f}")
        print(f"  {step:<15}" + "".join(f"{cell:>18}" for cell in cells))
    print()
    print("  SQL queries per page, by lines in the cart (and in the order it becomes)")
    print(f"  {'page':<15}" + "".join(f"{f'{lines} lines':>10}" for lines in sizes) + "   grows")
    grows = []
    for step in COUNTED:
        counts = [queries[lines][step] for lines in sizes]
        if len(set(counts)) > 1:
            grows.append(step)
        print(f"  {step:<15}" + "".join(f"{count:>10}" for count in counts) + f"   {'YES' if step in grows else 'no'}")
    print()
    attempts = args.orders * len(rows)
    made = sum(made for _clients, _result, made in rows)
    print(
        f"  checks: {made} orders made for {attempts} attempted (must be equal); {sold} units sold, "
        f"stock taken minus units sold = {missing} (must be 0); lowest stock of any variant {lowest} (must be >= 0)"
    )
    if made != attempts or missing or lowest < 0 or grows:
        sys.exit("FAILED: " + ("query counts grow with the cart" if grows else "orders or stock do not add up"))


if __name__ == "__main__":
    main()
