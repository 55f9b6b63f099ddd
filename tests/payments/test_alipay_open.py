"""Alipay: choosing the channel and opening the payment (a signed link to Alipay's cashier).

The link is checked the way Alipay's cashier checks it (tests/payments/alipay_fake.py): our APPID,
an RSA2 signature by the app's key over the sorted parameters, and the business content."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from payments import gateways, shopper_payments
from payments.gateways import Device
from payments.gateways.alipay import AlipayGateway, beijing
from payments.models import Payment
from tests.payments.alipay_fake import APP_ID, GATEWAY, request_content_to_sign, rsa2_holds
from tests.shop.buying import two_farmer_order

pytestmark = pytest.mark.django_db

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2148A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 "
    "MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)
RETURN_URL = "https://shop.example.cn/orders/abc/"
TOTAL = Decimal("115.30")  # two_farmer_order: 2 × 39.90 + 12.50 + shipping 15.00 + 8.00


def alipay_order():
    order, *_ = two_farmer_order(payment_method="alipay")
    return order


def gateway() -> AlipayGateway:
    return gateways.get("alipay")


def test_not_configured_without_keys(settings):
    settings.ALIPAY_APP_ID = ""
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = ""
    settings.ALIPAY_PUBLIC_KEY_PATH = ""
    settings.ALIPAY_NOTIFY_BASE = ""
    assert not gateway().is_configured()
    assert "alipay" not in gateways.available()


def test_configured_alipay_is_offered_and_labelled_in_chinese(alipay):
    from django.utils import translation

    assert "alipay" in gateways.available()
    with translation.override("zh-hans"):
        assert str(gateway().label) == "支付宝"


@pytest.mark.parametrize(
    ("agent", "channel", "in_wechat"),
    [(DESKTOP, "page", False), (PHONE, "wap", False), (WECHAT, "wap", True), ("", "page", False)],
)
def test_the_channel_is_the_phone_page_on_a_phone_and_in_wechat_else_the_computer_page(agent, channel, in_wechat):
    assert gateway().channel(Device(user_agent=agent)) == channel
    assert Device(user_agent=agent).in_wechat is in_wechat


@pytest.mark.parametrize(
    ("agent", "method", "product_code"),
    [(DESKTOP, "alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"), (PHONE, "alipay.trade.wap.pay", "QUICK_WAP_WAY")],
)
def test_the_pay_link_is_signed_by_the_app_key_and_carries_the_order(alipay, agent, method, product_code):
    order = alipay_order()
    payment = order.payment

    step = shopper_payments.payment_step(payment, Device(user_agent=agent, return_url=RETURN_URL))

    assert step.kind == "redirect"
    params, biz = alipay.check_pay_url(step.data["url"])  # APPID and signature, as Alipay checks them
    assert params["method"] == method
    assert params["return_url"] == RETURN_URL
    assert params["notify_url"] == "https://shop.example.cn/payments/alipay/notify/"
    assert biz["out_trade_no"] == payment.merchant_reference == order.checkout_id.hex
    assert biz["total_amount"] == "115.30"
    assert biz["product_code"] == product_code
    assert biz["subject"] == f"山货订单 {order.number}"
    assert biz["time_expire"] == beijing(payment.created_at + datetime.timedelta(minutes=30))
    assert ("quit_url" in biz) is (product_code == "QUICK_WAP_WAY")
    assert step.data["in_wechat"] is False
    assert alipay.calls == []  # opening needs no call to Alipay


def test_a_tampered_link_no_longer_verifies(alipay):
    """The signature covers the amount: a link edited to pay less is refused by Alipay."""
    payment = alipay_order().payment
    url = gateway().open(payment, Device(user_agent=DESKTOP, return_url=RETURN_URL))["url"]
    params = dict(parse_qsl(urlsplit(url).query))
    assert rsa2_holds(alipay.app_key.public_key(), request_content_to_sign(params), params["sign"])
    params["biz_content"] = params["biz_content"].replace('"115.30"', '"0.01"')
    assert not rsa2_holds(alipay.app_key.public_key(), request_content_to_sign(params), params["sign"])


def test_times_are_beijing_time_whatever_the_server_zone():
    moment = datetime.datetime(2026, 5, 1, 4, 0, tzinfo=datetime.UTC)
    assert beijing(moment) == "2026-05-01 12:00:00"


def test_inside_wechat_the_step_says_so_for_the_page_to_explain(alipay):
    payment = alipay_order().payment

    step = shopper_payments.payment_step(payment, Device(user_agent=WECHAT, return_url=RETURN_URL))

    assert step.kind == "redirect"
    assert step.data["in_wechat"] is True
    assert step.data["channel"] == "wap"
    assert alipay.check_pay_url(step.data["url"])[0]["method"] == "alipay.trade.wap.pay"


def test_each_channel_is_opened_once_and_kept(alipay):
    payment = alipay_order().payment
    device = Device(user_agent=DESKTOP, return_url=RETURN_URL)

    first = shopper_payments.payment_step(payment, device)
    again = shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), device)
    phone = shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), Device(user_agent=PHONE))

    assert first.data["url"] == again.data["url"]
    assert set(Payment.objects.get(pk=payment.pk).shopper_data) == {"page", "wap"}
    assert phone.data["url"] != first.data["url"]


def test_a_stale_link_is_signed_afresh_with_the_same_trade(alipay):
    """Alipay reads the link's timestamp; one kept longer than ten minutes is signed again when
    shown, for the same out_trade_no, amount, subject and deadline."""
    payment = alipay_order().payment
    device = Device(user_agent=DESKTOP, return_url=RETURN_URL)
    shopper_payments.payment_step(payment, device)
    payment.refresh_from_db()
    _params, first = alipay.check_pay_url(payment.shopper_data["page"]["url"])
    payment.shopper_data["page"]["url"] = GATEWAY + "?stale"
    payment.shopper_data["page"]["signed_at"] = (timezone.now() - datetime.timedelta(minutes=11)).isoformat()

    step = gateway().shopper_step(payment, device)

    params, again = alipay.check_pay_url(step.data["url"])
    assert again == first
    assert params["return_url"] == RETURN_URL

    payment.shopper_data["page"]["signed_at"] = (timezone.now() - datetime.timedelta(minutes=9)).isoformat()
    assert gateway().shopper_step(payment, device).data["url"] == GATEWAY + "?stale"


def test_key_files_in_the_bare_base64_of_alipays_key_tool_work(alipay, settings, tmp_path):
    alipay.configure(settings, tmp_path / "bare", bare=True)
    payment = alipay_order().payment

    url = gateway().open(payment, Device(user_agent=DESKTOP))["url"]

    assert alipay.check_pay_url(url)[0]["app_id"] == APP_ID
    assert url.startswith(GATEWAY + "?")


def test_an_unreadable_key_is_a_gateway_error_naming_the_problem(alipay, settings, tmp_path):
    (tmp_path / "broken.pem").write_text("not a key")
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = str(tmp_path / "broken.pem")
    payment = alipay_order().payment

    with pytest.raises(gateways.GatewayError, match="Alipay keys could not be loaded"):
        shopper_payments.payment_step(payment, Device(user_agent=DESKTOP))
    assert Payment.objects.get(pk=payment.pk).shopper_data == {}


def test_a_paid_payment_asks_nothing_more(alipay):
    payment = alipay_order().payment
    shopper_payments.record_succeeded(payment.pk, amount=TOTAL)

    assert shopper_payments.payment_step(Payment.objects.get(pk=payment.pk), Device(user_agent=DESKTOP)) is None
