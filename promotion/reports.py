"""Sponsors' reports: a campaign's figures day by day (Asia/Shanghai days), and each campaign's
totals, in a fixed number of queries however many days or campaigns.

What each figure counts (decisions under "## sponsor" in docs/decisions.md):
- spend: the spend ledger (`Spend`, the record), on the day of the daily cap it counted against;
- impressions: `CampaignDay.impressions` (on the Redis path they arrive within a minute);
- clicks: every click by outcome, on the day it was made: billed, and each reason one was not;
- orders, revenue, farmer income: orders credited to the campaign (`OrderAttribution.campaign`)
  that were paid and stand (not cancelled, not fully refunded), on the day they were placed.
  Revenue is their goods (the lines, without shipping, which pays the courier); farmer income is
  what those lines leave the farmers after the platform's fee (`total - platform_fee`). A
  refunded line counts in neither: figures are the orders as they stand now.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from core.errors import field_error
from payments.ledger import fen_sum, from_fen
from shop.models import OrderLine, OrderStatus

from .clock import BUDGET_ZONE, budget_day, day_start
from .models import Campaign, CampaignDay, Click, ClickOutcome, OrderAttribution, Spend

# A report's longest range: a year and a day, enough for a leap year and small enough for a page.
MAX_DAYS = 366
# When the campaign has run longer, the default range is its last this many days.
DEFAULT_DAYS = 30
# Orders that did not stand bring no revenue and no income (as in promotion.stats).
VOID_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
UNBILLED_OUTCOMES = tuple(o for o in ClickOutcome.values if o != ClickOutcome.BILLED)


@dataclass(frozen=True)
class Figures:
    """One day's figures (`day` set) or totals (`day` None). Money is Decimal to the fen."""

    day: datetime.date | None
    spend: Decimal = Decimal("0.00")
    impressions: int = 0
    clicks_by_outcome: dict = field(default_factory=dict)  # ClickOutcome value -> count, every outcome
    orders: int = 0
    revenue: Decimal = Decimal("0.00")
    farmer_income: Decimal = Decimal("0.00")

    @property
    def billed_clicks(self) -> int:
        return self.clicks_by_outcome.get(ClickOutcome.BILLED, 0)

    @property
    def unbilled_clicks(self) -> int:
        return sum(self.clicks_by_outcome.get(o, 0) for o in UNBILLED_OUTCOMES)

    @property
    def clicks(self) -> int:
        return self.billed_clicks + self.unbilled_clicks


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    start: datetime.date
    end: datetime.date
    days: list[Figures]  # every day from start to end, oldest first, zeros included
    totals: Figures


@dataclass
class _Tally:
    """Counts in integers (money in fen) while the rows are read; turned into Figures at the end."""

    spend_fen: int = 0
    impressions: int = 0
    clicks: dict = field(default_factory=lambda: dict.fromkeys(ClickOutcome.values, 0))
    orders: int = 0
    goods_fen: int = 0
    fee_fen: int = 0

    def add(self, other: "_Tally") -> None:
        self.spend_fen += other.spend_fen
        self.impressions += other.impressions
        for outcome, n in other.clicks.items():
            self.clicks[outcome] += n
        self.orders += other.orders
        self.goods_fen += other.goods_fen
        self.fee_fen += other.fee_fen

    def figures(self, day: datetime.date | None) -> Figures:
        return Figures(
            day=day,
            spend=from_fen(self.spend_fen),
            impressions=self.impressions,
            clicks_by_outcome=dict(self.clicks),
            orders=self.orders,
            revenue=from_fen(self.goods_fen),
            farmer_income=from_fen(self.goods_fen - self.fee_fen),
        )


# --- Ranges ---------------------------------------------------------------------------------


