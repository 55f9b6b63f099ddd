"""Disputes: a shopper contests a payment, at the card network (a Stripe chargeback, recorded from
its webhook) or with us (an operator opens one). While a dispute is open the order's money is held
back from payouts (`payouts._eligible`). Won, the money is payable again at the next run; lost, the
shopper has it back, and the ledger books it as a full refund of what was left of the payment
(`ledger.book_dispute_lost`), so the sellers are never paid for it (or it is taken from their next
payout, if they were paid before the dispute came).

Both services are idempotent: a dispute is found again by its provider id (Stripe's `dp_…`), and
closing a closed dispute the same way changes nothing, so a replayed or duplicated webhook cannot
book a loss twice."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import field_error
from core.permissions import staff

from . import ledger
from .models import Dispute, DisputeStatus, Payment, PaymentStatus
from .shopper_payments import _shipping_taken, _taken_lines


def _check_actor(actor) -> None:
    """`actor` None is the system (a payment service's webhook); otherwise only operators, as for
    refunds: a lost dispute moves money as a refund does."""
    if actor is not None and not staff(actor):
        raise PermissionDenied(_("Only operators handle disputes."))


def open_dispute(actor, payment: Payment, reason: str, amount: Decimal | None = None, provider_id: str = "") -> Dispute:
    """Open a dispute of a paid payment; `amount` defaults to what is left of it after refunds.
    With a `provider_id` already recorded, the dispute recorded then is returned unchanged."""
    _check_actor(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if provider_id:
            known = Dispute.objects.filter(provider_id=provider_id).first()
            if known is not None:
                return known
        if payment.status != PaymentStatus.SUCCEEDED:
            raise field_error(None, _("Only a paid order can be disputed."), "not_paid")
        if actor is not None:
            if not reason:
                raise field_error("reason", _("Say why the shopper disputes this payment."), "required")
            if payment.disputes.filter(status=DisputeStatus.OPEN).exists():
                raise field_error(None, _("This payment already has an open dispute."), "already_open")
        amount = payment.refundable_amount if amount is None else amount
        if amount <= 0 or amount > payment.amount:
            raise field_error(
                "amount", _("The disputed amount must be more than 0 and at most what was paid."), "invalid"
            )
        return Dispute.objects.create(
            payment=payment, provider_id=provider_id, amount=amount, reason=reason, opened_by=actor
        )


def close_dispute(actor, dispute: Dispute, outcome: str) -> Dispute:
    """Close an open dispute as won or lost. Closing it again the same way changes nothing; the
    other way is refused. Lost: what is left of the payment (lines and shipping not refunded or
    being refunded) is booked as taken back, and counted as refunded, so it cannot be refunded
    again."""
    _check_actor(actor)
    if outcome not in (DisputeStatus.WON, DisputeStatus.LOST):
        raise field_error("outcome", _("A dispute is closed as won or lost."), "invalid")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("order").get(pk=dispute.payment_id)
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.status != DisputeStatus.OPEN:
            if dispute.status == outcome:
                return dispute
            raise field_error(None, _("This dispute is already closed the other way."), "already_closed")
        dispute.status = outcome
        dispute.closed_at = timezone.now()
        dispute.closed_by = actor
        dispute.save(update_fields=["status", "closed_at", "closed_by"])
        if outcome == DisputeStatus.LOST:
            taken = _taken_lines(payment)
            lines = [line for line in payment.order.lines.all() if line.pk not in taken]
            dispute.payment = payment
            amount = ledger.book_dispute_lost(dispute, lines, includes_shipping=not _shipping_taken(payment))
            payment.refunded_amount += amount
            payment.save(update_fields=["refunded_amount"])
    return dispute
