"""Pacing: spread each campaign's daily budget over the day instead of burning it in an hour.

After LinkedIn's budget pacing (Agarwal et al., KDD 2014): each campaign enters a feed request
with a probability, its pass-through rate (`Campaign.serving_rate`). Every minute the controller
compares what the campaign has spent today with its spend plan (the daily cap spread evenly over
the day) and moves the rate one step down when ahead of the plan and one step up when behind.
The rate carries over midnight: yesterday's rate is the best first guess for today's traffic.
"""

import datetime

from django.db.models import Count
from django.utils import timezone

from .budget import ledger_spent_fen
from .clock import budget_day, fraction_of_day
from .models import Campaign, CampaignDay, CampaignState, Spend
from .serving import running

STEP = 0.1
MIN_RATE = 0.001
MAX_RATE = 1.0
# The click-rate prior: 1 billable click in 50 impressions until the campaign's history says more.
PRIOR_CLICKS, PRIOR_IMPRESSIONS = 1.0, 50.0


def planned_spend_fen(daily_cap_fen: int, now: datetime.datetime) -> float:
    return daily_cap_fen * fraction_of_day(now)


def next_rate(rate: float, spent_fen: int, planned_fen: float) -> float:
    moved = rate * (1 - STEP) if spent_fen > planned_fen else rate * (1 + STEP)
    return min(MAX_RATE, max(MIN_RATE, moved))


def smoothed_ctr(billed_clicks: int, impressions: int) -> float:
    return (billed_clicks + PRIOR_CLICKS) / (max(impressions, billed_clicks) + PRIOR_IMPRESSIONS)


def pace(now: datetime.datetime | None = None) -> int:
    """One controller step for every running campaign; returns how many were adjusted. Also ends
    campaigns past their end and marks those whose total cap cannot pay another click."""
    now = now or timezone.now()
    day = budget_day(now)
    Campaign.objects.filter(ends_at__lte=now).exclude(state__in=[CampaignState.ENDED, CampaignState.DRAFT]).update(
        state=CampaignState.ENDED
    )
    campaigns = list(running(now))
    ids = [c.pk for c in campaigns]
    impressions = {}
    for campaign_id, n in CampaignDay.objects.filter(campaign_id__in=ids).values_list("campaign_id", "impressions"):
        impressions[campaign_id] = impressions.get(campaign_id, 0) + n
    billed = dict(
        Spend.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "n")
    )
    for campaign in campaigns:
        spent_total = ledger_spent_fen(campaign.pk)
        if spent_total + campaign.bid_fen > campaign.total_cap_fen:
            Campaign.objects.filter(pk=campaign.pk, state=CampaignState.ACTIVE).update(state=CampaignState.EXHAUSTED)
            continue
        spent_today = ledger_spent_fen(campaign.pk, day)
        rate = next_rate(campaign.serving_rate, spent_today, planned_spend_fen(campaign.daily_cap_fen, now))
        ctr = smoothed_ctr(billed.get(campaign.pk, 0), impressions.get(campaign.pk, 0))
        Campaign.objects.filter(pk=campaign.pk).update(serving_rate=rate, predicted_ctr=ctr)
    return len(campaigns)
