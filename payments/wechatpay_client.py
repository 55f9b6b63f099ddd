"""The WeChat Pay (API v3) client every part of Shanhuo shares: payments (`gateways/wechatpay.py`),
their notifies (`wechatpay_events.py`) and payouts (商家转账) use this one module.

    from payments import wechatpay_client

    status, body = wechatpay_client.call(lambda wxpay: wxpay.query(out_trade_no="…"))
    # or any other `wechatpayv3.WeChatPay` method, e.g. wxpay.mch_transfer_bills(...) for payouts

`call` turns what can go wrong on the wire into `GatewayError` (safe to retry with the same
out_trade_no / out_refund_no / out_bill_no: WeChat Pay never does one number twice): a timeout or a
lost connection, a 5xx (`GatewayUnsure`: it may have been done), an answer whose signature does not
verify. A 4xx is WeChat's refusal and is
returned as (status, body) for the caller to read WeChat's `code`; `refusal` turns one into a
`GatewayError` that quotes it.

The client is `wechatpayv3.WeChatPay` (PyPI `wechatpayv3`; WeChat's own v3 SDKs are for Java, Go,
PHP and Node only). It signs each request with the merchant's private key and verifies each answer
with WeChat Pay's public key (public-key mode) or its platform certificates (downloaded from
/v3/certificates, kept in WECHATPAY_CERT_DIR). One client is kept per process and configuration."""

import json
import logging
import threading
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.urls import reverse
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt, load_private_key, rsa_sign

from .gateways.base import GatewayError, GatewayUnsure

logger = logging.getLogger(__name__)

API_HOST = "https://api.mch.weixin.qq.com"

_lock = threading.Lock()
_cached: dict = {}  # {"key": settings tuple, "client": WeChatPay}


def is_configured() -> bool:
    """Everything the merchant API needs is set: merchant id, AppID, the merchant certificate's
    serial and private key, the APIv3 key, where notifies go; and the public key with its id, or
    neither (then platform certificates are used)."""
    required = (
        settings.WECHATPAY_MCHID,
        settings.WECHATPAY_APPID,
        settings.WECHATPAY_CERT_SERIAL_NO,
        settings.WECHATPAY_PRIVATE_KEY_PATH,
        settings.WECHATPAY_APIV3_KEY,
        settings.WECHATPAY_NOTIFY_BASE,
    )
    return all(required) and bool(settings.WECHATPAY_PUBLIC_KEY_PATH) == bool(settings.WECHATPAY_PUBLIC_KEY_ID)


def public_key_mode() -> bool:
    return bool(settings.WECHATPAY_PUBLIC_KEY_ID)


def notify_url() -> str:
    """Where WeChat Pay posts payment and refund notifies (https, no query string, as it requires)."""
    return settings.WECHATPAY_NOTIFY_BASE.rstrip("/") + reverse("payments:wechatpay-notify")


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _key() -> tuple:
    return (
        settings.WECHATPAY_MCHID,
        settings.WECHATPAY_APPID,
        settings.WECHATPAY_CERT_SERIAL_NO,
        settings.WECHATPAY_PRIVATE_KEY_PATH,
        settings.WECHATPAY_APIV3_KEY,
        settings.WECHATPAY_PUBLIC_KEY_PATH,
        settings.WECHATPAY_PUBLIC_KEY_ID,
        settings.WECHATPAY_CERT_DIR,
        settings.WECHATPAY_TIMEOUT,
    )


def client() -> WeChatPay:
    """The process's client for the current settings. In certificate mode, making it downloads the
    platform certificates unless WECHATPAY_CERT_DIR holds valid ones: that failing is a
    `GatewayError` like any other call."""
    key = _key()
    with _lock:
        if _cached.get("key") == key:
            return _cached["client"]
        try:
            made = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE,
                mchid=settings.WECHATPAY_MCHID,
                private_key=_read(settings.WECHATPAY_PRIVATE_KEY_PATH),
                cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
                appid=settings.WECHATPAY_APPID,
                apiv3_key=settings.WECHATPAY_APIV3_KEY,
                notify_url=notify_url(),
                cert_dir=settings.WECHATPAY_CERT_DIR or None,
                logger=None,
                timeout=settings.WECHATPAY_TIMEOUT,
                public_key=_read(settings.WECHATPAY_PUBLIC_KEY_PATH) if public_key_mode() else None,
                public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID or None,
            )
        except requests.RequestException as error:
            raise GatewayError(f"WeChat Pay did not answer (platform certificates): {error}") from error
        except Exception as error:  # the library raises bare Exceptions
            raise GatewayError(f"WeChat Pay client could not start: {error}") from error
        _cached.update(key=key, client=made)
        return made


def call(request) -> tuple[int, dict]:
    """`request(client)` → (HTTP status, JSON body as a dict; {} when empty). Raises `GatewayError`
    for a timeout, a lost connection, a 5xx or an answer that does not verify: all safe to retry
    with the same merchant numbers."""
    wxpay = client()
    try:
        status, text = request(wxpay)
    except requests.Timeout as error:
        raise GatewayUnsure(f"WeChat Pay did not answer in time ({settings.WECHATPAY_TIMEOUT} s)") from error
    except requests.RequestException as error:
        raise GatewayUnsure(f"WeChat Pay could not be reached: {error}") from error
    except Exception as error:  # e.g. "failed to verify the signature"
        raise GatewayError(f"WeChat Pay's answer was refused: {error}") from error
    body = _json(text)
    if status >= 500:
        raise GatewayUnsure(f"WeChat Pay failed (HTTP {status} {body.get('code', '')}): {body.get('message', '')}")
    return status, body


