"""Benchmark: the impact figures on a national-sized history, from the roll-up and from the ledger.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/impact.py [--reuse]

DATABASE_URL names the PostgreSQL server. The benchmark works in a database of its own
(`shanhuo_bench_impact`), seeded by bench/impact_seed.py (1,000,000 order lines over 500 villages
and two years by default: about ten minutes) and left behind, so that `--reuse` measures again
without seeding. It prints:

- the roll-up's full build, and a refresh with nothing new (what every page read pays);
- one village-month (`impact.figures.figures`), over many villages and months: median, p95, max;
- an NGO's dashboard (50 villages, a year): totals, the chart series and the per-village ranking,
  as the dashboard's domain calls make them, and the dashboard page itself through Django when
  the pages exist;
- the national roll-up (every village, a year, and its monthly series);
- the same village-month and national year straight from the ledger, to show what the roll-up saves.
"""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import percentile, reusable_database  # noqa: E402

BENCH_DB = "shanhuo_bench_impact"


def timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def show(label: str, samples: list[float]) -> None:
    if len(samples) == 1:
        print(f"  {label:<52} {samples[0]:9.1f} ms")
        return
    print(
        f"  {label:<52} median {statistics.median(samples):8.1f} ms   p95 {percentile(samples, 0.95):8.1f} ms"
        f"   max {max(samples):8.1f} ms   (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="measure an existing seeded database again")
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to seed")
    parser.add_argument("--villages", type=int, default=500, help="villages to seed")
    parser.add_argument("--samples", type=int, default=50, help="village-months to time")
    parser.add_argument("--rebuild", action="store_true", help="time the roll-up's full build again (with --reuse)")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    database_url, must_seed = reusable_database(server, BENCH_DB, args.reuse)
    for variable in ("REDIS_URL", "CELERY_BROKER_URL", "STRIPE_SECRET_KEY"):
        os.environ.pop(variable, None)
    os.environ.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if must_seed:
        seeding = [sys.executable, str(ROOT / "bench" / "impact_seed.py")]
        seeding += ["--lines", str(args.lines), "--villages", str(args.villages)]
        print("seeding:", flush=True)
        subprocess.run(seeding, check=True, env=os.environ)  # noqa: S603 (this interpreter, our script)

    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from core.models import User
    from farmers.models import NGO, Village
    from impact import rollup
    from impact.figures import figures, per_village, series, villages_of
    from impact.models import VillageDay
    from impact.periods import Period, local_zone
    from payments.models import Entry
    from shop.models import OrderLine

    print(
        f"database: {Village.objects.count():,} villages, {OrderLine.objects.count():,} order lines, "
        f"{Entry.objects.count():,} ledger entries"
    )
    today = datetime.datetime.now(local_zone()).date()
    last_year = Period.year(today.year - 1)

    print("roll-up:")
    if must_seed or args.rebuild or not VillageDay.objects.exists():
        show("full build (every day, every village)", timed(lambda: rollup.refresh(full=True), 1))
    show("refresh with nothing new (each page read)", timed(rollup.refresh_if_stale, 20))
    print(f"  {VillageDay.objects.count():,} village-day rows")

    rng = random.Random(14)
    village_ids = list(Village.objects.values_list("pk", flat=True))
    months = [(today.year - 1, month) for month in range(1, 13)] + [(today.year, m) for m in range(1, today.month)]
    picks = [(rng.choice(village_ids), Period.month(*rng.choice(months))) for _ in range(args.samples)]

    def village_months(source):
        remaining = iter(picks)

        def one():
            village, month = next(remaining)
            figures([village], month, source=source)

        return one

    print("one village-month:")
    show("roll-up", timed(village_months("rollup"), args.samples))
    show("ledger", timed(village_months("ledger"), min(10, args.samples)))

    ngo = NGO.objects.order_by("pk").first()
    ngo_villages = list(villages_of(("ngo", ngo.pk)))
    print(f"an NGO's dashboard ({len(ngo_villages)} villages, {last_year.label}):")

    def dashboard():
        figures(ngo_villages, last_year)
        series(ngo_villages, last_year)
        per_village(ngo_villages, last_year)
        per_village(ngo_villages, last_year.previous())

    show("totals + monthly series + this and last year per village", timed(dashboard, 10))
    try:
        url = reverse("impact:dashboard") + f"?period={last_year.start.year}"
    except NoReverseMatch:
        url = None
    if url:
        officer, _ = User.objects.get_or_create(email="bench-ngo@example.com")
        ngo.staff.add(officer)
        client = Client()
        client.force_login(officer)

        def page():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        show(f"the page {url}", timed(page, 10))

    everywhere = list(villages_of(("all", None)))
    print(f"national roll-up ({len(everywhere)} villages):")
    show(f"{last_year.label}: totals", timed(lambda: figures(everywhere, last_year), 5))
    show(f"{last_year.label}: monthly series", timed(lambda: series(everywhere, last_year), 5))
    two_years = Period(today - datetime.timedelta(days=729), today, "range")
    show("two years: totals", timed(lambda: figures(everywhere, two_years), 3))
    from_ledger = timed(lambda: figures(everywhere, last_year, source="ledger"), 1)
    show(f"{last_year.label}: totals from the ledger", from_ledger)
    connection.close()


if __name__ == "__main__":
    main()
