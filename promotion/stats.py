"""Per-campaign figures: what was shown, clicked and billed, and what the clicks brought."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from payments.ledger import fen_sum, from_fen
from payments.models import Entry
from shop.models import OrderStatus

from .models import CampaignDay, Click, ClickOutcome, OrderAttribution, Spend

# Orders that did not stand: they bring no revenue and no income.
VOID_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class CampaignStats:
    impressions: int = 0
    clicks: int = 0
    billable_clicks: int = 0
    spend: Decimal = Decimal("0.00")
    orders: int = 0
    revenue: Decimal = Decimal("0.00")
    farmer_income: Decimal = Decimal("0.00")


def stats_for(campaign_ids) -> dict[int, CampaignStats]:
    """Figures of many campaigns in a fixed number of queries (six), whatever their number.

    Impressions counted in Redis reach the database with the next reconcile (within a minute).
    Farmer income is what the ledger credits farmers and cooperatives for the attributed orders
    (goods and shipping, net of the platform's fee and of refunds), so it counts once paid."""
    ids = list(campaign_ids)
    impressions = _by_campaign(CampaignDay.objects.filter(campaign_id__in=ids), n=Sum("impressions"))
    clicks = _by_campaign(
        Click.objects.filter(campaign_id__in=ids),
        n=Count("id"),
        billed=Count("id", filter=Q(outcome=ClickOutcome.BILLED)),
    )
    spend = _by_campaign(Spend.objects.filter(campaign_id__in=ids), fen=fen_sum("amount"))
    standing = OrderAttribution.objects.filter(campaign_id__in=ids).exclude(order__status__in=VOID_ORDER_STATUSES)
    orders = _by_campaign(standing, n=Count("id"), fen=fen_sum("order__total"))
    income = {
        row["transaction__order__attribution__campaign_id"]: row["fen"]
        for row in Entry.objects.filter(
            transaction__order__attribution__in=standing,
            account__kind="liability",
        )
        .filter(Q(account__farmer__isnull=False) | Q(account__cooperative__isnull=False))
        .values("transaction__order__attribution__campaign_id")
        .annotate(fen=fen_sum("amount"))
    }
    return {
        pk: CampaignStats(
            impressions=impressions.get(pk, {}).get("n") or 0,
            clicks=clicks.get(pk, {}).get("n", 0),
            billable_clicks=clicks.get(pk, {}).get("billed", 0),
            spend=from_fen(spend.get(pk, {}).get("fen")),
            orders=orders.get(pk, {}).get("n", 0),
            revenue=from_fen(orders.get(pk, {}).get("fen")),
            farmer_income=from_fen(-(income.get(pk) or 0)),
        )
        for pk in ids
    }


def campaign_stats(campaign) -> CampaignStats:
    return stats_for([campaign.pk])[campaign.pk]


def _by_campaign(queryset, **aggregates) -> dict[int, dict]:
    rows = queryset.values("campaign_id").annotate(**aggregates)
    return {row.pop("campaign_id"): row for row in rows}
