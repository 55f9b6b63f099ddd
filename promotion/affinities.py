"""What the feed learns of its reader: decayed affinities to categories, villages and farmers, the
goods they ordered lately, and their province (promotion.feed_reader.ViewerProfile).

Each event adds a weight (EVENT_WEIGHTS: an order says more than a look) to the product's category,
village and farmer; weights halve every HALF_LIFE, so old tastes fade. Decay is lazy: a profile
stores its weights as of its last update (field "t"), and every update first scales them to now.
Only the TOP_N strongest of each kind are kept and a profile expires PROFILE_TTL after its last
update, so a profile never grows without bound and no browsing history is kept: only ids and
weights (docs/decisions.md, signals).

With Redis (REDIS_URL) a profile is one hash, updated by one Lua script (so concurrent events of
one reader lose nothing) and read with one HGETALL, which the feed may fold into its budget round
trip (`profile_keys`, `profile_from_reply`). Without Redis, the same state lives in Django's cache
(local memory in the embedded mode), updated under a process lock.

A signed-in reader's profile is keyed by the account: the browser's profile is merged into it on
login (`merge_on_login`). When an account's profile is missing (Redis flushed, or expired) it is
rebuilt from the database: orders, carts, promoted clicks, the shipping address and the province
the reader chose (`rebuild`)."""

import datetime
import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import transaction
from django.utils import timezone

from farmers.models import Province
from shop.models import CheckoutLine, Order, OrderLine, Product
from shop.regions import normalise_province

from .clock import budget_day
from .feed_reader import ANONYMOUS, PROFILE_KEY, STATS_KEY, ViewerProfile
from .models import ChosenProvince, Click, ClickOutcome

logger = logging.getLogger(__name__)

EVENT_WEIGHTS = {"view": 1.0, "click": 2.0, "cart": 4.0, "order": 8.0}
HALF_LIFE = datetime.timedelta(days=14)
TOP_N = 30  # kept per kind (categories, villages, farmers)
# Below this a weight is dropped: one view, about 60 days on.
MIN_WEIGHT = 0.05
PROFILE_TTL = datetime.timedelta(days=90)  # since the last update
ORDERED_FOR = datetime.timedelta(days=30)  # how long ordered goods are held back
ORDERED_MAX = 50
STATS_TTL = datetime.timedelta(days=3)
# Events older than this weigh less than MIN_WEIGHT now, even an order: a rebuild reads no further.
REBUILD_WINDOW = HALF_LIFE * math.ceil(math.log2(max(EVENT_WEIGHTS.values()) / MIN_WEIGHT))

KINDS = {"c": "categories", "v": "villages", "f": "farmers"}
_ORDERED = "o"
# Clicks that say nothing of the reader's taste.
_NOT_TASTE = (ClickOutcome.FORGED, ClickOutcome.BOT, ClickOutcome.MISMATCH)


class ProfileMissing(Exception):
    """An account's profile is not stored: rebuild it before adding to it."""


@dataclass(frozen=True)
class _Facts:
    category_id: int
    village_id: int
    farmer_id: int | None  # None: goods of a cooperative


# --- Keys -----------------------------------------------------------------------------------------


def profile_key(viewer_keys: Iterable[str]) -> str | None:
    """The viewer key a reader's profile is kept under: the account's when signed in, else the
    browser's; None for a reader known by neither (no profile: nothing is recorded)."""
    keys = list(viewer_keys)
    accounts = [key for key in keys if key.startswith("u:")]
    if accounts:
        return accounts[0]
    return keys[0] if keys else None


def redis_profile_key(viewer_key: str) -> str:
    return f"{settings.PROMOTION_REDIS_PREFIX}:{PROFILE_KEY.format(key=viewer_key)}"


def stats_key(day: datetime.date) -> str:
    """The day's per-product counters (a hash, fields "<event>:<product id>")."""
    return f"{settings.PROMOTION_REDIS_PREFIX}:{STATS_KEY.format(day=f'{day:%Y%m%d}')}"


def profile_keys(viewer_keys: Iterable[str]) -> list[str]:
    """The Redis keys holding this reader's profile, each to be read with HGETALL; the replies,
    in order, are what `parse_profile` and `profile_from_reply` take."""
    key = profile_key(viewer_keys)
    return [redis_profile_key(key)] if key else []


def _account_id(viewer_key: str | None) -> int | None:
    if viewer_key and viewer_key.startswith("u:") and viewer_key[2:].isdigit():
        return int(viewer_key[2:])
    return None


