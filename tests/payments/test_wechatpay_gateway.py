"""WeChat Pay's gateway against the fake WeChat Pay (tests/payments/wechatpay_fake.py): opening a
payment on each channel, what the shopper's page is given, queries, closing, refunds; timeouts and
5xx on each call give a clear GatewayError, and a retry doubles nothing."""

import base64
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.utils import translation

from payments import gateways, shopper_payments
from payments.gateways import Device, GatewayError
from payments.gateways.wechatpay import description
from payments.models import Payment, PaymentStatus
from tests.shop.buying import two_farmer_order

pytestmark = pytest.mark.django_db

DESKTOP = Device(user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", client_ip="203.0.113.9")
PHONE = Device(
    user_agent="Mozilla/5.0 (Linux; Android 13; Pixel 7) Mobile Safari/537.36",
    client_ip="203.0.113.10",
    return_url="https://shop.example.cn/orders/abc/",
)
IN_WECHAT = Device(
    user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile MicroMessenger/8.0.47",
    client_ip="203.0.113.11",
    openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
)
TOTAL_FEN = 2 * 3990 + 1250 + 1500 + 800  # two_farmer_order: 92.30 + 23.00 shipping


def wechat_order():
    return two_farmer_order(payment_method="wechatpay")[0]


def gateway():
    return gateways.get("wechatpay")


def test_configured_by_its_settings_only(wechatpay_fake, settings):
    assert "wechatpay" in gateways.available()
    with translation.override("en"):
        assert str(gateways.get("wechatpay").label) == "WeChat Pay"
    settings.WECHATPAY_APIV3_KEY = ""
    assert "wechatpay" not in gateways.available()
    settings.WECHATPAY_APIV3_KEY = wechatpay_fake.apiv3_key
    settings.WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0001"  # an id without its key is half a configuration
    assert "wechatpay" not in gateways.available()


def test_channel_follows_the_device():
    wechat = gateway()
    assert wechat.channel(DESKTOP) == "native"
    assert wechat.channel(PHONE) == "h5"
    assert wechat.channel(IN_WECHAT) == "jsapi"
    # Inside WeChat before its openid is known: the QR code (long-press to scan) still works.
    assert wechat.channel(Device(user_agent=IN_WECHAT.user_agent)) == "native"


def test_native_opens_once_and_shows_the_code(wechatpay_fake):
    order = wechat_order()
    payment = order.payment
    step = shopper_payments.payment_step(payment, DESKTOP)

    assert step.kind == "qr"
    assert step.data["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    [sent] = wechatpay_fake.requests_to("/v3/pay/transactions/native")
    assert sent["out_trade_no"] == payment.merchant_reference
    assert sent["amount"] == {"total": TOTAL_FEN, "currency": "CNY"}
    assert sent["notify_url"] == "https://shop.example.cn/payments/wechatpay/notify/"
    assert sent["time_expire"].endswith("+08:00")
    assert sent["description"].startswith(f"山货订单 {order.number}")
    # The page asked again (a reload): the channel is open already, WeChat is not asked twice.
    assert shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), DESKTOP) == step
    assert len(wechatpay_fake.requests_to("/v3/pay/transactions/native")) == 1


def test_h5_sends_the_scene_and_returns_to_the_order_page(wechatpay_fake):
    payment = wechat_order().payment
    step = shopper_payments.payment_step(payment, PHONE)

    assert step.kind == "redirect"
    assert step.data["url"].startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx")
    assert step.data["url"].endswith("&redirect_url=https%3A%2F%2Fshop.example.cn%2Forders%2Fabc%2F")
    [sent] = wechatpay_fake.requests_to("/v3/pay/transactions/h5")
    assert sent["scene_info"] == {"payer_client_ip": "203.0.113.10", "h5_info": {"type": "Wap"}}


def test_jsapi_params_are_signed_with_the_merchant_key(wechatpay_fake):
    payment = wechat_order().payment
    step = shopper_payments.payment_step(payment, IN_WECHAT)

    assert step.kind == "jsapi"
    params = step.data["params"]
    [sent] = wechatpay_fake.requests_to("/v3/pay/transactions/jsapi")
    assert sent["payer"] == {"openid": IN_WECHAT.openid}
    prepay_id = Payment.objects.get(pk=payment.pk).shopper_data["jsapi"]["prepay_id"]
    assert params["appId"] == wechatpay_fake.appid
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["signType"] == "RSA"
    assert abs(int(params["timeStamp"]) - time.time()) < 60
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    # Raises InvalidSignature unless WeChat's JSAPI scheme was followed with the merchant's key.
    wechatpay_fake.merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_public_key_mode_needs_no_certificate_download(wechatpay_fake_public_key):
    payment = wechat_order().payment
    assert shopper_payments.payment_step(payment, DESKTOP).kind == "qr"
    assert wechatpay_fake_public_key.requests_to("/v3/certificates", method="GET") == []


