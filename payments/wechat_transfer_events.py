"""WeChat Pay's notify of a transfer's final state (MCHTRANSFER.BILL.FINISHED), after the view has
verified its signature and decrypted its resource (`wechatpay_client.verify_notify`).

Each notify is stored once by its id ("wechatpay:<id>") in the same transaction as its effect, as
every provider's events are (`payments.webhook_events`): a replay or a duplicate changes nothing, and a
handler that fails rolls the id back so WeChat Pay's retry is handled afresh. A notify that comes
after the payout was settled (by a query) finds nothing left to do."""

import logging

from django.core.exceptions import ValidationError

from . import payout_sending, webhook_events
from .models import PayoutStatus
from .payout_methods import SendError
from .payout_methods.wechat_transfer import outcome_of, payout_for

logger = logging.getLogger(__name__)

EVENT_TYPE = "MCHTRANSFER.BILL.FINISHED"


def handle(notify: dict) -> str:
    """Book what a verified notify says, once (`webhook_events.store_once_and_act`); returns what
    happened, for the log."""
    event_type = notify["event_type"][:100]
    resource = notify["resource"]
    return webhook_events.store_once_and_act(
        f"wechatpay:{notify['id']}", event_type, notify, lambda: _apply(event_type, resource)
    )


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
