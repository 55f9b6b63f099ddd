"""What each WeChat Pay notify means for our payments and refunds.

A notify has been verified and decrypted (`wechatpay_client.verify_notify`); it is stored once as
"wechatpay:<id>" in the same transaction as its effect (`webhook_events.store_once_and_act`), so a
replay changes nothing. WeChat sends a payment's success again under a new id, and notifies arrive
in any order: the services only move a payment or refund forward, so a late or repeated one
changes nothing either. The decrypted resource is still read defensively: a field of an unexpected
type counts as missing."""

import logging

from django.conf import settings

from core.money import to_fen

from . import ledger, shopper_payments, webhook_events
from .gateways.wechatpay import REFUND_STATES
from .models import Payment, Refund

logger = logging.getLogger(__name__)

PAID = "TRANSACTION.SUCCESS"
REFUND_EVENTS = ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) and "\x00" not in value else ""


def _paid(resource: dict) -> str:
    number = _text(resource, "out_trade_no")
    payment = Payment.objects.filter(merchant_reference=number, gateway="wechatpay").first() if number else None
    if payment is None:
        logger.warning("WeChat Pay notify for an unknown out_trade_no %r", number[:64])
        return "unknown payment"
    if _text(resource, "mchid") != settings.WECHATPAY_MCHID or _text(resource, "appid") != settings.WECHATPAY_APPID:
        logger.error("WeChat Pay notify for payment %s names another merchant or app: not booked", payment.pk)
        return "wrong merchant"
    if _text(resource, "trade_state") != "SUCCESS":
        return "not paid"
    amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
    total, currency = amount.get("total"), _text(amount, "currency")
    if isinstance(total, bool) or total != to_fen(payment.amount) or currency != payment.currency:
        logger.error(
            "WeChat Pay notify: %r %r received for payment %s of %s %s: not booked",
            total,
            currency,
            payment.pk,
            payment.amount,
            payment.currency,
        )
        return "amount mismatch"
    booked = shopper_payments.record_succeeded(
        payment.pk, amount=ledger.from_fen(total), provider_reference=_text(resource, "transaction_id")
    )
    return "paid" if booked else "already paid"


def _refund_finished(resource: dict) -> str:
    number = _text(resource, "out_refund_no")
    refund = Refund.objects.filter(merchant_reference=number, payment__gateway="wechatpay").first() if number else None
    if refund is None:
        logger.warning("WeChat Pay refund notify for an unknown out_refund_no %r", number[:64])
        return "unknown refund"
    status = REFUND_STATES.get(_text(resource, "refund_status"))
    if status is None:
        return "no change"
    changed = shopper_payments.finish_refund(refund.pk, status, _text(resource, "refund_id") or None)
    return f"refund {status}" if changed else "no change"


def handle(notify: dict) -> str:
    """Store the notify once and act on it; returns what happened, for the log and the record."""
    event_type, resource = notify["event_type"], notify["resource"]
    if event_type == PAID:
        act = lambda: _paid(resource)  # noqa: E731
    elif event_type in REFUND_EVENTS:
        act = lambda: _refund_finished(resource)  # noqa: E731
    else:
        act = lambda: "ignored"  # noqa: E731
    return webhook_events.store_once_and_act(f"wechatpay:{notify['id']}", event_type, notify, act)