def test_certificate_mode_downloads_the_platform_certificate_once(wechatpay_fake):
    shopper_payments.payment_step(wechat_order().payment, DESKTOP)
    shopper_payments.payment_step(wechat_order().payment, DESKTOP)
    assert len(wechatpay_fake.requests_to("/v3/certificates", method="GET")) == 1


def test_a_request_signed_with_another_key_is_refused_like_wechat_does(wechatpay_fake, settings, tmp_path):
    from tests.payments.wechatpay_fake import FakeWeChatPay

    stranger = FakeWeChatPay(tmp_path / "stranger")
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(stranger.private_key_path)
    settings.WECHATPAY_PUBLIC_KEY_PATH = str(wechatpay_fake.public_key_path)  # answers still verify
    settings.WECHATPAY_PUBLIC_KEY_ID = wechatpay_fake.public_key_id
    settings.WECHATPAY_CERT_DIR = ""
    wechatpay_fake.mode = "public_key"
    payment = wechat_order().payment
    with pytest.raises(GatewayError, match="SIGN_ERROR"):
        shopper_payments.payment_step(payment, DESKTOP)
    assert wechatpay_fake.transactions == {}


def test_description_is_cut_to_127_bytes_at_a_character():
    class Line:
        def __init__(self, name):
            self.product_name = name

    class Lines:
        def all(self):
            return [Line("云南高山有机红糖" * 4), Line("土鸡蛋"), Line("核桃")]

    class Order:
        number = "SH20261203-0001"
        lines = Lines()

    class FakePayment:
        order = Order()

    text = description(FakePayment())
    assert len(text.encode()) <= 127
    text.encode().decode("utf-8")  # whole characters only
    assert text.startswith("山货订单 SH20261203-0001 云南高山")


@pytest.mark.parametrize("kind", ["timeout", "connection", 500, 502])
def test_opening_when_wechat_fails_is_a_clear_error_and_a_retry_opens_it_once(wechatpay_fake, kind):
    payment = wechat_order().payment
    wechatpay_fake.fail_next("POST", "/v3/pay/transactions/native", kind)
    with pytest.raises(GatewayError, match="WeChat Pay"):
        shopper_payments.payment_step(payment, DESKTOP)
    assert Payment.objects.get(pk=payment.pk).shopper_data == {}

    step = shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), DESKTOP)
    assert step.kind == "qr"
    assert len(wechatpay_fake.transactions) == 1


def test_an_answer_lost_after_wechat_opened_it_is_retried_to_the_same_order(wechatpay_fake):
    payment = wechat_order().payment
    wechatpay_fake.fail_next("POST", "/v3/pay/transactions/native", "timeout_after")
    with pytest.raises(GatewayError, match="did not answer in time"):
        shopper_payments.payment_step(payment, DESKTOP)
    step = shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), DESKTOP)
    # WeChat answered the same out_trade_no with the same order: one order, one code.
    assert list(wechatpay_fake.transactions) == [payment.merchant_reference]
    assert step.data["code_url"].startswith("weixin://")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    assert Decimal(wechatpay_fake.transactions[payment.merchant_reference]["amount"]["total"]) == TOTAL_FEN


# --- Query, close, refund ------------------------------------------------------------------------


def test_query_reports_each_trade_state(wechatpay_fake):
    from .wechatpay_flow import opened_order

    wechat = gateway()
    never_opened = wechat_order().payment
    assert wechat.query(never_opened).status == "pending"

    payment = opened_order().payment
    assert wechat.query(payment).status == "pending"
    wechatpay_fake.transactions[payment.merchant_reference]["trade_state"] = "USERPAYING"
    assert wechat.query(payment).status == "pending"
    wechatpay_fake.transactions[payment.merchant_reference]["trade_state"] = "NOTPAY"
    trade = wechatpay_fake.pay(payment.merchant_reference)
    state = wechat.query(payment)
    assert (state.status, state.amount, state.currency) == ("paid", Decimal("115.30"), "CNY")
    assert state.provider_reference == trade["transaction_id"]
    for closed in ("CLOSED", "REVOKED", "PAYERROR"):
        trade["trade_state"] = closed
        assert wechat.query(payment).status == "closed"
    sent = [path for method, path, _ in wechatpay_fake.received if method == "GET" and "out-trade-no" in path]
    assert sent[-1] == f"/v3/pay/transactions/out-trade-no/{payment.merchant_reference}?mchid={wechatpay_fake.mchid}"


