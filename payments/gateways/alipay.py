"""Alipay (支付宝): 电脑网站支付 (page pay) on a computer and 手机网站支付 (wap pay) on a phone, in
public-key mode, through `python-alipay-sdk`.

The SDK builds and signs (RSA2) the requests and verifies Alipay's signatures; it would send its
requests with urllib, whose timeouts and errors we cannot shape and which tests cannot stub, so we
send them with `requests` ourselves and check the answer's signature with the SDK's key
(docs/decisions.md, alipay). Paying needs no call: the shopper follows a signed link to Alipay's
cashier, and Alipay creates its trade only when they get there.

Every call is keyed by our own numbers (out_trade_no = `Payment.merchant_reference`, out_request_no
= `Refund.merchant_reference`), so repeating one after a timeout never pays or refunds twice."""

import base64
import binascii
import datetime
import json
import logging
import re
from decimal import Decimal

import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import RefundStatus
from .base import Device, Gateway, GatewayError, PaymentStep, RefundOutcome, RemoteState

logger = logging.getLogger(__name__)

BEIJING = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS = "10000"
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")
# What each channel opens at Alipay. The SDK's own wap helper sends QUICK_WAP_PAY, which is not
# Alipay's product code (QUICK_WAP_WAY), so the requests are built here from `build_body`.
CHANNELS = {
    "page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
}
# A signed pay link older than this is signed afresh when shown (its timestamp is Alipay's to judge).
LINK_FRESH = datetime.timedelta(minutes=10)
# Alipay creates a page/wap trade only when the shopper reaches its cashier, and not after
# time_expire: "no such trade" this long after the deadline means it never will exist.
NOT_OPENED_GRACE = datetime.timedelta(minutes=5)
# A refund Alipay has no record of this long after we asked never reached it (see query_refund).
AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")


class AlipayRefusal(GatewayError):
    """Alipay answered, signed, that it will not do this (`code`/`sub_code` as Alipay gives them,
    e.g. 40004 / ACQ.TRADE_NOT_EXIST). Only signed answers become refusals we act on."""

    def __init__(self, method: str, node: dict):
        self.code = _text(node, "code")
        self.sub_code = _text(node, "sub_code")
        message = _text(node, "sub_msg") or _text(node, "msg")
        super().__init__(f"Alipay refused {method}: {self.code} {self.sub_code} {message}".strip())

    @property
    def retry_same(self) -> bool:
        """Alipay's own advice is to repeat the same call (its system was busy)."""
        return self.code == "20000" or self.sub_code in ("ACQ.SYSTEM_ERROR", "ACQ.TRADE_SETTLE_ERROR")


class NotifyRefused(Exception):
    """A notify we do not accept: not signed by Alipay, not for us, or not well formed."""


def _text(node: dict, key: str) -> str:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, str) else ""


def money(amount: Decimal) -> str:
    """An amount as Alipay writes it: yuan with two decimals."""
    return str(amount.quantize(Decimal("0.01")))


def parse_money(text: str) -> Decimal | None:
    """An amount Alipay wrote ("128.30"), or None when it is not one."""
    return Decimal(text).quantize(Decimal("0.01")) if isinstance(text, str) and AMOUNT.fullmatch(text) else None


def beijing(moment: datetime.datetime) -> str:
    """Alipay reads every time as Beijing time, whatever our server's zone."""
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def expires_at(payment) -> datetime.datetime:
    """When an unpaid payment closes: Alipay's time_expire, and our own unpaid timeout."""
    return payment.created_at + datetime.timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)


def subject(payment) -> str:
    """The title Alipay's cashier shows. Always in Chinese: Alipay keeps the first subject it saw for
    an out_trade_no, so it must not change with the language of the page that opens it."""
    with translation.override("zh-hans"):
        return gettext("Shanhuo order %(number)s") % {"number": payment.order.number}


def read_key(path: str) -> str | bytes:
    """A key file: PEM as OpenSSL writes it, or the bare base64 (PKCS#1 or PKCS#8 DER) that
    Alipay's key tool prints and its console shows for Alipay's public key."""
    with open(path, encoding="ascii") as file:
        text = file.read().strip()
    if text.startswith("-----BEGIN"):
        return text
    return base64.b64decode("".join(text.split()), validate=True)


