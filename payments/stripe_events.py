"""What each Stripe event means for our payments and refunds.

Every event is stored once by its id before it is handled, in the same transaction
(`webhook_events.store_once_and_act`): a replayed or duplicated delivery finds the id taken and
changes nothing, and a handler that fails rolls the id back so Stripe's retry is handled afresh.
Events that arrive out of order are safe because the services only move a payment or refund forward.

The body has been signed with our endpoint secret, but it is still read defensively: a field of an
unexpected type is treated as missing, never as a reason to fail. Text containing NUL characters,
which PostgreSQL cannot store, counts as missing too, and is replaced in the stored copy."""

import logging
import uuid

from django.core.exceptions import ValidationError

from core.money import to_fen

from . import disputes, ledger, shopper_payments, webhook_events
from .gateways.stripe import REFUND_STATUSES
from .models import Dispute, DisputeStatus, Payment, Refund, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_ID_MAX = WebhookEvent._meta.get_field("event_id").max_length
EVENT_TYPE_MAX = WebhookEvent._meta.get_field("type").max_length


def is_event(body) -> bool:
    """A Stripe (v1, snapshot) event as far as we rely on it: an id and a type we can store, and
    the object it is about."""
    if not isinstance(body, dict):
        return False
    event_id, event_type, data = body.get("id"), body.get("type"), body.get("data")
    return (
        isinstance(event_id, str)
        and 0 < len(event_id) <= EVENT_ID_MAX
        and "\x00" not in event_id
        and isinstance(event_type, str)
        and 0 < len(event_type) <= EVENT_TYPE_MAX
        and "\x00" not in event_type
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) and "\x00" not in value else ""


def _metadata(obj: dict) -> dict:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def _find_payment(intent: dict) -> Payment | None:
    intent_id = _text(intent, "id")
    payment = Payment.objects.filter(stripe_payment_intent=intent_id).first() if intent_id else None
    if payment is None:
        # The webhook can beat our own write of the intent's id; the metadata names the payment.
        # Its checkout UUID must match too: payment numbers repeat across databases (staging, a
        # developer's) that receive the same Stripe account's events.
        metadata = _metadata(intent)
        payment_id, checkout = _text(metadata, "payment"), _text(metadata, "checkout")
        payment = (
            Payment.objects.filter(pk=int(payment_id), order__checkout_id=checkout, stripe_payment_intent=None).first()
            if payment_id.isdigit() and _is_uuid(checkout)
            else None
        )
    return payment


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _find_refund(refund: dict) -> Refund | None:
    refund_id = _text(refund, "id")
    found = Refund.objects.filter(stripe_refund=refund_id).first() if refund_id else None
    if found is None:
        # As for payments: our refund's number, but only on the PaymentIntent it refunds.
        number = _text(_metadata(refund), "refund")
        intent = _text(refund, "payment_intent")
        found = (
            Refund.objects.filter(pk=int(number), payment__stripe_payment_intent=intent, stripe_refund=None).first()
            if number.isdigit() and intent
            else None
        )
    return found


def _intent_succeeded(intent: dict) -> str:
    payment = _find_payment(intent)
    if payment is None:
        return "unknown payment"
    received = intent.get("amount_received", intent.get("amount"))
    currency = _text(intent, "currency").upper()
    if isinstance(received, bool) or received != to_fen(payment.amount) or currency != payment.currency:
        logger.error(
            "Stripe intent %s: %s %s received for payment %s", intent.get("id"), received, currency, payment.pk
        )
        return "amount mismatch"
    return "paid" if shopper_payments.record_succeeded(payment.pk) else "already paid"


def _intent_failed(intent: dict) -> str:
    payment = _find_payment(intent)
    if payment is None:
        return "unknown payment"
    error = intent.get("last_payment_error")
    message = _text(error, "message") if isinstance(error, dict) else ""
    return "failed" if shopper_payments.record_failed(payment.pk, message) else "no change"


def _refund_changed(refund: dict) -> str:
    found = _find_refund(refund)
    if found is None:
        return "unknown refund"
    status = REFUND_STATUSES.get(_text(refund, "status"))
    if status is None:
        return "no change"
    return (
        "refund " + status
        if shopper_payments.finish_refund(found.pk, status, _text(refund, "id") or None)
        else "no change"
    )


def _open_dispute(dispute: dict) -> tuple[Dispute | None, str]:
    """The dispute recorded for this Stripe dispute, recorded now if it was not (a `closed` event
    can be the first we see). Found by its id, else its payment by the charge's PaymentIntent."""
    dispute_id = _text(dispute, "id")
    if not dispute_id:
        return None, "unknown dispute"
    known = Dispute.objects.filter(provider_id=dispute_id).first()
    if known is not None:
        return known, "dispute already recorded"
    intent = _text(dispute, "payment_intent")
    payment = Payment.objects.filter(stripe_payment_intent=intent).first() if intent else None
    if payment is None:
        return None, "unknown payment"
    fen = dispute.get("amount")
    amount = ledger.from_fen(fen) if isinstance(fen, int) and not isinstance(fen, bool) and fen > 0 else None
    try:
        found = disputes.open_dispute(None, payment, _text(dispute, "reason"), amount, provider_id=dispute_id)
    except ValidationError as error:
        logger.error("Stripe dispute %s on payment %s not recorded: %s", dispute_id, payment.pk, error.messages)
        return None, "dispute refused"
    return found, "dispute opened"


def _dispute_created(dispute: dict) -> str:
    return _open_dispute(dispute)[1]


def _dispute_closed(dispute: dict) -> str:
    """Stripe's `lost` is lost; `won`, and a warning (an inquiry) closed without a chargeback, leave
    the money with us: won."""
    found, outcome = _open_dispute(dispute)
    if found is None:
        return outcome
    result = DisputeStatus.LOST if _text(dispute, "status") == "lost" else DisputeStatus.WON
    if found.status != DisputeStatus.OPEN:
        return "no change"
    try:
        disputes.close_dispute(None, found, result)
    except ValidationError:
        return "no change"
    return f"dispute {result}"


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.refund.updated": _refund_changed,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


def handle(event: dict) -> str:
    """Store the event once and act on it; returns what happened, for the log and the record.
    `event` has passed `is_event`."""
    handler = HANDLERS.get(event["type"])
    return webhook_events.store_once_and_act(
        event["id"], event["type"], event, lambda: handler(event["data"]["object"]) if handler else "ignored"
    )