# --- The update, in Python (the cache backend) and in Lua (Redis) ------------------------------


@dataclass(frozen=True)
class _Update:
    """What one call adds: field -> weight as of `at`; ordered product ids with when ordered; a
    province id (or None: unchanged); the day's counter fields."""

    at: float
    adds: dict[str, float]
    ordered: dict[int, float]
    province_id: int | None = None
    stats: tuple[str, ...] = ()


def _apply(state: dict[str, str], update: _Update) -> dict[str, str]:
    """The profile after `update`, the reference the Lua script below follows step by step."""
    ln2 = math.log(2)
    half = HALF_LIFE.total_seconds()
    last = float(state.get("t", update.at))
    now = max(last, update.at)
    old_factor = math.exp(-(now - last) * ln2 / half)
    new_factor = math.exp(-(now - update.at) * ln2 / half)
    new = {"t": repr(now)}
    if "p" in state:
        new["p"] = state["p"]
    if update.province_id is not None:
        new["p"] = str(update.province_id)
    weights = {kind: {} for kind in KINDS}
    for field, value in state.items():
        kind = field.split(":", 1)[0]
        if kind in KINDS:
            weights[kind][field] = float(value) * old_factor
    for field, weight in update.adds.items():
        bucket = weights[field.split(":", 1)[0]]
        bucket[field] = bucket.get(field, 0.0) + weight * new_factor
    for bucket in weights.values():
        kept = sorted(bucket.items(), key=lambda item: (-item[1], item[0]))[:TOP_N]
        new.update((field, repr(weight)) for field, weight in kept if weight >= MIN_WEIGHT)
    ordered = {field: float(value) for field, value in state.items() if field.startswith(_ORDERED + ":")}
    for product_id, at in update.ordered.items():
        field = f"{_ORDERED}:{product_id}"
        ordered[field] = max(ordered.get(field, 0.0), at)
    fresh = [(at, field) for field, at in ordered.items() if at > now - ORDERED_FOR.total_seconds()]
    new.update((field, repr(at)) for at, field in sorted(fresh, reverse=True)[:ORDERED_MAX])
    return new


# KEYS: the day's counters, then the profile (absent: counters only). ARGV: mode ("any", "existing":
# answer MISSING instead of creating, "create": answer EXISTS instead of adding), at, half-life (s),
# top N, min weight, profile TTL (s), ordered for (s), ordered max, counters TTL (s), province ("" =
# unchanged), then a count and (field, weight) pairs, a count and (product id, ordered at) pairs, a
# count and counter fields. Mirrors `_apply`.
_RECORD = """
local mode, at, half = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local top, floor, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ordered_for, ordered_max, stats_ttl, province = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local i = 11
local adds = {}
for _ = 1, tonumber(ARGV[i]) do adds[#adds + 1] = {ARGV[i + 1], tonumber(ARGV[i + 2])}; i = i + 2 end
i = i + 1
local ordered_now = {}
for _ = 1, tonumber(ARGV[i]) do
  ordered_now[#ordered_now + 1] = {'o:' .. ARGV[i + 1], tonumber(ARGV[i + 2])}; i = i + 2
end
i = i + 1
local stats = tonumber(ARGV[i])
for j = 1, stats do redis.call('HINCRBY', KEYS[1], ARGV[i + j], 1) end
if stats > 0 then redis.call('EXPIRE', KEYS[1], stats_ttl) end
if #KEYS < 2 then return 'OK' end
local P = KEYS[2]
local exists = redis.call('EXISTS', P) == 1
if mode == 'existing' and not exists then return 'MISSING' end
if mode == 'create' and exists then return 'EXISTS' end
local raw = redis.call('HGETALL', P)
local state = {}
for k = 1, #raw, 2 do state[raw[k]] = raw[k + 1] end
local last = tonumber(state['t'] or at)
local now = math.max(last, at)
local old_factor = math.exp(-(now - last) * math.log(2) / half)
local new_factor = math.exp(-(now - at) * math.log(2) / half)
local weights = {c = {}, v = {}, f = {}}
local ordered = {}
for field, value in pairs(state) do
  local kind = string.match(field, '^(%a+):')
  if kind and weights[kind] then weights[kind][field] = tonumber(value) * old_factor
  elseif kind == 'o' then ordered[field] = tonumber(value) end
end
for _, add in ipairs(adds) do
  local bucket = weights[string.match(add[1], '^(%a+):')]
  bucket[add[1]] = (bucket[add[1]] or 0) + add[2] * new_factor
end
for _, o in ipairs(ordered_now) do ordered[o[1]] = math.max(ordered[o[1]] or 0, o[2]) end
local new = {'t', string.format('%.17g', now)}
if province ~= '' then new[#new + 1] = 'p'; new[#new + 1] = province
elseif state['p'] then new[#new + 1] = 'p'; new[#new + 1] = state['p'] end
for _, bucket in pairs(weights) do
  local list = {}
  for field, w in pairs(bucket) do list[#list + 1] = {field, w} end
  table.sort(list, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
  for k = 1, math.min(top, #list) do
    if list[k][2] >= floor then new[#new + 1] = list[k][1]; new[#new + 1] = string.format('%.17g', list[k][2]) end
  end
end
local fresh = {}
for field, t in pairs(ordered) do if t > now - ordered_for then fresh[#fresh + 1] = {field, t} end end
table.sort(fresh, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] > b[1] end)
for k = 1, math.min(ordered_max, #fresh) do
  new[#new + 1] = fresh[k][1]; new[#new + 1] = string.format('%.17g', fresh[k][2])
end
redis.call('DEL', P)
redis.call('HSET', P, unpack(new))
redis.call('EXPIRE', P, ttl)
return 'OK'
"""