def node_text(raw: str, key: str) -> str | None:
    """The exact text of the `key` node of Alipay's JSON answer: what Alipay signed. Found with the
    JSON decoder itself (not by counting braces, which a brace inside a message would fool)."""
    match = re.search('"' + re.escape(key) + r'"\s*:\s*', raw)
    if match is None:
        return None
    try:
        _node, end = json.JSONDecoder().raw_decode(raw, match.end())
    except ValueError:
        return None
    return raw[match.end() : end]


class AlipayGateway(Gateway):
    label = _("Alipay")

    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._signers: dict[tuple, object] = {}

    # --- Configuration --------------------------------------------------------------------------

    def is_configured(self) -> bool:
        return all(
            (
                settings.ALIPAY_APP_ID,
                settings.ALIPAY_APP_PRIVATE_KEY_PATH,
                settings.ALIPAY_PUBLIC_KEY_PATH,
                settings.ALIPAY_NOTIFY_BASE,
            )
        )

    def signer(self):
        """The SDK's client, which we use to sign and to verify only (never to send). Loaded once per
        configuration; unreadable keys are a GatewayError that says which file."""
        config = (settings.ALIPAY_APP_ID, settings.ALIPAY_APP_PRIVATE_KEY_PATH, settings.ALIPAY_PUBLIC_KEY_PATH)
        signer = self._signers.get(config)
        if signer is None:
            if not self.is_configured():
                raise GatewayError("Alipay is not configured (ALIPAY_APP_ID, key paths, ALIPAY_NOTIFY_BASE).")
            from alipay import AliPay

            try:
                signer = AliPay(
                    appid=settings.ALIPAY_APP_ID,
                    app_private_key_string=read_key(settings.ALIPAY_APP_PRIVATE_KEY_PATH),
                    alipay_public_key_string=read_key(settings.ALIPAY_PUBLIC_KEY_PATH),
                    sign_type="RSA2",
                )
            except (OSError, ValueError, IndexError, TypeError) as error:
                logger.error("Alipay keys could not be loaded: %s", error)
                raise GatewayError(f"Alipay keys could not be loaded ({error}); see docs/alipay.md") from error
            self._signers = {config: signer}
        return signer

    def notify_url(self) -> str:
        return settings.ALIPAY_NOTIFY_BASE.rstrip("/") + reverse("payments:alipay-notify")

    # --- Paying -------------------------------------------------------------------------------

    def channel(self, device: Device) -> str:
        """The phone page on a phone (WeChat's browser included: the page then tells the shopper to
        open it in another browser, since WeChat does not open Alipay), the computer page elsewhere."""
        return "wap" if device.on_phone or device.in_wechat else "page"

    def pay_url(self, payment, channel: str, return_url: str) -> str:
        """The signed link to Alipay's cashier for this payment (a GET of gateway.do)."""
        if payment.currency != "CNY":
            raise GatewayError(f"Alipay takes CNY only, not {payment.currency}.")
        method, product_code = CHANNELS[channel]
        biz_content = {
            "out_trade_no": payment.merchant_reference,
            "total_amount": money(payment.amount),
            "subject": subject(payment),
            "product_code": product_code,
            "time_expire": beijing(expires_at(payment)),
        }
        if channel == "wap" and return_url:
            biz_content["quit_url"] = return_url  # where "leave" on the phone cashier goes
        signer = self.signer()
        data = signer.build_body(
            method,
            biz_content,
            timestamp=beijing(timezone.now()),
            return_url=return_url,
            notify_url=self.notify_url(),
        )
        return f"{settings.ALIPAY_GATEWAY_URL}?{signer.sign_data(data)}"

    def open(self, payment, device: Device) -> dict:
        """No call to Alipay: the signed link is all the shopper's page needs."""
        return {
            "url": self.pay_url(payment, self.channel(device), device.return_url),
            "return_url": device.return_url,
            "signed_at": timezone.now().isoformat(),
        }

    def shopper_step(self, payment, device: Device | None = None) -> PaymentStep | None:
        """A link to Alipay's cashier. `in_wechat`: the shopper is in WeChat's browser, which will
        not open it; the page asks them to open this page in their phone's own browser."""
        device = device or Device()
        channel = self.channel(device)
        opened = payment.shopper_data.get(channel) or next(
            (payment.shopper_data[key] for key in CHANNELS if key in payment.shopper_data), None
        )
        if not isinstance(opened, dict) or not opened.get("url"):
            return None
        url = opened["url"]
        signed_at = datetime.datetime.fromisoformat(opened.get("signed_at") or "2000-01-01T00:00:00+00:00")
        if timezone.now() - signed_at > LINK_FRESH and channel in payment.shopper_data:
            url = self.pay_url(payment, channel, opened.get("return_url", ""))
        return PaymentStep("redirect", {"url": url, "in_wechat": device.in_wechat, "channel": channel})

    # --- Calls to Alipay ------------------------------------------------------------------------

    def call(self, method: str, biz_content: dict) -> dict:
        """Send one signed request to gateway.do and return Alipay's answer node, its signature
        checked. Raises `AlipayRefusal` for a signed refusal and `GatewayError` for everything else
        that is not a signed success: a timeout, no connection, a 5xx, an answer that is not JSON
        or not signed by Alipay."""
        signer = self.signer()
        data = signer.build_body(method, dict(biz_content), timestamp=beijing(timezone.now()))
        body = signer.sign_data(data)
        timeout = settings.ALIPAY_TIMEOUT
        try:
            response = requests.post(
                settings.ALIPAY_GATEWAY_URL,
                data=body.encode("ascii"),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
                timeout=timeout,
            )
        except requests.Timeout as error:
            raise GatewayError(f"Alipay did not answer {method} within {timeout} s") from error
        except requests.RequestException as error:
            raise GatewayError(f"Alipay could not be reached for {method}: {error}") from error
        if response.status_code != 200:
            raise GatewayError(f"Alipay answered {method} with HTTP {response.status_code}")
        try:
            raw = response.content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise GatewayError(f"Alipay's answer to {method} is not UTF-8") from error
        return self._verified_node(method, raw)

    def _verified_node(self, method: str, raw: str) -> dict:
        key = method.replace(".", "_") + "_response"
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise GatewayError(f"Alipay's answer to {method} is not JSON: {raw[:80]!r}") from error
        if not isinstance(document, dict):
            raise GatewayError(f"Alipay's answer to {method} is not a JSON object")
        key = key if key in document else "error_response"
        node = document.get(key)
        signature = document.get("sign")
        if not isinstance(node, dict):
            raise GatewayError(f"Alipay's answer to {method} has no {key}")
        if not isinstance(signature, str) or not signature:
            # Alipay leaves some refusals unsigned (an APPID it does not know): reported, never acted on.
            raise GatewayError(
                f"Alipay's answer to {method} is not signed: {_text(node, 'code')} {_text(node, 'sub_code')} "
                f"{_text(node, 'sub_msg') or _text(node, 'msg')}".strip()
            )
        signed = node_text(raw, key)
        if signed is None or not self._signature_holds(signed, signature):
            raise GatewayError(f"Alipay's answer to {method} does not carry Alipay's signature")
        node = json.loads(signed)  # only what was signed is read
        if _text(node, "code") != SUCCESS:
            raise AlipayRefusal(method, node)
        return node

    def _signature_holds(self, text: str, signature: str) -> bool:
        try:
            return self.signer()._verify(text, signature)
        except (ValueError, TypeError, binascii.Error):
            return False

    # --- Asking about and closing a payment -----------------------------------------------------

    def query(self, payment) -> RemoteState:
        """alipay.trade.query by out_trade_no. "No such trade" means the shopper never reached
        Alipay's cashier: still pending until the payment's deadline (plus a margin for clocks) has
        passed, closed after it, since Alipay opens no trade after time_expire."""
        try:
            node = self.call("alipay.trade.query", {"out_trade_no": payment.merchant_reference})
        except AlipayRefusal as refusal:
            if refusal.sub_code != "ACQ.TRADE_NOT_EXIST":
                raise
            young = timezone.now() < expires_at(payment) + NOT_OPENED_GRACE
            return RemoteState("pending" if young else "closed", currency="CNY")
        if _text(node, "out_trade_no") not in ("", payment.merchant_reference):
            raise GatewayError(f"Alipay answered about trade {_text(node, 'out_trade_no')!r}, not ours")
        status, trade_no = _text(node, "trade_status"), _text(node, "trade_no")
        if status in PAID_STATUSES:
            amount = parse_money(_text(node, "total_amount"))
            if amount is None:
                raise GatewayError(f"Alipay's trade {trade_no} has no readable total_amount")
            return RemoteState("paid", amount, "CNY", trade_no)
        if status == "WAIT_BUYER_PAY":
            return RemoteState("pending", currency="CNY", provider_reference=trade_no)
        if status == "TRADE_CLOSED":
            return RemoteState("closed", currency="CNY", provider_reference=trade_no)
        raise GatewayError(f"Alipay's trade {trade_no} is in a state we do not know: {status!r}")

    def cancel(self, payment) -> None:
        """alipay.trade.close. A trade Alipay never opened (the shopper never reached its cashier)
        needs no closing; one already closed is fine; a paid one is a GatewayError (the money is
        refunded when its notify arrives for the cancelled order)."""
        try:
            self.call("alipay.trade.close", {"out_trade_no": payment.merchant_reference})
        except AlipayRefusal as refusal:
            if refusal.sub_code == "ACQ.TRADE_NOT_EXIST":
                return
            if refusal.sub_code != "ACQ.TRADE_STATUS_ERROR":
                raise
            state = self.query(payment)
            if state.status == "paid":
                raise GatewayError(f"Alipay trade {state.provider_reference} is paid and cannot be closed") from None
            if state.status != "closed":
                raise

    # --- Refunds ------------------------------------------------------------------------------

    def _send_refund(self, refund) -> dict:
        biz_content = {
            "out_trade_no": refund.payment.merchant_reference,
            "refund_amount": money(refund.amount),
            "out_request_no": refund.merchant_reference,
        }
        if refund.reason:
            biz_content["refund_reason"] = refund.reason[:256]
        return self.call("alipay.trade.refund", biz_content)

    def refund(self, refund) -> RefundOutcome:
        """alipay.trade.refund, answered at once: fund_change "Y" is money sent back now; "N" (a
        repeat of a refund already made) is settled by asking alipay.trade.fastpay.refund.query.

        A signed refusal is a GatewayError (nothing was refunded). Any other failure leaves us not
        knowing whether Alipay refunded, so the same request (same out_request_no, which Alipay
        never refunds twice) is sent once more, and if that fails too the refund stays pending for
        `query_refund` to settle: failing it would free its lines for a second refund."""
        for attempt in (1, 2):
            try:
                node = self._send_refund(refund)
            except AlipayRefusal as refusal:
                if not refusal.retry_same:
                    raise
                error = refusal
            except GatewayError as unknown:
                error = unknown
            else:
                if _text(node, "fund_change") == "Y":
                    return RefundOutcome(RefundStatus.SUCCEEDED)
                try:
                    return self.query_refund(refund, resend=False)
                except GatewayError as unknown:
                    logger.warning("Alipay refund %s not confirmed: %s", refund.merchant_reference, unknown)
                    return RefundOutcome(RefundStatus.PENDING)
            logger.warning("Alipay refund %s, attempt %s: %s", refund.merchant_reference, attempt, error)
        return RefundOutcome(RefundStatus.PENDING)

    def query_refund(self, refund, resend: bool = True) -> RefundOutcome:
        """alipay.trade.fastpay.refund.query for our out_request_no. REFUND_SUCCESS: done. No record
        means Alipay never received the request (its own documentation: the refund did not
        happen); with `resend` (a pending refund's later check) the same request is sent again,
        which is safe, and its answer settles the refund. Raises GatewayError when Alipay cannot be
        asked."""
        node = self.call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": refund.payment.merchant_reference, "out_request_no": refund.merchant_reference},
        )
        found = _text(node, "out_request_no") == refund.merchant_reference and _text(node, "refund_amount")
        # Alipay: data returned with refund_status REFUND_SUCCESS, or (older answers) without one, is
        # a refund made; no data is a refund that did not happen.
        if found and _text(node, "refund_status") in ("", "REFUND_SUCCESS"):
            if parse_money(_text(node, "refund_amount")) != refund.amount:
                raise GatewayError(
                    f"Alipay refunded {_text(node, 'refund_amount')} for {refund.merchant_reference}, "
                    f"not {money(refund.amount)}"
                )
            return RefundOutcome(RefundStatus.SUCCEEDED)
        if not resend:
            return RefundOutcome(RefundStatus.PENDING)
        try:
            node = self._send_refund(refund)
        except AlipayRefusal as refusal:
            if refusal.retry_same:
                return RefundOutcome(RefundStatus.PENDING)
            logger.error("Alipay refuses refund %s: %s", refund.merchant_reference, refusal)
            return RefundOutcome(RefundStatus.FAILED)
        if _text(node, "fund_change") == "Y":
            return RefundOutcome(RefundStatus.SUCCEEDED)
        return RefundOutcome(RefundStatus.PENDING)

    # --- Notifies -----------------------------------------------------------------------------

    def verified_notify(self, body: bytes, content_type: str, content_params: dict) -> dict[str, str]:
        """The fields of an async notify, once Alipay's RSA2 signature over them holds and it is
        for our APPID (and seller, when ALIPAY_SELLER_ID is set). Raises `NotifyRefused` otherwise.

        Alipay posts form-encoded UTF-8, as our requests ask (charset=utf-8). Another charset is
        refused: the SDK verifies the UTF-8 bytes of the text, so a GBK notify could not verify."""
        fields = parse_notify(body, content_type, content_params)
        signature = fields.get("sign", "")
        if not signature:
            raise NotifyRefused("no sign")
        if fields.get("sign_type", "RSA2") != "RSA2":
            raise NotifyRefused(f"sign_type {fields['sign_type']!r} is not RSA2")
        unsigned = {key: value for key, value in fields.items() if key not in ("sign", "sign_type")}
        try:
            holds = self.signer().verify(unsigned, signature)
        except (ValueError, TypeError, binascii.Error):
            holds = False
        if not holds:
            raise NotifyRefused("the signature is not Alipay's")
        if fields.get("app_id") != settings.ALIPAY_APP_ID:
            raise NotifyRefused(f"app_id {fields.get('app_id')!r} is not ours")
        if settings.ALIPAY_SELLER_ID and fields.get("seller_id") != settings.ALIPAY_SELLER_ID:
            raise NotifyRefused(f"seller_id {fields.get('seller_id')!r} is not ours")
        return fields


MAX_FIELDS = 100


def parse_notify(body: bytes, content_type: str, content_params: dict) -> dict[str, str]:
    """A form-encoded UTF-8 body as a dict; `NotifyRefused` for anything else (another charset,
    bytes that are not UTF-8, a truncated escape, a field given twice, a NUL character)."""
    from urllib.parse import parse_qsl

    if (content_type or "").lower() != "application/x-www-form-urlencoded":
        raise NotifyRefused(f"content type {content_type!r} is not a form")
    charset = (content_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise NotifyRefused(f"charset {charset!r} is not supported (we ask Alipay for utf-8)")
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError as error:  # UnicodeDecodeError included
        raise NotifyRefused(f"not a well-formed UTF-8 form: {error}") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotifyRefused("a field is given twice")
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise NotifyRefused("a NUL character")
    if (fields.get("charset") or "utf-8").lower() not in ("utf-8", "utf8"):
        raise NotifyRefused(f"charset {fields['charset']!r} is not supported (we ask Alipay for utf-8)")
    return fields
