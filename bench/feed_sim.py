"""Offline simulation: does a feed that knows its reader get more clicks, and at whose expense?

    .venv/bin/python bench/feed_sim.py [--seed 1] [--viewers 400] [--days 14] [--rankers today,organic]

The demo catalogue (`manage.py seed_demo --orders 0`) is seeded into a throwaway SQLite database
(or --database PATH, kept and reused on the next run); the goods the feed may show are read from it
once (`promotion.feed.organic_products`: visible, in stock, newest first), and the rest runs in
memory: no server, no Redis.

Synthetic viewers have hidden preferences: most like one to three categories (weights from a flat
Dirichlet draw, categories with more goods liked more often), some also live in one of the
catalogue's provinces and like its goods (the feed knows that province for half of them: an
address), and some like nothing in particular. Each day a viewer comes back with a probability of
their own and reads the feed: a page of PAGE_GOODS goods (a feed page of 20 holds about 12 goods
between its stories and promoted slots), then another page with probability MORE_PAGES. The click
model: a card at position p (counted over the whole visit) is looked at with probability
LOOK_DECAY**p and then clicked with probability BASE + LIKED x the category's weight (+ LOCAL for
goods of the viewer's province), times the goods' hidden appeal (log-normal, mean 1), halved for
goods the viewer clicked before and cut to a fifth for goods they ordered. A click is followed by an
order with probability ORDER_BASE + ORDER_LIKED x the category's weight (+ ORDER_LOCAL).

What a viewer does feeds back into what the feed knows, as in the site: a click records "click" and
"view" (the product page opens), an order "cart" and "order", into decayed affinities to the
category, village and farmer (`Affinities`: the rule of promotion/affinities.py, weights per event,
a half-life, a bounded number of entries per kind); and the day's impressions, clicks and orders of
every product are folded each night into smoothed click and order rates (`Quality`), which the
Candidates carry into the next day.

Each ranker (the first is the baseline, today's newest-first order) serves the same viewers with the
same random draws (common random numbers), each in a world of its own, since what it shows changes
what its viewers are known to like. Reported per ranker: clicks and orders per 1,000 feed views
(pages), the share of impressions that reach the poorest third of villages (by poverty gap), and the
Gini coefficient of impressions across sellers (farmers and cooperatives, those never shown
included). Targets for every other ranker against the baseline: at least +30% clicks, the
poorest-third share not lower, the Gini not higher. Exit status 1 on a miss.
"""

import argparse
import dataclasses
import datetime
import io
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from promotion.feed_reader import Candidate, ViewerProfile  # noqa: E402 - plain dataclasses, no Django

# --- The world ---------------------------------------------------------------------------------

