"""Whom a campaign may be shown to: the provinces of its readers and the categories they care
about. Frequency caps (how often one reader sees it in a day) are counted by the budget backend's
`servable`, in the same step that picks the campaigns (promotion.budget).

Rules (docs/decisions.md, targeting):
- A campaign with target provinces reaches only readers whose province is known and among them.
- A campaign with target categories reaches only readers one of whose interests (`interests`) is
  among them or under one of them (a top category covers its subcategories).
- A reader who turned personalisation off is shown no targeted campaign at all: targeting by what
  we know of them is the profiling they turned off.
"""

from dataclasses import dataclass

from shop.models import Category

from .feed_reader import ViewerProfile
from .models import Campaign

# A reader's interests: their strongest categories, at most this many ...
INTEREST_TOP = 5
# ... each weighing at least this share of the strongest (weights are decayed scores of any scale).
INTEREST_SHARE = 0.2


@dataclass(frozen=True)
class Targets:
    """A campaign's targeting as serving keeps it (serving.ServingIndex). `categories` holds the
    chosen categories and their subcategories; empty sets mean everywhere and any reader."""

    provinces: frozenset[int] = frozenset()
    categories: frozenset[int] = frozenset()

    @property
    def targeted(self) -> bool:
        return bool(self.provinces or self.categories)


EVERYONE = Targets()


def interests(profile: ViewerProfile) -> frozenset[int]:
    """The categories the reader cares about most: up to INTEREST_TOP of their strongest, each at
    least INTEREST_SHARE of the strongest one's weight. None when personalisation is off."""
    if not profile.personal or not profile.categories:
        return frozenset()
    ranked = sorted(((w, c) for c, w in profile.categories.items() if w > 0), reverse=True)[:INTEREST_TOP]
    if not ranked:
        return frozenset()
    floor = ranked[0][0] * INTEREST_SHARE
    return frozenset(c for w, c in ranked if w >= floor)


def reaches(targets: Targets, reader) -> bool:
    """Whether a campaign with `targets` may be shown to this reader (a budget.Reader: personal,
    province_id, interests). On Redis the feed's script applies the same rule (budget._FEED)."""
    if not targets.targeted:
        return True
    if not reader.personal:
        return False
    if targets.provinces and reader.province_id not in targets.provinces:
        return False
    return not targets.categories or bool(targets.categories & reader.interests)


def load_targets(campaign_ids: list[int]) -> dict[int, Targets]:
    """The Targets of the targeted campaigns among `campaign_ids` (two queries, a third when some
    target categories: their subcategories). Serving keeps them in its per-process index."""
    provinces: dict[int, set[int]] = {}
    categories: dict[int, set[int]] = {}
    for campaign_id, province_id in Campaign.target_provinces.through.objects.filter(
        campaign_id__in=campaign_ids
    ).values_list("campaign_id", "province_id"):
        provinces.setdefault(campaign_id, set()).add(province_id)
    for campaign_id, category_id in Campaign.target_categories.through.objects.filter(
        campaign_id__in=campaign_ids
    ).values_list("campaign_id", "category_id"):
        categories.setdefault(campaign_id, set()).add(category_id)
    if categories:
        chosen = set().union(*categories.values())
        children: dict[int, list[int]] = {}
        for pk, parent_id in Category.objects.filter(parent_id__in=chosen).values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        for ids in categories.values():
            ids.update(child for pk in list(ids) for child in children.get(pk, ()))
    return {
        pk: Targets(frozenset(provinces.get(pk, ())), frozenset(categories.get(pk, ())))
        for pk in provinces.keys() | categories.keys()
    }
