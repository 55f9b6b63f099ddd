"""The feed's organic goods in order: relevance to the reader × quality × freshness × poverty boost,
then a diversity pass and a share of exploration slots.

Plain arithmetic over `feed_reader.Candidate`s: no query, no Redis, so the same code serves a
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
profile, without reasons; with a given seed and time that order is the same for everyone.

Speed: a `Pool` holds what does not depend on the reader (quality × freshness × poverty, the
tie order, the explorers), computed once for a set of candidates; a reader's ranking is then a few
array operations (numpy) and a diversity pass over only as many positions as the page needs, so
the feed can rank for each request (promotion.feed keeps one Pool per process)."""

import datetime
import itertools
import math
from collections.abc import Sequence

import numpy as np

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

_KINDS = ("category", "farmer", "village")
# Taken off the score of goods the reader ordered lately: below every other candidate.
_HELD = 1e9


class _Short(Exception):
    """The diversity pass reached the end of a queue that was cut short."""


def rank(
    candidates: Sequence[Candidate], profile: ViewerProfile = ANONYMOUS, *, now: datetime.datetime, seed: int
) -> list[tuple[Candidate, Reason | None]]:
    """All the candidates, in feed order, each with why it is shown (None for a reader who turned
    personalisation off). Deterministic for given candidates (in any order), profile, `now` and `seed`."""
    return Pool(candidates, now).rank(profile, seed)


