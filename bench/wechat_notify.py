"""Benchmark: WeChat Pay notify handling on PostgreSQL under concurrent duplicate deliveries —
notifies a second, latency, and the count of payments booked more than once (must be 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/wechat_notify.py

DATABASE_URL names the PostgreSQL server: the benchmark works in a database of its own
(`shanhuo_bench_wechat`, re-created and dropped at the end unless --keep). It seeds --payments
orders paid by WeChat Pay (one farmer's two products, bought through the checkout service), then
serves the site with gunicorn (`config.wsgi`, --workers sync workers, 127.0.0.1 on a free port)
configured for a WeChat Pay merchant whose keys this process made (tests/payments/wechatpay_fake.py:
merchant and platform RSA keys, the platform certificate in WECHATPAY_CERT_DIR, so the server never
calls WeChat). Each payment's TRANSACTION.SUCCESS notify is signed and encrypted as WeChat Pay does
and delivered --copies times (default 4: two deliveries of one notify id and two of a second id,
as WeChat's retries and resends arrive), the copies of one payment taken at the same moment by
different threads of --threads, each a keep-alive HTTP connection to 127.0.0.1.

Printed: notifies a second over the whole run (first request sent to last answer), latency
percentiles, the answers by status, and from the database: payments paid, notify outcomes, and
double-booked payments (a payment with more than one "paid" outcome, or whose cash booked at WeChat
Pay differs from its amount). Exit status 1 when any payment is double-booked or left unpaid.
On a machine with fewer cores than gunicorn workers plus PostgreSQL plus this process, every
figure includes waiting for a CPU: the load average is printed.
"""

import argparse
import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.databases import drop_database, percentile, set_up_django_on_fresh_database  # noqa: E402

