"""The feed: organic stories and goods, with promoted slots at a bounded ad load.

Positions are counted from the top of the feed. Position p is a promoted slot when
p % FEED_PROMOTED_EVERY == FEED_PROMOTED_EVERY - 1 (with the setting at 5: the 5th, 10th, ...),
so at most one item in FEED_PROMOTED_EVERY is promoted and two are never adjacent, across pages
too. A slot no campaign can fill takes the next organic item. Organic items alternate one story to
STORY_EVERY - 1 goods (newest first) while both last. The cursor records the position and how many
stories and goods were used, so each page continues exactly where the last one stopped.
"""

import base64
import binascii
import datetime
import logging
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.models import Product
from shop.selectors import visible_products, with_catalog_relations

from . import tokens
from .budget import BudgetUnavailable
from .feed_reader import Reason
from .models import ContentItem
from .permissions import content_visible_to
from .selectors import with_content_relations
from .serving import Placement, choose

logger = logging.getLogger(__name__)

STORY_EVERY = 4
MAX_PAGE = 50


@dataclass(frozen=True)
class FeedPosition:
    position: int = 0
    stories: int = 0
    products: int = 0

    def cursor(self) -> str:
        raw = f"feed:{self.position}:{self.stories}:{self.products}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "FeedPosition":
        if not cursor:
            return cls()
        try:
            kind, *numbers = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
            values = [int(n) for n in numbers]
            if kind != "feed" or len(values) != 3 or min(values) < 0 or values[1] + values[2] > values[0]:
                raise ValueError(cursor)
        except (ValueError, binascii.Error, UnicodeError):
            raise ValidationError({"after": ValidationError(_("This is not a feed cursor."), code="invalid")}) from None
        return cls(*values)


@dataclass
class FeedEntry:
    item: ContentItem | Product
    cursor: str
    placement: Placement | None = None
    token: str | None = None
    # Why an organic item is shown (promotion.organic), and the line that says it to the reader,
    # set by promotion.personalisation.explain (None while personalisation is off).
    reason: Reason | None = None
    why: str | None = None

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


def build_page(first: int, after: str | None = None, *, now: datetime.datetime | None = None, rng=None) -> FeedPage:
    if first < 1 or first > MAX_PAGE:
        raise ValidationError(
            {"first": ValidationError(_("Ask for 1 to %(max)d items."), code="invalid", params={"max": MAX_PAGE})}
        )
    now = now or timezone.now()
    start = FeedPosition.from_cursor(after)
    slots = sum(1 for p in range(start.position, start.position + first) if is_promoted_slot(p))
    stories = list(with_content_relations(published_stories(), goods=False)[start.stories : start.stories + first + 1])
    # One more than a page, plus as many as promoted goods may displace.
    wanted_ids = first + 1 + slots
    product_ids = list(organic_products().values_list("pk", flat=True)[start.products : start.products + wanted_ids])

    began, began_cpu = time.perf_counter(), time.thread_time()
    try:
        placements = choose(slots, now, rng or random.Random())  # noqa: S311
    except BudgetUnavailable:
        logger.exception("budget unavailable: feed served without promoted slots")
        placements = []
    selection_ms = (time.perf_counter() - began) * 1000
    selection_cpu_ms = (time.thread_time() - began_cpu) * 1000

    # Visible and in stock now: the serving index may be up to a minute old.
    loaded = with_catalog_relations(
        organic_products().filter(pk__in=[*product_ids, *(p.product_id for p in placements)])
    )
    products = {product.pk: product for product in loaded}
    entries, position, used_stories, used_products = [], start.position, start.stories, start.products
    promoted_queue = [p for p in placements if p.product_id in products]
    # Goods promoted on this page are not shown again as organic items of the same page; goods
    # reached organically before their promoted slot are shown organically and not promoted.
    shown_promoted: set[int] = set()
    story_queue, product_queue = list(stories), [products[pk] for pk in product_ids if pk in products]
    while len(entries) < first:
        # A promoted item sits between organic ones: never after the feed's last organic item.
        if is_promoted_slot(position) and promoted_queue and (story_queue or product_queue):
            placement = promoted_queue.pop(0)
            shown_promoted.add(placement.product_id)
            item = products[placement.product_id]
            token = tokens.issue(placement.campaign.pk, item.pk, now)
            position += 1
            cursor = FeedPosition(position, used_stories, used_products).cursor()
            entries.append(FeedEntry(item, cursor, placement, token))
            continue
        organic_index = used_stories + used_products
        want_story = organic_index % STORY_EVERY == 0
        if story_queue and (want_story or not product_queue):
            item, used_stories = story_queue.pop(0), used_stories + 1
        elif product_queue:
            item, used_products = product_queue.pop(0), used_products + 1
            if item.pk in shown_promoted:
                continue
            promoted_queue = [p for p in promoted_queue if p.product_id != item.pk]
        else:
            break
        position += 1
        entries.append(FeedEntry(item, FeedPosition(position, used_stories, used_products).cursor()))
    has_next = bool(story_queue or product_queue)
    return FeedPage(
        entries,
        has_next,
        start,
        selection_ms=selection_ms,
        selection_cpu_ms=selection_cpu_ms,
        promoted_slots=slots,
        filled_slots=sum(1 for e in entries if e.promoted),
    )
