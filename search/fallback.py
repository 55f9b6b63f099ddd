"""Searching on while the engine is down: when SEARCH_BACKENDS names an engine as `default` and the
database backend as `fallback`, a search the engine cannot answer is answered by the database (its
index is kept current beside the engine's, see `indexing`), so a shopper never sees "search is
unavailable" while a database can answer.

Each time the engine fails this logs one warning (which engine, why), counts the failure and
remembers when it happened; every search the fallback answers is counted too. The counts live in
the Django cache (Redis in production, shared by every process), incremented atomically as rate
limits are; `manage.py search_status` and the admin's pending-sync page show them.

A circuit breaker spares a dead engine and the shoppers the wait: after a failure the engine is
skipped for SKIP_SECONDS, every search going straight to the fallback. After that one search at a
time (a `cache.add` token) asks the engine again while the others still use the fallback; the
first answer closes the breaker. With no `fallback` entry (the database is the default) nothing
here applies, and SearchUnavailable reaches the caller as before."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from django.core.cache import cache

from .backends import SearchBackend, SearchUnavailable, backends, get_backend
from .query import Page

logger = logging.getLogger(__name__)

ENGINE = "default"
FALLBACK = "fallback"
# How long a failed engine is left alone. Short: searches come back to it within half a minute of
# its return; long enough that a dead one costs one failed request per process half-minute at most.
SKIP_SECONDS = 30
# How long one search may hold the right to try an engine that failed before (its timeout, and more).
PROBE_SECONDS = 10

# The clock, a module attribute so that tests can move time forward.
clock = time.time

T = TypeVar("T")


def _key(backend: SearchBackend, what: str) -> str:
    return f"search:engine:{backend.name}:{what}"


def answer(operation: Callable[[SearchBackend], T]) -> T:
    """`operation` run on the default backend, or on the fallback when the default is an engine
    that is down (or was found down less than SKIP_SECONDS ago)."""
    engine = get_backend(ENGINE)
    if FALLBACK not in backends:
        return operation(engine)
    found = state(engine)
    if _may_ask(engine, found):
        try:
            result = operation(engine)
        except SearchUnavailable as error:
            failed(engine, error)
        else:
            if "suspect" in found:
                recovered(engine)
            return result
    _count(_key(engine, "fallbacks"))
    return operation(get_backend(FALLBACK))


def failed(backend: SearchBackend, error: Exception) -> None:
    """The engine did not answer: one warning line, counted, and the breaker opened."""
    reason = " ".join(str(error).split())[:300] or type(error).__name__
    logger.warning(
        "search engine %r (%s) is down; searches go to the %r backend for %d s: %s",
        backend.name,
        backend.vendor,
        FALLBACK,
        SKIP_SECONDS,
        reason,
    )
    # The breaker itself expires; `suspect` stays until the engine answers, so that afterwards
    # only one search at a time tries it again.
    _quietly(
        lambda: cache.set_many(
            {_key(backend, "suspect"): True, _key(backend, "last_down"): {"at": clock(), "reason": reason}},
            timeout=None,
        )
    )
    _quietly(lambda: cache.set(_key(backend, "down"), True, timeout=SKIP_SECONDS))
    _quietly(lambda: cache.delete(_key(backend, "probe")))
    _count(_key(backend, "failures"))


def recovered(backend: SearchBackend) -> None:
    """The engine answered after having failed: close the breaker for good."""
    if _quietly(lambda: cache.get(_key(backend, "suspect"))):
        logger.warning("search engine %r (%s) answers again", backend.name, backend.vendor)
    _quietly(lambda: cache.delete_many([_key(backend, "suspect"), _key(backend, "probe")]))


def state(backend: SearchBackend) -> set[str]:
    """Which of `down` (the breaker is open) and `suspect` (failed, not answered since) hold."""
    found = _quietly(lambda: cache.get_many([_key(backend, "down"), _key(backend, "suspect")])) or {}
    return {key.rsplit(":", 1)[1] for key in found}


def _may_ask(engine: SearchBackend, state: set[str]) -> bool:
    if "down" in state:
        return False
    if "suspect" in state:  # failed before: one search at a time finds out whether it is back
        return bool(_quietly(lambda: cache.add(_key(engine, "probe"), True, timeout=PROBE_SECONDS), True))
    return True


def _count(key: str) -> None:
    """Atomic on Redis and in local memory (see core.ratelimit)."""

    def increment():
        cache.add(key, 0, timeout=None)
        cache.incr(key)

    _quietly(increment)


def _quietly(step: Callable[[], T], default: T | None = None) -> T | None:
    """Bookkeeping in the cache never costs a shopper the answer: with the cache down, the engine
    is asked every time (no breaker) and nothing is counted, which is logged."""
    try:
        return step()
    except Exception:  # the cache's own errors: redis-py's, or any other cache backend's
        logger.exception("search's fallback bookkeeping could not reach the cache")
        return default


# --- What operators read ----------------------------------------------------------------------


@dataclass(frozen=True)
class EngineHealth:
    name: str
    vendor: str
    skipped: bool  # the breaker is open: searches go to the fallback without asking
    failures: int  # times the engine was found down
    fallbacks: int  # searches the fallback answered
    last_down_at: datetime | None
    last_reason: str


def health(backend: SearchBackend | None = None) -> EngineHealth:
    backend = backend or get_backend(ENGINE)
    keys = {what: _key(backend, what) for what in ("down", "failures", "fallbacks", "last_down")}
    found = cache.get_many(list(keys.values()))
    last = found.get(keys["last_down"]) or {}
    return EngineHealth(
        name=backend.name,
        vendor=backend.vendor,
        skipped=keys["down"] in found,
        failures=found.get(keys["failures"], 0),
        fallbacks=found.get(keys["fallbacks"], 0),
        last_down_at=datetime.fromtimestamp(last["at"], UTC) if last else None,
        last_reason=last.get("reason", ""),
    )


def reachable(backend: SearchBackend) -> tuple[bool, str]:
    """Asks the backend for one result of browsing everything, past the breaker: (answered, why not)."""
    try:
        backend.search("", facets=False, page=Page(limit=1))
    except Exception as error:  # noqa: BLE001 - an operator's diagnosis: whatever went wrong is the answer
        return False, " ".join(str(error).split())[:300] or type(error).__name__
    return True, ""