# KEYS: a profile. Answers its fields and deletes it, in one step: a login's merge moves the
# browser's profile into the account's, and nothing recorded meanwhile is lost or moved twice.
_TAKE = """
local raw = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return raw
"""


def _args(mode: str, update: _Update) -> list:
    args = [
        mode,
        repr(update.at),
        HALF_LIFE.total_seconds(),
        TOP_N,
        MIN_WEIGHT,
        int(PROFILE_TTL.total_seconds()),
        ORDERED_FOR.total_seconds(),
        ORDERED_MAX,
        int(STATS_TTL.total_seconds()),
        "" if update.province_id is None else str(update.province_id),
        len(update.adds),
    ]
    for field, weight in update.adds.items():
        args += [field, repr(weight)]
    args.append(len(update.ordered))
    for product_id, at in update.ordered.items():
        args += [product_id, repr(at)]
    return [*args, len(update.stats), *update.stats]


class RedisProfiles:
    name = "redis"

    def __init__(self, client):
        self.client = client
        self._record = client.register_script(_RECORD)
        self._take = client.register_script(_TAKE)

    def update(self, viewer_key: str | None, update: _Update, day: datetime.date, mode: str = "any") -> str:
        keys = [stats_key(day)] + ([redis_profile_key(viewer_key)] if viewer_key else [])
        return self._record(keys=keys, args=_args(mode, update)).decode()

    def read(self, viewer_key: str) -> dict:
        return self.client.hgetall(redis_profile_key(viewer_key))

    def take(self, viewer_key: str) -> dict:
        raw = self._take(keys=[redis_profile_key(viewer_key)])
        return dict(zip(raw[::2], raw[1::2], strict=True))

    def stats(self, day: datetime.date) -> dict[str, int]:
        return {field.decode(): int(n) for field, n in self.client.hgetall(stats_key(day)).items()}


class CacheProfiles:
    """The embedded mode's store: Django's cache, which there is local memory, one process, so a
    process lock makes each update atomic as the Lua script does on Redis."""

    name = "cache"
    _lock = threading.Lock()

    def update(self, viewer_key: str | None, update: _Update, day: datetime.date, mode: str = "any") -> str:
        with self._lock:
            if update.stats:
                counters = django_cache.get(stats_key(day)) or {}
                for field in update.stats:
                    counters[field] = counters.get(field, 0) + 1
                django_cache.set(stats_key(day), counters, STATS_TTL.total_seconds())
            if not viewer_key:
                return "OK"
            state = django_cache.get(redis_profile_key(viewer_key))
            if mode == "existing" and state is None:
                return "MISSING"
            if mode == "create" and state is not None:
                return "EXISTS"
            new = _apply(state or {}, update)
            django_cache.set(redis_profile_key(viewer_key), new, PROFILE_TTL.total_seconds())
            return "OK"

    def read(self, viewer_key: str) -> dict:
        return django_cache.get(redis_profile_key(viewer_key)) or {}

    def take(self, viewer_key: str) -> dict:
        with self._lock:
            state = django_cache.get(redis_profile_key(viewer_key)) or {}
            django_cache.delete(redis_profile_key(viewer_key))
            return state

    def stats(self, day: datetime.date) -> dict[str, int]:
        return dict(django_cache.get(stats_key(day)) or {})


