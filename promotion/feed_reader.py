"""What the feed knows of its reader and of the goods it may show: the shapes that the reader's
signals, the organic ranking, sponsor targeting and the feed's caches pass between them.

A profile holds decayed affinities only (a weight per category, village and farmer), never the
events they came from, so no browsing history is kept beyond what ranking needs."""

import datetime
from dataclasses import dataclass, field

# Redis keys. The reader's profile (a hash) and the day's per-product counters the quality figures
# are folded from (a hash per day, fields "<event>:<product id>", events as in EVENTS).
PROFILE_KEY = "feed:reader:{key}"
STATS_KEY = "feed:stats:{day}"
EVENTS = ("impression", "view", "click", "cart", "order")


@dataclass(frozen=True)
class ViewerProfile:
    """One reader, as the feed sees them. `key` is the viewer key (`core.viewers`: "u:<id>" or
    "c:<cookie>"); `personal` is False when the reader turned personalisation off, and then nothing
    else in the profile may change what they see."""

    key: str | None = None
    categories: dict[int, float] = field(default_factory=dict)
    villages: dict[int, float] = field(default_factory=dict)
    farmers: dict[int, float] = field(default_factory=dict)
    province_id: int | None = None
    # Goods the reader ordered lately: the feed holds them back instead of showing them again.
    ordered: frozenset[int] = frozenset()
    personal: bool = True

    @property
    def is_empty(self) -> bool:
        return not (self.categories or self.villages or self.farmers or self.province_id or self.ordered)


ANONYMOUS = ViewerProfile()


@dataclass(frozen=True)
class Candidate:
    """A product the feed may show, with what ranking needs and nothing a page must load again."""

    product_id: int
    farmer_id: int
    village_id: int
    province_id: int | None
    category_id: int
    created_at: datetime.datetime
    # When the farmer's first listing went up: a new farmer's goods get exploration slots.
    farmer_since: datetime.datetime
    poverty_gap: float  # 0 (at or above the poverty line) .. 1 (no income), serving.poverty_gap
    # Smoothed quality figures (promotion.quality), 0..1.
    click_rate: float = 0.0
    order_rate: float = 0.0
    # Feed impressions counted so far (promotion.quality): listings with few get exploration slots.
    impressions: int = 0
    # Public names, for the "why this" line (Reason.name); never a farmer's personal data.
    category_name: str = ""
    village_name: str = ""
    farmer_name: str = ""
    province_name: str = ""


@dataclass(frozen=True)
class Reason:
    """Why an organic item is shown, for the card's "why this" line. `kind` is one of REASON_KINDS;
    `name` is the category's, village's or farmer's public name (never personal data)."""

    kind: str
    name: str = ""


REASON_KINDS = ("category", "village", "farmer", "province", "new", "popular", "fresh")
