"""What a feed page needs to know before it is built, in one Redis round trip: whether the reader
gets the personal feed (their browser's word, or their account's saved choice), their profile
(promotion.affinities), the promoted slots they may be shown (targeting, frequency caps and budgets:
serving.serve), the feed's catalogue version (promotion.feed_cache), and, on the way, the product
counters earlier pages left to count (promotion.quality). On Redis all of it is the budget's one
script call (budget._FEED); without the Redis budget the same steps run one after the other.

Pages after the first rank from the profile as it was on the first page: the script keeps a copy
of it (for COPY_SECONDS) under a random token that the page's cursors carry, and reads that copy
instead of the live profile when the cursor names it, so that what the reader does meanwhile (a
product opened, an order) does not reorder the pages they are scrolling through. The copy is keyed
by the reader too: a cursor passed to someone else finds no copy and ranks for them.
"""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from . import affinities, quality
from .budget import NOBODY, BudgetUnavailable, Reader, ReaderKeys, RedisBudget, get_budget, redis_client
from .feed_reader import ANONYMOUS, ViewerProfile
from .serving import Placement, serve
from .targeting import interests

logger = logging.getLogger(__name__)

COPY_SECONDS = 3600
COPY_KEY = "feed:copy:{owner}:{token}"
CHOICE_KEY = "feed:choice:{key}"
CHOICE_SECONDS = int(affinities.PROFILE_TTL.total_seconds())


@dataclass(frozen=True)
class Ask:
    """Who asks for a feed page: the keys they are known by (core.viewers), their browser's word
    on personalisation (the cookie; False too when an API call asked for the plain feed), and
    whether they are signed in (then their account's saved choice decides)."""

    viewer_keys: tuple[str, ...] = ()
    personal: bool = True
    account_id: int | None = None

    @property
    def key(self) -> str | None:
        return affinities.profile_key(self.viewer_keys)


@dataclass
class Trip:
    profile: ViewerProfile
    # The token of the profile copy the page ranked from ("" when it ranked from no profile).
    copy: str
    placements: list[Placement]
    catalogue_version: int | None


def run(ask: Ask | None, wanted: int, now: datetime.datetime, rng, *, kept: str = "", profile=None) -> Trip:
    """The page's reader and promoted slots. `kept` is the copy token of the page's cursor; a
    given `profile` (tests, the simulation) is used as it is and nothing of the reader is read."""
    if profile is not None or ask is None:
        profile = profile if profile is not None else ANONYMOUS
        reader = Reader(profile.key, profile.personal, profile.province_id, interests(profile))
        placements, servable = _serve(wanted, now, rng, reader)
        version = servable.catalogue_version if servable is not None else None
        return Trip(profile, "", placements, version)
    budget = get_budget()
    if isinstance(budget, RedisBudget) and settings.REDIS_URL:
        return _one_call(ask, wanted, now, rng, kept)
    return _step_by_step(ask, wanted, now, rng, kept)


def _serve(wanted, now, rng, reader: Reader):
    """serving.serve, carrying the product counters earlier pages left (on the Redis budget; else
    they are sent on their own); no promoted slot when the budget's store is down (the page is
    still served)."""
    carry = isinstance(get_budget(), RedisBudget)
    counters = quality.take_pending() if carry else {}
    if not carry:
        quality.flush(now)
    try:
        return serve(wanted, now, rng, reader, counters)
    except BudgetUnavailable:
        quality.put_back(counters)
        logger.exception("budget unavailable: feed served without promoted slots")
        return [], None