def get_profiles():
    if settings.REDIS_URL:
        return _redis_profiles(settings.REDIS_URL)
    return CacheProfiles()


@cache
def _redis_profiles(url: str) -> RedisProfiles:
    from .budget import _client_for  # the one pool per process, with its short timeouts

    return RedisProfiles(_client_for(url))


def unavailable() -> tuple[type[Exception], ...]:
    """The errors of a profile store that is down (Redis's; the cache backend raises none)."""
    import redis

    return (redis.RedisError, OSError)


# --- Recording ------------------------------------------------------------------------------------


def _facts(products: Iterable[Product | int]) -> dict[int, _Facts]:
    objects = {p.pk: p for p in products if isinstance(p, Product)}
    ids = [p for p in products if not isinstance(p, Product)]
    found = {pk: _Facts(c, v, f) for pk, c, v, f in _fact_rows(ids)}
    found.update({pk: _Facts(p.category_id, p.village_id, p.farmer_id) for pk, p in objects.items()})
    return found


def _fact_rows(ids):
    if not ids:
        return []
    return Product.objects.filter(pk__in=ids).values_list("pk", "category_id", "village_id", "farmer_id")


def _adds(facts: Iterable[_Facts], weight: float) -> dict[str, float]:
    adds: dict[str, float] = {}
    for fact in facts:
        fields = [f"c:{fact.category_id}", f"v:{fact.village_id}"]
        if fact.farmer_id is not None:
            fields.append(f"f:{fact.farmer_id}")
        for field in fields:
            adds[field] = adds.get(field, 0.0) + weight
    return adds


def record(
    viewer_keys: Iterable[str],
    event: str,
    product_id: int,
    *,
    now=None,
    product: Product | None = None,
    in_database: bool = False,
):
    """One event of a reader on one product (a Product may be passed to save looking it up)."""
    products = [product if product is not None else product_id]
    record_many(viewer_keys, event, products, now=now, in_database=in_database)


def record_many(
    viewer_keys: Iterable[str],
    event: str,
    products: Iterable[Product | int],
    *,
    now=None,
    province_id=None,
    in_database: bool = False,
) -> None:
    """Events of one kind on several goods (an order's lines) in one update: the reader's profile
    (when they have a key) and the day's counters. `in_database`: the event is already a row a
    rebuild reads (an order, a cart line, a promoted click), so a profile rebuilt now holds it.
    Never raises for the store being down: a page must not fail for the feed's sake."""
    if event not in EVENT_WEIGHTS:
        raise ValueError(f"unknown event {event!r}")
    now = now or timezone.now()
    facts = _facts(list(products))
    if not facts:
        return
    at = now.timestamp()
    update = _Update(
        at=at,
        adds=_adds(facts.values(), EVENT_WEIGHTS[event]),
        ordered=dict.fromkeys(facts, at) if event == "order" else {},
        province_id=province_id,
        stats=tuple(f"{event}:{pk}" for pk in facts),
    )
    key = profile_key(viewer_keys)
    try:
        _update_with_rebuild(get_profiles(), key, update, now, in_database=in_database)
    except unavailable():
        logger.exception("reader profiles unavailable: %s of %s not recorded", event, sorted(facts))


def _update_with_rebuild(profiles, key, update: _Update, now, *, in_database: bool = False) -> None:
    """An account's missing profile is rebuilt before the event is added to it: adding to nothing
    would leave a profile of one event that no rebuild would ever complete. An event the rebuild
    read from the database is not added a second time."""
    mode = "existing" if _account_id(key) else "any"
    for _attempt in range(3):
        if profiles.update(key, update, budget_day(now), mode) != "MISSING":
            return
        _rebuild_into(profiles, key, now)
        if in_database:
            return
        update = _Update(update.at, update.adds, update.ordered, update.province_id)  # counted once
    raise RuntimeError(f"the profile of {key} keeps disappearing")


def set_province(viewer_keys: Iterable[str], province_id: int | None, *, now=None) -> None:
    """The province the reader chose (None: forget the choice). Kept in the profile; an account's
    choice also in the database, so that a rebuilt profile keeps it."""
    now = now or timezone.now()
    key = profile_key(viewer_keys)
    account = _account_id(key)
    if key is None:
        return
    if account is not None:
        if province_id is None:
            ChosenProvince.objects.filter(user_id=account).delete()
        else:
            ChosenProvince.objects.update_or_create(
                user_id=account, defaults={"province_id": province_id, "chosen_at": now}
            )
    update = _Update(at=now.timestamp(), adds={}, ordered={}, province_id=province_id if province_id else 0)
    try:
        _update_with_rebuild(get_profiles(), key, update, now)
    except unavailable():
        logger.exception("reader profiles unavailable: the province of %s not kept", key)


