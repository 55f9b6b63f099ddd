"""A real Celery worker over Redis for the tests of tasks (see tests/shop/test_image_task_worker.py
for why eager tasks are not enough there)."""

import json

import kombu.pools

from config.celery import app


def drop_broker_connections():
    """Forget pooled broker connections and cached queue declarations (rebuilt on next use), so the
    changed `broker_url` and queue take effect now and do not outlive the test.

    kombu keeps its pools in a process-wide registry keyed by broker URL: closing a pool without
    `kombu.pools.reset()` would hand the closed pool to the next eager task ("Acquire on closed pool").
    """
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    for cached in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(cached, None)


def waiting_messages(broker, queue: str, task: str | None = None) -> int:
    """Messages waiting on the queue (of one task only, if named: saving goods also enqueues the
    search index's sync task)."""
    # kombu keeps one Redis list per queue (and per priority step, as `queue\x06\x16N`).
    keys = [key for key in broker.scan_iter(match=f"{queue}*") if broker.type(key) == b"list"]
    if task is None:
        return sum(broker.llen(key) for key in keys)
    return sum(json.loads(message)["headers"]["task"] == task for key in keys for message in broker.lrange(key, 0, -1))


def unacked_messages(broker, queue: str) -> int:
    # Delivered but not yet acknowledged: kombu's `unacked` hash, each entry [message, exchange, routing key].
    return sum(json.loads(entry)[2] == queue for entry in broker.hvals("unacked"))


def closed_port() -> int:
    """A local port nothing listens on: a broker there is refused at once, as a Redis that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_broker_at(url: str) -> None:
    """Publish to this broker from now on (a worker already consuming keeps its own connection)."""
    app.conf.broker_url = url
    drop_broker_connections()


def forget_queue(broker, queue: str) -> None:
    """Delete what a test's own queue left in Redis (its messages, kombu's bindings) and close."""
    stale = [*broker.scan_iter(match=f"{queue}*"), *broker.scan_iter(match=f"_kombu.binding*.{queue}")]
    if stale:
        broker.delete(*stale)
    broker.close()
