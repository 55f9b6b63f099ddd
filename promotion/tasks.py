import datetime

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import pacing
from .budget import get_budget
from .models import Campaign, CampaignState


@shared_task(acks_late=True, expires=55)
def pace_campaigns() -> int:
    """Every minute (beat): one pacing step. Expires unrun after 55 s: a late step is replaced by
    the next one, not run twice in a row."""
    return pacing.pace()


@shared_task(acks_late=True, expires=55)
def reconcile_budgets() -> int:
    """Every minute (beat): Redis counters brought in line with the Spend ledger, impressions
    folded into the database."""
    now = timezone.now()
    budget = get_budget()
    # Also campaigns that stopped lately: their last impressions and spend still need folding in.
    recent = Q(ends_at__isnull=True) | Q(ends_at__gt=now - datetime.timedelta(days=2))
    campaigns = list(Campaign.objects.exclude(state=CampaignState.DRAFT).filter(recent))
    for campaign in campaigns:
        budget.reconcile(campaign, now)
    return len(campaigns)