def merge_on_login(viewer_keys: Iterable[str], *, now=None) -> None:
    """The browser's profile moves into the account's (which is rebuilt first if missing): one
    reader, one profile; the browser keeps none of the account's tastes after logging out."""
    keys = list(viewer_keys)
    account = profile_key(keys)
    browsers = [key for key in keys if key.startswith("c:")]
    if not _account_id(account) or not browsers:
        return
    now = now or timezone.now()
    profiles = get_profiles()
    try:
        state = profiles.take(browsers[0])
        if not state:
            return
        state = {_text(k): _text(v) for k, v in state.items()}
        at = float(state.get("t", now.timestamp()))
        update = _Update(
            at=at,
            adds={k: float(v) for k, v in state.items() if k.split(":", 1)[0] in KINDS},
            ordered={int(k[2:]): float(v) for k, v in state.items() if k.startswith(_ORDERED + ":")},
            province_id=int(state["p"]) if state.get("p") and not _has_province(profiles, account) else None,
        )
        _update_with_rebuild(profiles, account, update, now)
    except unavailable():
        logger.exception("reader profiles unavailable: the browser's profile not merged into %s", account)


def forget(viewer_keys: Iterable[str]) -> None:
    """Delete what the feed stored about a reader (every key they are known by): they turned
    personalisation off. The province they chose stays theirs to change (`ChosenProvince`)."""
    profiles = get_profiles()
    for key in viewer_keys:
        try:
            profiles.take(key)
        except unavailable():
            logger.exception("reader profiles unavailable: the profile of %s not deleted", key)


def _has_province(profiles, key: str) -> bool:
    state = {_text(k): _text(v) for k, v in profiles.read(key).items()}
    return state.get("p", "0") != "0"


# --- Reading --------------------------------------------------------------------------------------


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_profile(raw, now: datetime.datetime, key: str | None = None) -> ViewerProfile:
    """A profile from its HGETALL reply (a dict, or the flat list a script returns), decayed to
    `now`; an empty reply is an empty profile."""
    if isinstance(raw, list | tuple):
        raw = dict(zip(raw[::2], raw[1::2], strict=True))
    state = {_text(k): _text(v) for k, v in (raw or {}).items()}
    if not state:
        return ViewerProfile(key=key)
    at = now.timestamp()
    last = float(state.get("t", at))
    factor = math.exp(-max(0.0, at - last) * math.log(2) / HALF_LIFE.total_seconds())
    kinds = {name: {} for name in KINDS.values()}
    ordered = set()
    for field, value in state.items():
        kind, _, ident = field.partition(":")
        if kind in KINDS:
            kinds[KINDS[kind]][int(ident)] = float(value) * factor
        elif kind == _ORDERED and float(value) > at - ORDERED_FOR.total_seconds():
            ordered.add(int(ident))
    province = int(state["p"]) if state.get("p", "0") != "0" else None
    return ViewerProfile(key=key, province_id=province, ordered=frozenset(ordered), **kinds)


def profile_from_reply(viewer_keys: Iterable[str], raw, now=None) -> ViewerProfile:
    """What `load` returns, from the reply to reading `profile_keys` (HGETALL) in the caller's own
    round trip: an account's missing profile is rebuilt here (rare: after a loss, or 90 quiet days)."""
    now = now or timezone.now()
    key = profile_key(viewer_keys)
    if key is None:
        return ANONYMOUS
    if not raw and _account_id(key):
        try:
            raw = _rebuild_into(get_profiles(), key, now)
        except unavailable():
            logger.exception("reader profiles unavailable: %s read as new", key)
            return ViewerProfile(key=key)
    return parse_profile(raw, now, key)


def load(viewer_keys: Iterable[str], *, now=None) -> ViewerProfile:
    """The reader's profile decayed to now; an empty one for a new reader or when the store is
    down (the feed then is the non-personal one), ANONYMOUS for a reader with no key."""
    keys = list(viewer_keys)
    key = profile_key(keys)
    if key is None:
        return ANONYMOUS
    try:
        raw = get_profiles().read(key)
    except unavailable():
        logger.exception("reader profiles unavailable: %s read as new", key)
        return ViewerProfile(key=key)
    return profile_from_reply(keys, raw, now)


