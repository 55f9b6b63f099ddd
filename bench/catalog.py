"""Benchmark: `products(first: 100)` with nested fields through the full Django stack, against one
hand-written SQL query that returns the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/catalog.py --products 10000 100000

DATABASE_URL names the PostgreSQL server to use; the benchmark works in a database of its own
(`shanhuo_bench`, or --database; re-created unless --reuse finds it seeded) and prints the figures.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = "shanhuo_bench"

QUERY = """
query {
  products(first: 100) {
    totalCount
    edges { node {
      id name slug minPrice inStock
      category { name parent { name } }
      variants { id name price stock weightKg }
      images { url(size: SMALL) alt width height }
      farmer { id name village { name } }
      cooperative { name }
      village { name county { name province { name } } }
    } }
  }
}"""

# The same rows in one statement: visible products, newest first, with their nested objects.
SQL = """
SELECT p.id, p.name, p.slug, p.min_price, p.in_stock,
       c.name, pc.name, f.id, f.name, fv.name, co.name, v.name, ct.name, pr.name,
       (SELECT json_agg(json_build_object('id', x.id, 'name', x.name, 'price', x.price, 'stock', x.stock,
                                          'weight_kg', x.weight_kg) ORDER BY x.position, x.id)
          FROM shop_variant x WHERE x.product_id = p.id) AS variants,
       (SELECT json_agg(json_build_object('small', i.small, 'alt', i.alt, 'width', i.width, 'height', i.height)
                        ORDER BY i.position, i.id)
          FROM shop_productimage i WHERE i.product_id = p.id AND i.status = 'ready') AS images
  FROM shop_product p
  JOIN shop_category c ON c.id = p.category_id
  LEFT JOIN shop_category pc ON pc.id = c.parent_id
  LEFT JOIN farmers_farmer f ON f.id = p.farmer_id
  LEFT JOIN farmers_village fv ON fv.id = f.village_id
  LEFT JOIN farmers_cooperative co ON co.id = p.cooperative_id
  JOIN farmers_village v ON v.id = p.village_id
  JOIN farmers_county ct ON ct.id = v.county_id
  JOIN farmers_province pr ON pr.id = ct.province_id
 WHERE p.is_published AND p.min_price IS NOT NULL
   AND (f.verification_state = 'verified' OR co.verification_state = 'verified')
 ORDER BY p.created_at DESC, p.id DESC
 LIMIT 100