class Pool:
    """Candidates with the reader-independent part of their score, as of `now`."""

    def __init__(self, candidates: Sequence[Candidate], now: datetime.datetime):
        # A canonical order, so that nothing depends on the order the candidates came in.
        self.candidates = sorted(candidates, key=lambda c: c.product_id)
        self.now = now
        found = self.candidates
        self.index_of = {c.product_id: i for i, c in enumerate(found)}
        self.farmer_of = [c.farmer_id for c in found]
        self.village_of = [c.village_id for c in found]
        mean_click = _mean(c.click_rate for c in found)
        mean_order = _mean(c.order_rate for c in found)
        self.quality = np.array([_quality(c, mean_click, mean_order) for c in found], dtype=float)
        self.age_days = np.array([max(0.0, (now - c.created_at).total_seconds() / 86400) for c in found], dtype=float)
        freshness = FRESH_FLOOR + (1 - FRESH_FLOOR) * 0.5 ** (self.age_days / FRESH_HALF_LIFE_DAYS)
        poverty = 1 + POVERTY_BOOST * np.array([c.poverty_gap for c in found], dtype=float)
        self.base = self.quality * freshness * poverty
        # Equal scores: newest first, then the highest id.
        created = np.array([c.created_at.timestamp() for c in found], dtype=float)
        ids = np.array([c.product_id for c in found], dtype=np.int64)
        self.tie = np.empty(len(found), dtype=np.int64)
        self.tie[np.lexsort((-ids, -created))] = np.arange(len(found))
        # Dense numbers for the ids the reader's affinities name.
        self._dense = {}
        for kind, attribute in (("category", "category_id"), ("farmer", "farmer_id"), ("village", "village_id")):
            values = [getattr(c, attribute) for c in found]
            numbers = {value: n for n, value in enumerate(dict.fromkeys(values))}
            self._dense[kind] = (numbers, np.array([numbers[v] for v in values], dtype=np.int64))
        self.province = np.array([c.province_id if c.province_id is not None else -1 for c in found], dtype=np.int64)
        self.explorer = np.array([_explorer(c, now) for c in found], dtype=bool)
        self.bucket = np.array(
            [min(c.impressions, FEW_IMPRESSIONS) // IMPRESSION_BUCKET for c in found], dtype=np.int64
        )
        self._plain = np.lexsort((self.tie, -self.base)).tolist()
        # The explorers by impressions (fewest first), each bucket in a draw fixed for the pool.
        explorers = np.flatnonzero(self.explorer)
        draws = np.random.default_rng(len(found)).random(len(explorers))
        explorers = explorers[np.lexsort((draws, self.bucket[explorers]))]
        buckets = self.bucket[explorers].tolist()
        self._explore_buckets = [
            [int(i) for i, _b in group]
            for _b, group in itertools.groupby(zip(explorers.tolist(), buckets, strict=True), key=lambda x: x[1])
        ]

    def __len__(self) -> int:
        return len(self.candidates)

    def rank(
        self, profile: ViewerProfile = ANONYMOUS, seed: int = 0, upto: int | None = None, start: int = 0
    ) -> list[tuple[Candidate, Reason | None]]:
        """The feed order for this reader, positions `start` to `upto` (the end when None): the
        diversity pass is sequential, so the first positions do not depend on how far it goes."""
        personal = profile.personal
        if not personal:
            profile = ANONYMOUS
        if not self.candidates:
            return []
        total = len(self) if upto is None else min(upto, len(self))
        parts = self._parts(profile)
        held = [i for i in map(self.index_of.get, profile.ordered) if i is not None]
        # Deep enough for the diversity pass to choose from; deeper only if it runs out (_Short).
        depth = min(len(self), 3 * total + 2 * LOOKAHEAD)
        while True:
            main = self._main(parts, held, depth)
            queues = {"main": (main, depth < len(self)), "explore": self._explorers(seed, set(held), depth)}
            try:
                arranged = self._arrange(queues, total)
                break
            except _Short:
                depth = len(self)
        return self._with_reasons(arranged[start:], parts, personal)

    def _main(self, parts, held: list[int], depth: int) -> list[int]:
        """The candidates best first (ordered goods last), the first `depth` of them."""
        if parts is None and not held:
            return self._plain[:depth]
        score = (
            self.base
            if parts is None
            else self.base
            * (RELEVANCE_FLOOR + sum(WEIGHTS[kind] * np.maximum(0.0, part) for kind, part in parts.items()))
        )
        if held:
            score = score.copy()
            score[held] -= _HELD
        if depth < len(self):
            # Only the best `depth` need sorting: every candidate scoring at least the depth-th
            # best (ties included), then sorted exactly.
            cut = -np.partition(-score, depth - 1)[depth - 1]
            chosen = np.flatnonzero(score >= cut)
        else:
            chosen = np.arange(len(self))
        return chosen[np.lexsort((self.tie[chosen], -score[chosen]))][:depth].tolist()

    def _explorers(self, seed: int, held: set[int], depth: int) -> tuple[list[int], bool]:
        """The exploration queue's first `depth` (and whether there are more): fewest impressions
        first; among equals the pool's draw, started at a point that depends on `seed`, so that
        readers (and days) see different newcomers first."""
        out: list[int] = []
        for bucket in self._explore_buckets:
            turn = seed % len(bucket)
            for i in itertools.chain(bucket[turn:], bucket[:turn]):
                if i not in held:
                    if len(out) == depth:
                        return out, True
                    out.append(i)
        return out, False

    def _parts(self, profile: ViewerProfile) -> dict[str, np.ndarray] | None:
        """Each candidate's share of the reader's strongest affinity of each kind; None for a
        reader with none (then relevance is the floor for every candidate)."""
        if not (profile.categories or profile.farmers or profile.villages or profile.province_id is not None):
            return None
        parts = {}
        for kind, affinities in zip(_KINDS, (profile.categories, profile.farmers, profile.villages), strict=True):
            numbers, dense = self._dense[kind]
            scale = max(affinities.values(), default=0.0)
            shares = np.zeros(len(numbers) + 1)
            if scale:
                for ident, weight in affinities.items():
                    if (n := numbers.get(ident)) is not None:
                        shares[n] = weight / scale
            parts[kind] = shares[dense]
        parts["province"] = (self.province == (profile.province_id or -2)).astype(float)
        return parts

    def _with_reasons(self, arranged, parts, personal: bool) -> list[tuple[Candidate, Reason | None]]:
        """Each arranged candidate with why it is shown: the strongest personal signal when strong
        enough, else popular or fresh; "new" for an exploration slot; None when not personal."""
        return [
            (self.candidates[i], self._reason(i, parts, explored) if personal else None) for i, explored in arranged
        ]

    def _reason(self, i: int, parts, explored: bool) -> Reason | None:
        if explored:
            return Reason("new")
        c = self.candidates[i]
        if parts is not None:
            kind, share = max(((k, float(parts[k][i])) for k in WEIGHTS), key=lambda item: WEIGHTS[item[0]] * item[1])
            if share >= REASON_MIN:
                name = {"category": c.category_name, "farmer": c.farmer_name, "village": c.village_name}
                return Reason(kind, name.get(kind, c.province_name))
        if self.quality[i] >= POPULAR_QUALITY:
            return Reason("popular")
        if self.age_days[i] <= FRESH_DAYS:
            return Reason("fresh")
        return None

    def _arrange(self, queues: dict[str, tuple[list[int], bool]], total: int) -> list[tuple[int, bool]]:
        """The diversity and exploration pass: (candidate index, taken as an explorer) per position.
        Taken items stay in their queues, marked, and are skipped: each position scans at most
        LOOKAHEAD items beyond the queues' heads. Each queue comes with whether it is cut short:
        reaching the end of one that is raises _Short (the caller retries with them whole)."""
        placed: set[int] = set()
        out: list[tuple[int, bool]] = []
        heads = {"main": 0, "explore": 0}
        while len(out) < total:
            picked = None
            if len(out) % EXPLORE_EVERY == EXPLORE_EVERY - 1:
                picked = self._take(*queues["explore"], heads, "explore", placed, out)
                explored = picked is not None
            if picked is None:
                picked, explored = self._take(*queues["main"], heads, "main", placed, out, must=True), False
            placed.add(picked)
            out.append((picked, explored))
        return out

    def _take(self, queue: list[int], short: bool, heads, name, placed, out, must=False) -> int | None:
        """The first item within LOOKAHEAD of the queue's head that keeps the diversity rules, or
        failing that the farmer rule alone, or (`must`) the head itself; None when nothing fits."""
        head = heads[name]
        while head < len(queue) and queue[head] in placed:
            head += 1
        heads[name] = head
        if head >= len(queue):
            if short:
                raise _Short
            return None
        last_farmer = self.farmer_of[out[-1][0]] if out else None
        recent = [self.village_of[i] for i, _explored in out[-(VILLAGE_WINDOW - 1) :]]
        farmer_only = None
        seen = 0
        for index in range(head, len(queue)):
            i = queue[index]
            if i in placed:
                continue
            seen += 1
            if seen > LOOKAHEAD:
                break
            if self.farmer_of[i] == last_farmer:
                continue
            if recent.count(self.village_of[i]) < VILLAGE_MAX:
                return i
            if farmer_only is None:
                farmer_only = i
        else:
            if short:  # the scan reached the cut: an item beyond it might have been the one
                raise _Short
        if farmer_only is not None or not must:
            return farmer_only
        return queue[head]


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


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
