"""WeChat Pay's notify of a transfer's final state (MCHTRANSFER.BILL.FINISHED), after the view has
verified its signature and decrypted its resource with `wechatpayv3`.

Each notify is stored once by its id ("wechatpay:<id>") in the same transaction as its effect, as
Stripe's events are (`payments.stripe_events`): a replay or a duplicate changes nothing, and a
handler that fails rolls the id back so WeChat Pay's retry is handled afresh. A notify that comes
after the payout was settled (by a query) finds nothing left to do."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import payout_sending
from .models import PayoutStatus, WebhookEvent
from .payout_methods import SendError
from .payout_methods.wechat_transfer import outcome_of, payout_for

logger = logging.getLogger(__name__)

EVENT_TYPE = "MCHTRANSFER.BILL.FINISHED"


def is_notify(notify) -> bool:
    return (
        isinstance(notify, dict)
        and isinstance(notify.get("id"), str)
        and 0 < len(notify["id"]) <= 200
        and isinstance(notify.get("event_type"), str)
        and isinstance(notify.get("resource"), dict)
    )


def handle(notify: dict) -> str:
    """Book what a verified notify says; returns what happened, for the log."""
    event_id = f"wechatpay:{notify['id']}"
    event_type = notify["event_type"][:100]
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(event_id=event_id, type=event_type, payload=notify)
        except IntegrityError:
            return "duplicate"
        event.outcome = _apply(event_type, notify["resource"])
        event.save(update_fields=["outcome"])
    return event.outcome


def _apply(event_type: str, resource: dict) -> str:
    if event_type != EVENT_TYPE:
        return "ignored"
    payout = payout_for(resource.get("out_bill_no") if isinstance(resource.get("out_bill_no"), str) else "")
    if payout is None:
        logger.warning("WeChat transfer notify for an unknown bill %r", resource.get("out_bill_no"))
        return "unknown bill"
    if payout.status != PayoutStatus.PENDING:
        return f"already {payout.status}"
    try:
        outcome = outcome_of(payout, resource)
    except SendError as error:
        # Another amount or transfer than ours: a person looks (logged); WeChat Pay is not asked to
        # send it again, since it would say the same.
        return f"not trusted: {error}"[:100]
    try:
        payout = payout_sending.record(payout, outcome)
    except ValidationError as error:
        logger.error("WeChat transfer notify for payout %s not booked: %s", payout.pk, error)
        return "already settled"
    return payout.status if not outcome.pending else f"under way: {outcome.state}"
