"""Check-and-debit of campaign budgets: billed spend never passes a daily or a total cap, whatever
the number of concurrent clicks and web processes.

Two interchangeable backends. With Redis (settings.PROMOTION_BUDGET_BACKEND == "redis") the live
counters are Redis integers in fen and a Lua script checks both caps, the repeat window and debits
in one atomic step, so no database row becomes a hot lock. Without Redis the counters are columns
(`Campaign.spent_fen`, `CampaignDay.spent_fen`) moved by conditional UPDATEs that only succeed when
the cap still holds. Either way the database's `Spend` rows are the record: Redis counters are
seeded from them when missing and reconciled with them every minute.

The same backend answers, for the feed, which of a ranked list of campaigns can still pay for a
click and are under their frequency cap for this reader (and counts their impressions, the
reader's too): on Redis that is one script call, one round trip.
"""

import datetime
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery

from payments.ledger import fen_sum

from .affinities import STATS_TTL, stats_key
from .clock import budget_day
from .models import Campaign, CampaignDay, CampaignState, CampaignViewerDay, Click, ClickOutcome, Spend
from .targeting import EVERYONE, INTEREST_SHARE, INTEREST_TOP, Targets, reaches

REPEAT_WINDOW = datetime.timedelta(minutes=10)
# A Redis counter may be lowered to the ledger's sum only when nothing was debited for this long:
# a debit whose Spend row is not yet committed must not be forgotten.
RECONCILE_QUIET_SECONDS = 120
# Campaigns that stopped within this long are still reconciled: their last impressions and spend
# may not have been folded in yet.
RECONCILE_AFTER_END = datetime.timedelta(days=2)
DAY_KEY_TTL = 3 * 86400
# A reader's count of a capped campaign is read on its own day only; it outlives its last write by
# more than a day.
FREQUENCY_KEY_TTL = 26 * 3600


class BudgetUnavailable(Exception):
    """The live counters cannot be reached: bill nothing, serve no promoted slot."""


@dataclass(frozen=True)
class Charge:
    outcome: str  # a ClickOutcome: BILLED, REPEAT or OVER_BUDGET
    exhausted: bool = False  # after this debit the total cap cannot pay another click


def repeat_key(viewer_key: str) -> str:
    return hashlib.sha256(viewer_key.encode()).hexdigest()[:32]


def ledger_spent_fen(campaign_id: int, day: datetime.date | None = None) -> int:
    spends = Spend.objects.filter(campaign_id=campaign_id)
    if day is not None:
        spends = spends.filter(day=day)
    return spends.aggregate(fen=fen_sum("amount"))["fen"] or 0


class Servable(NamedTuple):
    """The campaigns that can pay a click, best first, and the campaigns' configuration version
    (Redis only: serving retires its index when it changes, see serving.ServingIndex). When the
    call read the reader (`Reader.read`, Redis only): the feed's catalogue version, whether the
    reader gets the personal feed, which copy of their profile was read ('kept', 'new' or '') and
    its fields; `choice_missing` when an account's saved choice was not in Redis (nothing done)."""

    campaigns: list[Campaign]
    config_version: int | None = None
    catalogue_version: int | None = None
    personal: bool | None = None
    copy: str = ""
    profile: list | None = None
    choice_missing: bool = False


@dataclass(frozen=True)
class ReaderKeys:
    """Where the feed's call reads its reader (promotion.feed_trip): an account's saved choice, the
    live profile, the copy the page's cursor names (may be absent) and where to keep a new copy."""

    account: bool
    choice: str
    profile: str
    kept: str
    new: str
    copy_ttl: int
    choice_ttl: int


@dataclass(frozen=True)
class Reader:
    """The reader promoted slots are chosen for: the key frequency caps count by (None: capped
    campaigns are not shown), and what targeting looks at (promotion.targeting), either given or,
    on Redis, read in the same call from `read` (then `personal` is the browser's word)."""

    key: str | None = None
    personal: bool = True
    province_id: int | None = None
    interests: frozenset[int] = frozenset()
    read: ReaderKeys | None = None