BENCH_DB = "shanhuo_bench_wechat"
NOTIFY_PATH = "/payments/wechatpay/notify/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """gunicorn serving config.wsgi on 127.0.0.1; its process group stopped on exit."""

    def __init__(self, env: dict, workers: int, log: Path):
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()
        self.process = None

    def __enter__(self):
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            *("--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--worker-class", "sync"),
            *("--backlog", "512", "--keep-alive", "30", "--timeout", "60", "--chdir", str(ROOT)),
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
                conn.request("GET", NOTIFY_PATH)
                status = conn.getresponse().status
                conn.close()
                if status == 405:  # the notify endpoint is there (POST only)
                    return self
                raise RuntimeError(f"GET {NOTIFY_PATH} answered {status}:\n{self.tail()}")
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


def seed(count: int) -> list:
    """`count` orders paid by WeChat Pay, placed through the checkout service (no gateway call)."""
    from payments.models import Payment
    from tests.shop.buying import place_order, shipping_method, variant

    method = shipping_method()
    a = variant(price="39.90", stock=count * 2, weight_kg="2.5")
    b = variant(price="12.50", stock=count * 2, weight_kg="0.8", seller=a.product.farmer)
    for _ in range(count):
        place_order([(a, 1), (b, 1)], payment_method="wechatpay", method=method)
    return list(Payment.objects.filter(gateway="wechatpay").order_by("pk"))


def deliveries(fake, payments, copies: int) -> list[tuple[int, bytes, dict]]:
    """(payment id, body, headers) for every delivery, a payment's copies next to each other; the
    i-th copy reuses the notify id of copy i - 2 (two ids, each delivered twice, at the default 4)."""
    from core.money import to_fen

    work = []
    for payment in payments:
        resource = {
            "mchid": fake.mchid,
            "appid": fake.appid,
            "out_trade_no": payment.merchant_reference,
            "transaction_id": f"4200{payment.pk:024d}",
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "success_time": "2026-12-03T10:00:00+08:00",
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": to_fen(payment.amount), "currency": "CNY", "payer_total": to_fen(payment.amount)},
        }
        ids = [f"bench-{payment.pk}-{n}" for n in range(max(1, copies // 2))]
        for copy in range(copies):
            body, headers = fake.notify(
                "TRANSACTION.SUCCESS", resource, "transaction", "支付成功", notify_id=ids[copy % len(ids)]
            )
            work.append((payment.pk, body, headers))
    return work


def deliver(port: int, work: list, threads: int) -> tuple[list, list, float]:
    """Send every delivery from `threads` keep-alive connections, taken in order from one queue;
    returns (statuses, latencies in ms, elapsed seconds)."""
    todo: queue.Queue = queue.Queue()
    for item in work:
        todo.put(item)
    statuses, latencies, lock = [], [], threading.Lock()
    start = threading.Barrier(threads + 1)

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while True:
            try:
                _, body, headers = todo.get_nowait()
            except queue.Empty:
                break
            began = time.perf_counter()
            conn.request("POST", NOTIFY_PATH, body=body, headers={**headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            took = (time.perf_counter() - began) * 1000
            with lock:
                statuses.append(response.status)
                latencies.append(took)
        conn.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    return statuses, latencies, time.perf_counter() - began


def audit(payment_ids: list[int]) -> dict:
    from django.db.models import Count, Q, Sum

    from payments import ledger
    from payments.models import Entry, Payment, PaymentStatus, WebhookEvent

    cash = ledger.cash_account("wechatpay")
    booked = dict(
        Entry.objects.filter(account=cash, transaction__key__startswith="payment:")
        .values_list("transaction__order__payment__pk")
        .annotate(total=Sum("amount"))
    )
    paid_outcomes = dict(
        WebhookEvent.objects.filter(outcome="paid")
        .values_list("payload__resource__out_trade_no")
        .annotate(n=Count("id"))
    )
    payments = Payment.objects.filter(pk__in=payment_ids)
    double = [
        p.pk
        for p in payments
        if paid_outcomes.get(p.merchant_reference, 0) > 1 or booked.get(p.pk, 0) not in (0, p.amount)
    ]
    outcomes = dict(
        WebhookEvent.objects.filter(event_id__startswith="wechatpay:").values_list("outcome").annotate(n=Count("id"))
    )
    return {
        "paid": payments.filter(status=PaymentStatus.SUCCEEDED).count(),
        "double_booked": double,
        "outcomes": outcomes,
        "unbalanced": ledger.unbalanced_transactions().count(),
        "events": WebhookEvent.objects.filter(~Q(outcome="")).count(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--copies", type=int, default=4, help="deliveries of each payment's notify")
    parser.add_argument("--threads", type=int, default=16, help="concurrent HTTP connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--keep", action="store_true", help=f"leave the database {BENCH_DB} behind")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-wechat-"))
    from tests.payments.wechatpay_fake import FakeWeChatPay

    fake = FakeWeChatPay(folder / "keys")
    fake.write_certificate()  # the server verifies with it and never asks WeChat for certificates
    os.environ.update(fake.env(notify_base="https://127.0.0.1"))
    os.environ.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback
        }
    )
    server = set_up_django_on_fresh_database(BENCH_DB, str(folder / "media"))
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        payments = seed(args.payments)
        print(f"seeded {len(payments)} WeChat Pay orders in {time.perf_counter() - began:.1f} s")
        work = deliveries(fake, payments, args.copies)
        connections.close_all()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
        with Site(env, args.workers, folder / "gunicorn.log") as site:
            print(f"gunicorn, {args.workers} sync workers, 127.0.0.1:{site.port}; {args.threads} client threads")
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            statuses, latencies, elapsed = deliver(site.port, work, args.threads)
            print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        result = audit([p.pk for p in payments])
        counts = {status: statuses.count(status) for status in sorted(set(statuses))}
        print(f"deliveries: {len(work)} ({args.payments} payments × {args.copies}), answers {counts}")
        print(f"notifies/s: {len(work) / elapsed:.1f} (over {elapsed:.2f} s)")
        p50, p95, p99 = (percentile(latencies, q) for q in (0.5, 0.95, 0.99))
        print(f"latency ms: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, max {max(latencies):.1f}")
        print(f"payments paid: {result['paid']} of {len(payments)}; notify outcomes: {result['outcomes']}")
        print(f"unbalanced ledger transactions: {result['unbalanced']}")
        print(f"double-booked payments: {len(result['double_booked'])}")
        failed = result["double_booked"] or result["paid"] != len(payments) or result["unbalanced"]
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(server, BENCH_DB)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
