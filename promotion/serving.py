"""Choosing the campaigns for a feed page's promoted slots.

A campaign enters a request only when it is active, inside its schedule, affordable by the
database counters, and passes its pacing throttle (a draw against `serving_rate`). Each entrant
is scored bid × predicted click rate × a boost for its poorest village, and the budget backend
picks the best that can still pay for a click, live (on Redis, one script call)."""

import datetime
import logging
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from shop.models import Product
from shop.selectors import visible_products

from .budget import BudgetUnavailable, Reader, affordable, get_budget
from .clock import budget_day
from .feed_reader import ANONYMOUS, ViewerProfile
from .models import Campaign, CampaignDay
from .selectors import running
from .targeting import Targets, interests, load_targets

logger = logging.getLogger(__name__)

# A village whose people live on nothing gets twice the weight of one at its poverty line.
POVERTY_BOOST = 1.0


@dataclass(frozen=True)
class Placement:
    campaign: Campaign
    product_id: int
    score: float


def candidates(now: datetime.datetime) -> list[Campaign]:
    """Running campaigns the database counters say can still pay a click (one query). On Redis
    those counters trail by up to a minute: the live check is the budget backend's `servable`."""
    today = CampaignDay.objects.filter(campaign=OuterRef("pk"), day=budget_day(now)).values("spent_fen")[:1]
    rows = (
        running(now)
        .annotate(day_spent_fen=Coalesce(Subquery(today, output_field=IntegerField()), Value(0)))
        .select_related("sponsor")
        .only(*SERVING_FIELDS)
    )
    return [c for c in rows if affordable(c, c.spent_fen, c.day_spent_fen)]


SERVING_FIELDS = (
    "sponsor__name",
    "farmer_id",
    "village_id",
    "bid",
    "daily_cap",
    "total_cap",
    "starts_at",
    "ends_at",
    "state",
    "spent_fen",
    "serving_rate",
    "predicted_ctr",
    "frequency_cap",
)


@dataclass
class ServingIndex:
    """What serving needs to know of the running campaigns, kept per process so that a feed
    request does not query it: the campaigns, their buyable goods, each village's poverty gap,
    whom each may reach (promotion.targeting; frequency caps ride on the campaigns).

    Budgets are not part of it: every request checks them live (`servable`), so a cap stops
    serving at once. Changes to campaigns (an edit, a pause, a new campaign, the pacing task's new
    rates) bump a version in Redis that the same `servable` call returns, so the next request
    rebuilds the index; on the database path `servable` checks each campaign is still active. The
    index is rebuilt at least every settings.PROMOTION_SERVING_INDEX_SECONDS, which also bounds how
    late new goods of a farmer's or village's campaign appear."""

    campaigns: list[Campaign]
    # Per campaign: the poverty gap of its poorest village and its buyable goods there.
    products: dict[int, tuple[float, list[int]]]
    built: float
    day: datetime.date
    version: int | None = None
    # Only the targeted campaigns: the others reach everyone.
    targets: dict[int, Targets] = field(default_factory=dict)


_index: dict[str, ServingIndex] = {}


def serving_index(now: datetime.datetime) -> ServingIndex:
    index = _index.get("current")
    max_age = settings.PROMOTION_SERVING_INDEX_SECONDS
    if index is None or index.day != budget_day(now) or time.monotonic() - index.built >= max_age:
        campaigns = candidates(now)
        index = ServingIndex(
            campaigns,
            promotable_products(campaigns),
            time.monotonic(),
            budget_day(now),
            targets=load_targets([c.pk for c in campaigns]) if campaigns else {},
        )
        _index["current"] = index
    return index


def _check_version(index: ServingIndex, version: int | None) -> None:
    """The index takes the first version it sees; a later, different one retires it."""
    if version is None:
        return
    if index.version is None:
        index.version = version
    elif index.version != version:
        forget_serving_index()


def campaigns_changed(**_kwargs) -> None:
    """After the change commits: this process forgets its index, every process learns it from the
    version (Redis down: the indexes still expire with their age)."""

    def bump():
        forget_serving_index()
        try:
            get_budget().bump_config_version()
        except BudgetUnavailable:
            logger.warning("could not bump the campaigns' version: serving indexes expire with their age")

    transaction.on_commit(bump)


def forget_serving_index(**_kwargs) -> None:
    _index.clear()


