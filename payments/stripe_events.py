"""What each Stripe event means for our payments and refunds.

Every event is stored once by its id before it is handled, in the same transaction: a replayed or
duplicated delivery finds the id taken and changes nothing, and a handler that fails rolls the id
back so Stripe's retry is handled afresh. Events that arrive out of order are safe because the
services only move a payment or refund forward."""

import logging

from django.db import IntegrityError, transaction

from core.money import to_fen

from . import services
from .gateways.stripe import REFUND_STATUSES
from .models import Payment, Refund, WebhookEvent

logger = logging.getLogger(__name__)


def _find_payment(intent: dict) -> Payment | None:
    payment = Payment.objects.filter(stripe_payment_intent=intent.get("id")).first()
    if payment is None:
        # The webhook can beat our own write of the intent's id; the metadata names the payment.
        payment_id = str((intent.get("metadata") or {}).get("payment", ""))
        payment = Payment.objects.filter(pk=int(payment_id)).first() if payment_id.isdigit() else None
    return payment


def _find_refund(refund: dict) -> Refund | None:
    found = Refund.objects.filter(stripe_refund=refund.get("id")).first()
    if found is None:
        refund_id = str((refund.get("metadata") or {}).get("refund", ""))
        found = Refund.objects.filter(pk=int(refund_id)).first() if refund_id.isdigit() else None
    return found


def _intent_succeeded(intent: dict) -> str:
    payment = _find_payment(intent)
    if payment is None:
        return "unknown payment"
    received = intent.get("amount_received", intent.get("amount"))
    if received != to_fen(payment.amount) or str(intent.get("currency", "")).upper() != payment.currency:
        logger.error(
            "Stripe intent %s: %s %s received for payment %s",
            intent.get("id"),
            received,
            intent.get("currency"),
            payment.pk,
        )
        return "amount mismatch"
    return "paid" if services.record_succeeded(payment.pk) else "already paid"


def _intent_failed(intent: dict) -> str:
    payment = _find_payment(intent)
    if payment is None:
        return "unknown payment"
    message = (intent.get("last_payment_error") or {}).get("message", "")
    return "failed" if services.record_failed(payment.pk, message) else "no change"


def _refund_changed(refund: dict) -> str:
    found = _find_refund(refund)
    if found is None:
        return "unknown refund"
    status = REFUND_STATUSES.get(refund.get("status"), None)
    if status is None:
        return "no change"
    return "refund " + status if services.finish_refund(found.pk, status, refund.get("id")) else "no change"


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.refund.updated": _refund_changed,
}


def handle(event: dict) -> str:
    """Store the event once and act on it; returns what happened, for the log and the record."""
    handler = HANDLERS.get(event.get("type"))
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event["id"], type=event.get("type", ""), payload=event)
        except IntegrityError:
            return "duplicate"
        outcome = handler(event["data"]["object"]) if handler else "ignored"
        record.outcome = outcome
        record.save(update_fields=["outcome"])
    return outcome
