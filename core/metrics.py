"""Prometheus metrics: what an operator watches (README, "Operating the site").

Under gunicorn every worker is a process of its own, so prometheus-client runs in multiprocess
mode whenever `PROMETHEUS_MULTIPROC_DIR` is set (before the first import of prometheus_client):
each process writes its samples to files in that folder and `/metrics` adds them up. A Celery
worker given the same folder (same host, or a shared volume) shows its task counters there too.
Without the variable (a developer, the tests) the samples live in this process only.

Every label has a bounded set of values: view names from the URLconf, task names from the
registry, the click outcomes and payment states from their choices, GraphQL operation names
through `operation_label` (at most OPERATION_NAMES distinct names a process). Never a user,
campaign, product or path: a label per value grows the metrics without end."""

import os
import re
import threading
import time

from celery import signals
from django.db import transaction
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.registry import REGISTRY

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

http_request_seconds = Histogram(
    "shanhuo_http_request_duration_seconds",
    "Time to answer a web request, by view (URL name) and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
http_responses = Counter(
    "shanhuo_http_responses_total",
    "Web responses by view, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
)
graphql_seconds = Histogram(
    "shanhuo_graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation, by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
graphql_operations = Counter(
    "shanhuo_graphql_operations_total",
    "GraphQL operations by name, type and outcome (ok, or error: the answer carried errors).",
    ["operation", "type", "outcome"],
)
task_runs = Counter(
    "shanhuo_celery_task_runs_total",
    "Celery task runs that finished, by task and state (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
task_failures = Counter("shanhuo_celery_task_failures_total", "Celery task runs that raised, by task.", ["task"])
task_seconds = Histogram(
    "shanhuo_celery_task_duration_seconds", "Time a Celery task ran, by task.", ["task"], buckets=LATENCY_BUCKETS
)
budget_debits = Counter("shanhuo_budget_debits_total", "Promoted clicks billed to a campaign's budget.")
budget_debited_yuan = Counter("shanhuo_budget_debited_yuan_total", "Yuan billed to campaigns' budgets.")
clicks = Counter(
    "shanhuo_clicks_total", "Clicks on promoted slots, by outcome (billed, bot, reused, ...).", ["outcome"]
)
payments = Counter(
    "shanhuo_payments_total",
    "Shoppers' payments entering a state (pending, succeeded, failed, cancelled, refunded), by gateway.",
    ["state", "gateway"],
)

# --- Bounded label values ----------------------------------------------------------------------

OPERATION_NAMES = 100
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_operation_names: set[str] = set()
_operation_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """A client names its operations as it likes: the first OPERATION_NAMES well-formed names a
    process meets are kept as they are, any other is "other", an unnamed one "anonymous"."""
    if not name:
        return "anonymous"
    if not OPERATION_NAME.fullmatch(name):
        return "other"
    if name in _operation_names:
        return name
    with _operation_lock:
        if len(_operation_names) < OPERATION_NAMES:
            _operation_names.add(name)
            return name
    return "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


# --- Counting what happened, once it is committed -----------------------------------------------


def after_commit(count) -> None:
    """Count when the surrounding transaction commits (now, outside one): a rolled-back debit or
    payment never happened, and must not show on a dashboard."""
    transaction.on_commit(count)


def count_click(outcome: str) -> None:
    after_commit(lambda: clicks.labels(outcome or "unknown").inc())


def count_budget_debit(amount) -> None:
    def count():
        budget_debits.inc()
        budget_debited_yuan.inc(float(amount))  # a gauge of activity, not bookkeeping: the ledger is

    after_commit(count)


def count_payment(state: str, gateway: str) -> None:
    after_commit(lambda: payments.labels(state, gateway).inc())


# --- Celery tasks ------------------------------------------------------------------------------

_task_started = threading.local()


@signals.task_prerun.connect(weak=False)
def _task_started_at(task_id=None, **kwargs):
    _task_started.__dict__[task_id] = time.perf_counter()


@signals.task_postrun.connect(weak=False)
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _task_started.__dict__.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    task_runs.labels(name, state or "UNKNOWN").inc()
    if started is not None:
        task_seconds.labels(name).observe(time.perf_counter() - started)


@signals.task_failure.connect(weak=False)
def _task_failed(sender=None, **kwargs):
    task_failures.labels(getattr(sender, "name", None) or "unknown").inc()


# --- Exposition -------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition() -> bytes:
    """The text /metrics serves: every process's samples in multiprocess mode, else this one's."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