def _one_call(ask: Ask, wanted, now, rng, kept: str) -> Trip:
    key = ask.key
    if key is None:
        reader = Reader(None, ask.personal)
        placements, servable = _serve(wanted, now, rng, reader)
        return Trip(ViewerProfile(personal=ask.personal), "", placements, _version(servable))
    token = secrets.token_hex(8)
    keys = ReaderKeys(
        account=ask.account_id is not None,
        choice=_redis_key(CHOICE_KEY.format(key=key)),
        profile=affinities.redis_profile_key(key),
        kept=_redis_key(_copy_key(key, kept)) if kept else "",
        new=_redis_key(_copy_key(key, token)),
        copy_ttl=COPY_SECONDS,
        choice_ttl=CHOICE_SECONDS,
    )
    reader = Reader(key, ask.personal, read=keys)
    placements, servable = _serve(wanted, now, rng, reader)
    if servable is not None and servable.choice_missing:
        # After Redis lost it, or never told: the account's choice from the database, kept, and
        # the call made again (nothing was done the first time).
        remember_choice(ask.account_id, _saved_choice(ask.account_id))
        placements, servable = _serve(wanted, now, rng, reader)
    if servable is None or servable.choice_missing:  # Redis down: the plain feed, as for a new reader
        return Trip(ViewerProfile(key=key, personal=ask.personal), "", placements, None)
    if not servable.personal:
        return Trip(ViewerProfile(key=key, personal=False), "", placements, servable.catalogue_version)
    raw = servable.profile
    profile = affinities.profile_from_reply(ask.viewer_keys, raw, now)
    copy = {"kept": kept, "new": token}.get(servable.copy, "")
    return Trip(profile, copy, placements, servable.catalogue_version)


def _step_by_step(ask: Ask, wanted, now, rng, kept: str) -> Trip:
    """The same without the Redis budget: the choice from the database, the profile from its
    store, the copy in Django's cache."""
    key = ask.key
    personal = ask.personal
    if ask.account_id is not None:
        saved = _saved_choice(ask.account_id)
        personal = personal if saved is None else saved
    copy = ""
    if key is None or not personal:
        profile = ViewerProfile(key=key, personal=personal)
    else:
        state = cache.get(_copy_key(key, kept)) if kept else None
        if state is not None:
            profile, copy = affinities.parse_profile(state, now, key), kept
        else:
            profile = affinities.load(ask.viewer_keys, now=now)
            if not profile.is_empty:
                copy = secrets.token_hex(8)
                cache.set(_copy_key(key, copy), _state_of(key), COPY_SECONDS)
    reader = Reader(key, personal, profile.province_id, interests(profile)) if key else NOBODY
    placements, servable = _serve(wanted, now, rng, reader)
    return Trip(profile, copy, placements, _version(servable))


def _state_of(key: str) -> dict:
    try:
        return affinities.get_profiles().read(key)
    except affinities.unavailable():  # no copy: later pages rank from the live profile
        logger.exception("reader profiles unavailable: no copy of %s kept", key)
        return {}


def _version(servable) -> int | None:
    return servable.catalogue_version if servable is not None else None


def _copy_key(key: str, token: str) -> str:
    owner = hashlib.sha256(key.encode()).hexdigest()[:16]
    return COPY_KEY.format(owner=owner, token=token)


def _redis_key(name: str) -> str:
    return f"{settings.PROMOTION_REDIS_PREFIX}:{name}"


def _saved_choice(account_id: int) -> bool | None:
    from .models import ReaderChoice

    return ReaderChoice.objects.filter(user_id=account_id).values_list("personalised", flat=True).first()


def remember_choice(account_id: int, personalised: bool | None) -> None:
    """Keep an account's choice where the feed's call reads it ("-": it never chose)."""
    if not (settings.REDIS_URL and isinstance(get_budget(), RedisBudget)):
        return
    value = "-" if personalised is None else ("1" if personalised else "0")
    try:
        redis_client().set(_redis_key(CHOICE_KEY.format(key=f"u:{account_id}")), value, ex=CHOICE_SECONDS)
    except affinities.unavailable():  # the next page asks the database again
        logger.exception("could not keep the personalisation choice of account %s", account_id)


def forget_copies(viewer_keys) -> None:
    """Delete the profile copies kept for a reader's pages (they turned personalisation off). On
    Redis only: without it copies live in Django's cache, which cannot be searched, and expire
    after COPY_SECONDS."""
    if not settings.REDIS_URL:
        return
    client = redis_client()
    for key in viewer_keys:
        pattern = _redis_key(_copy_key(key, "*"))
        try:
            for name in client.scan_iter(match=pattern, count=500):
                client.delete(name)
        except affinities.unavailable():
            logger.exception("reader profiles unavailable: the copies of %s not deleted", key)
