"""Binding the WeChat that payouts go to (/farmer/wechat/): only the farmer themself (or a
cooperative's manager, for the cooperative), through WeChat's OAuth with a state tied to their own
session; outside WeChat a QR code of the page; the earnings page's 确认收款 for a transfer waiting
for the farmer. WeChat's OAuth code exchange is stubbed with `responses` at api.weixin.qq.com."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from core import wechat_oauth
from payments import payouts
from payments.models import Payout, PayoutDestination
from tests import factories as f
from tests.payments.test_payout_methods import farmer_a_owed
from tests.payments.wechatpay_transfer_fake import WeChatPayFake

pytestmark = pytest.mark.django_db

PAGE = "/farmer/wechat/"
START = "/farmer/wechat/bind/"
CALLBACK = "/farmer/wechat/callback/"
IN_WECHAT = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.50"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def offered(settings, tmp_path):
    WeChatPayFake(tmp_path).configure(settings)
    settings.WECHAT_APPID = "wx1234567890abcdef"
    settings.WECHAT_APP_SECRET = "secret-of-the-account"


@pytest.fixture
def oauth():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(wechat_oauth.CODE_EXCHANGE_URL, json={"access_token": "AT", "expires_in": 7200, "openid": OPENID})
        yield mock


def zh(client, url, **extra):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", **extra)


def start(client, seller_key):
    """Press the button inside WeChat: the state WeChat will send back."""
    response = client.post(START, {"seller": seller_key}, HTTP_USER_AGENT=IN_WECHAT)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert (url.netloc, url.path) == ("open.weixin.qq.com", "/connect/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["redirect_uri"] == ["http://testserver/farmer/wechat/callback/"]
    assert query["scope"] == ["snsapi_base"]
    return query["state"][0]


def test_not_offered_until_the_operator_turns_wechat_payouts_on(client, settings):
    farmer = f.farmer()
    client.force_login(farmer.user)
    assert client.get(PAGE).status_code == 404
    assert client.post(START, {"seller": f"farmer-{farmer.pk}"}).status_code == 404


def test_outside_wechat_the_page_shows_its_own_qr_code(client, offered):
    farmer = f.farmer()
    client.force_login(farmer.user)
    page = zh(client, PAGE).content.decode()
    assert "绑定微信收款" in page and "用微信扫一扫" in page and "还没绑定微信" in page
    assert 'class="qr"' in page and "<svg" in page and "http://testserver/farmer/wechat/" in page
    assert START not in page, "no button where WeChat's OAuth cannot work"


def test_the_farmer_binds_their_own_wechat_inside_wechat(client, offered, oauth):
    farmer = f.farmer()
    client.force_login(farmer.user)
    assert START in zh(client, PAGE, HTTP_USER_AGENT=IN_WECHAT).content.decode()

    state = start(client, f"farmer-{farmer.pk}")
    response = client.get(CALLBACK, {"code": "CODE1", "state": state}, HTTP_USER_AGENT=IN_WECHAT)

    assert response.status_code == 302 and response["Location"] == PAGE
    destination = PayoutDestination.objects.get(farmer=farmer)
    assert (destination.wechat_openid, destination.wechat_bound_by) == (OPENID, farmer.user)
    assert destination.wechat_holder_name == farmer.name
    page = zh(client, PAGE, HTTP_USER_AGENT=IN_WECHAT).content.decode()
    assert "已绑定微信" in page and "换成这个微信" in page and OPENID not in page
    # The state is good once: the same callback again binds nothing more.
    again = client.get(CALLBACK, {"code": "CODE1", "state": state}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert again.status_code == 400 and "已过期" in again.content.decode()
    assert len(oauth.calls) == 1


def test_another_farmer_cannot_bind_for_someone_else(client, offered, oauth):
    farmer = f.farmer()
    other = f.farmer()
    client.force_login(other.user)
    assert client.post(START, {"seller": f"farmer-{farmer.pk}"}, HTTP_USER_AGENT=IN_WECHAT).status_code == 403

    # A state the victim's session started, replayed from the attacker's browser: refused.
    victim = type(client)()
    victim.force_login(farmer.user)
    state = start(victim, f"farmer-{farmer.pk}")
    response = client.get(CALLBACK, {"code": "ATTACKER", "state": state})
    assert response.status_code == 400
    assert not PayoutDestination.objects.exists() and len(oauth.calls) == 0


def test_a_forged_state_is_refused_before_asking_wechat(client, offered, oauth):
    farmer = f.farmer()
    client.force_login(farmer.user)
    start(client, f"farmer-{farmer.pk}")
    for state in ("", "forged", "eyJuIjoiYSIsInAiOiJwYXlvdXQtd2VjaGF0OmZhcm1lci0xIn0:1abc:xyz"):
        response = client.get(CALLBACK, {"code": "CODE1", "state": state}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400, state
    assert not PayoutDestination.objects.exists() and len(oauth.calls) == 0


def test_staff_and_a_members_manager_do_not_bind_for_a_farmer(client, offered):
    cooperative = f.cooperative()
    farmer = f.farmer(cooperative=cooperative)
    manager = f.user()
    cooperative.managers.add(manager)
    for user in (f.staff_user(), manager):
        client.force_login(user)
        assert client.post(START, {"seller": f"farmer-{farmer.pk}"}, HTTP_USER_AGENT=IN_WECHAT).status_code == 403


def test_a_manager_binds_the_cooperatives_wechat_to_their_own(client, offered, oauth):
    cooperative = f.cooperative()
    manager = f.user(first_name="红", last_name="李")
    cooperative.managers.add(manager)
    client.force_login(manager)
    state = start(client, f"cooperative-{cooperative.pk}")
    assert client.get(CALLBACK, {"code": "CODE2", "state": state}).status_code == 302
    destination = PayoutDestination.objects.get(cooperative=cooperative)
    assert (destination.wechat_openid, destination.wechat_bound_by) == (OPENID, manager)


def test_wechat_refusing_the_code_binds_nothing(client, offered):
    farmer = f.farmer()
    client.force_login(farmer.user)
    with responses.RequestsMock() as mock:
        mock.get(wechat_oauth.CODE_EXCHANGE_URL, json={"errcode": 40163, "errmsg": "code been used"})
        state = start(client, f"farmer-{farmer.pk}")
        response = client.get(CALLBACK, {"code": "USED", "state": state}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "微信没有告诉我们您是谁" in response.content.decode()
    assert not PayoutDestination.objects.exists()


# --- The earnings page ----------------------------------------------------------------------------


def test_the_earnings_page_asks_the_farmer_to_confirm_a_transfer_waiting_for_them(client, offered):
    farmer = farmer_a_owed({"wechat_openid": OPENID})
    (payout,) = payouts.run()
    Payout.objects.filter(pk=payout.pk).update(provider_state="WAIT_USER_CONFIRM", confirm_package="ABBQO+oYAAAB==")
    client.force_login(farmer.user)

    inside = zh(client, "/farmer/earnings/", HTTP_USER_AGENT=IN_WECHAT).content.decode()
    assert "绑定微信收款" in inside and 'href="/farmer/wechat/"' in inside
    assert 'data-wechat-confirm data-package="ABBQO+oYAAAB=="' in inside and "确认收款" in inside
    assert "requestMerchantTransfer" in inside and OPENID not in inside

    outside = zh(client, "/farmer/earnings/").content.decode()
    assert "data-wechat-confirm" not in outside and "请用绑定的微信打开本页" in outside
