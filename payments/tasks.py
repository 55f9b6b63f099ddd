"""The weekly payout run (settings.CELERY_BEAT_SCHEDULE). Thin, and safe to repeat: a run pays only
money no payout has settled yet, so a retried, redelivered or doubled task pays nobody twice."""

from celery import shared_task

from . import payouts


@shared_task(acks_late=True)
def run_payouts() -> int:
    """One payout run; returns how many payouts it made."""
    return len(payouts.run())
