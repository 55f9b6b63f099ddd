"""What `/readyz` asks: can this process reach what it needs to serve? Each check answers quickly
(a short timeout, one round trip) and says nothing an outsider could use: no URL, no host, no
error text, only up or down and how long it took.

Required dependencies (the database, Redis when configured, the broker when tasks are not run
in-process) make the process unready when down: a load balancer then sends traffic elsewhere.
The search engine is reported but not required: while it is down searches are answered by the
database backend (search.fallback), so the site still serves."""

import base64
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import kombu
from django.conf import settings
from django.db import connections

TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    up: bool
    required: bool
    seconds: float

    def as_json(self) -> dict:
        return {"status": "up" if self.up else "down", "required": self.required, "ms": round(self.seconds * 1000, 1)}


def _timed(name: str, required: bool, probe) -> Check:
    started = time.perf_counter()
    try:
        probe()
        up = True
    except Exception:  # noqa: BLE001 - any failure is "down"; the reason stays out of the answer
        up = False
    return Check(name, up, required, time.perf_counter() - started)


def _database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _redis(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def _broker(url: str):
    with kombu.Connection(url, connect_timeout=TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)


def _search_engine(url: str):
    # The engine's root answers with its name and version: one cheap request, no index touched.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("the search engine's URL is http or https")
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    request = urllib.request.Request(bare)  # noqa: S310 - http(s) only, checked above
    if parts.username:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request.add_header("Authorization", f"Basic {base64.b64encode(credentials).decode()}")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - our own setting
        response.read(4096)


def checks() -> list[Check]:
    results = [_timed("database", True, _database)]
    if settings.REDIS_URL:
        results.append(_timed("redis", True, lambda: _redis(settings.REDIS_URL)))
    if settings.CELERY_BROKER_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
        results.append(_timed("broker", True, lambda: _broker(settings.CELERY_BROKER_URL)))
    engine_url = settings.OPENSEARCH_URL or settings.ELASTICSEARCH_URL
    if engine_url:
        results.append(_timed("search", False, lambda: _search_engine(engine_url)))
    return results


def ready(results: list[Check]) -> bool:
    return all(check.up for check in results if check.required)
