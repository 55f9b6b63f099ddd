"""Benchmark: checkout through GraphQL under concurrency, the queries of one `checkoutComplete`, and
whether a contended variant is ever oversold.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/checkout.py

DATABASE_URL names the PostgreSQL server to use; the benchmark works in a database of its own
(`shanhuo_bench_checkout`, re-created on each run and dropped at the end unless --keep) and prints
the figures. Each concurrent client is a process of its own (forked once Django is set up), with
its own Django test client and database connection: request handling is Python, and threads of one
process would take turns on one GIL, measuring the interpreter rather than the checkout. A client
runs checkoutCreate (3 lines, 2 farmers) -> checkoutShippingAddressUpdate ->
checkoutDeliveryMethodUpdate for its share of the checkouts; then, once every client is done, all
clients complete theirs. The complete step's rate is checkouts per wall-clock second of that
second phase; the whole flow's rate is checkouts per wall-clock second of both phases.
"""

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import drop_database, percentile, set_up_django_on_fresh_database  # noqa: E402

BENCH_DB = "shanhuo_bench_checkout"
BARRIER_TIMEOUT = 120  # seconds; a client that long silent has failed

CREATE = """
mutation ($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) { checkout { id } errors { field code message } }
}"""
ADDRESS = """
mutation ($id: ID!, $address: AddressInput!) {
  checkoutShippingAddressUpdate(id: $id, shippingAddress: $address) { errors { field code message } }
}"""
DELIVERY = """
mutation ($id: ID!, $method: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) { errors { field code message } }
}"""
COMPLETE = """
mutation ($id: ID!) {
  checkoutComplete(id: $id, paymentMethod: OFFLINE) {
    order { id number total }
    errors { field code message }
  }
}"""
ADDRESS_VALUES = {
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "street": "天河路 385 号",
    "recipient": "陈小姐",
    "phone": "13800138000",
}


# --- One client ---------------------------------------------------------------------------------


def post(client, query: str, variables: dict) -> dict:
    response = client.post("/graphql/", json.dumps({"query": query, "variables": variables}), "application/json")
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")
    payload = response.json()
    if "errors" in payload:
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def prepare(client, cart: list[tuple[str, int]], method_id: str) -> str:
    """create -> address -> delivery; the checkout's ID."""
    lines = [{"variantId": variant_id, "quantity": quantity} for variant_id, quantity in cart]
    created = post(client, CREATE, {"input": {"email": "shopper@example.com", "lines": lines}})["checkoutCreate"]
    if created["errors"]:
        raise RuntimeError(f"checkoutCreate: {created['errors']}")
    checkout_id = created["checkout"]["id"]
    for query, variables, name in (
        (ADDRESS, {"id": checkout_id, "address": ADDRESS_VALUES}, "checkoutShippingAddressUpdate"),
        (DELIVERY, {"id": checkout_id, "method": method_id}, "checkoutDeliveryMethodUpdate"),
    ):
        errors = post(client, query, variables)[name]["errors"]
        if errors:
            raise RuntimeError(f"{name}: {errors}")
    return checkout_id


def client_process(carts, method_id, barrier, results):
    """One shopper's app: prepare all its checkouts, wait for the others, complete them all."""
    from django.db import connection
    from django.test import Client

    report = {"placed": 0, "refused": 0, "other": [], "complete_ms": [], "error": None}
    try:
        client = Client()
        barrier.wait(BARRIER_TIMEOUT)  # everyone ready: phase 1 starts
        checkout_ids = [prepare(client, cart, method_id) for cart in carts]
        barrier.wait(BARRIER_TIMEOUT)  # everyone prepared: phase 2 starts
        for checkout_id in checkout_ids:
            started = time.perf_counter()
            result = post(client, COMPLETE, {"id": checkout_id})["checkoutComplete"]
            report["complete_ms"].append((time.perf_counter() - started) * 1000)
            codes = [error["code"] for error in result["errors"]]
            if result["order"] is not None and not codes:
                report["placed"] += 1
            elif codes == ["INSUFFICIENT_STOCK"]:
                report["refused"] += 1
            else:
                report["other"].append(codes or "no order and no error")
        barrier.wait(BARRIER_TIMEOUT)  # everyone done
    except BaseException as error:  # noqa: BLE001 - sent to the parent, which reports it
        report["error"] = repr(error)[:500]
        barrier.abort()
    finally:
        connection.close()
        results.put(report)