@pytest.mark.parametrize("kind", ["timeout", "connection", 500, 503])
def test_a_query_when_wechat_fails_is_a_clear_error_and_can_be_asked_again(wechatpay_fake, kind):
    from .wechatpay_flow import opened_order

    payment = opened_order().payment
    wechatpay_fake.pay(payment.merchant_reference)
    wechatpay_fake.fail_next("GET", "/out-trade-no/", kind)
    with pytest.raises(GatewayError, match=r"WeChat Pay (did not answer|could not be reached|failed \(HTTP 5)"):
        gateway().query(payment)
    assert gateway().query(payment).status == "paid"


def test_cancelling_closes_the_order_at_wechat(wechatpay_fake):
    from shop.orders import cancel_order
    from tests import factories

    from .wechatpay_flow import opened_order

    shopper = factories.user()
    order = opened_order(user=shopper)
    cancel_order(shopper, order)
    assert wechatpay_fake.transactions[order.payment.merchant_reference]["trade_state"] == "CLOSED"
    assert wechatpay_fake.requests_to("/close") == [{"mchid": wechatpay_fake.mchid}]
    gateway().cancel(order.payment)  # closing again, or one WeChat never saw, is no error
    gateway().cancel(wechat_order().payment)


def test_closing_a_paid_order_is_an_error_the_caller_sees(wechatpay_fake):
    from .wechatpay_flow import opened_order

    payment = opened_order().payment
    wechatpay_fake.pay(payment.merchant_reference)
    with pytest.raises(GatewayError, match="ORDERPAID"):
        gateway().cancel(payment)


def _refund_flow(fake, client):
    from tests import factories

    from .wechatpay_flow import paid_order, payment_of

    order = paid_order(fake, client)
    return order, payment_of(order), factories.staff_user()


def test_a_refund_is_sent_with_its_own_number_and_settles_at_once_when_wechat_says_so(wechatpay_fake, client):
    from .wechatpay_flow import wechat_cash

    order, payment, operator = _refund_flow(wechatpay_fake, client)
    wechatpay_fake.refund_status = "SUCCESS"
    line = order.lines.order_by("pk").first()
    refund = shopper_payments.refund_payment(operator, payment, lines=[line])

    assert refund.status == "succeeded"
    [sent] = wechatpay_fake.requests_to("/v3/refund/domestic/refunds")
    assert sent["out_refund_no"] == refund.merchant_reference
    assert sent["out_trade_no"] == payment.merchant_reference
    assert sent["amount"] == {"refund": 7980, "total": 11530, "currency": "CNY"}
    assert sent["notify_url"] == "https://shop.example.cn/payments/wechatpay/notify/"
    assert refund.provider_reference == wechatpay_fake.refunds[refund.merchant_reference]["refund_id"]
    assert wechat_cash() == Decimal("115.30") - Decimal("79.80")


def test_a_refund_wechat_refuses_fails_and_frees_its_lines(wechatpay_fake, client):
    _order, payment, operator = _refund_flow(wechatpay_fake, client)
    wechatpay_fake.transactions[payment.merchant_reference]["amount"]["total"] = 1  # WeChat sees another total
    with pytest.raises(Exception) as refused:
        shopper_payments.refund_payment(operator, payment)
    assert refused.value.code == "gateway_error"
    assert "PARAM_ERROR" in str(refused.value)
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
    assert payment.refunds.get().status == "failed"


@pytest.mark.parametrize("kind", ["timeout", "connection", 500, "timeout_after"])
def test_a_refund_whose_answer_is_lost_stays_pending_and_is_settled_once_by_asking(wechatpay_fake, client, kind):
    """Whether WeChat got the refund or not, it stays pending with its money reserved; asking
    (`query_refund`, as the lost-notify job does) finds it at WeChat, or sends it now under the
    same out_refund_no. WeChat never refunds one out_refund_no twice."""
    from .wechatpay_flow import wechat_cash

    _order, payment, operator = _refund_flow(wechatpay_fake, client)
    wechatpay_fake.fail_next("POST", "/v3/refund/domestic/refunds", kind)
    with pytest.raises(Exception) as unsure:
        shopper_payments.refund_payment(operator, payment)
    assert unsure.value.code == "gateway_unsure"
    assert "WeChat Pay" in str(unsure.value)
    refund = payment.refunds.get()
    assert refund.status == "pending"
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount  # still reserved: no second refund can start

    outcome = gateway().query_refund(refund)
    assert outcome.status == "pending"  # PROCESSING at WeChat
    assert gateway().query_refund(refund).status == "pending"
    assert list(wechatpay_fake.refunds) == [refund.merchant_reference]
    # One refund reached WeChat: the lost one ("timeout_after"), or the resend; asking again sent nothing.
    assert len(wechatpay_fake.requests_to("/v3/refund/domestic/refunds")) == 1

    wechatpay_fake.finish_refund(refund.merchant_reference, "SUCCESS")
    outcome = gateway().query_refund(refund)
    assert outcome.status == "succeeded"
    shopper_payments.finish_refund(refund.pk, outcome.status, outcome.remote_id)
    assert wechat_cash() == 0