NOBODY = Reader()


class DatabaseBudget:
    name = "database"

    def bump_config_version(self) -> None:
        """Nothing to bump: `servable` checks each campaign's state itself."""

    def charge(self, campaign: Campaign, viewer_key: str, now: datetime.datetime) -> Charge:
        """Debit one click in the caller's transaction (so a rollback undoes it). The day row is
        locked first, then the campaign row, always in that order; the repeat check runs after the
        locks, so two clicks of one viewer cannot both pass it."""
        day = budget_day(now)
        amount = campaign.bid_fen
        CampaignDay.objects.get_or_create(campaign_id=campaign.pk, day=day)
        try:
            with transaction.atomic():
                debited_day = CampaignDay.objects.filter(
                    campaign_id=campaign.pk, day=day, spent_fen__lte=campaign.daily_cap_fen - amount
                ).update(spent_fen=F("spent_fen") + amount)
                if not debited_day:
                    return Charge(ClickOutcome.OVER_BUDGET)
                debited_total = Campaign.objects.filter(
                    pk=campaign.pk, spent_fen__lte=campaign.total_cap_fen - amount
                ).update(spent_fen=F("spent_fen") + amount)
                if not debited_total:
                    raise _Undo(ClickOutcome.OVER_BUDGET)
                if _recent_billed_click(campaign.pk, viewer_key, now):
                    raise _Undo(ClickOutcome.REPEAT)
        except _Undo as undo:
            return Charge(undo.outcome)
        spent = Campaign.objects.filter(pk=campaign.pk).values_list("spent_fen", flat=True).get()
        return Charge(ClickOutcome.BILLED, exhausted=spent + amount > campaign.total_cap_fen)

    def servable(
        self,
        ranked: list[Campaign],
        wanted: int,
        now: datetime.datetime,
        reader: Reader = NOBODY,
        targets: dict[int, Targets] | None = None,
        counters: dict[str, int] | None = None,
    ) -> Servable:
        """The counters are read here, in this request (the campaigns may come from a cache). A
        campaign with a frequency cap is taken only when a conditional UPDATE of the reader's row
        still finds it under the cap (never for a reader without a key: they cannot be counted).
        The reader is given (`reader.read` is for Redis); `counters` are the feed's own, kept by
        promotion.affinities' store, not here."""
        if reader.read is not None or counters:
            raise ValueError("the database budget reads no reader and keeps no feed counters")
        targets = targets or {}
        ranked = [c for c in ranked if reaches(targets.get(c.pk, EVERYONE), reader)]
        viewer = reader.key
        if not ranked or wanted <= 0:
            return Servable([])
        day = budget_day(now)
        today = CampaignDay.objects.filter(campaign=OuterRef("pk"), day=day).values("spent_fen")[:1]
        # Still active now (the index may be older): a pause stops serving at once.
        active = Campaign.objects.filter(pk__in=[c.pk for c in ranked], state=CampaignState.ACTIVE)
        counters = {
            pk: (total, today_fen or 0)
            for pk, total, today_fen in active.annotate(
                day_fen=Subquery(today, output_field=IntegerField())
            ).values_list("pk", "spent_fen", "day_fen")
        }
        chosen = []
        for campaign in ranked:
            if len(chosen) == wanted:
                break
            if campaign.pk not in counters or not affordable(campaign, *counters[campaign.pk]):
                continue
            if campaign.frequency_cap and not _count_reader(campaign, viewer, day):
                continue
            chosen.append(campaign)
        if chosen:
            CampaignDay.objects.bulk_create(
                [CampaignDay(campaign_id=c.pk, day=day) for c in chosen], ignore_conflicts=True
            )
            CampaignDay.objects.filter(campaign_id__in=[c.pk for c in chosen], day=day).update(
                impressions=F("impressions") + 1
            )
        return Servable(chosen)

    def reconcile(self, campaign: Campaign, now: datetime.datetime) -> None:
        """The database counters are moved in the same transactions as the Spend rows, so there is
        nothing to reconcile."""