# Fixed, so the figures do not depend on the day of the run: the simulation's first day.
START = datetime.datetime(2025, 11, 3, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
LISTED_OVER_DAYS = 90  # the demo's goods are all listed within seconds: spread them over this many days

# Viewers.
NO_PREFERENCE_SHARE = 0.2
LOCAL_SHARE = 0.3  # live in one of the catalogue's provinces and like its goods
PROVINCE_KNOWN_SHARE = 0.5  # of those, the feed knows the province
ACTIVITY = (0.2, 0.8)  # a viewer's chance of coming back on a day, drawn uniformly

# A visit.
PAGE_GOODS = 12
MORE_PAGES = 0.4
MAX_PAGES = 4

# The click model.
LOOK_DECAY = 0.9
BASE = 0.03
LIKED = 0.35
LOCAL = 0.10
APPEAL_SIGMA = 0.4
AGAIN_CLICKED = 0.5
AGAIN_ORDERED = 0.2
ORDER_BASE = 0.05
ORDER_LIKED = 0.25
ORDER_LOCAL = 0.05

# Targets.
TARGET_CLICK_LIFT = 0.30


# --- Metrics -----------------------------------------------------------------------------------


def gini(values: Iterable[float]) -> float:
    """The Gini coefficient of non-negative values: 0 when all are equal, (n-1)/n when one holds
    everything. Zeros count (a seller never shown is part of the inequality); all zero gives 0."""
    ordered = sorted(values)
    if any(v < 0 for v in ordered):
        raise ValueError("gini takes non-negative values")
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def poorest_third(gaps: dict[int, float]) -> set[int]:
    """The poorest third of villages (id -> poverty gap): the ceil(n/3) with the largest gap, ties
    broken by the smaller id so that the set is the same on every run."""
    ranked = sorted(gaps, key=lambda village: (-gaps[village], village))
    return set(ranked[: math.ceil(len(ranked) / 3)])


def poorest_third_share(impressions: dict[int, int], gaps: dict[int, float]) -> float:
    """The share of impressions (village id -> count) that went to the poorest third of the villages
    in `gaps`; 0 when there were none."""
    total = sum(impressions.values())
    if not total:
        return 0.0
    poorest = poorest_third(gaps)
    return sum(count for village, count in impressions.items() if village in poorest) / total


# --- The catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """The goods the feed may show, in today's order (newest first), as ranking sees them, with
    what the metrics need: each product's seller and each village's poverty gap."""

    candidates: tuple[Candidate, ...]
    sellers: dict[int, str]  # product id -> "farmer:<id>" or "cooperative:<id>"
    gaps: dict[int, float]  # village id -> poverty gap

    @property
    def seller_keys(self) -> set[str]:
        return set(self.sellers.values())


def load_catalogue(listed_over_days: int = LISTED_OVER_DAYS) -> Catalogue:
    """Read the feed's goods from the database (Django set up). Listing dates are spread evenly over
    `listed_over_days` before START, keeping today's order, so that freshness and a farmer's first
    listing mean something; a cooperative's goods carry the cooperative's id negated as farmer_id."""
    from promotion.feed import organic_products
    from promotion.serving import poverty_gap

    rows = list(
        organic_products().values_list(
            "pk",
            "farmer_id",
            "cooperative_id",
            "village_id",
            "village__county__province_id",
            "category_id",
            "village__poverty_line",
            "village__baseline_income",
        )
    )
    step = datetime.timedelta(days=listed_over_days) / max(len(rows), 1)
    listed = {row[0]: START - step * (index + 1) for index, row in enumerate(rows)}
    sellers = {pk: f"farmer:{farmer}" if farmer else f"cooperative:{coop}" for pk, farmer, coop, *_ in rows}
    first_listing: dict[str, datetime.datetime] = {}
    for pk, seller in sellers.items():
        first_listing[seller] = min(first_listing.get(seller, listed[pk]), listed[pk])
    candidates, gaps = [], {}
    for pk, farmer, coop, village, province, category, line, income in rows:
        gaps[village] = poverty_gap(line, income)
        candidates.append(
            Candidate(
                product_id=pk,
                farmer_id=farmer if farmer else -coop,
                village_id=village,
                province_id=province,
                category_id=category,
                created_at=listed[pk],
                farmer_since=first_listing[sellers[pk]],
                poverty_gap=gaps[village],
            )
        )
    return Catalogue(tuple(candidates), sellers, gaps)


# --- What the feed learns ----------------------------------------------------------------------


class Affinities:
    """Decayed affinities per viewer to categories, villages and farmers: the rule of
    promotion/affinities.py, in memory. An event adds its
    weight to the product's category, village and farmer (none for a cooperative's goods); weights
    halve every HALF_LIFE; each kind keeps its TOP_N strongest, dropping those under MIN_WEIGHT; goods
    ordered within ORDERED_FOR are held in `ordered`. The constants are the site's own."""

    KINDS = ("categories", "villages", "farmers")

    def __init__(self):
        from promotion import affinities  # Django is set up by now

        self.WEIGHTS = affinities.EVENT_WEIGHTS
        self.HALF_LIFE = affinities.HALF_LIFE
        self.TOP_N = affinities.TOP_N
        self.MIN_WEIGHT = affinities.MIN_WEIGHT
        self.ORDERED_FOR = affinities.ORDERED_FOR
        # viewer key -> kind -> id -> weight, all as of the viewer's last update
        self._weights: dict[str, dict[str, dict[int, float]]] = {}
        self._updated: dict[str, datetime.datetime] = {}
        self._ordered: dict[str, dict[int, datetime.datetime]] = defaultdict(dict)

    def _now(self, viewer_key: str, now: datetime.datetime) -> dict[str, dict[int, float]]:
        """The viewer's weights decayed to `now` (lazily, as the site does at each update)."""
        kinds = self._weights.get(viewer_key, {kind: {} for kind in self.KINDS})
        factor = 0.5 ** ((now - self._updated.get(viewer_key, now)) / self.HALF_LIFE)
        return {kind: {key: weight * factor for key, weight in weights.items()} for kind, weights in kinds.items()}

    def record(self, viewer_key: str, event: str, candidate: Candidate, now: datetime.datetime) -> None:
        kinds = self._now(viewer_key, now)
        ids = {"categories": candidate.category_id, "villages": candidate.village_id, "farmers": candidate.farmer_id}
        if candidate.farmer_id < 0:  # a cooperative's goods (load_catalogue)
            del ids["farmers"]
        for kind, key in ids.items():
            kinds[kind][key] = kinds[kind].get(key, 0.0) + self.WEIGHTS[event]
        for kind, weights in kinds.items():
            kept = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[: self.TOP_N]
            kinds[kind] = {key: weight for key, weight in kept if weight >= self.MIN_WEIGHT}
        self._weights[viewer_key], self._updated[viewer_key] = kinds, now
        if event == "order":
            self._ordered[viewer_key][candidate.product_id] = now

    def profile(self, viewer_key: str, province_id: int | None, now: datetime.datetime) -> ViewerProfile:
        ordered = frozenset(pk for pk, at in self._ordered[viewer_key].items() if now - at < self.ORDERED_FOR)
        return ViewerProfile(key=viewer_key, province_id=province_id, ordered=ordered, **self._now(viewer_key, now))


