"""WeChat Pay's gateway against the fake WeChat Pay (tests/payments/wechatpay_fake.py): opening a
payment on each channel, what the shopper's page is given, queries, closing, refunds; timeouts and
5xx on each call give a clear GatewayError, and a retry doubles nothing."""

import base64
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

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
    assert str(gateways.get("wechatpay").label) == "微信支付"  # the site speaks zh-hans
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