def _count_reader(campaign: Campaign, viewer: str | None, day: datetime.date) -> bool:
    """One more impression of a capped campaign for this reader, if the cap allows it (a
    conditional UPDATE: concurrent requests of one reader cannot both take the last one)."""
    if viewer is None:
        return False
    row = {"campaign_id": campaign.pk, "day": day, "viewer": repeat_key(viewer)}
    CampaignViewerDay.objects.bulk_create([CampaignViewerDay(**row)], ignore_conflicts=True)
    return bool(
        CampaignViewerDay.objects.filter(**row, impressions__lt=campaign.frequency_cap).update(
            impressions=F("impressions") + 1
        )
    )


def forget_old_reader_counts(now: datetime.datetime) -> int:
    """Readers' counts of days before yesterday are of no more use (database path)."""
    deleted, _rows = CampaignViewerDay.objects.filter(day__lt=budget_day(now) - datetime.timedelta(days=1)).delete()
    return deleted


class _Undo(Exception):
    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


def _recent_billed_click(campaign_id: int, viewer_key: str, now: datetime.datetime) -> bool:
    return Click.objects.filter(
        campaign_id=campaign_id,
        viewer_key=viewer_key,
        outcome=ClickOutcome.BILLED,
        # No upper bound: a racing click stamped a moment after `now` is just as much a repeat.
        created_at__gt=now - REPEAT_WINDOW,
    ).exists()


def affordable(campaign: Campaign, spent_fen: int, day_spent_fen: int) -> bool:
    """Whether both caps can pay one more click at the campaign's bid."""
    bid = campaign.bid_fen
    return spent_fen + bid <= campaign.total_cap_fen and day_spent_fen + bid <= campaign.daily_cap_fen


# --- Redis ------------------------------------------------------------------------------------

# KEYS: total, day, seen, last debit. ARGV: amount, total cap, daily cap, repeat window (s), now, day TTL.
_CHARGE = """
local total = redis.call('GET', KEYS[1])
local day = redis.call('GET', KEYS[2])
if not total or not day then return 'SEED' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'REPEAT' end
local amount = tonumber(ARGV[1])
if tonumber(total) + amount > tonumber(ARGV[2]) or tonumber(day) + amount > tonumber(ARGV[3]) then
  return 'OVER'
end
local spent = redis.call('INCRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('SET', KEYS[3], '1', 'EX', ARGV[4])
redis.call('SET', KEYS[4], ARGV[5])
if spent + amount > tonumber(ARGV[2]) then return 'LAST' end
return 'OK'
"""

