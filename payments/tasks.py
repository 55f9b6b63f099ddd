"""Payments' tasks. Thin, and safe to repeat: a run pays only money no payout has settled yet,
and a send asks the provider with the payout's idempotency key, so a retried, redelivered or
doubled task pays nobody twice."""

import logging
from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from . import payout_sending, payouts, pending_payments, settlement
from .gateways import GatewayError
from .settlement_bill import BillError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_payouts() -> int:
    """One payout run (weekly, settings.CELERY_BEAT_SCHEDULE); returns how many payouts it made."""
    return len(payouts.run())


@shared_task(
    acks_late=True,
    autoretry_for=(payout_sending.SendError,),
    retry_backoff=30,
    retry_backoff_max=600,  # shorter than the broker's visibility timeout (settings)
    max_retries=12,
)
def send_payout(payout_id: int) -> str | None:
    """Idempotent: a payout already settled is left alone, and the provider is asked with the
    payout's idempotency key. A network error or an outage is retried, backing off to every 10
    minutes, for about 1.5 hours."""
    payout = payout_sending.send(payout_id)
    return payout.status if payout else None


@shared_task
def send_unsent_payouts() -> int:
    """Enqueue a send for every payout still waiting to be sent (see `payout_sending.unsent`)."""
    ids = payout_sending.unsent()
    for payout_id in ids:
        send_payout.delay(payout_id)
    return len(ids)


@shared_task
def check_pending_payments() -> dict[str, int]:
    """Ask WeChat Pay and Alipay about payments whose notify is late (every few minutes,
    settings.CELERY_BEAT_SCHEDULE). Safe to repeat or overlap: a payment is booked once."""
    return pending_payments.check_pending_payments()


@shared_task
def check_pending_refunds() -> dict[str, int]:
    """Ask WeChat Pay and Alipay about refunds still pending (every few minutes,
    settings.CELERY_BEAT_SCHEDULE). Safe to repeat or overlap: a refund settles once."""
    return pending_payments.check_pending_refunds()


@shared_task(
    acks_late=True,
    autoretry_for=(GatewayError, BillError),
    retry_backoff=600,
    retry_backoff_max=600,  # not longer: a message waiting for its retry must not outlive the visibility timeout
    retry_jitter=False,
    max_retries=48,  # every 10 minutes for 8 hours
)
def import_settlements(gateway: str, day: str | None = None) -> str:
    """Download yesterday's bill of `gateway` (or `day`, YYYY-MM-DD) and book its fees (daily,
    settings.CELERY_BEAT_SCHEDULE, once the provider's bills are ready). Does nothing while the
    provider is not configured. Safe to repeat: a fee is booked once however often a bill is
    imported. A bill not ready yet, or arriving damaged, is asked for again later."""
    if not settlement.is_configured(gateway):
        return "not configured"
    bill_day = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    result = settlement.fetch_and_import(gateway, bill_day)
    if result is None:
        return "no bill"
    for problem in result.problems:
        logger.warning("settlement %s %s line %s: %s", gateway, bill_day, problem.row.line, problem.outcome)
    return result.summary()


@shared_task(
    acks_late=True,
    autoretry_for=(payout_sending.SendError,),
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=3,
)
def check_payout(payout_id: int) -> str | None:
    """Ask the provider how a payout it took stands (WeChat: by out_bill_no) and record it."""
    payout = payout_sending.check(payout_id)
    return payout.status if payout else None


@shared_task
def check_payouts_in_flight() -> int:
    """Enqueue a check for every payout the provider took and has not finished (beat, every
    PAYOUT_CHECK_SECONDS): the notify that would settle it may never come."""
    ids = payout_sending.in_flight()
    for payout_id in ids:
        check_payout.delay(payout_id)
    return len(ids)