class Quality:
    """The day's impressions, clicks and orders per product, folded each night into smoothed rates
    by promotion.quality's own rule (`smoothed`, its prior weights; an order rate per visit, a
    visit being a feed click here), and the impressions counted so far (exploration's "few
    impressions")."""

    def __init__(self):
        self.impressions: Counter = Counter()
        self.clicks: Counter = Counter()
        self.orders: Counter = Counter()

    def fold(self, candidates: Iterable[Candidate]) -> list[Candidate]:
        from promotion import quality  # Django is set up by now

        shown, clicked, ordered = (sum(counts.values()) for counts in (self.impressions, self.clicks, self.orders))
        mean_click = quality.smoothed(clicked, shown, quality.DEFAULT_CLICK_RATE, quality.CLICK_PRIOR_WEIGHT)
        mean_order = quality.smoothed(ordered, clicked, quality.DEFAULT_ORDER_RATE, quality.ORDER_PRIOR_WEIGHT)
        folded = []
        for c in candidates:
            pk = c.product_id
            visits = max(self.clicks[pk], self.orders[pk])
            folded.append(
                dataclasses.replace(
                    c,
                    click_rate=quality.smoothed(
                        self.clicks[pk], self.impressions[pk], mean_click, quality.CLICK_PRIOR_WEIGHT
                    ),
                    order_rate=quality.smoothed(self.orders[pk], visits, mean_order, quality.ORDER_PRIOR_WEIGHT),
                    impressions=self.impressions[pk],
                )
            )
        return folded


# --- Viewers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    key: str
    likes: dict[int, float]  # category id -> weight (summing to 1); empty: no preference
    province_id: int | None  # where they live, when it is one of the catalogue's provinces
    province_known: bool  # the feed knows it (an address)
    activity: float  # chance of coming back on a given day

    def known_province(self) -> int | None:
        return self.province_id if self.province_known else None


