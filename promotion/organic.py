"""The feed's organic goods in order: relevance to the reader × quality × freshness × poverty boost,
then a diversity pass and a share of exploration slots.

Plain arithmetic over `feed_reader.Candidate`s: no query, no Redis, so the same function serves a
request, the GraphQL feed and the offline simulation (bench/feed_sim.py).

- Relevance: the reader's affinities to the goods' category, village, farmer and province, each
  scaled to the reader's strongest of its kind, over a floor, so goods unrelated to anything the
  reader did still appear (lower).
- Quality: the smoothed click and order rates (promotion.quality), relative to the candidates'
  mean, so a listing with no history scores 1 and one rate never dominates (a square root each).
- Freshness: halves with listing age, over a floor, so old goods sink but never vanish.
- Poverty: the serving rule, 1 + POVERTY_BOOST × the village's poverty gap.
Goods the reader ordered lately go to the end: bought once, shown again only after everything else.

The diversity pass walks the scored list and takes, at each position, the best item that keeps
two goods of one farmer apart and at most VILLAGE_MAX of one village in any VILLAGE_WINDOW; when
none within LOOKAHEAD can, it relaxes the village rule, then the farmer rule. One position in
EXPLORE_EVERY goes to the exploration pool (goods of farmers new in the last NEW_FARMER_DAYS, or
listings with fewer than FEW_IMPRESSIONS impressions), fewest impressions first and a seeded draw
among equals, so a farmer who just listed is seen within the first pages, in an order that
rotates as the impressions are counted.

A reader who turned personalisation off (`personal=False`) gets exactly the order of an empty
profile, without reasons; with a given seed and time that order is the same for everyone."""

import datetime
import math
import random
from collections.abc import Sequence

from .feed_reader import ANONYMOUS, Candidate, Reason, ViewerProfile
from .serving import POVERTY_BOOST

# What an item unrelated to the reader keeps of its score (a related one gets up to 1 + the weights).
RELEVANCE_FLOOR = 0.15
# How much each kind of affinity counts, at the reader's strongest of that kind.
WEIGHTS = {"category": 1.0, "farmer": 0.8, "village": 0.6, "province": 0.3}
# Below this share of its weight an affinity is too faint to be named as the reason.
REASON_MIN = 0.2
FRESH_HALF_LIFE_DAYS = 14.0
FRESH_FLOOR = 0.3
FRESH_DAYS = 7  # listed within: "fresh"
POPULAR_QUALITY = 1.5  # quality this many times the mean: "popular"
QUALITY_RANGE = (0.25, 4.0)

EXPLORE_EVERY = 5  # positions EXPLORE_EVERY - 1, 2 × EXPLORE_EVERY - 1, ... explore
NEW_FARMER_DAYS = 30
FEW_IMPRESSIONS = 50
IMPRESSION_BUCKET = 10  # listings within this many impressions of each other are drawn as equals

VILLAGE_WINDOW = 5
VILLAGE_MAX = 2
LOOKAHEAD = 60


