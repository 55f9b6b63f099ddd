"""Rate limits: fixed-window counters in the Django cache (Redis in production, local memory when
embedded), so that every web process of a deployment shares them.

A counter is incremented atomically (`cache.add` creates it at 0, `cache.incr` is atomic on Redis
and under the local-memory cache's lock), never read-then-written, so concurrent requests cannot
slip past a limit together. The window is fixed: its number is part of the key (and the key also
expires with it), so a new window starts a new counter on any backend. A fixed window lets up to
twice the limit through around a window's edge; for log-in limits that is acceptable and costs one
cache round trip instead of a sorted set per key.

Identifiers (phone numbers, IP addresses) are hashed into the key: the cache holds no personal
data. When the cache is down, counting falls back to this process's memory with a stricter limit
(`LocalCounters`, a warning in the log): neither does every log-in fail nor does the limit lift.
"""

import contextlib
import hashlib
import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis import RedisError

logger = logging.getLogger(__name__)

# What the cache raises when its store is down or hangs: redis-py's errors (the Redis cache), and
# socket errors (the others).
STORE_ERRORS = (RedisError, OSError)

# The clock, a module attribute so that tests can move time forward.
clock = time.time


@dataclass(frozen=True)
class Hit:
    key: str
    count: int
    blocked: bool
    local: bool = False  # counted in this process's memory: the cache was down


