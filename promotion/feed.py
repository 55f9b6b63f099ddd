"""The feed: organic stories and goods, with promoted slots at a bounded ad load.

Organic goods come in the order of `organic.rank` for the reader, ranked for each page from the
process's pool of every visible, in-stock product (promotion.feed_cache). A reader paging goes down
one fixed list: pages after the first rank from the copy of the reader's profile kept when the
first was made (promotion.feed_trip; its token rides in the cursors), with the same pool and seed,
so their own signals in between reorder nothing. A copy serves only the reader it was made for;
otherwise, or once it has expired, the goods are ranked from the live profile and the page
continues at the same offset. When the catalogue's version moved between two pages (goods listed,
sold out, quality figures folded), the list may shift by the goods that changed.

Positions are counted from the top of the feed. Position p is a promoted slot when
p % FEED_PROMOTED_EVERY == FEED_PROMOTED_EVERY - 1 (with the setting at 5: the 5th, 10th, ...),
so at most one item in FEED_PROMOTED_EVERY is promoted and two are never adjacent, across pages
too. A slot no campaign can fill takes the next organic item. Organic items alternate one story to
STORY_EVERY - 1 goods while both last. The cursor records the position, how many stories were used
and how far down the ranked goods the page went, so each page continues exactly where the last one
stopped.
"""

import base64
import binascii
import dataclasses
import datetime
import hashlib
import logging
import random
import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.models import Product
from shop.selectors import visible_products, with_catalog_relations

from . import feed_cache, feed_trip, quality, tokens
from .budget import RedisBudget, get_budget
from .clock import budget_day
from .feed_reader import ANONYMOUS, Candidate, Reason, ViewerProfile
from .models import ContentItem
from .permissions import content_visible_to
from .serving import Placement, poverty_gap

logger = logging.getLogger(__name__)

STORY_EVERY = 4
MAX_PAGE = 50
_TOKEN = re.compile(r"([0-9a-f]{16})?")


@dataclass(frozen=True)
class FeedPosition:
    position: int = 0
    stories: int = 0
    # How far down the ranked goods: goods gone since the ranking are passed over, so this may
    # be more than the goods shown.
    products: int = 0
    # The token of the reader's profile copy the pages rank from (promotion.feed_trip; "" none).
    snapshot: str = ""

    def cursor(self) -> str:
        raw = f"feed:{self.position}:{self.stories}:{self.products}:{self.snapshot}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "FeedPosition":
        if not cursor:
            return cls()
        try:
            kind, *fields = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
            if kind != "feed" or len(fields) != 4 or not _TOKEN.fullmatch(fields[3]):
                raise ValueError(cursor)
            values = [int(n) for n in fields[:3]]
            if min(values) < 0 or values[1] > values[0]:
                raise ValueError(cursor)
        except (ValueError, binascii.Error, UnicodeError):
            raise ValidationError({"after": ValidationError(_("This is not a feed cursor."), code="invalid")}) from None
        return cls(*values, snapshot=fields[3])


@dataclass
class FeedEntry:
    item: "ContentItem | Product | feed_cache.Card | int"
    cursor: str
    placement: Placement | None = None
    token: str | None = None
    # Why an organic product is shown (organic.rank; None for stories, promoted slots and readers
    # who turned personalisation off), and the line that says it to the reader, set by
    # promotion.personalisation.explain.
    reason: Reason | None = None
    why: str | None = None
    product_id: int | None = None
    # A story's rendered card (build_page's `as_cards`).
    card: str | None = None

    @property
    def promoted(self) -> bool:
        return self.placement is not None

    @property
    def is_story(self) -> bool:
        return isinstance(self.item, ContentItem)

    @property
    def sponsor_name(self) -> str | None:
        return self.placement.campaign.sponsor.name if self.placement else None

    @property
    def ad_label(self) -> str | None:
        """What a promoted entry must show, in the active language: 广告 · <sponsor>. Slots are sold
        per click and ranked by bid, which China's Internet Advertising Measures (2023) treat as paid
        ranking: it must say 广告 ("advertisement") where it is seen, set apart from organic items."""
        return _("Ad · %(sponsor)s") % {"sponsor": self.sponsor_name} if self.placement else None


@dataclass
class FeedPage:
    entries: list[FeedEntry]
    has_next: bool
    start: FeedPosition
    # Time spent choosing promoted slots (the budget check included), for Server-Timing.
    selection_ms: float = 0.0
    # The same on this thread's CPU clock: without time spent waiting (Redis) or descheduled.
    selection_cpu_ms: float = 0.0
    promoted_slots: int = 0
    filled_slots: int = field(default=0)
    # The reader the page was made for (their profile read in its call), and the catalogue version.
    profile: ViewerProfile = ANONYMOUS
    catalogue_version: int | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.entries[-1].cursor if self.entries else None