def make_viewers(count: int, catalogue: Catalogue, rng: random.Random) -> list[Viewer]:
    goods_per_category = Counter(c.category_id for c in catalogue.candidates)
    categories, weights = list(goods_per_category), list(goods_per_category.values())
    provinces = sorted({c.province_id for c in catalogue.candidates if c.province_id is not None})
    viewers = []
    for n in range(count):
        likes: dict[int, float] = {}
        if rng.random() >= NO_PREFERENCE_SHARE:
            liked: set[int] = set()
            wanted = min(rng.randint(1, 3), len(categories))
            while len(liked) < wanted:
                liked.add(rng.choices(categories, weights)[0])
            draws = {category: rng.gammavariate(1.0, 1.0) for category in sorted(liked)}
            total = sum(draws.values())
            likes = {category: draw / total for category, draw in draws.items()}
        local = bool(provinces) and rng.random() < LOCAL_SHARE
        viewers.append(
            Viewer(
                key=f"c:sim-{n}",
                likes=likes,
                province_id=rng.choice(provinces) if local else None,
                province_known=local and rng.random() < PROVINCE_KNOWN_SHARE,
                activity=rng.uniform(*ACTIVITY),
            )
        )
    return viewers


def hidden_appeal(catalogue: Catalogue, rng: random.Random) -> dict[int, float]:
    """How much each product appeals whoever looks at it (photo, price): log-normal with mean 1."""
    mu = -(APPEAL_SIGMA**2) / 2
    return {c.product_id: rng.lognormvariate(mu, APPEAL_SIGMA) for c in catalogue.candidates}


def click_chance(viewer: Viewer, c: Candidate, position: int, appeal: float, clicked: bool, ordered: bool) -> float:
    liking = BASE + LIKED * viewer.likes.get(c.category_id, 0.0)
    if viewer.province_id is not None and c.province_id == viewer.province_id:
        liking += LOCAL
    chance = LOOK_DECAY**position * liking * appeal
    if ordered:
        chance *= AGAIN_ORDERED
    elif clicked:
        chance *= AGAIN_CLICKED
    return min(chance, 0.95)


def order_chance(viewer: Viewer, c: Candidate) -> float:
    chance = ORDER_BASE + ORDER_LIKED * viewer.likes.get(c.category_id, 0.0)
    if viewer.province_id is not None and c.province_id == viewer.province_id:
        chance += ORDER_LOCAL
    return chance


# --- Rankers -----------------------------------------------------------------------------------

# (candidates in today's order, the viewer's profile, now, seed) -> the candidates in feed order.
Ranker = Callable[[list[Candidate], ViewerProfile, datetime.datetime, int], list[Candidate]]


def today_order(candidates: list[Candidate], profile: ViewerProfile, now: datetime.datetime, seed: int):
    """Today's feed: the same newest-first list for everyone (the catalogue comes in that order)."""
    return list(candidates)


def stand_in(candidates: list[Candidate], profile: ViewerProfile, now: datetime.datetime, seed: int):
    """A trivial personal order, to test the harness without promotion.organic: goods of the
    reader's strongest categories first (newest first among equals), ordered goods left out."""
    kept = [c for c in candidates if c.product_id not in profile.ordered]
    return sorted(kept, key=lambda c: -profile.categories.get(c.category_id, 0.0))


def shuffled(candidates: list[Candidate], profile: ViewerProfile, now: datetime.datetime, seed: int):
    """A random order per visit: how much of a lift mere rotation gets, knowing nothing of the reader."""
    order = list(candidates)
    random.Random(seed).shuffle(order)
    return order


def organic_ranker() -> Ranker | None:
    """promotion.organic.rank, when this branch has it (the ranking helper's)."""
    try:
        from promotion.organic import rank
    except ImportError:
        return None

    def organic(candidates, profile, now, seed):
        return [candidate for candidate, _reason in rank(candidates, profile, now=now, seed=seed)]

    return organic


def available_rankers() -> dict[str, Ranker]:
    rankers = {"today": today_order, "shuffled": shuffled, "standin": stand_in}
    organic = organic_ranker()
    if organic is not None:
        rankers["organic"] = organic
    return rankers


# --- The simulation ----------------------------------------------------------------------------


@dataclass
class Figures:
    ranker: str
    feed_views: int = 0
    impressions: int = 0
    clicks: int = 0
    orders: int = 0
    seconds: float = 0.0
    by_village: Counter = field(default_factory=Counter)
    by_seller: Counter = field(default_factory=Counter)
    poorest_share: float = 0.0
    gini: float = 0.0

    @property
    def clicks_per_1000(self) -> float:
        return 1000 * self.clicks / self.feed_views if self.feed_views else 0.0

    @property
    def orders_per_1000(self) -> float:
        return 1000 * self.orders / self.feed_views if self.feed_views else 0.0


