"""WeChat Pay (API v3, direct merchant) through `payments.wechatpay_client`: a QR code on a computer
(Native), WeChat's payment page from a phone's browser (H5), and the payment sheet inside WeChat
(JSAPI, with the shopper's openid). Every payment at WeChat carries our merchant reference as its
out_trade_no and every refund its own as out_refund_no, so a retried call never pays or refunds
twice. Amounts are in fen."""

import datetime
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wechatpayv3 import WeChatPayType

from core.money import to_fen

from .. import wechatpay_client
from ..models import RefundStatus
from .base import Device, Gateway, GatewayError, PaymentStep, RefundOutcome, RemoteState

# trade_state → RemoteState.status. REFUND: paid, then (some of it) refunded.
TRADE_STATES = {
    "SUCCESS": "paid",
    "REFUND": "paid",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "closed",
}
REFUND_STATES = {
    "SUCCESS": RefundStatus.SUCCEEDED,
    "PROCESSING": RefundStatus.PENDING,
    "ABNORMAL": RefundStatus.FAILED,
    "CLOSED": RefundStatus.FAILED,
}
DESCRIPTION_BYTES = 127  # WeChat's limit on `description`, in UTF-8 bytes
CHINA = datetime.timezone(datetime.timedelta(hours=8))


def description(payment) -> str:
    """What the shopper's WeChat bill says: the shop and the order number, then the first goods,
    cut at a character (never inside one) to WeChat's 127 bytes."""
    order = payment.order
    names = [line.product_name for line in order.lines.all()[:3]]
    text = f"山货订单 {order.number} " + "、".join(names)
    while len(text.encode("utf-8")) > DESCRIPTION_BYTES:
        text = text[:-1]
    return text.strip()


def time_expire(payment) -> datetime.datetime:
    """When WeChat stops taking the money: PAYMENT_TIMEOUT_MINUTES after the order was placed
    (whichever channel is opened, and however late), so the order's timeout job and WeChat agree."""
    return (payment.created_at + datetime.timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)).astimezone(CHINA)


def _amount(payment) -> dict:
    return {"total": to_fen(payment.amount), "currency": payment.currency}


class WeChatPayGateway(Gateway):
    label = _("WeChat Pay")

    def is_configured(self) -> bool:
        return wechatpay_client.is_configured()

    def channel(self, device: Device) -> str:
        if device.in_wechat and device.openid:
            return "jsapi"
        if device.on_phone and not device.in_wechat:
            return "h5"
        return "native"

    def open(self, payment, device: Device) -> dict:
        channel = self.channel(device)
        expires = time_expire(payment)
        params = {
            "description": description(payment),
            "out_trade_no": payment.merchant_reference,
            "amount": _amount(payment),
            "time_expire": expires.isoformat(timespec="seconds"),
            "notify_url": wechatpay_client.notify_url(),
        }
        if channel == "jsapi":
            params.update(pay_type=WeChatPayType.JSAPI, payer={"openid": device.openid})
        elif channel == "h5":
            params.update(
                pay_type=WeChatPayType.H5,
                scene_info={"payer_client_ip": device.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}},
            )
        else:
            params.update(pay_type=WeChatPayType.NATIVE)
        status, body = wechatpay_client.call(lambda wxpay: wxpay.pay(**params))
        if status != 200:
            raise wechatpay_client.refusal(status, body, "the payment")
        key = {"jsapi": "prepay_id", "h5": "h5_url", "native": "code_url"}[channel]
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise GatewayError(f"WeChat Pay's answer has no {key}")
        return {key: value, "expires_at": expires.isoformat()}

    def shopper_step(self, payment, device: Device | None = None) -> PaymentStep | None:
        channel = self.channel(device or Device())
        data = payment.shopper_data.get(channel)
        if not data:
            return None
        if channel == "jsapi":
            return PaymentStep("jsapi", {"params": wechatpay_client.jsapi_params(data["prepay_id"])})
        if channel == "h5":
            url = data["h5_url"]
            if device and device.return_url:
                url += ("&" if "?" in url else "?") + "redirect_url=" + quote(device.return_url, safe="")
            return PaymentStep("redirect", {"url": url})
        return PaymentStep("qr", {"code_url": data["code_url"], "expires_at": data.get("expires_at")})

    def query(self, payment) -> RemoteState | None:
        number = payment.merchant_reference
        status, body = wechatpay_client.call(lambda wxpay: wxpay.query(out_trade_no=number))
        if status == 404:
            # Never opened at WeChat: nobody can have paid it.
            return RemoteState("pending")
        if status != 200:
            raise wechatpay_client.refusal(status, body, "the query")
        state = TRADE_STATES.get(body.get("trade_state"))
        if state is None:
            raise GatewayError(f"WeChat Pay's trade_state is unknown: {body.get('trade_state')!r}")
        if state != "paid":
            return RemoteState(state)
        amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
        total = amount.get("total")
        return RemoteState(
            "paid",
            amount=Decimal(total) / 100 if isinstance(total, int) and not isinstance(total, bool) else None,
            currency=amount.get("currency") if isinstance(amount.get("currency"), str) else "",
            provider_reference=str(body.get("transaction_id") or "")[:64],
        )

    def cancel(self, payment) -> None:
        """Close the order at WeChat. One WeChat never saw is closed already; one already paid is an
        error the caller must know of (the money is there: it is refunded when its notify comes)."""
        number = payment.merchant_reference
        status, body = wechatpay_client.call(lambda wxpay: wxpay.close(out_trade_no=number))
        if status in (200, 204) or (status == 404 and body.get("code") == "ORDER_NOT_EXIST"):
            return
        raise wechatpay_client.refusal(status, body, "closing the payment")

    def refund(self, refund) -> RefundOutcome:
        payment = refund.payment
        params = {
            "out_refund_no": refund.merchant_reference,
            "out_trade_no": payment.merchant_reference,
            "amount": {"refund": to_fen(refund.amount), "total": to_fen(payment.amount), "currency": payment.currency},
            "notify_url": wechatpay_client.notify_url(),
        }
        status, body = wechatpay_client.call(lambda wxpay: wxpay.refund(**params))
        if status != 200:
            raise wechatpay_client.refusal(status, body, "the refund")
        return self._refund_outcome(body)

    def query_refund(self, refund) -> RefundOutcome | None:
        """How the refund stands at WeChat. One WeChat never received (our request was lost on the
        way) is sent now, under the same out_refund_no, so asking settles it either way."""
        number = refund.merchant_reference
        status, body = wechatpay_client.call(lambda wxpay: wxpay.query_refund(out_refund_no=number))
        if status == 404 and body.get("code") == "RESOURCE_NOT_EXISTS":
            return self.refund(refund)
        if status != 200:
            raise wechatpay_client.refusal(status, body, "the refund query")
        return self._refund_outcome(body)

    @staticmethod
    def _refund_outcome(body: dict) -> RefundOutcome:
        state = REFUND_STATES.get(body.get("status"))
        if state is None:
            raise GatewayError(f"WeChat Pay's refund status is unknown: {body.get('status')!r}")
        remote = body.get("refund_id")
        return RefundOutcome(state, remote if isinstance(remote, str) and remote else None)