def run_round(carts: list, clients: int, method_id: str, on_phase2=None) -> dict:
    """Deal the carts to `clients` forked processes; time both phases from the parent."""
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    shares = [carts[i::clients] for i in range(clients)]
    processes = [context.Process(target=client_process, args=(share, method_id, barrier, results)) for share in shares]
    for process in processes:
        process.start()
    try:
        barrier.wait(BARRIER_TIMEOUT)
        phase1_started = time.perf_counter()
        barrier.wait(BARRIER_TIMEOUT)
        phase2_started = time.perf_counter()
        stop = on_phase2() if on_phase2 else None
        barrier.wait(BARRIER_TIMEOUT)
        finished = time.perf_counter()
        if stop:
            stop()
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
        "refused": sum(report["refused"] for report in reports),
        "other": [codes for report in reports for codes in report["other"]],
        "complete_ms": [ms for report in reports for ms in report["complete_ms"]],
        "prepare_s": phase2_started - phase1_started,
        "complete_s": finished - phase2_started,
    }


# --- The benchmark --------------------------------------------------------------------------------


def seed(products: int) -> None:
    """The demo catalogue (farmers in real villages), in a process of its own like bench/catalog.py."""
    command = [sys.executable, str(ROOT / "manage.py"), "seed_demo", "--products", str(products)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=os.environ)  # noqa: S603 - fixed argv


def pick_goods(farmers: int, per_farmer: int):
    """Visible variants of several farmers, restocked for the throughput rounds, and one more
    variant (another farmer's) to fight over at the end."""
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
        .values_list("farmer", flat=True)[: farmers + 1]
    )
    if len(sellers) < farmers + 1:
        sys.exit(f"the seeded catalogue has only {len(sellers)} farmers with {per_farmer} variants; seed more")
    goods = {}
    for farmer in sellers[:farmers]:
        goods[farmer] = list(
            Variant.objects.filter(product__in=visible_products().filter(farmer=farmer))
            .order_by("pk")
            .values_list("pk", flat=True)[:per_farmer]
        )
    contended = Variant.objects.filter(product__in=visible_products().filter(farmer=sellers[farmers])).first()
    restocked = [pk for pks in goods.values() for pk in pks]
    Variant.objects.filter(pk__in=restocked).update(stock=1_000_000)
    Product.objects.filter(variants__pk__in=restocked).update(in_stock=True)
    return goods, contended


def cart(rng: random.Random, goods: dict) -> list[tuple[int, int]]:
    """3 lines from 2 farmers: two of one farmer's goods, one of another's."""
    first, second = rng.sample(sorted(goods), 2)
    return [*((pk, 1) for pk in rng.sample(goods[first], 2)), (rng.choice(goods[second]), 1)]


def count_complete_queries(goods: dict, method_id: str) -> tuple[int, dict]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from graphql_relay import to_global_id

    client = Client()
    lines = [(to_global_id("ProductVariant", pk), quantity) for pk, quantity in cart(random.Random(7), goods)]
    checkout_id = prepare(client, lines, method_id)
    reset_queries()  # Django also empties the log when a request starts; start from an empty one
    with CaptureQueriesContext(connection) as captured:
        result = post(client, COMPLETE, {"id": checkout_id})["checkoutComplete"]
    assert result["order"] is not None and not result["errors"], result
    kinds: dict[str, int] = {}
    for query in captured.captured_queries:
        kind = query["sql"].split(None, 1)[0].upper()
        kinds[kind] = kinds.get(kind, 0) + 1
    return len(captured), kinds


