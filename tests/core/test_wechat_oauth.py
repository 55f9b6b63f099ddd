"""WeChat's web OAuth: the authorize URL, the code exchange against api.weixin.qq.com (stubbed with
`responses` at its real host), and the session-bound state that stops a CSRF through the callback."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from core import wechat_oauth


@pytest.fixture(autouse=True)
def _wechat(settings):
    settings.WECHAT_APPID = "wx1234567890abcdef"
    settings.WECHAT_APP_SECRET = "secret-of-the-account"


def test_authorize_url_asks_for_the_silent_scope_and_comes_back_with_our_state():
    url = wechat_oauth.authorize_url("https://shop.example/wechat/back/?x=1", "the-state")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "open.weixin.qq.com", "/connect/oauth2/authorize")
    assert parts.fragment == "wechat_redirect"
    query = parse_qs(parts.query)
    assert query == {
        "appid": ["wx1234567890abcdef"],
        "redirect_uri": ["https://shop.example/wechat/back/?x=1"],
        "response_type": ["code"],
        "scope": ["snsapi_base"],
        "state": ["the-state"],
    }
    # WeChat rejects the parameters in another order.
    assert list(parse_qs(parts.query)) == ["appid", "redirect_uri", "response_type", "scope", "state"]


@responses.activate
def test_the_code_is_exchanged_for_the_openid():
    responses.get(
        wechat_oauth.CODE_EXCHANGE_URL,
        json={"access_token": "AT", "expires_in": 7200, "openid": "oUser123", "scope": "snsapi_base"},
        match=[
            responses.matchers.query_param_matcher(
                {
                    "appid": "wx1234567890abcdef",
                    "secret": "secret-of-the-account",
                    "code": "CODE1",
                    "grant_type": "authorization_code",
                }
            )
        ],
    )
    assert wechat_oauth.openid_for_code("CODE1") == "oUser123"


@responses.activate
def test_a_refused_code_raises_with_wechats_errcode():
    responses.get(wechat_oauth.CODE_EXCHANGE_URL, json={"errcode": 40163, "errmsg": "code been used"})
    with pytest.raises(wechat_oauth.WeChatOAuthError) as caught:
        wechat_oauth.openid_for_code("USED")
    assert caught.value.code == 40163
    assert "code been used" in str(caught.value)


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ConnectionError("down")},
        {"status": 502, "body": "bad gateway"},
        {"status": 200, "body": "<html>not json"},
        {"status": 200, "json": ["a", "list"]},
        {"status": 200, "json": {"access_token": "AT"}},
    ],
    ids=["unreachable", "5xx", "not-json", "not-an-object", "no-openid"],
)
def test_an_unusable_answer_raises_a_clear_error(answer):
    responses.get(wechat_oauth.CODE_EXCHANGE_URL, **answer)
    with pytest.raises(wechat_oauth.WeChatOAuthError):
        wechat_oauth.openid_for_code("CODE")


def test_no_code_raises_without_asking_wechat():
    # Any request would fail the test: none is registered.
    with responses.RequestsMock(), pytest.raises(wechat_oauth.WeChatOAuthError):
        wechat_oauth.openid_for_code("")


def test_a_state_is_good_once_and_only_for_the_session_that_made_it():
    session = {}
    state = wechat_oauth.new_state(session, "order-token")
    assert wechat_oauth.check_state({}, state) is None  # another browser's session
    assert wechat_oauth.check_state(session, state + "x") is None  # altered
    assert wechat_oauth.check_state(session, state) == "order-token"
    assert wechat_oauth.check_state(session, state) is None  # replayed


def test_a_state_from_an_older_attempt_is_refused():
    session = {}
    old = wechat_oauth.new_state(session, "a")
    new = wechat_oauth.new_state(session, "b")
    assert wechat_oauth.check_state(session, old) is None
    assert wechat_oauth.check_state(session, new) == "b"


def test_a_stale_state_is_refused(monkeypatch):
    session = {}
    state = wechat_oauth.new_state(session, "a")
    monkeypatch.setattr(wechat_oauth, "STATE_MAX_AGE", -1)
    assert wechat_oauth.check_state(session, state) is None
