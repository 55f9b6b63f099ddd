"""What Alipay's async notifies mean for our payments and refunds.

A notify reaches here verified (`AlipayGateway.verified_notify`: Alipay's signature, our APPID and
seller). It is stored once by "alipay:<notify_id>" with its effect (`provider_events.record_once`),
so a notify Alipay repeats changes nothing; and since the services only move a payment or refund
forward, notifies arriving out of order, or after our own query or refund answer, leave the same
result.

Alipay notifies a payment (trade_status TRADE_SUCCESS, later TRADE_FINISHED once it can no longer
be refunded) and each refund (out_biz_no = our out_request_no, with refund_fee; trade_status stays
TRADE_SUCCESS after a partial refund and becomes TRADE_CLOSED after a full one)."""

import logging

from . import provider_events, shopper_payments
from .gateways.alipay import PAID_STATUSES, parse_money
from .models import Payment, Refund, RefundStatus, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_ID_MAX = WebhookEvent._meta.get_field("event_id").max_length - len("alipay:")
REQUIRED = ("notify_id", "out_trade_no")


class MalformedNotify(Exception):
    """A signed notify without what every Alipay notify carries."""


def handle(fields: dict[str, str]) -> str:
    """Store the notify once and act on it; returns what happened, for the log and the record."""
    missing = [name for name in REQUIRED if not fields.get(name)]
    if missing:
        raise MalformedNotify(f"missing {', '.join(missing)}")
    if len(fields["notify_id"]) > EVENT_ID_MAX:
        raise MalformedNotify("notify_id too long")
    kind = "refund" if fields.get("out_biz_no") else (fields.get("trade_status") or fields.get("notify_type") or "")
    return provider_events.record_once(f"alipay:{fields['notify_id']}", f"alipay.{kind}", fields, lambda: _act(fields))


def _act(fields: dict[str, str]) -> str:
    payment = Payment.objects.filter(gateway="alipay", merchant_reference=fields["out_trade_no"]).first()
    if payment is None:
        logger.warning("Alipay notify %s for an unknown out_trade_no %r", fields["notify_id"], fields["out_trade_no"])
        return "unknown payment"
    if fields.get("out_biz_no"):
        return _refunded(payment, fields)
    status = fields.get("trade_status", "")
    if status in PAID_STATUSES:
        return _paid(payment, fields)
    if status == "TRADE_CLOSED":
        # Closed unpaid (time_expire, or our close): the order's own unpaid timeout cancels it.
        return "closed"
    return "ignored"


def _paid(payment: Payment, fields: dict[str, str]) -> str:
    amount = parse_money(fields.get("total_amount", ""))
    if amount != payment.amount:
        logger.error(
            "Alipay trade %s: %r received for payment %s of %s",
            fields.get("trade_no"),
            fields.get("total_amount"),
            payment.pk,
            payment.amount,
        )
        return "amount mismatch"
    booked = shopper_payments.record_succeeded(payment.pk, amount=amount, provider_reference=fields.get("trade_no", ""))
    return "paid" if booked else "already paid"


def _refunded(payment: Payment, fields: dict[str, str]) -> str:
    """A refund we asked for (out_biz_no = its out_request_no) has gone through. Refunds made by
    hand in Alipay's merchant console carry numbers we never gave: logged for an operator."""
    refund = Refund.objects.filter(payment=payment, merchant_reference=fields["out_biz_no"]).first()
    if refund is None:
        logger.error("Alipay notify %s: refund %r is not ours", fields["notify_id"], fields["out_biz_no"])
        return "unknown refund"
    settled = shopper_payments.finish_refund(refund.pk, RefundStatus.SUCCEEDED)
    if not settled and Refund.objects.filter(pk=refund.pk, status=RefundStatus.FAILED).exists():
        logger.error("Alipay says refund %s went through, but it is recorded as failed", refund.merchant_reference)
        return "refund recorded as failed"
    return "refund succeeded" if settled else "no change"