def default_range(campaign: Campaign, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The campaign's life so far (start to its end or today), or its last DEFAULT_DAYS days when
    it has run longer. A campaign that has not started yet shows its first day."""
    first = budget_day(campaign.starts_at)
    last = min(budget_day(campaign.ends_at), today) if campaign.ends_at else today
    last = max(first, last)
    return max(first, last - datetime.timedelta(days=DEFAULT_DAYS - 1)), last


def check_range(start: datetime.date, end: datetime.date) -> None:
    """Refuses a range that runs backwards or is longer than MAX_DAYS, keyed by the field to fix."""
    if end < start:
        raise field_error("end", _("The last day cannot come before the first day."), "invalid_range")
    if (end - start).days + 1 > MAX_DAYS:
        raise field_error("end", _("Choose at most %(max)d days at a time."), "range_too_long", max=MAX_DAYS)


# --- Reports --------------------------------------------------------------------------------


def campaign_report(campaign: Campaign, start: datetime.date, end: datetime.date) -> CampaignReport:
    """The campaign's figures for each day from `start` to `end` (inclusive) and their totals, in
    five queries whatever the number of days."""
    check_range(start, end)
    tallies = _tallies([campaign.pk], start, end, by_day=True)
    days, totals = [], _Tally()
    day = start
    while day <= end:
        tally = tallies.get((campaign.pk, day)) or _Tally()
        totals.add(tally)
        days.append(tally.figures(day))
        day += datetime.timedelta(days=1)
    return CampaignReport(campaign=campaign, start=start, end=end, days=days, totals=totals.figures(None))


def totals_for(campaign_ids) -> dict[int, Figures]:
    """Each campaign's totals over its whole life, by the same rules as the daily report, in five
    queries whatever the number of campaigns."""
    ids = list(campaign_ids)
    tallies = _tallies(ids, None, None, by_day=False)
    return {pk: (tallies.get((pk, None)) or _Tally()).figures(None) for pk in ids}


def add_up(figures) -> Figures:
    """The sum of several Figures (a sponsor's campaigns), day None."""
    total = Figures(day=None, clicks_by_outcome=dict.fromkeys(ClickOutcome.values, 0))
    for f in figures:
        total = Figures(
            day=None,
            spend=total.spend + f.spend,
            impressions=total.impressions + f.impressions,
            clicks_by_outcome={o: n + f.clicks_by_outcome.get(o, 0) for o, n in total.clicks_by_outcome.items()},
            orders=total.orders + f.orders,
            revenue=total.revenue + f.revenue,
            farmer_income=total.farmer_income + f.farmer_income,
        )
    return total


def _tallies(ids: list[int], start, end, by_day: bool) -> dict[tuple, _Tally]:
    """Tallies keyed by (campaign id, day), or (campaign id, None) when not `by_day`, from one
    grouped query per source."""
    tallies: dict[tuple, _Tally] = defaultdict(_Tally)
    if not ids:
        return tallies

    def in_days(queryset, date_field: str | None = None, time_field: str | None = None):
        """Limit to [start, end] by a date column, or by a timestamp's Asia/Shanghai day."""
        if start is None:
            return queryset
        if date_field:
            return queryset.filter(**{f"{date_field}__gte": start, f"{date_field}__lte": end})
        after = day_start(end + datetime.timedelta(days=1))
        return queryset.filter(**{f"{time_field}__gte": day_start(start), f"{time_field}__lt": after})

    def grouped(queryset, campaign_path: str, day_expression, *also: str):
        """Rows grouped by campaign (and day), ready for `.annotate(<aggregates>)`."""
        keys = {"report_campaign": F(campaign_path)}
        if by_day:
            keys["report_day"] = day_expression
        return queryset.annotate(**keys).values(*keys, *also)

    def tally(row) -> _Tally:
        return tallies[(row["report_campaign"], row["report_day"] if by_day else None)]

    impressions = in_days(CampaignDay.objects.filter(campaign_id__in=ids), date_field="day")
    for row in grouped(impressions, "campaign_id", F("day")).annotate(n=Sum("impressions")):
        tally(row).impressions += row["n"] or 0

    spends = in_days(Spend.objects.filter(campaign_id__in=ids), date_field="day")
    for row in grouped(spends, "campaign_id", F("day")).annotate(fen=fen_sum("amount")):
        tally(row).spend_fen += row["fen"] or 0

    clicks = in_days(Click.objects.filter(campaign_id__in=ids), time_field="created_at")
    click_day = TruncDate("created_at", tzinfo=BUDGET_ZONE)
    for row in grouped(clicks, "campaign_id", click_day, "outcome").annotate(n=Count("id")):
        tally(row).clicks[row["outcome"]] += row["n"]

    standing = Q(order__paid_at__isnull=False) & ~Q(order__status__in=VOID_ORDER_STATUSES)
    order_day = TruncDate("order__created_at", tzinfo=BUDGET_ZONE)
    orders = in_days(OrderAttribution.objects.filter(standing, campaign_id__in=ids), time_field="order__created_at")
    for row in grouped(orders, "campaign_id", order_day).annotate(n=Count("id")):
        tally(row).orders += row["n"]

    lines = in_days(
        OrderLine.objects.filter(standing, order__attribution__campaign_id__in=ids, refunded_at__isnull=True),
        time_field="order__created_at",
    )
    for row in grouped(lines, "order__attribution__campaign_id", order_day).annotate(
        goods=fen_sum("total"), fee=fen_sum("platform_fee")
    ):
        tally(row).goods_fen += row["goods"] or 0
        tally(row).fee_fen += row["fee"] or 0
    return tallies
