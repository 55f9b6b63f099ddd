"""Sending payouts whose method hands the money over itself (Stripe Connect, WeChat balance
transfers), after the run, and asking how those the provider took are getting on.

Called from a task (`payments.tasks.send_payout`) once the run's transaction for that seller has
committed, outside any transaction: the provider's answer is recorded in a transaction of its own.
A repeat is harmless: a payout no longer on its way is left alone, and the provider is asked with
the payout's idempotency key (WeChat: the out_bill_no derived from the payout), so a retry after a
lost answer gets the first transfer back.

A provider may take a payout and finish it later (WeChat: the farmer confirms receipt on their
phone first). Such a payout stays on its way with the provider's word (`Payout.provider_state`);
`check` asks the provider again (beat: `payments.tasks.check_payouts_in_flight`), and its notify, when
it comes, settles it sooner."""

from . import payout_methods, payouts
from .models import Payout, PayoutStatus
from .payout_methods import SendError, SendOutcome  # noqa: F401  (what callers retry on)


def record(payout: Payout, outcome: SendOutcome | None) -> Payout:
    """Book what the provider said of a payout: paid, failed (the money back to the payable), or
    still under way (its state kept)."""
    if outcome is None:
        return payout
    if outcome.pending:
        return payouts.record_in_flight(payout, outcome.state, outcome.confirm_package)
    if outcome.paid:
        return payouts.record_paid(payout, outcome.reference)
    return payouts.record_failed(payout, outcome.reason)


def _pending(payout_id: int):
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None or payout.status != PayoutStatus.PENDING:
        return payout, None
    method = payout_methods.get(payout.method)
    return payout, method if method.sends_itself else None


def send(payout_id: int) -> Payout | None:
    """Hand one payout's money over and record the answer. A payout the provider already took is
    asked about instead (`check`): never sent twice. Raises SendError when it should be tried
    again."""
    payout, method = _pending(payout_id)
    if method is None:
        return payout
    if payout.provider_state:
        return record(payout, method.query(payout))
    return record(payout, method.send(payout))


def check(payout_id: int) -> Payout | None:
    """Ask the provider how a payout it took stands now, and record it. Raises SendError when the
    provider cannot say now."""
    payout, method = _pending(payout_id)
    if method is None or not payout.provider_state:
        return payout
    return record(payout, method.query(payout))


def _self_sending() -> list[str]:
    return [name for name in payout_methods.registry.names() if payout_methods.get(name).sends_itself]


def unsent() -> list[int]:
    """Payouts still waiting to be handed over through a method that sends itself: those whose task
    was lost (a worker gone, the broker down when the run committed), or that the provider has not
    taken yet (down, out of money); a sweep sends them again."""
    waiting = Payout.objects.filter(status=PayoutStatus.PENDING, method__in=_self_sending(), provider_state="")
    return list(waiting.values_list("pk", flat=True))


def in_flight() -> list[int]:
    """Payouts the provider took and has not finished: a sweep asks about each."""
    taken = Payout.objects.filter(status=PayoutStatus.PENDING, method__in=_self_sending()).exclude(provider_state="")
    return list(taken.values_list("pk", flat=True))
