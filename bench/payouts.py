"""Benchmark: the payout run over many sellers (issue 14: 100,000).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/payouts.py [--sellers 100000]

DATABASE_URL names the PostgreSQL server; the benchmark works in a database of its own
(`shanhuo_bench_payouts`, re-created on each run and dropped at the end unless --keep). It seeds
the sellers with bench/payouts_seed.py (one paid, delivered order each, booked in the ledger;
bulk inserts), then times `payouts.due_payouts()` (the dry run: what is due, in two queries) and
one full `payouts.run()` (each seller paid in a transaction of their own, under their account's
lock), and checks that every seller owed the minimum or more was paid exactly that, once.
"""

import argparse
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import drop_database, set_up_django_on_fresh_database  # noqa: E402

BENCH_DB = "shanhuo_bench_payouts"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sellers", type=int, default=100_000, help="sellers with an order each (default 100000)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database afterwards")
    parser.add_argument(
        "--pay",
        type=int,
        default=None,
        help="pay only the first N sellers due (one seller per transaction, as run() does) and extrapolate",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as media:
        server = set_up_django_on_fresh_database(BENCH_DB, media)
        try:
            measure(args.sellers, args.pay)
        finally:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                drop_database(server, BENCH_DB)


def measure(sellers: int, pay: int | None = None) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.payouts_seed import seed
    from payments import ledger, payouts
    from payments.models import Entry, Payout

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    owed = seed(sellers)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"prepared {BENCH_DB}: migrated, seeded {sellers} sellers in {time.perf_counter() - started:.1f} s")
    minimum = payouts.minimum()
    expected = {pk: amount for pk, amount in owed.items() if amount >= minimum}
    print(
        f"  hold {settings.PAYOUT_HOLD_DAYS} days, minimum {minimum} CNY: "
        f"{len(expected)} sellers due {sum(expected.values(), Decimal('0'))} CNY"
    )

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        due = payouts.due_payouts()
    due_seconds = time.perf_counter() - started
    assert {d.account.pk: d.amount for d in due} == expected, "due_payouts disagrees with the seeded amounts"
    print(f"  due_payouts(): {len(due)} sellers in {due_seconds:.2f} s, {len(queries)} SQL queries")

    if pay is not None and pay < len(due):
        cutoff = payouts.hold_cutoff()
        started = time.perf_counter()
        made = [payouts.pay_out(d.account, cutoff) for d in due[:pay]]
        seconds = time.perf_counter() - started
        assert {p.account_id: p.amount for p in made} == {d.account.pk: expected[d.account.pk] for d in due[:pay]}
        assert list(ledger.unbalanced_transactions()) == []
        all_minutes = seconds / pay * len(due) / 60
        print(
            f"  pay_out() for the first {pay} of {len(due)} sellers due: {seconds:.1f} s "
            f"({1000 * seconds / pay:.2f} ms each); all {len(due)} at that rate: {all_minutes:.0f} min"
        )
        return

    started = time.perf_counter()
    made = payouts.run()
    run_seconds = time.perf_counter() - started
    print(
        f"  run(): {len(made)} payouts of {sellers} sellers in {run_seconds:.1f} s "
        f"({len(made) / run_seconds:.0f} payouts/s, {1000 * run_seconds / max(1, len(made)):.2f} ms each)"
    )

    paid = dict(Payout.objects.values_list("account_id", "amount"))
    assert paid == expected, "a seller was paid other than what was due"
    assert not Entry.objects.filter(
        account_id__in=expected, payout__isnull=True, transaction__order__isnull=False
    ).exists()
    assert list(ledger.unbalanced_transactions()) == []
    started = time.perf_counter()
    again = payouts.run()
    print(f"  run() again: {len(again)} payouts in {time.perf_counter() - started:.2f} s")
    assert again == []


if __name__ == "__main__":
    main()
