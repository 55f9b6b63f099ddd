"""WeChat's web OAuth (网页授权, scope snsapi_base): learn the openid a person has for our official
account, without asking them anything. WeChat Pay's JSAPI needs the shopper's openid, and payouts
to a farmer's WeChat balance need the farmer's, so both go through here.

The flow: send the browser to `authorize_url(our_callback, state)`; WeChat sends it back to our
callback with `?code=…&state=…`; the callback checks the state (`check_state`) and exchanges the
code with `openid_for_code`. The state ties the callback to the session that started it, so nobody
can make a victim's browser bind the attacker's openid (a CSRF through the callback)."""

import secrets
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
CODE_EXCHANGE_URL = "https://api.weixin.qq.com/sns/oauth2/access_token"
TIMEOUT_SECONDS = 10
_SESSION_KEY = "wechat_oauth_nonce"
_SALT = "core.wechat_oauth.state"
# How long a shopper may take on WeChat's side before the state expires.
STATE_MAX_AGE = 10 * 60


class WeChatOAuthError(Exception):
    """WeChat did not give an openid for the code: unreachable, or it refused (the code was used,
    expired or forged; the app id or secret is wrong). `code` is WeChat's errcode when it sent one."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


def is_configured() -> bool:
    return bool(settings.WECHAT_APPID and settings.WECHAT_APP_SECRET)


def authorize_url(redirect_uri: str, state: str) -> str:
    """Where to send the browser: WeChat asks nothing (snsapi_base) and comes back to redirect_uri
    with a one-time code and our state."""
    query = urlencode(
        {
            "appid": settings.WECHAT_APPID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    # WeChat's documented order of parameters ends in a fragment it requires.
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"


def openid_for_code(code: str) -> str:
    """The openid behind a code WeChat sent to our callback. Raises WeChatOAuthError."""
    if not code:
        raise WeChatOAuthError("WeChat sent no code")
    try:
        response = requests.get(
            CODE_EXCHANGE_URL,
            params={
                "appid": settings.WECHAT_APPID,
                "secret": settings.WECHAT_APP_SECRET,
                "code": code,
                "grant_type": "authorization_code",
            },
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        answer = response.json()
    except (requests.RequestException, ValueError) as error:
        raise WeChatOAuthError(f"WeChat's OAuth did not answer: {error}") from error
    if not isinstance(answer, dict):
        raise WeChatOAuthError("WeChat's OAuth answered with something that is not an object")
    if answer.get("errcode"):
        raise WeChatOAuthError(f"WeChat refused the code: {answer.get('errmsg', '')}", code=answer["errcode"])
    openid = answer.get("openid")
    if not isinstance(openid, str) or not openid:
        raise WeChatOAuthError("WeChat's OAuth answer has no openid")
    return openid


def new_state(session, purpose: str) -> str:
    """A state for `authorize_url`, tied to this session and to what the callback will do with the
    openid (`purpose`, e.g. an order's token), signed so it cannot be altered."""
    nonce = secrets.token_urlsafe(16)
    session[_SESSION_KEY] = nonce
    return signing.dumps({"n": nonce, "p": purpose}, salt=_SALT, compress=True)


def check_state(session, state: str) -> str | None:
    """The purpose the state was made for, if it was made for this session recently; else None.
    A state is good once: the nonce leaves the session."""
    try:
        value = signing.loads(state or "", salt=_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        return None
    nonce = session.get(_SESSION_KEY)
    if not isinstance(value, dict) or not nonce or not constant_time_compare(str(value.get("n", "")), nonce):
        return None
    del session[_SESSION_KEY]
    purpose = value.get("p")
    return purpose if isinstance(purpose, str) else None
