"""Sending payouts whose method hands the money over itself (Stripe Connect), after the run.

Called from a task (`payments.tasks.send_payout`) once the run's transaction for that seller has
committed, outside any transaction: the provider's answer is recorded in a transaction of its own.
A repeat is harmless: a payout no longer on its way is left alone, and the provider is asked with
the payout's idempotency key, so a retry after a lost answer gets the first transfer back."""

from . import payout_methods, payouts
from .models import Payout, PayoutStatus
from .payout_methods import SendError  # noqa: F401  (what callers retry on)


def send(payout_id: int) -> Payout | None:
    """Hand one payout's money over and record the answer: paid with the provider's reference, or
    failed (the money back to the payable). Raises SendError when it should be tried again."""
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None or payout.status != PayoutStatus.PENDING:
        return payout
    method = payout_methods.get(payout.method)
    if not method.sends_itself:
        return payout
    outcome = method.send(payout)
    if outcome is None:
        return payout
    if outcome.paid:
        return payouts.record_paid(payout, outcome.reference)
    return payouts.record_failed(payout, outcome.reason)


def unsent() -> list[int]:
    """Payouts still on their way through a method that sends itself: those whose task was lost
    (a worker gone, the broker down when the run committed); a sweep sends them again."""
    names = [name for name in payout_methods.registry.names() if payout_methods.get(name).sends_itself]
    return list(Payout.objects.filter(status=PayoutStatus.PENDING, method__in=names).values_list("pk", flat=True))