# The feed's one call a page. KEYS: 1 the campaigns' config version, 2 the feed's catalogue version,
# 3 the day's product counters, 4 the reader's saved choice, 5 the reader's profile, 6 the profile
# copy the page's cursor names, 7 a new copy (keys 3-7 are not read when ARGV[4] is '': pass any
# key). ARGV: 1 wanted, 2 impressions TTL, 3 reader's count TTL, 4 how to know the reader ('' = as
# ARGV 5, 11 and 12 say; 'browser' or 'account' = read their profile, an account's choice first),
# 5 personal by the browser ("1"/"0"), 6 copy TTL, 7 choice TTL, 8 counters TTL, 9 and 10 the
# interests rule (promotion.targeting: top n, share of the strongest), 11 the reader's province
# ("" none) and 12 interests (",1,2," or "") when given, 13 a count of counter increments and
# (field, n) pairs; then the campaigns' key prefix, the day (YYYYMMDD), the reader's hashed key
# ("" none), and the candidate campaigns in rank order, one string: per campaign
# "id|amount|total cap|daily cap|frequency cap|provinces|categories", ";" between campaigns (target
# lists ",1,2," or ""; a frequency cap of 0 is none, -1 a cap that cannot be counted: no reader
# key, not served). The campaigns' keys are built here from the prefix (as `_keys` does): packing
# four keys and six values per campaign cost the request more than the script's work. So the
# budget Redis is one server, not a Cluster (docs/decisions.md).
# Returns {'CHOICE'} (before any write) when an account's choice is not in Redis; else the config
# version, the catalogue version, 1/0 personal, the copy read ('kept', 'new' or ''), the profile's
# fields (flat) and the 0-based ranks chosen.
_FEED = """
local config = tonumber(redis.call('GET', KEYS[1]) or '0')
local catalogue = tonumber(redis.call('GET', KEYS[2]) or '0')
local mode, personal = ARGV[4], ARGV[5] == '1'
if mode == 'account' then
  local choice = redis.call('GET', KEYS[4])
  if not choice then return {'CHOICE'} end
  redis.call('EXPIRE', KEYS[4], ARGV[7])
  if choice == '0' then personal = false elseif choice == '1' then personal = true end
end
local raw, copy, province, interests = {}, '', ARGV[11], ARGV[12]
if mode ~= '' then
  province, interests = '', ''
  if personal then
    if redis.call('EXISTS', KEYS[6]) == 1 then
      raw, copy = redis.call('HGETALL', KEYS[6]), 'kept'
    else
      raw = redis.call('HGETALL', KEYS[5])
      if #raw > 0 then
        redis.call('COPY', KEYS[5], KEYS[7], 'REPLACE')
        redis.call('EXPIRE', KEYS[7], ARGV[6])
        copy = 'new'
      end
    end
    local weights = {}
    for k = 1, #raw, 2 do
      if raw[k] == 'p' then
        if raw[k + 1] ~= '0' then province = raw[k + 1] end
      elseif string.sub(raw[k], 1, 2) == 'c:' and tonumber(raw[k + 1]) > 0 then
        weights[#weights + 1] = {tonumber(raw[k + 1]), tonumber(string.sub(raw[k], 3))}
      end
    end
    table.sort(weights, function(a, b) if a[1] ~= b[1] then return a[1] > b[1] end return a[2] > b[2] end)
    for k = 1, math.min(tonumber(ARGV[9]), #weights) do
      if weights[k][1] >= weights[1][1] * tonumber(ARGV[10]) then interests = interests .. ',' .. weights[k][2] end
    end
    if interests ~= '' then interests = interests .. ',' end
  end
end
local a = 14
local counters = tonumber(ARGV[13])
for _ = 1, counters do redis.call('HINCRBY', KEYS[3], ARGV[a], ARGV[a + 1]); a = a + 2 end
if counters > 0 then redis.call('EXPIRE', KEYS[3], ARGV[8]) end
local prefix, day, counted = ARGV[a], ARGV[a + 1], ARGV[a + 2]
local wanted, chosen, i = tonumber(ARGV[1]), {}, -1
for spec in string.gmatch(ARGV[a + 3], '[^;]+') do
  i = i + 1
  if #chosen >= wanted then break end
  local id, amount, total_cap, daily_cap, cap, provinces, categories =
    string.match(spec, '^(%d+)|(%d+)|(%d+)|(%d+)|(-?%d+)|([^|]*)|([^|]*)$')
  amount, cap = tonumber(amount), tonumber(cap)
  local base = prefix .. ':{c' .. id .. '}'
  local reach = true
  if provinces ~= '' or categories ~= '' then
    if not personal then reach = false
    elseif provinces ~= '' and (province == '' or not string.find(provinces, ',' .. province .. ',', 1, true)) then
      reach = false
    elseif categories ~= '' then
      reach = false
      for id in string.gmatch(interests, '%d+') do
        if string.find(categories, ',' .. id .. ',', 1, true) then reach = true; break end
      end
    end
  end
  local reader = base .. ':freq:' .. day .. ':' .. counted
  if reach then
    local total = tonumber(redis.call('GET', base .. ':spent') or '0')
    local spent_today = tonumber(redis.call('GET', base .. ':day:' .. day) or '0')
    if total + amount <= tonumber(total_cap) and spent_today + amount <= tonumber(daily_cap)
        and (cap == 0 or (cap > 0 and tonumber(redis.call('GET', reader) or '0') < cap)) then
      chosen[#chosen + 1] = i
      local impressions = base .. ':impressions:' .. day
      redis.call('INCR', impressions)
      redis.call('EXPIRE', impressions, ARGV[2])
      if cap > 0 then
        redis.call('INCR', reader)
        redis.call('EXPIRE', reader, ARGV[3])
      end
    end
  end
end
return {config, catalogue, personal and 1 or 0, copy, raw, chosen}
"""

