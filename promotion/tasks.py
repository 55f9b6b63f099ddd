"""The promotion's periodic tasks (settings.CELERY_BEAT_SCHEDULE runs both every minute). Each is a
thin wrapper over a function that takes `now`, so tests drive them with injected time."""

import datetime

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import pacing
from .budget import get_budget
from .models import Campaign, CampaignState

# Campaigns that stopped within this long are still reconciled: their last impressions and spend
# may not have been folded in yet.
RECONCILE_AFTER_END = datetime.timedelta(days=2)


@shared_task(acks_late=True, expires=55)
def pace_campaigns() -> int:
    """One pacing step. Expires unrun after 55 s: a late step is replaced by the next one, not run
    twice in a row."""
    return pacing.pace(timezone.now())


@shared_task(acks_late=True, expires=55)
def reconcile_budgets() -> int:
    """Redis counters brought in line with the Spend ledger, impressions folded into the database."""
    return reconcile(timezone.now())


def reconcile(now: datetime.datetime) -> int:
    budget = get_budget()
    recent = Q(ends_at__isnull=True) | Q(ends_at__gt=now - RECONCILE_AFTER_END)
    campaigns = list(Campaign.objects.exclude(state=CampaignState.DRAFT).filter(recent))
    for campaign in campaigns:
        budget.reconcile(campaign, now)
    return len(campaigns)