"""


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def point_django_at_bench_database(server_url: str, reuse: bool, bench_db: str = BENCH_DB) -> bool:
    """Create the benchmark database on the given server; True when it must be seeded."""
    import psycopg

    parts = urlsplit(server_url)
    admin_url = urlunsplit(
        (
            parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres" else parts.scheme,
            parts.netloc,
            "/postgres",
            "",
            "",
        )
    )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_db]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{bench_db}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{bench_db}"')
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{bench_db}", "", ""))
    return not (exists and reuse)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--products",
        type=int,
        nargs="+",
        default=[10_000],
        help="catalogue sizes, each in a database of its own (e.g. --products 10000 100000)",
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded benchmark database")
    parser.add_argument(
        "--cache-redis",
        metavar="URL",
        help="a Redis for Django's cache (e.g. redis://127.0.0.1:6379/3), where the count of the visible "
        "catalogue is kept between changes (shop.visible_count); without it every page counts",
    )
    parser.add_argument(
        "--database", default=BENCH_DB, help=f"the benchmark's database (default {BENCH_DB}; _<size> added per size)"
    )
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)  # seeding runs its photo tasks in-process
    if args.cache_redis:
        os.environ["REDIS_URL"] = args.cache_redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "bench" / ".media"))

    ratios = []
    for size in args.products:
        database = args.database if len(args.products) == 1 else f"{args.database}_{size}"
        ratios.append((size, measure_catalogue(server, database, size, args)))
    print("summary: GraphQL / hand-written SQL, p50 (target: at most 2.5)")
    for size, ratio in ratios:
        print(f"  {size:>7} products   {ratio:5.2f}x")


def measure_catalogue(server: str, database: str, size: int, args) -> float:
    """Seed (unless reused) and measure one catalogue; the p50 ratio."""
    must_seed = point_django_at_bench_database(server, args.reuse, database)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from shop.models import Product

    connection.close()
    connection.settings_dict["NAME"] = database
    call_command("migrate", verbosity=0)
    if must_seed or Product.objects.count() < size:
        # In a process of its own: seeding leaves a large heap behind, which would slow every
        # garbage collection of the measuring process and skew the figures.
        started = time.perf_counter()
        command = [sys.executable, str(ROOT / "manage.py"), "seed_demo", "--products", str(size), "--reset"]
        seeding = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=seeding)  # noqa: S603 - fixed argv
        print(f"seeded {Product.objects.count()} products in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client = Client()
    body = json.dumps({"query": QUERY})

    def graphql_once():
        response = client.post("/graphql/", body, content_type="application/json", secure=True)
        payload = response.json()
        assert response.status_code == 200 and "errors" not in payload, payload
        return payload["data"]["products"]["edges"]

    def sql_once():
        with connection.cursor() as cursor:
            cursor.execute(SQL)
            return cursor.fetchall()

    edges, rows = graphql_once(), sql_once()
    assert len(edges) == len(rows) == 100, (len(edges), len(rows))
    assert [e["node"]["slug"] for e in edges] == [row[2] for row in rows], "the two ways disagree on the rows"
    # Count with a wrapper: Django empties connection.queries when a request starts.
    executed = []
    with connection.execute_wrapper(lambda execute, sql, *rest: executed.append(sql) or execute(sql, *rest)):
        graphql_once()

    def timed(run) -> float:
        started = time.perf_counter()
        run()
        return (time.perf_counter() - started) * 1000

    # Interleaved, one of each in turn: a shared machine's speed drifts by a quarter within a
    # minute, and two blocks measured one after the other would put the drift into the ratio.
    for _ in range(5):
        graphql_once()
        sql_once()
    gc.collect()
    graphql_ms, sql_ms = [], []
    for _ in range(args.runs):
        graphql_ms.append(timed(graphql_once))
        sql_ms.append(timed(sql_once))
    g50, g95 = statistics.median(graphql_ms), percentile(graphql_ms, 0.95)
    s50, s95 = statistics.median(sql_ms), percentile(sql_ms, 0.95)
    print(
        f"catalog: {Product.objects.count()} products, products(first: 100) with variants, images, farmer, "
        f"village and category; {args.runs} runs each"
    )
    kept = "the count kept (--cache-redis)" if args.cache_redis else "counted every page"
    print(f"  totalCount: {kept}")
    print(f"  GraphQL through Django   p50 {g50:7.2f} ms   p95 {g95:7.2f} ms   ({len(executed)} SQL queries)")
    print(f"  hand-written SQL         p50 {s50:7.2f} ms   p95 {s95:7.2f} ms   (1 query)")
    print(f"  ratio GraphQL / SQL      p50 {g50 / s50:7.2f}      p95 {g95 / s95:7.2f}      (target: at most 2.5)")
    print_bytes(client, body)
    return g50 / s50


def print_bytes(client, body: str) -> None:
    """What the page weighs on the wire: as sent (UTF-8), as it was (ASCII escapes), gzipped."""
    sent = client.post("/graphql/", body, content_type="application/json", secure=True).content
    escaped = json.dumps(json.loads(sent), separators=(",", ":")).encode()
    packed = client.post(
        "/graphql/", body, content_type="application/json", secure=True, headers={"accept-encoding": "gzip"}
    )
    assert packed.get("Content-Encoding") == "gzip", "the answer was not compressed"
    print(
        f"  bytes: {len(escaped):,} with \\uXXXX escapes, {len(sent):,} as UTF-8 "
        f"({1 - len(sent) / len(escaped):.0%} less), {len(packed.content):,} gzipped "
        f"({1 - len(packed.content) / len(escaped):.0%} less)"
    )


if __name__ == "__main__":
    main()