# KEYS: total, day, last debit. ARGV: ledger total, ledger day, now, quiet seconds, day TTL.
# Raising a counter to the ledger is always safe; lowering it only once debits have been quiet.
_RECONCILE = """
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local quiet = tonumber(ARGV[3]) - last >= tonumber(ARGV[4])
local changed = 0
for i = 1, 2 do
  local ledger = tonumber(ARGV[i])
  local current = redis.call('GET', KEYS[i])
  if (not current) or tonumber(current) < ledger or (quiet and tonumber(current) > ledger) then
    if i == 2 then
      redis.call('SET', KEYS[i], ledger, 'EX', ARGV[5])
    else
      redis.call('SET', KEYS[i], ledger)
    end
    changed = changed + 1
  end
end
return changed
"""

# KEYS: impressions. Takes the count out atomically, so increments racing with it are kept.
_TAKE_IMPRESSIONS = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return n
"""


def _config_version_key() -> str:
    return f"{settings.PROMOTION_REDIS_PREFIX}:config-version"


def catalogue_version_key() -> str:
    """The feed's catalogue version (promotion.feed_cache), read in the feed's one call."""
    return f"{settings.PROMOTION_REDIS_PREFIX}:feed:catalogue-version"


def _id_list(ids) -> str:
    """Ids as the feed's script matches them: ",1,2," (empty: none)."""
    return f",{','.join(map(str, sorted(ids)))}," if ids else ""


def _keys(campaign_id: int, day: datetime.date) -> dict[str, str]:
    # A campaign's keys share a hash tag; the feed's script still reads several campaigns' keys at
    # once, so the budget Redis is one server, not a Cluster (docs/decisions.md).
    base = f"{settings.PROMOTION_REDIS_PREFIX}:{{c{campaign_id}}}"
    return {
        "total": f"{base}:spent",
        "day": f"{base}:day:{day:%Y%m%d}",
        "impressions": f"{base}:impressions:{day:%Y%m%d}",
        "last": f"{base}:last-debit",
        "seen": f"{base}:seen:",
        "reader": f"{base}:freq:{day:%Y%m%d}:",
    }


@contextmanager
def _unavailable_on_redis_errors():
    import redis

    try:
        yield
    except redis.RedisError as error:
        raise BudgetUnavailable(str(error)) from error


def redis_client():
    return _client_for(settings.REDIS_URL)