def rank(
    candidates: Sequence[Candidate], profile: ViewerProfile = ANONYMOUS, *, now: datetime.datetime, seed: int
) -> list[tuple[Candidate, Reason | None]]:
    """All the candidates, in feed order, each with why it is shown (None for a reader who turned
    personalisation off). Deterministic for given candidates, profile, `now` and `seed`."""
    personal = profile.personal
    if not personal:
        profile = ANONYMOUS
    if not candidates:
        return []
    mean_click = _mean(c.click_rate for c in candidates)
    mean_order = _mean(c.order_rate for c in candidates)
    scale = {
        "category": _max(profile.categories),
        "village": _max(profile.villages),
        "farmer": _max(profile.farmers),
    }

    scored: list[tuple[float, Candidate, Reason | None]] = []
    for c in candidates:
        relevance, personal_reason = _relevance(c, profile, scale)
        quality = _quality(c, mean_click, mean_order)
        age_days = max(0.0, (now - c.created_at).total_seconds() / 86400)
        freshness = FRESH_FLOOR + (1 - FRESH_FLOOR) * 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
        score = relevance * quality * freshness * (1 + POVERTY_BOOST * c.poverty_gap)
        reason = None
        if personal:
            reason = personal_reason or _plain_reason(c, quality, age_days, now)
        scored.append((score, c, reason))
    # Best first; equal scores newest first, then by id, so the order never depends on the input's.
    scored.sort(
        key=lambda s: (s[1].product_id in profile.ordered, -s[0], -s[1].created_at.timestamp(), -s[1].product_id)
    )

    rng = random.Random(seed)  # noqa: S311 - a rotation, not a secret
    explorers = [s for s in scored if s[1].product_id not in profile.ordered and _explorer(s[1], now)]
    draws = {s[1].product_id: rng.random() for s in explorers}
    explorers.sort(key=lambda s: (min(s[1].impressions, FEW_IMPRESSIONS) // IMPRESSION_BUCKET, draws[s[1].product_id]))
    return _arrange(scored, explorers, personal)


def _max(affinities: dict[int, float]) -> float:
    return max(affinities.values(), default=0.0)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _relevance(c: Candidate, profile: ViewerProfile, scale: dict[str, float]) -> tuple[float, Reason | None]:
    parts = {
        "category": profile.categories.get(c.category_id, 0.0) / scale["category"] if scale["category"] else 0.0,
        "farmer": profile.farmers.get(c.farmer_id, 0.0) / scale["farmer"] if scale["farmer"] else 0.0,
        "village": profile.villages.get(c.village_id, 0.0) / scale["village"] if scale["village"] else 0.0,
        "province": 1.0 if profile.province_id is not None and profile.province_id == c.province_id else 0.0,
    }
    relevance = RELEVANCE_FLOOR + sum(WEIGHTS[kind] * max(0.0, share) for kind, share in parts.items())
    kind, share = max(parts.items(), key=lambda item: WEIGHTS[item[0]] * item[1])
    if share < REASON_MIN:
        return relevance, None
    name = {"category": c.category_name, "farmer": c.farmer_name, "village": c.village_name}.get(kind, c.province_name)
    return relevance, Reason(kind, name)


def _quality(c: Candidate, mean_click: float, mean_order: float) -> float:
    ratio = 1.0
    if mean_click > 0:
        ratio *= math.sqrt(c.click_rate / mean_click)
    if mean_order > 0:
        ratio *= math.sqrt(c.order_rate / mean_order)
    low, high = QUALITY_RANGE
    return min(high, max(low, ratio))


def _explorer(c: Candidate, now: datetime.datetime) -> bool:
    return c.impressions < FEW_IMPRESSIONS or now - c.farmer_since < datetime.timedelta(days=NEW_FARMER_DAYS)


def _plain_reason(c: Candidate, quality: float, age_days: float, now: datetime.datetime) -> Reason | None:
    if quality >= POPULAR_QUALITY:
        return Reason("popular")
    if age_days <= FRESH_DAYS:
        return Reason("fresh")
    return None


def _arrange(scored, explorers, personal: bool) -> list[tuple[Candidate, Reason | None]]:
    """The diversity and exploration pass. Taken items stay in their queues, marked, and are
    skipped: each position scans at most LOOKAHEAD items beyond the queues' heads."""
    placed: set[int] = set()
    out: list[tuple[Candidate, Reason | None]] = []
    heads = {"main": 0, "explore": 0}
    queues = {"main": scored, "explore": explorers}
    new = Reason("new") if personal else None
    while len(out) < len(scored):
        picked = None
        if len(out) % EXPLORE_EVERY == EXPLORE_EVERY - 1:
            picked = _take(queues["explore"], heads, "explore", placed, out)
            if picked is not None:
                picked = (picked[0], picked[1], new)
        if picked is None:
            picked = _take(queues["main"], heads, "main", placed, out, must=True)
        placed.add(picked[1].product_id)
        out.append((picked[1], picked[2]))
    return out


def _take(queue, heads, name, placed, out, must=False):
    """The first item within LOOKAHEAD of the queue's head that keeps the diversity rules, or
    failing that the farmer rule alone, or (`must`) the head itself; None when nothing fits."""
    head = heads[name]
    while head < len(queue) and queue[head][1].product_id in placed:
        head += 1
    heads[name] = head
    if head >= len(queue):
        return None
    last_farmer = out[-1][0].farmer_id if out else None
    recent = [c.village_id for c, _reason in out[-(VILLAGE_WINDOW - 1) :]]
    farmer_only = None
    seen = 0
    for index in range(head, len(queue)):
        item = queue[index]
        c = item[1]
        if c.product_id in placed:
            continue
        seen += 1
        if seen > LOOKAHEAD:
            break
        if c.farmer_id == last_farmer:
            continue
        if recent.count(c.village_id) < VILLAGE_MAX:
            return item
        if farmer_only is None:
            farmer_only = item
    if farmer_only is not None or not must:
        return farmer_only
    return queue[head]