def is_promoted_slot(position: int) -> bool:
    every = settings.FEED_PROMOTED_EVERY
    return position % every == every - 1


def published_stories():
    return content_visible_to(None).order_by("-published_at", "-id")


def organic_products():
    return visible_products().filter(in_stock=True).order_by("-created_at", "-id")


def feed_candidates() -> list[Candidate]:
    """Every product the feed may show, with what ranking needs (one query)."""
    listings = Product.objects.order_by("created_at").values("created_at")
    rows = (
        organic_products()
        .order_by()
        .annotate(
            farmer_first=Subquery(listings.filter(farmer_id=OuterRef("farmer_id"))[:1]),
            cooperative_first=Subquery(listings.filter(cooperative_id=OuterRef("cooperative_id"))[:1]),
        )
        .values_list(
            "pk",
            "farmer_id",
            "cooperative_id",
            "village_id",
            "village__county__province_id",
            "category_id",
            "created_at",
            "farmer_first",
            "cooperative_first",
            "village__poverty_line",
            "village__baseline_income",
            "feed_stats__click_rate",
            "feed_stats__order_rate",
            "feed_stats__impressions",
            "category__name",
            "village__name",
            "farmer__name",
            "cooperative__name",
            "village__county__province__name",
        )
    )
    found = []
    for (
        pk,
        farmer_id,
        cooperative_id,
        village_id,
        province_id,
        category_id,
        created_at,
        farmer_first,
        cooperative_first,
        line,
        income,
        click_rate,
        order_rate,
        impressions,
        category_name,
        village_name,
        farmer_name,
        cooperative_name,
        province_name,
    ) in rows:
        found.append(
            Candidate(
                product_id=pk,
                # A cooperative is one seller too: a negative id keeps it apart from the farmers.
                farmer_id=farmer_id if farmer_id is not None else -cooperative_id,
                village_id=village_id,
                province_id=province_id,
                category_id=category_id,
                created_at=created_at,
                farmer_since=(farmer_first or cooperative_first or created_at),
                poverty_gap=poverty_gap(line, income),
                click_rate=click_rate if click_rate is not None else -1.0,
                order_rate=order_rate if order_rate is not None else -1.0,
                impressions=impressions or 0,
                category_name=category_name,
                village_name=village_name,
                farmer_name=farmer_name or cooperative_name or "",
                province_name=province_name,
            )
        )
    return _with_mean_rates(found)


def _with_mean_rates(found: list[Candidate]) -> list[Candidate]:
    """Goods the quality figures have not reached yet (listed since the last fold) get the mean."""
    for rate in ("click_rate", "order_rate"):
        known = [getattr(c, rate) for c in found if getattr(c, rate) >= 0]
        mean = sum(known) / len(known) if known else 0.0
        found = [c if getattr(c, rate) >= 0 else dataclasses.replace(c, **{rate: mean}) for c in found]
    return found


def ranking_seed(profile: ViewerProfile, now: datetime.datetime) -> int:
    """The day for a non-personal reader (the same order for all of them that day); the reader and
    the day for a personal one, so that exploration draws differ from reader to reader."""
    day = budget_day(now)
    if not profile.personal or profile.is_empty or not profile.key:
        return day.toordinal()
    return int.from_bytes(hashlib.sha256(f"{profile.key}:{day}".encode()).digest()[:8], "big")