def stock_monitor(variant_pk: int, lowest: list):
    """Poll the contended variant's stock from a thread of the parent during the round."""
    from django.db import connection

    from shop.models import Variant

    done = threading.Event()

    def watch():
        try:
            while not done.is_set():
                lowest[0] = min(lowest[0], Variant.objects.filter(pk=variant_pk).values_list("stock", flat=True)[0])
                time.sleep(0.002)
        finally:
            connection.close()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()

    def stop():
        done.set()
        thread.join(5)

    return stop


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkouts", type=int, default=200, help="checkouts per concurrency level")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="concurrency levels")
    parser.add_argument("--products", type=int, default=1_000, help="catalogue to seed (bulk above 500)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark database behind")
    args = parser.parse_args()

    server = set_up_django_on_fresh_database(BENCH_DB, str(ROOT / "bench" / ".media"))
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum
    from graphql_relay import to_global_id

    from shop.models import OrderLine, ShippingMethod, Variant

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        seed(args.products)
        goods, contended = pick_goods(farmers=8, per_farmer=4)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        print(f"prepared {BENCH_DB}: migrated and seeded {args.products} products in {elapsed:.1f} s")
        method_id = to_global_id("ShippingMethod", ShippingMethod.objects.filter(is_active=True).first().pk)

        # Warms this process (schema, validation cache) before it forks the clients.
        queries, kinds = count_complete_queries(goods, method_id)

        rng = random.Random(1)
        rows = []
        for clients in args.clients:
            carts = [
                [(to_global_id("ProductVariant", pk), quantity) for pk, quantity in cart(rng, goods)]
                for _ in range(args.checkouts)
            ]
            result = run_round(carts, clients, method_id)
            if result["placed"] != args.checkouts:
                sys.exit(f"{clients} clients: only {result['placed']} of {args.checkouts} placed: {result}")
            rows.append((clients, result))

        # Contention: many clients, little stock, one to two units each.
        stock = 20
        clients, buyers = 32, 64
        Variant.objects.filter(pk=contended.pk).update(stock=stock)
        variant_id = to_global_id("ProductVariant", contended.pk)
        wanted = [1 + i % 2 for i in range(buyers)]
        lowest = [stock]
        fight = run_round(
            [[(variant_id, quantity)] for quantity in wanted],
            clients,
            method_id,
            on_phase2=lambda: stock_monitor(contended.pk, lowest),
        )
        contended.refresh_from_db()
        sold = OrderLine.objects.filter(variant=contended).aggregate(total=Sum("quantity"))["total"] or 0
        oversold = max(0, sold - stock)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(server, BENCH_DB)

    print(
        f"checkout: {args.checkouts} guest checkouts per level, each 3 lines from 2 farmers "
        "(create -> address -> delivery -> complete, offline payment)"
    )
    print(
        f"  clients are processes ({os.cpu_count()} CPUs here), each with its own Django test client and DB "
        "connection: threads would share one GIL"
    )
    print("  clients   whole flow/s   complete/s   complete p50 ms   p95 ms")
    for clients, result in rows:
        n = result["placed"]
        flow = n / (result["prepare_s"] + result["complete_s"])
        complete = n / result["complete_s"]
        p50, p95 = statistics.median(result["complete_ms"]), percentile(result["complete_ms"], 0.95)
        print(f"  {clients:7d}   {flow:12.1f}   {complete:10.1f}   {p50:15.1f}   {p95:6.1f}")
    breakdown = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1]))
    print(f"  SQL queries in one checkoutComplete (3 lines, 2 farmers): {queries}  ({breakdown})")
    print("    target: under 40 (Saleor's: about 230)")
    print(
        f"  contention: {clients} clients, {buyers} checkouts wanting 1-2 units of a variant with {stock} in stock: "
        f"{fight['placed']} orders, {sold} units sold, {fight['refused']} refused (insufficient stock), "
        f"{len(fight['other'])} other errors"
    )
    print(
        f"    oversold: {oversold} units (must be 0); stock left {contended.stock}, lowest seen {lowest[0]} "
        f"(never negative: {'yes' if min(lowest[0], contended.stock) >= 0 else 'NO'}); "
        f"stock + sold = {contended.stock + sold} (must be {stock})"
    )
    if oversold or contended.stock < 0 or contended.stock + sold != stock or fight["other"]:
        sys.exit("FAILED: stock was oversold or lost")


if __name__ == "__main__":
    main()