def _stream(seed: int, *names) -> random.Random:
    return random.Random(":".join(str(n) for n in ("feed-sim", seed, *names)))


def simulate(catalogue: Catalogue, name: str, ranker: Ranker, *, viewers: int, days: int, seed: int) -> Figures:
    """Serve `viewers` synthetic viewers for `days` days with `ranker`. The viewers, their visits
    and their dice are drawn from `seed` alone, so every ranker meets the same people."""
    began = time.perf_counter()
    people = make_viewers(viewers, catalogue, _stream(seed, "viewers"))
    appeal = hidden_appeal(catalogue, _stream(seed, "appeal"))
    affinities, quality = Affinities(), Quality()
    figures = Figures(name)
    candidates = list(catalogue.candidates)
    clicked: dict[str, set[int]] = defaultdict(set)
    for day in range(days):
        for viewer in people:
            visit = _stream(seed, "visit", viewer.key, day)
            if visit.random() >= viewer.activity:
                continue
            now = START + datetime.timedelta(days=day, seconds=visit.randrange(14 * 3600))
            profile = affinities.profile(viewer.key, viewer.known_province(), now)
            shown = ranker(candidates, profile, now, visit.randrange(2**31))
            pages = 1
            while pages < MAX_PAGES and visit.random() < MORE_PAGES:
                pages += 1
            for position, c in enumerate(shown[: pages * PAGE_GOODS]):
                figures.impressions += 1
                figures.by_village[c.village_id] += 1
                figures.by_seller[catalogue.sellers[c.product_id]] += 1
                quality.impressions[c.product_id] += 1
                chance = click_chance(
                    viewer,
                    c,
                    position,
                    appeal[c.product_id],
                    c.product_id in clicked[viewer.key],
                    c.product_id in profile.ordered,
                )
                # Two draws per card whatever happens, so that the dice stay aligned across rankers.
                click_draw, order_draw = visit.random(), visit.random()
                if click_draw >= chance:
                    continue
                figures.clicks += 1
                quality.clicks[c.product_id] += 1
                clicked[viewer.key].add(c.product_id)
                affinities.record(viewer.key, "click", c, now)
                affinities.record(viewer.key, "view", c, now)
                if order_draw < order_chance(viewer, c):
                    figures.orders += 1
                    quality.orders[c.product_id] += 1
                    affinities.record(viewer.key, "cart", c, now)
                    affinities.record(viewer.key, "order", c, now)
            figures.feed_views += min(pages, math.ceil(len(shown) / PAGE_GOODS))
        candidates = quality.fold(candidates)
    for seller in catalogue.seller_keys:
        figures.by_seller.setdefault(seller, 0)
    figures.poorest_share = poorest_third_share(figures.by_village, catalogue.gaps)
    figures.gini = gini(figures.by_seller.values())
    figures.seconds = time.perf_counter() - began
    return figures


@dataclass(frozen=True)
class Verdict:
    what: str
    figure: str
    target: str
    passed: bool


def judge(baseline: Figures, other: Figures) -> list[Verdict]:
    lift = other.clicks_per_1000 / baseline.clicks_per_1000 - 1 if baseline.clicks_per_1000 else math.inf
    return [
        Verdict(
            "clicks per 1,000 feed views", f"{lift:+.1%}", f">= {TARGET_CLICK_LIFT:+.0%}", lift >= TARGET_CLICK_LIFT
        ),
        Verdict(
            "share of impressions in the poorest third of villages",
            f"{other.poorest_share:.3f} vs {baseline.poorest_share:.3f}",
            "must not fall",
            round(other.poorest_share, 9) >= round(baseline.poorest_share, 9),
        ),
        Verdict(
            "Gini of impressions across sellers",
            f"{other.gini:.3f} vs {baseline.gini:.3f}",
            "must not rise",
            round(other.gini, 9) <= round(baseline.gini, 9),
        ),
    ]


# --- Running it --------------------------------------------------------------------------------