def _json(text) -> dict:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def refusal(status: int, body: dict, what: str) -> GatewayError:
    """WeChat's 4xx as an error naming its code and message (e.g. ORDERPAID, NOT_ENOUGH)."""
    return GatewayError(f"WeChat Pay refused {what} (HTTP {status} {body.get('code', '')}): {body.get('message', '')}")


def jsapi_params(prepay_id: str) -> dict:
    """What WeixinJSBridge's getBrandWCPayRequest takes, signed with the merchant's private key as
    WeChat Pay documents for JSAPI: RSA-SHA256 over appId, timeStamp, nonceStr and package, one per
    line. Needs no call to WeChat, so it is signed here rather than through the client."""
    app_id = settings.WECHATPAY_APPID
    timestamp = str(int(time.time()))
    nonce = uuid.uuid4().hex
    package = f"prepay_id={prepay_id}"
    message = "\n".join([app_id, timestamp, nonce, package]) + "\n"
    signature = rsa_sign(load_private_key(_read(settings.WECHATPAY_PRIVATE_KEY_PATH)), message)
    return {
        "appId": app_id,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": signature,
    }


# --- Notifies -------------------------------------------------------------------------------------


class NotifyRefused(Exception):
    """Not signed by WeChat Pay as far as we can tell: a signature, serial or time that does not
    verify (answered 401)."""


class NotifyMalformed(Exception):
    """Signed or not, not a notify we can read: not JSON, fields missing, a resource that does not
    decrypt (answered 400)."""


SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
NOTIFY_ID_MAX = 200
HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial")


def verify_notify(headers, body: bytes) -> dict:
    """A notify WeChat Pay posted to `notify_url()`, checked and opened: its headers' signature by
    WeChat Pay's public key or the platform certificate named by Wechatpay-Serial, made at most
    WECHATPAY_NOTIFY_TOLERANCE seconds ago; its resource decrypted (AEAD_AES_256_GCM with the
    APIv3 key). Returns the notify with `resource` replaced by the decrypted object:
    {"id", "event_type", "resource_type", "summary", "create_time", "resource": {...}}.

    Raises `NotifyRefused`, `NotifyMalformed`, or `GatewayError` when the platform certificates
    had to be downloaded (a serial not seen yet) and WeChat Pay did not answer. Payouts' transfer
    notifies (MCHTRANSFER.BILL.FINISHED) come through here as well."""
    found = {name: headers.get(name, "") for name in (*HEADERS, "Wechatpay-Signature-Type")}
    if not all(found[name] for name in HEADERS):
        raise NotifyRefused("signature headers missing")
    if found["Wechatpay-Signature-Type"] not in ("", SIGNATURE_TYPE):
        raise NotifyRefused(f"unknown signature type {found['Wechatpay-Signature-Type'][:40]!r}")
    found["Wechatpay-Signature-Type"] = SIGNATURE_TYPE
    timestamp = found["Wechatpay-Timestamp"]
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise NotifyRefused("bad timestamp")
    if abs(time.time() - int(timestamp)) > settings.WECHATPAY_NOTIFY_TOLERANCE:
        raise NotifyRefused("timestamp too old (or in the future)")
    serial = found["Wechatpay-Serial"]
    if public_key_mode():
        if serial != settings.WECHATPAY_PUBLIC_KEY_ID:
            raise NotifyRefused(f"unknown serial {serial[:64]!r}")
    elif not (len(serial) <= 64 and all(c in "0123456789abcdefABCDEF" for c in serial)):
        raise NotifyRefused(f"unknown serial {serial[:64]!r}")
    try:
        text = body.decode("utf-8")
        notify = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise NotifyMalformed("not JSON") from error
    _check_shape(notify)
    try:
        opened = client().callback(found, text)
    except GatewayError:
        raise
    except Exception as error:  # the library raises what its parsing meets
        raise NotifyMalformed(f"resource does not decrypt: {type(error).__name__}") from error
    if opened is None:
        if not _decrypts(notify["resource"]):
            raise NotifyMalformed("resource does not decrypt")
        raise NotifyRefused("bad signature, or a serial WeChat Pay does not know")
    if not isinstance(opened.get("resource"), dict):
        raise NotifyMalformed("resource is not an object")
    return opened


def _check_shape(notify) -> None:
    if not isinstance(notify, dict):
        raise NotifyMalformed("not an object")
    notify_id, event_type, resource = notify.get("id"), notify.get("event_type"), notify.get("resource")
    if not (isinstance(notify_id, str) and 0 < len(notify_id) <= NOTIFY_ID_MAX and "\x00" not in notify_id):
        raise NotifyMalformed("id missing")
    if not (isinstance(event_type, str) and 0 < len(event_type) <= 60 and "\x00" not in event_type):
        raise NotifyMalformed("event_type missing")
    if notify.get("resource_type") != "encrypt-resource" or not isinstance(resource, dict):
        raise NotifyMalformed("resource missing")
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise NotifyMalformed("resource algorithm is not AEAD_AES_256_GCM")
    for field in ("ciphertext", "nonce"):
        if not (isinstance(resource.get(field), str) and resource[field]):
            raise NotifyMalformed(f"resource {field} missing")
    if not isinstance(resource.get("associated_data", ""), str):
        raise NotifyMalformed("resource associated_data is not text")


def _decrypts(resource: dict) -> bool:
    try:
        return (
            aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=settings.WECHATPAY_APIV3_KEY,
            )
            is not None
        )
    except Exception:  # noqa: BLE001 - bad base64, a nonce of the wrong size
        return False
