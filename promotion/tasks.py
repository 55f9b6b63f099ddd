"""The promotion's periodic tasks (settings.CELERY_BEAT_SCHEDULE runs both every minute). Each is a
thin wrapper over a function that takes `now`, so tests drive them with injected time."""

from celery import shared_task
from django.utils import timezone

from . import pacing, quality
from .budget import reconcile_campaigns


@shared_task(acks_late=True, expires=55)
def pace_campaigns() -> int:
    """One pacing step. Expires unrun after 55 s: a late step is replaced by the next one, not run
    twice in a row."""
    return pacing.pace(timezone.now())


@shared_task(acks_late=True, expires=55)
def reconcile_budgets() -> int:
    """Redis counters brought in line with the Spend ledger, impressions folded into the database."""
    return reconcile_campaigns(timezone.now())


@shared_task(acks_late=True, expires=240)
def fold_feed_stats() -> int:
    """The feed's day counters and the orders folded into the quality figures the ranking reads."""
    return quality.fold(timezone.now())