class LocalCounters:
    """The fallback store while the shared cache is down: fixed-window counters in this process.

    Every web process counts on its own, so a limit falls back to its share of the shared one
    (`RATELIMIT_FALLBACK_PROCESSES`, rounded up): the deployment as a whole still lets through
    about as many attempts as with the cache, never the processes' multiple of them. Memory is
    bounded: expired counters are dropped when there are many, and past `MAX_KEYS` live ones a
    new identifier is refused (an attack on many identifiers while the cache is down must not
    grow the process without bound, and refusing is the side of caution)."""

    MAX_KEYS = 100_000

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}  # key -> (expires at, count)

    def incr(self, key: str, window: int) -> int | None:
        """The key's new count; None when the store is full."""
        now = clock()
        with self._lock:
            expires, count = self._counts.get(key, (0.0, 0))
            if expires <= now:
                if len(self._counts) >= self.MAX_KEYS:
                    self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
                    if len(self._counts) >= self.MAX_KEYS:
                        return None
                expires, count = now + window, 0
            self._counts[key] = (expires, count + 1)
            return count + 1

    def get(self, key: str) -> int:
        with self._lock:
            expires, count = self._counts.get(key, (0.0, 0))
            return count if expires > clock() else 0

    def decr(self, key: str) -> None:
        with self._lock:
            if key in self._counts:
                expires, count = self._counts[key]
                self._counts[key] = (expires, max(0, count - 1))

    def delete(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_counters = LocalCounters()
# The last time the cache's failure was logged: one warning a minute per process, not one per
# request, while it stays down.
_last_warning = [0.0]


def _store_failed(action: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= 60 or _last_warning[0] == 0.0:
        _last_warning[0] = now
        logger.warning(
            "rate limits: the cache could not %s (%s: %s); counting in this process with stricter limits",
            action,
            type(error).__name__,
            error,
        )


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` counted events per `window` seconds for one identifier."""

    name: str
    limit: int
    window: int

    def key(self, identifier: str) -> str:
        digest = hashlib.sha256(f"{self.name}\0{identifier}".encode()).hexdigest()[:32]
        return f"ratelimit:{self.name}:{int(clock() // self.window)}:{digest}"

    @property
    def fallback_limit(self) -> int:
        """The limit of one process while the cache is down (see LocalCounters)."""
        return math.ceil(self.limit / max(1, settings.RATELIMIT_FALLBACK_PROCESSES))

    def count(self, identifier: str) -> int:
        key = self.key(identifier)
        try:
            return cache.get(key, 0)
        except STORE_ERRORS as error:
            _store_failed("read a counter", error)
            return local_counters.get(key)

    def hit(self, identifier: str) -> Hit:
        """Count one event and say whether it is over the limit (the event that reaches the limit
        is not: with a limit of 5, the 6th is blocked)."""
        key = self.key(identifier)
        try:
            return self._hit_shared(key)
        except STORE_ERRORS as error:
            _store_failed("count", error)
        count = local_counters.incr(key, self.window)
        if count is None:
            return Hit(key, self.fallback_limit + 1, True, local=True)
        return Hit(key, count, count > self.fallback_limit, local=True)

    def _hit_shared(self, key: str) -> Hit:
        for _attempt in range(3):
            cache.add(key, 0, timeout=self.window)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: create it again
                continue
            return Hit(key, count, count > self.limit)
        raise RuntimeError(f"rate limit counter {key} keeps disappearing")

    def undo(self, hit: Hit) -> None:
        """Take back an event counted by `hit` (in its own window, even if a new one began), in
        the store that counted it."""
        if hit.local:
            local_counters.decr(hit.key)
            return
        try:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
                cache.decr(hit.key)
        except STORE_ERRORS as error:
            _store_failed("take back an event", error)

    def reset(self, identifier: str) -> None:
        key = self.key(identifier)
        local_counters.delete(key)
        try:
            cache.delete(key)
        except STORE_ERRORS as error:
            _store_failed("reset a counter", error)


# Log-in limits. Per account: 5 failures in 15 minutes leave a 6-digit password ~480 guesses a
# day, and a farmer who mistypes a few times is not locked out for long. Per IP: 20 failures in
# 15 minutes stop one machine from trying one common password against many phone numbers; it is
# looser because several people share an address (a family's Wi-Fi, a cooperative's office, the
# mobile carriers' NAT).
LOGIN_PER_ACCOUNT_FROM_IP = RateLimit("login-account-ip", limit=5, window=15 * 60)
LOGIN_PER_IP = RateLimit("login-ip", limit=20, window=15 * 60)
# Guessing one account from many addresses. Counting per account alone would let anyone lock a
# farmer out with five wrong passwords from five addresses, every fifteen minutes, and there is
# no SMS reset yet; so the per-account limit that stands alone is ten times looser.
LOGIN_PER_ACCOUNT = RateLimit("login-account", limit=50, window=15 * 60)
# Sign-ups from one address: a family or a cooperative's office registers a few farmers in an
# hour; more looks like someone probing which numbers are registered, or flooding NGO queues.
SIGNUP_PER_IP = RateLimit("signup-ip", limit=10, window=60 * 60)
# Shoppers' sign-ups through the API (`accountRegister`) from one address. Looser than the pages'
# farmer sign-ups: an internet café or a school's network may see a dozen shoppers sign up in an
# hour, and behind a carrier's NAT many phones share an address. Tighter than anything a script
# needs to probe addresses at scale or to fill the user table: 20 an hour, 480 a day.
ACCOUNT_REGISTER_PER_IP = RateLimit("account-register-ip", limit=20, window=60 * 60)


def client_ip(request) -> str:
    """The client's address, from REMOTE_ADDR only: a header such as X-Forwarded-For can be written
    by anyone. Behind a reverse proxy or load balancer the deployment must make REMOTE_ADDR the
    real client (e.g. gunicorn `--forwarded-allow-ips` with the proxy's address, or the proxy's
    PROXY protocol; gunicorn's `--forwarded-allow-ips` alone does not rewrite REMOTE_ADDR, so
    behind nginx use a middleware that trusts only the proxy's own header); otherwise every visitor
    shares the proxy's address and its limit. An IPv6
    address counts by its /64 network, which one device or home usually owns entirely."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class LoginAttempt:
    """One log-in attempt, counted before the password is checked (so that parallel guesses
    cannot all pass a check made before any of them failed).

    Blocked attempts never reach the password check. A successful log-in takes its own attempt
    back from the IP counter (only failures count there) but keeps the earlier failures: resetting
    it would let anyone with one valid account wipe the IP's record between guesses at other
    accounts. It resets the account's counter: the right person has proved who they are, and
    their earlier typos should not lock them out of their next visit."""

    ip: str
    account: str
    ip_hit: Hit | None = None
    pair_hit: Hit | None = None
    account_hit: Hit | None = None

    @property
    def pair(self) -> str:
        return f"{self.account}|{self.ip}"

    @classmethod
    def begin(cls, request, account: str) -> "LoginAttempt":
        attempt = cls(client_ip(request), account.casefold())
        attempt.ip_hit = LOGIN_PER_IP.hit(attempt.ip)
        if not attempt.ip_hit.blocked:  # an address already blocked costs the account nothing
            attempt.pair_hit = LOGIN_PER_ACCOUNT_FROM_IP.hit(attempt.pair)
            attempt.account_hit = LOGIN_PER_ACCOUNT.hit(attempt.account)
        return attempt

    @property
    def blocked(self) -> bool:
        hits = (self.ip_hit, self.pair_hit, self.account_hit)
        return any(hit is None or hit.blocked for hit in hits)

    def succeeded(self) -> None:
        LOGIN_PER_IP.undo(self.ip_hit)
        LOGIN_PER_ACCOUNT_FROM_IP.reset(self.pair)
        LOGIN_PER_ACCOUNT.reset(self.account)