def prepare_database(path: Path, demo_seed: int) -> None:
    """Django on the SQLite file `path` (embedded: no Redis, eager tasks, media beside it), migrated
    and seeded with the demo unless it already is."""
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "OPENSEARCH_URL", "PROMOTION_BUDGET_BACKEND"):
        os.environ.pop(name, None)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["MEDIA_ROOT"] = str(path.parent / "media")
    os.environ["PRIVATE_MEDIA_ROOT"] = str(path.parent / "private-media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from demo import seed as demo_seed_module

    call_command("migrate", verbosity=0, interactive=False)
    if not demo_seed_module.is_seeded():
        call_command("seed_demo", seed=demo_seed, orders=0, stdout=io.StringIO())


def report(catalogue: Catalogue, results: list[Figures], args) -> bool:
    """Print the figures and the verdicts; True when every target is met."""
    print(
        f"Feed simulation: {len(catalogue.candidates)} goods of {len(catalogue.seller_keys)} sellers in "
        f"{len(catalogue.gaps)} villages (demo seed {args.demo_seed}); {args.viewers} viewers over {args.days} days "
        f"(seed {args.seed}); pages of {PAGE_GOODS} goods"
    )
    print(
        f"{'ranker':<10} {'feed views':>10} {'impressions':>11} {'clicks':>7} {'orders':>7} {'clicks/1000':>11} "
        f"{'orders/1000':>11} {'poorest 1/3':>11} {'Gini':>6} {'time':>6}"
    )
    for f in results:
        print(
            f"{f.ranker:<10} {f.feed_views:>10} {f.impressions:>11} {f.clicks:>7} {f.orders:>7} "
            f"{f.clicks_per_1000:>11.1f} {f.orders_per_1000:>11.1f} {f.poorest_share:>11.3f} {f.gini:>6.3f} "
            f"{f.seconds:>5.1f}s"
        )
    baseline, met = results[0], True
    for other in results[1:]:
        order_lift = other.orders_per_1000 / baseline.orders_per_1000 - 1 if baseline.orders_per_1000 else math.inf
        print(f"{other.ranker} vs {baseline.ranker} (orders per 1,000 feed views {order_lift:+.1%}, no target):")
        for verdict in judge(baseline, other):
            met &= verdict.passed
            mark = "PASS" if verdict.passed else "MISS"
            print(f"  {mark}  {verdict.what}: {verdict.figure} (target {verdict.target})")
    return met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="The simulation's seed (viewers, visits, clicks).")
    parser.add_argument("--viewers", type=int, default=400)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--demo-seed", type=int, default=1, help="seed_demo's --seed (the catalogue).")
    parser.add_argument(
        "--rankers",
        default=None,
        help="Comma-separated, the baseline first: today, shuffled, standin, organic (promotion.organic.rank). "
        "Default: today,organic, or today,standin while promotion.organic is missing.",
    )
    parser.add_argument("--database", type=Path, help="A SQLite file to keep the seeded demo in and reuse.")
    args = parser.parse_args(argv)
    if args.viewers < 1 or args.days < 1:
        parser.error("--viewers and --days must be at least 1")

    workdir = None
    if args.database is None:
        workdir = Path(tempfile.mkdtemp(prefix="shanhuo-feed-sim-"))
        database = workdir / "demo.sqlite3"
    else:
        database = args.database.resolve()
        database.parent.mkdir(parents=True, exist_ok=True)
    try:
        began = time.perf_counter()
        prepare_database(database, args.demo_seed)
        catalogue = load_catalogue()
        print(f"Demo catalogue ready in {time.perf_counter() - began:.1f} s ({database})")
        rankers = available_rankers()
        names = (args.rankers or ("today,organic" if "organic" in rankers else "today,standin")).split(",")
        if "organic" not in rankers and args.rankers is None:
            print("promotion.organic is not on this branch: the stand-in ranker stands for it.")
        unknown = [name for name in names if name not in rankers]
        if unknown or len(names) < 2:
            parser.error(f"--rankers: two or more of {', '.join(rankers)} (unknown: {', '.join(unknown) or 'none'})")
        results = [
            simulate(catalogue, name, rankers[name], viewers=args.viewers, days=args.days, seed=args.seed)
            for name in names
        ]
        return 0 if report(catalogue, results, args) else 1
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
