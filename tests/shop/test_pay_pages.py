"""The shopper's side of WeChat Pay and Alipay, through Django's test client: the methods offered at
checkout in the order the shopper's browser calls for; the order page's steps (a QR code read back
from the page's own SVG, a button to the provider's page, WeChat's own pay sheet); the status the page
polls until the money arrives; and the WeChat OAuth that learns the shopper's openid for JSAPI, with
api.weixin.qq.com stubbed by `responses`. Wallets registered only in tests stand in for the
providers here; tests/e2e/test_wechatpay_journey.py goes through the real WeChat Pay gateway."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client
from django.urls import reverse

from core import wechat_oauth
from payments import gateways
from payments import shopper_payments as payments
from shop import order_links
from shop.models import Order
from tests import factories as f
from tests.payments import wallet_fake
from tests.shop import buying
from tests.shop.test_parcel_slip import SVG, decode_svg_qr

from .test_storefront import goods, page, place, ready  # noqa: F401 - goods is a fixture

pytestmark = pytest.mark.django_db

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 13; V2217A) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36"
IN_WECHAT = PHONE + " XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 NetType/WIFI"

WALLETS = {
    "stripe": {"BACKEND": "payments.gateways.stripe.StripeGateway"},
    "wechatpay": {"BACKEND": "tests.payments.wallet_fake.FakeWallet"},
    "offline": {"BACKEND": "payments.gateways.offline.OfflineGateway"},
    "alipay": {"BACKEND": "tests.payments.wallet_fake.FakeAlipay"},
}
CHECKED = re.compile(r'<input type="radio" name="payment_method" value="(\w+)"[^>]*?( checked)?>')


@pytest.fixture
def wallets(settings):
    settings.PAYMENT_GATEWAYS = WALLETS
    settings.WECHAT_APPID = "wx1234567890abcdef"
    settings.WECHAT_APP_SECRET = "secret"
    wallet_fake.reset()
    yield
    wallet_fake.reset()


def offered(client, user_agent) -> tuple[list[str], str]:
    """The payment methods on the confirm page, in order, and the one preselected."""
    html = page(client.get(reverse("shop:checkout_confirm"), HTTP_USER_AGENT=user_agent))
    radios = CHECKED.findall(html)
    return [name for name, _ in radios], next(name for name, checked in radios if checked)


# --- Choosing the method --------------------------------------------------------------------------


def test_alipay_comes_first_in_a_browser_and_wechat_pay_first_inside_wechat(client, goods, wallets, settings):  # noqa: F811
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    ready(client, goods)
    assert offered(client, DESKTOP) == (["alipay", "wechatpay", "stripe", "offline"], "alipay")
    assert offered(client, PHONE) == (["alipay", "wechatpay", "stripe", "offline"], "alipay")
    assert offered(client, IN_WECHAT) == (["wechatpay", "alipay", "stripe", "offline"], "wechatpay")
    assert "微信支付" in page(client.get(reverse("shop:checkout_confirm")))


def test_without_a_chinese_wallet_the_choice_is_as_before(client, goods, settings):  # noqa: F811
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    ready(client, goods)
    assert offered(client, IN_WECHAT) == (["stripe", "offline"], "stripe")
    settings.STRIPE_SECRET_KEY = None
    assert offered(client, IN_WECHAT) == (["offline"], "offline")


def test_a_wallet_not_configured_is_neither_offered_nor_accepted(client, goods, settings, monkeypatch):  # noqa: F811
    settings.PAYMENT_GATEWAYS = WALLETS
    monkeypatch.setattr(wallet_fake.FakeAlipay, "is_configured", lambda self: False)
    ready(client, goods)
    assert offered(client, DESKTOP)[0] == ["wechatpay", "offline"]
    response = place(client, payment_method="alipay")
    assert response.status_code == 200 and not Order.objects.exists()
    assert "请选择付款方式" in page(response) or "付款方式" in page(response)


def test_the_api_lists_the_methods_in_the_same_order(client, goods, wallets, gql):  # noqa: F811
    checkout = buying.ready_checkout([(goods[0], 1)])
    query = "query($id: ID!) { checkout(id: $id) { availablePaymentMethods } }"
    body = json.dumps({"query": query, "variables": {"id": buying.gid(checkout)}})
    for agent, expected in (
        (DESKTOP, ["ALIPAY", "WECHATPAY", "OFFLINE"]),
        (IN_WECHAT, ["WECHATPAY", "ALIPAY", "OFFLINE"]),
    ):
        answer = client.post("/graphql/", body, content_type="application/json", HTTP_USER_AGENT=agent).json()
        assert answer.get("data") and answer["data"]["checkout"], answer
        assert answer["data"]["checkout"]["availablePaymentMethods"] == expected, answer


# --- The order page's steps -----------------------------------------------------------------------


def placed_order(client, goods, method, user_agent=DESKTOP):  # noqa: F811
    ready(client, goods)
    response = place(client, payment_method=method)
    assert response.status_code == 302, page(response)
    return response["Location"], Order.objects.get()


def test_on_a_computer_wechat_pay_shows_the_qr_code_the_amount_and_how_to_scan(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "wechatpay")
    html = page(client.get(location, HTTP_USER_AGENT=DESKTOP))
    size, _, body = SVG.search(html).groups()
    assert decode_svg_qr(int(size), body) == order.payment.shopper_data["native"]["code_url"]
    assert "用微信扫一扫" in html or "扫一扫" in html
    assert "¥115.30" in html or "115.30" in html
    # The page asks whether the money arrived (script), or reloads itself without script.
    assert reverse("shop:order_status", args=[location.rsplit("/", 2)[-2]]) in html
    assert '<noscript><meta http-equiv="refresh"' in html


def test_alipay_gives_a_button_to_its_page_and_inside_wechat_says_to_open_a_browser(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "alipay")
    html = page(client.get(location, HTTP_USER_AGENT=PHONE))
    url = order.payment.shopper_data["wap"]["url"]
    assert f'href="{url.replace("&", "&amp;")}"' in html
    assert "去支付宝付款" in html
    inside = page(client.get(location, HTTP_USER_AGENT=IN_WECHAT))
    assert f'href="{url}"' not in inside
    assert "浏览器" in inside and 'id="pay-link"' in inside and location in inside


def test_paid_pages_stop_waiting_and_say_paid(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "wechatpay")
    client.get(location, HTTP_USER_AGENT=DESKTOP)
    payments.record_succeeded(order.payment.pk, amount=order.payment.amount)
    html = page(client.get(location, HTTP_USER_AGENT=DESKTOP))
    assert "已付款" in html
    assert "order_status" not in html and "/status/" not in html and "refresh" not in html
    assert not SVG.search(html)


def test_offline_and_card_pages_do_not_poll(client, goods, wallets):  # noqa: F811
    location, _order = placed_order(client, goods, "offline")
    assert "/status/" not in page(client.get(location, HTTP_USER_AGENT=DESKTOP))


# --- The status the page polls --------------------------------------------------------------------


def test_the_status_says_paid_once_the_money_arrived(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "wechatpay")
    status_url = location.rstrip("/") + "/status/"
    assert client.get(status_url).json() == {"paid": False, "open": True}
    payments.record_succeeded(order.payment.pk, amount=order.payment.amount)
    assert client.get(status_url).json() == {"paid": True, "open": False}


def test_the_status_is_only_for_a_holder_of_the_link(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "wechatpay")
    token = location.rsplit("/", 2)[-2]
    assert client.get(reverse("shop:order_status", args=[token[:-2] + "xx"])).status_code == 404
    # An account's order: only its account.
    owner = f.user()
    Order.objects.filter(pk=order.pk).update(user=owner)
    url = reverse("shop:order_status", args=[order_links.order_token(Order.objects.get())])
    assert Client().get(url).status_code == 404
    other = Client()
    other.force_login(f.user())
    assert other.get(url).status_code == 404
    mine = Client()
    mine.force_login(owner)
    assert mine.get(url).json() == {"paid": False, "open": True}


# --- Inside WeChat: the shopper's openid for JSAPI ------------------------------------------------


def oauth_redirect(client, location):
    response = client.get(location, HTTP_USER_AGENT=IN_WECHAT)
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.netloc == "open.weixin.qq.com" and parts.fragment == "wechat_redirect"
    query = parse_qs(parts.query)
    assert query["scope"] == ["snsapi_base"] and query["appid"] == ["wx1234567890abcdef"]
    assert urlsplit(query["redirect_uri"][0]).path == reverse("shop:wechat_openid")
    return query["state"][0]


@responses.activate
def test_inside_wechat_the_openid_is_learnt_then_wechat_pays_by_jsapi(client, goods, wallets):  # noqa: F811
    location, order = placed_order(client, goods, "wechatpay")
    state = oauth_redirect(client, location)
    assert not wallet_fake.CALLS  # nothing opened before the openid is known
    responses.get(wechat_oauth.CODE_EXCHANGE_URL, json={"openid": "oShopper1", "access_token": "AT"})
    back = client.get(reverse("shop:wechat_openid"), {"code": "C1", "state": state}, HTTP_USER_AGENT=IN_WECHAT)
    assert back.status_code == 302 and back["Location"] == location
    assert client.session["wechat_openid"] == "oShopper1"
    html = page(client.get(location, HTTP_USER_AGENT=IN_WECHAT))
    order.payment.refresh_from_db()
    assert order.payment.shopper_data["jsapi"]["params"]["openid"] == "oShopper1"
    assert "getBrandWCPayRequest" in html and 'id="wechat-pay-params"' in html
    assert "/status/" in html


@responses.activate
def test_a_state_from_another_session_is_refused_without_asking_wechat(client, goods, wallets):  # noqa: F811
    location, _order = placed_order(client, goods, "wechatpay")
    state = oauth_redirect(client, location)
    attacker = Client()
    response = attacker.get(reverse("shop:wechat_openid"), {"code": "ATTACKER", "state": state})
    assert response.status_code == 302 and response["Location"] == reverse("shop:orders")
    assert "wechat_openid" not in attacker.session
    assert len(responses.calls) == 0
    forged = client.get(reverse("shop:wechat_openid"), {"code": "C", "state": "forged"})
    assert forged["Location"] == reverse("shop:orders") and len(responses.calls) == 0


@responses.activate
def test_when_wechat_refuses_the_code_the_page_does_not_loop(client, goods, wallets):  # noqa: F811
    location, _order = placed_order(client, goods, "wechatpay")
    state = oauth_redirect(client, location)
    responses.get(wechat_oauth.CODE_EXCHANGE_URL, json={"errcode": 40029, "errmsg": "invalid code"})
    back = client.get(reverse("shop:wechat_openid"), {"code": "BAD", "state": state})
    assert back["Location"] == location
    assert "wechat_openid" not in client.session
    again = client.get(location, HTTP_USER_AGENT=IN_WECHAT)
    assert again.status_code == 200  # not sent to WeChat a second time
    assert "微信" in page(again)


def test_without_oauth_settings_or_outside_wechat_nobody_is_sent_to_wechat(client, goods, wallets, settings):  # noqa: F811
    location, _order = placed_order(client, goods, "wechatpay")
    assert client.get(location, HTTP_USER_AGENT=DESKTOP).status_code == 200
    settings.WECHAT_APP_SECRET = ""
    assert client.get(location, HTTP_USER_AGENT=IN_WECHAT).status_code == 200


def test_needs_openid_only_for_wechat_pay_inside_wechat_without_one():
    inside = gateways.Device(user_agent=IN_WECHAT)
    assert gateways.needs_openid("wechatpay", inside)
    assert not gateways.needs_openid("alipay", inside)
    assert not gateways.needs_openid("wechatpay", gateways.Device(user_agent=PHONE))
    assert not gateways.needs_openid("wechatpay", gateways.Device(user_agent=IN_WECHAT, openid="o1"))