def build_page(
    first: int,
    after: str | None = None,
    *,
    ask: feed_trip.Ask | None = None,
    profile: ViewerProfile | None = None,
    now: datetime.datetime | None = None,
    rng=None,
    as_cards: bool = False,
) -> FeedPage:
    """A page of the feed for the reader `ask` describes (their profile read in the page's one
    call, promotion.feed_trip), or for a given `profile` (None and no `ask`: anonymous). Entries
    hold Product and ContentItem objects, or, `as_cards`, feed_cache.Card objects and stories
    with their rendered `card` (the feed page: no query once the process's caches are warm)."""
    if first < 1 or first > MAX_PAGE:
        raise ValidationError(
            {"first": ValidationError(_("Ask for 1 to %(max)d items."), code="invalid", params={"max": MAX_PAGE})}
        )
    now = now or timezone.now()
    start = FeedPosition.from_cursor(after)
    slots = sum(1 for p in range(start.position, start.position + first) if is_promoted_slot(p))

    began, began_cpu = time.perf_counter(), time.thread_time()
    trip = feed_trip.run(ask, slots, now, rng or random.Random(), kept=start.snapshot, profile=profile)  # noqa: S311
    selection_ms = (time.perf_counter() - began) * 1000
    selection_cpu_ms = (time.thread_time() - began_cpu) * 1000

    version = trip.catalogue_version if isinstance(get_budget(), RedisBudget) else feed_cache.local_version()
    kept = feed_cache.kept(version, now)
    pool = kept.pool
    # One more than a page, plus as many as promoted goods may displace.
    upto = start.products + first + 1 + slots
    wanted = [
        (c.product_id, reason)
        for c, reason in pool.rank(trip.profile, ranking_seed(trip.profile, now), upto, start.products)
    ]
    stories = kept.stories[start.stories : start.stories + first + 1]
    # Still visible and in stock in this version of the catalogue (the serving index may be older).
    placements = [p for p in trip.placements if p.product_id in pool.index_of]

    entries, story_queue, product_queue = _arrange(start, first, stories, wanted, placements, trip.copy, now)
    shown = [e.placement for e in entries if e.promoted]
    if len(shown) < len(placements):  # the feed ended before their slot: their goods stay organic
        entries, story_queue, product_queue = _arrange(start, first, stories, wanted, shown, trip.copy, now)
    has_next = bool(story_queue or product_queue or upto < len(pool))
    entries = _loaded(entries, kept, as_cards)
    quality.count_impressions([e.product_id for e in entries if not e.promoted and not e.is_story], now)
    return FeedPage(
        entries,
        has_next,
        start,
        selection_ms=selection_ms,
        selection_cpu_ms=selection_cpu_ms,
        promoted_slots=slots,
        filled_slots=sum(1 for e in entries if e.promoted),
        profile=trip.profile,
        catalogue_version=version,
    )


def _arrange(start: FeedPosition, first: int, stories, wanted, placements, snapshot: str, now):
    """The page's entries from its stories, ranked goods and promoted placements, and what is left
    of the stories and goods."""
    reasons = dict(wanted)
    entries, position, used_stories, used_products = [], start.position, start.stories, start.products
    promoted_queue = list(placements)
    # Goods promoted on this page are shown in their slot only, not also as organic items of the
    # page (before the slot or after it): the slot is filled, and nothing is shown twice.
    promoted_goods = {p.product_id for p in placements}
    story_queue = list(stories)
    # Each with its place in the ranked goods, so that the cursor says how far down the page went.
    product_queue = [(start.products + i + 1, pk) for i, (pk, _r) in enumerate(wanted)]
    while len(entries) < first:
        # A promoted item sits between organic ones: never after the feed's last organic item.
        if is_promoted_slot(position) and promoted_queue and (story_queue or product_queue):
            placement = promoted_queue.pop(0)
            token = tokens.issue(placement.campaign.pk, placement.product_id, now)
            position += 1
            cursor = FeedPosition(position, used_stories, used_products, snapshot).cursor()
            entries.append(FeedEntry(placement.product_id, cursor, placement, token))
            continue
        organic_index = used_stories + used_products
        want_story = organic_index % STORY_EVERY == 0
        reason = None
        if story_queue and (want_story or not product_queue):
            item, used_stories = story_queue.pop(0), used_stories + 1
        elif product_queue:
            used_products, item = product_queue.pop(0)
            if item in promoted_goods:
                continue
            reason = reasons[item]
        else:
            break
        position += 1
        cursor = FeedPosition(position, used_stories, used_products, snapshot).cursor()
        entries.append(FeedEntry(item, cursor, reason=reason))
    return entries, story_queue, product_queue


def _loaded(entries: list["FeedEntry"], kept, as_cards: bool) -> list["FeedEntry"]:
    """The entries' goods as cards or Product objects (a product gone meanwhile drops its entry),
    and the stories' cards."""
    ids = [e.item for e in entries if not isinstance(e.item, ContentItem)]
    if as_cards:
        goods = feed_cache.cards(kept, ids)
    else:
        goods = {p.pk: p for p in with_catalog_relations(organic_products().filter(pk__in=ids))}
    out = []
    for entry in entries:
        if isinstance(entry.item, ContentItem):
            if as_cards:
                entry.card = feed_cache.story_card(kept, entry.item)
        elif entry.item in goods:
            entry.product_id, entry.item = entry.item, goods[entry.item]
        else:
            continue
        out.append(entry)
    return out