@cache
def _client_for(url: str):
    """One connection pool per process and URL (redis-py re-creates it after a fork)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # Short timeouts and one quick retry: a shopper's click or feed page must not hang on an
    # outage (they go on without promotion, see BudgetUnavailable).
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0, retry=Retry(NoBackoff(), 1))


class RedisBudget:
    name = "redis"

    def __init__(self, client=None):
        self.client = client or redis_client()
        self._charge = self.client.register_script(_CHARGE)
        self._feed = self.client.register_script(_FEED)
        self._reconcile = self.client.register_script(_RECONCILE)
        self._take_impressions = self.client.register_script(_TAKE_IMPRESSIONS)

    def charge(self, campaign: Campaign, viewer_key: str, now: datetime.datetime) -> Charge:
        keys = _keys(campaign.pk, budget_day(now))
        args = [
            campaign.bid_fen,
            campaign.total_cap_fen,
            campaign.daily_cap_fen,
            int(REPEAT_WINDOW.total_seconds()),
            int(now.timestamp()),
            DAY_KEY_TTL,
        ]
        call_keys = [keys["total"], keys["day"], keys["seen"] + repeat_key(viewer_key), keys["last"]]
        with _unavailable_on_redis_errors():
            answer = self._charge_once(campaign, keys, call_keys, args, now)
        if answer in ("OK", "LAST"):
            return Charge(ClickOutcome.BILLED, exhausted=answer == "LAST")
        return Charge(ClickOutcome.REPEAT if answer == "REPEAT" else ClickOutcome.OVER_BUDGET)

    def _charge_once(self, campaign, keys, call_keys, args, now) -> str:
        for _attempt in range(3):
            answer = self._charge(keys=call_keys, args=args).decode()
            if answer != "SEED":
                break
            self._seed(campaign.pk, keys, budget_day(now))
        else:
            raise RuntimeError(f"budget counters of campaign {campaign.pk} keep disappearing")
        return answer

    def _seed(self, campaign_id: int, keys: dict, day: datetime.date) -> None:
        """First click of a campaign or of a day, or Redis lost its data: start from the ledger.
        NX, so a concurrent seeder or debit is never overwritten."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(keys["total"], ledger_spent_fen(campaign_id), nx=True)
        pipe.set(keys["day"], ledger_spent_fen(campaign_id, day), nx=True, ex=DAY_KEY_TTL)
        pipe.execute()

    def servable(
        self,
        ranked: list[Campaign],
        wanted: int,
        now: datetime.datetime,
        reader: Reader = NOBODY,
        targets: dict[int, Targets] | None = None,
        counters: dict[str, int] | None = None,
    ) -> Servable:
        """One script call (`_FEED`): targeting, frequency caps (against the reader's count, a key
        per campaign, day and hashed viewer key) and budgets checked, impressions counted, and, when
        `reader.read`, the reader's choice and profile read in the same step; `counters` (the feed's
        product counters, promotion.quality) are added to the day's hash on the way."""
        read = reader.read
        if read is None and not counters and (not ranked or wanted <= 0):
            return Servable([])
        day = budget_day(now)
        stats = stats_key(day)
        counted = repeat_key(reader.key) if reader.key is not None else None
        province = "" if reader.province_id is None else str(reader.province_id)
        interests = _id_list(reader.interests)
        if read is None:
            mode, reader_keys, copy_ttl, choice_ttl = "", [stats] * 4, 0, 0
        else:
            mode = "account" if read.account else "browser"
            reader_keys, copy_ttl, choice_ttl = (
                [read.choice, read.profile, read.kept or read.new, read.new],
                read.copy_ttl,
                read.choice_ttl,
            )
        keys = [_config_version_key(), catalogue_version_key(), stats, *reader_keys]
        args = [wanted, DAY_KEY_TTL, FREQUENCY_KEY_TTL, mode, "1" if reader.personal else "0", copy_ttl, choice_ttl]
        args += [int(STATS_TTL.total_seconds()), INTEREST_TOP, INTEREST_SHARE, province, interests, len(counters or {})]
        for field, n in (counters or {}).items():
            args += [field, n]
        targets = targets or {}
        specs = [_spec(campaign, targets.get(campaign.pk, EVERYONE), counted is None) for campaign in ranked]
        args += [settings.PROMOTION_REDIS_PREFIX, f"{day:%Y%m%d}", counted or "", ";".join(specs)]
        with _unavailable_on_redis_errors():
            reply = self._feed(keys=keys, args=args)
        if reply == [b"CHOICE"]:
            return Servable([], choice_missing=True)
        config, catalogue, personal, copy, raw, chosen = reply
        return Servable(
            [ranked[i] for i in chosen],
            int(config),
            int(catalogue),
            bool(personal),
            copy.decode(),
            raw if read is not None else None,
        )

    def bump_config_version(self) -> None:
        with _unavailable_on_redis_errors():
            self.client.incr(_config_version_key())

    def reconcile(self, campaign: Campaign, now: datetime.datetime) -> None:
        """Bring Redis in line with the ledger, fold the impressions counted in Redis into the
        database, and write the ledger's sums into the database counters (shown in the admin)."""
        day = budget_day(now)
        keys = _keys(campaign.pk, day)
        total, today = ledger_spent_fen(campaign.pk), ledger_spent_fen(campaign.pk, day)
        self._reconcile(
            keys=[keys["total"], keys["day"], keys["last"]],
            args=[total, today, int(now.timestamp()), RECONCILE_QUIET_SECONDS, DAY_KEY_TTL],
        )
        for counted_day in (day - datetime.timedelta(days=1), day):
            taken = int(self._take_impressions(keys=[_keys(campaign.pk, counted_day)["impressions"]]))
            if taken:
                row, _created = CampaignDay.objects.get_or_create(campaign_id=campaign.pk, day=counted_day)
                CampaignDay.objects.filter(pk=row.pk).update(impressions=F("impressions") + taken)
        Campaign.objects.filter(pk=campaign.pk).update(spent_fen=total)
        CampaignDay.objects.update_or_create(campaign_id=campaign.pk, day=day, defaults={"spent_fen": today})


