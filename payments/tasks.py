"""Payouts' tasks. Thin, and safe to repeat: a run pays only money no payout has settled yet,
and a send asks the provider with the payout's idempotency key, so a retried, redelivered or
doubled task pays nobody twice."""

from celery import shared_task

from . import payout_sending, payouts


@shared_task(acks_late=True)
def run_payouts() -> int:
    """One payout run (weekly, settings.CELERY_BEAT_SCHEDULE); returns how many payouts it made."""
    return len(payouts.run())


@shared_task(
    acks_late=True,
    autoretry_for=(payout_sending.SendError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_payout(payout_id: int) -> str | None:
    """Idempotent: a payout already settled is left alone, and the provider is asked with the
    payout's idempotency key. A network error or an outage is retried, backing off up to an hour."""
    payout = payout_sending.send(payout_id)
    return payout.status if payout else None


@shared_task
def send_unsent_payouts() -> int:
    """Enqueue a send for every payout still waiting to be sent (see `payout_sending.unsent`)."""
    ids = payout_sending.unsent()
    for payout_id in ids:
        send_payout.delay(payout_id)
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(payout_sending.SendError,),
    retry_backoff=60,
    retry_backoff_max=3600,
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
