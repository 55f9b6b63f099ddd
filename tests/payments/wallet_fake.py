"""A wallet gateway for tests of what every wallet shares (the method order at checkout, the order
page's steps, the jobs for late notifies and unpaid orders), registered only in tests. It keeps
what "the provider" knows in `PROVIDER`, which a test sets; the real WeChat Pay and Alipay
gateways are tested against their signed fakes elsewhere."""

from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy as _

from payments.gateways.base import Device, Gateway, GatewayError, PaymentStep, RefundOutcome, RemoteState
from payments.models import RefundStatus

# What the provider would answer, by our merchant reference: a RemoteState, or an exception to raise.
PROVIDER: dict[str, object] = {}
# What was asked of it, in order: ("open", channel, ref), ("query", ref), ("cancel", ref), ("refund", ref).
CALLS: list[tuple] = []


def reset():
    PROVIDER.clear()
    CALLS.clear()


def paid(amount, currency="CNY", reference="4200000001202501010000000001") -> RemoteState:
    return RemoteState("paid", amount=Decimal(amount), currency=currency, provider_reference=reference)


class FakeWallet(Gateway):
    label = _("WeChat Pay")

    def channel(self, device) -> str:
        if device.in_wechat and device.openid:
            return "jsapi"
        return "h5" if device.on_phone else "native"

    def open(self, payment, device) -> dict:
        channel = self.channel(device)
        CALLS.append(("open", channel, payment.merchant_reference))
        if channel == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={payment.merchant_reference[:10]}"}
        if channel == "jsapi":
            return {"params": {"appId": "wx1", "package": "prepay_id=wx1", "openid": device.openid}}
        return {"url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={payment.pk}"}

    def shopper_step(self, payment, device=None):
        channel = self.channel(device) if device else "native"
        data = payment.shopper_data.get(channel)
        if data is None:
            return None
        kind = {"native": "qr", "jsapi": "jsapi", "h5": "redirect"}[channel]
        return PaymentStep(kind, data)

    def query(self, payment):
        CALLS.append(("query", payment.merchant_reference))
        answer = PROVIDER.get(payment.merchant_reference, RemoteState("pending"))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def cancel(self, payment) -> None:
        CALLS.append(("cancel", payment.merchant_reference))
        if isinstance(PROVIDER.get("cancel"), Exception):
            raise PROVIDER["cancel"]

    def refund(self, refund) -> RefundOutcome:
        CALLS.append(("refund", refund.merchant_reference))
        return RefundOutcome(RefundStatus.SUCCEEDED, f"50300{refund.pk}")


class FakeAlipay(FakeWallet):
    """Alipay's page on a computer or a phone; inside WeChat, which blocks it, the page says so."""

    label = _("Alipay")

    def channel(self, device) -> str:
        return "wap" if device.on_phone else "page"

    def open(self, payment, device) -> dict:
        CALLS.append(("open", self.channel(device), payment.merchant_reference))
        return {"url": f"https://openapi.alipay.com/gateway.do?out_trade_no={payment.merchant_reference}"}

    def shopper_step(self, payment, device=None):
        data = payment.shopper_data.get(self.channel(device or Device()))
        if data is None:
            return None
        return PaymentStep("redirect", {**data, "in_wechat": bool(device and device.in_wechat)})


__all__ = ["FakeAlipay", "FakeWallet", "GatewayError", "paid", "reset"]


@pytest.fixture(autouse=True)
def installed(settings):
    """This wallet registered as "wechatpay" (with Stripe and offline), emptied before and after;
    the jobs' delays at their defaults. A test module takes it with `wallet = wallet_fake.installed`."""
    settings.PAYMENT_GATEWAYS = {
        "wechatpay": {"BACKEND": "tests.payments.wallet_fake.FakeWallet"},
        "stripe": {"BACKEND": "payments.gateways.stripe.StripeGateway"},
        "offline": {"BACKEND": "payments.gateways.offline.OfflineGateway"},
    }
    settings.PAYMENT_QUERY_AFTER_MINUTES = 3
    settings.PAYMENT_TIMEOUT_MINUTES = 30
    reset()
    yield
    reset()