def read_stats(day: datetime.date) -> dict[str, int]:
    """The day's per-product counters, {"<event>:<product id>": n}, from whichever store holds them."""
    return get_profiles().stats(day)


# --- Rebuilding -----------------------------------------------------------------------------------


def rebuild_update(user_id: int, now: datetime.datetime) -> _Update:
    """An account's profile from what the database keeps: ordered goods (and the order's address),
    goods in its carts, promoted goods it clicked, and the province it chose. Weights are decayed
    from each event's own time, as they would have been live. Product views are not in the
    database (no browsing history is kept), so a rebuilt profile lacks them."""
    since = now - REBUILD_WINDOW
    events: list[tuple[str, int, datetime.datetime]] = []
    events += [
        ("order", pk, at)
        for pk, at in OrderLine.objects.filter(
            order__user_id=user_id, order__created_at__gt=since, variant__isnull=False
        ).values_list("variant__product_id", "order__created_at")
    ]
    events += [
        ("cart", pk, at)
        for pk, at in CheckoutLine.objects.filter(checkout__user_id=user_id, created_at__gt=since).values_list(
            "variant__product_id", "created_at"
        )
    ]
    events += [
        ("click", pk, at)
        for pk, at in Click.objects.filter(viewer_key=f"u:{user_id}", created_at__gt=since, product__isnull=False)
        .exclude(outcome__in=_NOT_TASTE)
        .values_list("product_id", "created_at")
    ]
    facts = _facts({pk for _event, pk, _at in events})
    at = now.timestamp()
    half = HALF_LIFE.total_seconds()
    adds: dict[str, float] = {}
    ordered: dict[int, float] = {}
    for event, pk, when in events:
        if pk not in facts:
            continue
        decay = math.exp(-max(0.0, at - when.timestamp()) * math.log(2) / half)
        for field, weight in _adds([facts[pk]], EVENT_WEIGHTS[event] * decay).items():
            adds[field] = adds.get(field, 0.0) + weight
        if event == "order":
            ordered[pk] = max(ordered.get(pk, 0.0), when.timestamp())
    return _Update(at=at, adds=adds, ordered=ordered, province_id=_known_province(user_id) or 0)


def _known_province(user_id: int) -> int | None:
    """The later of the province the reader chose and their latest order's shipping province."""
    chosen = ChosenProvince.objects.filter(user_id=user_id).values_list("province_id", "chosen_at").first()
    latest = Order.objects.filter(user_id=user_id).exclude(province="").values_list("province", "created_at").first()
    from_address = None
    if latest is not None:
        from_address = (province_id_for(latest[0]), latest[1])
    candidates = [c for c in (chosen, from_address) if c is not None and c[0] is not None]
    return max(candidates, key=lambda c: c[1])[0] if candidates else None


def province_id_for(address_province: str) -> int | None:
    """The farmers.Province an address's first line names (广东 or 广东省), if the site has it."""
    name = normalise_province(address_province)
    if name is None:
        return None
    for pk, province_name in Province.objects.values_list("pk", "name"):
        if normalise_province(province_name) == name:
            return pk
    return None


def _rebuild_into(profiles, key: str, now) -> dict:
    """Write the account's rebuilt profile unless one appeared meanwhile; answers what is stored."""
    update = rebuild_update(_account_id(key), now)
    profiles.update(key, update, budget_day(now), mode="create")
    return profiles.read(key)


def rebuild(viewer_key: str, *, now=None) -> ViewerProfile:
    """The account's profile rebuilt from the database now (replacing a stored one)."""
    now = now or timezone.now()
    profiles = get_profiles()
    profiles.take(viewer_key)
    return parse_profile(_rebuild_into(profiles, viewer_key, now), now, viewer_key)


def record_order(order, viewer_keys: Iterable[str], *, personal: bool = True) -> None:
    """An order placed: its goods, once the order is committed (a rolled-back order taught nothing),
    and the province it ships to; not `personal`: the goods' counters only."""
    keys = list(viewer_keys) if personal else []
    if personal and order.user_id and f"u:{order.user_id}" not in keys:
        keys.insert(0, f"u:{order.user_id}")
    product_ids = list(
        order.lines.filter(variant__isnull=False).values_list("variant__product_id", flat=True).distinct()
    )
    province = province_id_for(order.province) if order.province else None
    now = order.created_at or timezone.now()
    transaction.on_commit(
        lambda: record_many(keys, "order", product_ids, now=now, province_id=province, in_database=True)
    )
