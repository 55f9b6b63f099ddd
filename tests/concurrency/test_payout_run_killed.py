"""A real payout run killed mid-way (SIGKILL of `manage.py payouts_run`, on PostgreSQL with
committed rows) leaves no half payout, and the next run pays every seller exactly what was due,
once.

Two kills: one wherever the run happens to be once its first payout is committed; and one pinned
inside a seller's booking: the test holds row locks on the unpaid entries, so the run stops at
marking them, after it has inserted that seller's Payout and before its ledger transaction; the
process is killed there and its server session ended (as a crashed host's would be). Were a
seller's booking not one transaction, that Payout would stand without its ledger transaction, and
the test fails."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum

from bench.payouts_seed import seed
from config.env import READ
from payments import ledger
from payments.models import Entry, LedgerTransaction, Payout

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(480)]

ROOT = Path(__file__).resolve().parents[2]
SELLERS = 150
WAIT_SECONDS = 60


@pytest.fixture
def committed(require_postgres, transactional_db):
    """Rows committed, so that another process sees them."""


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_run() -> subprocess.Popen:
    """`manage.py payouts_run` on the test's database, with the project's default settings."""
    clean = {k: v for k, v in os.environ.items() if k not in READ and k != "DJANGO_SETTINGS_MODULE"}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url()}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "payouts_run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.005)
    pytest.fail(f"waited {WAIT_SECONDS} s for {what}")


def other_sessions(locker) -> list[tuple[int, str | None]]:
    """Server sessions on the test's database other than Django's and the locker's: the run's, as
    (pid, wait event type). Read on Django's connection: it commits each statement, and a session
    sees pg_stat_activity as it was when its transaction began."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, wait_event_type FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [locker.info.backend_pid],
        )
        return cursor.fetchall()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL


def assert_no_half_payout(owed: dict[int, Decimal]) -> None:
    """Each payout whole, with its booking; each booking with its payout; the books balance; every
    seller's payable is what was due less what their payouts took."""
    in_transit = ledger.payouts_in_transit_account()
    payouts = list(Payout.objects.all())
    for payout in payouts:
        booked = LedgerTransaction.objects.get(key=f"payout:{payout.pk}")
        assert sorted(booked.entries.values_list("account_id", "amount")) == sorted(
            [(payout.account_id, payout.amount), (in_transit.pk, -payout.amount)]
        )
        assert (
            -payout.settled_entries.aggregate(total=Sum("amount"))["total"] == payout.amount == owed[payout.account_id]
        )
    bookings = LedgerTransaction.objects.filter(key__startswith="payout:")
    assert sorted(int(key.split(":")[1]) for key in bookings.values_list("key", flat=True)) == sorted(
        p.pk for p in payouts
    )
    assert -ledger.balance(in_transit) == sum((p.amount for p in payouts), Decimal("0"))
    assert not Entry.objects.filter(payout__isnull=False).exclude(payout__in=payouts).exists()
    assert list(ledger.unbalanced_transactions()) == []
    paid = {p.account_id: p.amount for p in payouts}
    for account in ledger.Account.objects.filter(pk__in=owed):
        assert -ledger.balance(account) == owed[account.pk] - paid.get(account.pk, 0), account.code


def test_a_killed_run_leaves_no_half_payout_and_the_next_pays_each_seller_once(committed):
    owed = seed(SELLERS)
    due = {pk: amount for pk, amount in owed.items() if amount >= Decimal("50.00")}  # the default minimum
    db = connection.settings_dict
    locker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"]
    )
    try:
        # 1. Killed wherever it is once its first payout is committed.
        run = start_run()
        wait_for(Payout.objects.exists, "the run's first payout")
        kill(run)
        wait_for(lambda: not other_sessions(locker), "the killed run's session to end")
        assert 0 < Payout.objects.count() < len(due), "the run was not killed mid-way"
        assert_no_half_payout(owed)

        # 2. Killed inside a seller's booking: the unpaid entries are locked by this test.
        before = Payout.objects.count()
        with locker.cursor() as cursor:
            cursor.execute(
                "SELECT e.id FROM payments_entry e JOIN payments_ledgertransaction t ON t.id = e.transaction_id "
                "WHERE e.payout_id IS NULL AND t.order_id IS NOT NULL AND e.account_id = ANY(%s) FOR UPDATE OF e",
                [list(owed)],
            )
            run = start_run()
            (pid, _wait), *_ = wait_for(
                lambda: [s for s in other_sessions(locker) if s[1] == "Lock"], "the run to wait on the entries' lock"
            )
            kill(run)
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        locker.commit()  # the entries' locks released
        wait_for(lambda: not other_sessions(locker), "the killed run's session to end")
        assert Payout.objects.count() == before, "a payout was left from a booking cut short"
        assert_no_half_payout(owed)
    finally:
        locker.close()

    # 3. Run again, to the end: every seller due is paid exactly what was due, once.
    finished = start_run()
    _out, errors = finished.communicate(timeout=WAIT_SECONDS * 3)
    assert finished.returncode == 0, errors.decode()[-2000:]
    assert_no_half_payout(owed)
    assert dict(Payout.objects.values_list("account_id", "amount")) == due
    assert Payout.objects.count() == len(due)