def poverty_gap(poverty_line: Decimal, baseline_income: Decimal) -> float:
    """How far below its poverty line a village lives, 0 (at or above it) to 1 (no income). A
    baseline income of 0 means it was never recorded, and gets no boost rather than the most."""
    if not poverty_line or not baseline_income or baseline_income >= poverty_line:
        return 0.0
    return float((poverty_line - baseline_income) / poverty_line)


def promotable_products(campaigns: list[Campaign]) -> dict[int, tuple[float, list[int]]]:
    """For each campaign, the poverty gap of the poorest village among its goods a shopper can buy
    now, and those goods of that village (one query)."""
    by_id = {c.pk: c for c in campaigns}
    farmers: dict[int, list[int]] = {}
    villages: dict[int, list[int]] = {}
    for c in campaigns:
        if c.farmer_id:
            farmers.setdefault(c.farmer_id, []).append(c.pk)
        if c.village_id:
            villages.setdefault(c.village_id, []).append(c.pk)
    rows = (
        visible_products()
        .filter(in_stock=True)
        .filter(Q(campaigns__in=list(by_id)) | Q(farmer_id__in=list(farmers)) | Q(village_id__in=list(villages)))
        .values_list("pk", "farmer_id", "village_id", "campaigns", "village__poverty_line", "village__baseline_income")
        .order_by()
        .distinct()
    )
    found: dict[int, dict[int, float]] = {}
    for pk, farmer_id, village_id, listed_in, line, income in rows:
        gap = poverty_gap(line, income)
        owners = [*farmers.get(farmer_id, ()), *villages.get(village_id, ())]
        if listed_in in by_id:
            owners.append(listed_in)
        for campaign_id in owners:
            found.setdefault(campaign_id, {})[pk] = gap
    poorest = {}
    for campaign_id, products in found.items():
        gap = max(products.values())
        poorest[campaign_id] = (gap, sorted(pk for pk, product_gap in products.items() if product_gap == gap))
    return poorest


def choose(wanted: int, now: datetime.datetime, rng: random.Random | None = None, profile: ViewerProfile = ANONYMOUS):
    """Up to `wanted` placements (a list of Placement), best first, each a different campaign and
    product, among the campaigns that may reach this reader (promotion.targeting). A campaign with
    a frequency cap is counted against `profile.key` by the budget backend, in the same call."""
    reader = Reader(profile.key, profile.personal, profile.province_id, interests(profile))
    return serve(wanted, now, rng, reader)[0]


def serve(wanted: int, now: datetime.datetime, rng: random.Random | None, reader: Reader, counters=None):
    """`choose` for a budget.Reader, with the budget's whole answer (promotion.feed_trip reads the
    reader in the same call): (placements, budget.Servable)."""
    rng = rng or random.Random()  # noqa: S311 - a throttle and a rotation, not a secret
    index = serving_index(now)
    ranked = _entrants(index, now, rng) if wanted > 0 else []
    servable = get_budget().servable([p.campaign for p in ranked], wanted, now, reader, index.targets, counters)
    _check_version(index, servable.config_version)
    chosen = {c.pk for c in servable.campaigns}
    return [p for p in ranked if p.campaign.pk in chosen], servable


def _entrants(index: ServingIndex, now: datetime.datetime, rng: random.Random) -> list[Placement]:
    """The placements that may fill a slot, best first, whoever the reader: running, passing
    their pacing throttle, one per product (whom they may reach is the budget's call to check)."""
    ranked: list[Placement] = []
    for campaign in index.campaigns:
        if campaign.pk not in index.products or not campaign.is_running(now) or rng.random() >= campaign.serving_rate:
            continue
        gap, poorest_goods = index.products[campaign.pk]
        # Among the goods of the poorest village, rotate, so one listing is not shown forever.
        product_id = rng.choice(poorest_goods)
        score = float(campaign.bid) * campaign.predicted_ctr * (1 + POVERTY_BOOST * gap)
        ranked.append(Placement(campaign, product_id, score))
    ranked.sort(key=lambda p: (-p.score, p.campaign.pk))
    return _one_per_product(ranked)


def _one_per_product(ranked: list[Placement]) -> list[Placement]:
    seen, kept = set(), []
    for placement in ranked:
        if placement.product_id not in seen:
            seen.add(placement.product_id)
            kept.append(placement)
    return kept


def promotes(campaign: Campaign, product: Product) -> bool:
    """Whether `product` is one the campaign pays to promote (a token naming another is not billed)."""
    if campaign.farmer_id and product.farmer_id == campaign.farmer_id:
        return True
    if campaign.village_id and product.village_id == campaign.village_id:
        return True
    return campaign.products.filter(pk=product.pk).exists()