def _spec(campaign: Campaign, aim: Targets, unknown_reader: bool) -> str:
    """A campaign as `_FEED` reads it: id, bid, caps, frequency cap (-1: capped, and the reader
    cannot be counted), provinces, categories. Kept on the campaign object, which lives as long as
    the serving index that holds it (rebuilt when any campaign changes), and made again if the
    object's figures or targets were changed in place."""
    figures = (aim, campaign.pk, campaign.bid, campaign.total_cap, campaign.daily_cap, campaign.frequency_cap)
    kept = campaign.__dict__.get("_feed_spec")
    if kept is None or kept[0] != figures:
        head = f"{campaign.pk}|{campaign.bid_fen}|{campaign.total_cap_fen}|{campaign.daily_cap_fen}|"
        tail = f"|{_id_list(aim.provinces)}|{_id_list(aim.categories)}"
        cap = campaign.frequency_cap or 0
        kept = (figures, f"{head}{cap}{tail}", f"{head}{-1 if cap else 0}{tail}")
        campaign.__dict__["_feed_spec"] = kept
    return kept[2] if unknown_reader else kept[1]


def get_budget():
    if settings.PROMOTION_BUDGET_BACKEND == "redis":
        return _redis_budget(settings.REDIS_URL)
    return DatabaseBudget()


def reconcile_campaigns(now: datetime.datetime) -> int:
    """Every campaign that ran lately: live counters brought in line with the Spend ledger,
    impressions folded into the database (the minute task). Returns how many were looked at."""
    budget = get_budget()
    recent = Q(ends_at__isnull=True) | Q(ends_at__gt=now - RECONCILE_AFTER_END)
    campaigns = list(Campaign.objects.exclude(state=CampaignState.DRAFT).filter(recent))
    for campaign in campaigns:
        budget.reconcile(campaign, now)
    forget_old_reader_counts(now)
    return len(campaigns)


@cache
def _redis_budget(url: str) -> RedisBudget:
    """Made once per process and URL: registering the scripts hashes them, not work for each request."""
    return RedisBudget(_client_for(url))
