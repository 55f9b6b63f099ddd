"""A fake Alipay for tests: its OpenAPI gateway (https://openapi.alipay.com/gateway.do, answered by
`responses` at the `requests` transport) and its async notifies, with real RSA2 signatures.

The test generates two RSA key pairs with `cryptography`: the merchant app's (we sign with its
private key; the fake checks our requests with its public key) and "Alipay's" (the fake signs its
answers and notifies with it; our code verifies with its public key, through python-alipay-sdk).
The fake signs and verifies with `cryptography` itself, as Alipay documents the scheme, never
with the SDK under test: the parameters sorted by name and joined as k=v with &, signed with
SHA256withRSA, the signature in base64. A request's signed text leaves out only `sign` (and empty
values); a notify's leaves out `sign` and `sign_type`; an answer's is the exact text of its
`<method>_response` node.

Use, in a test:

    def test_x(alipay, client):               # the fixture (tests/payments/conftest.py)
        order = ...placed with payment_method="alipay"...
        alipay.shopper_pays(order.payment)    # the shopper pays at Alipay's cashier
        response = alipay.post_notify(client, alipay.paid_notify(order.payment))
        assert response.content == b"success"

`alipay.trades` holds each trade (status, amount, refunds) by out_trade_no; `alipay.calls` every
request we sent (method, biz_content); `alipay.fail(method, mode)` makes the next call of a method
time out, answer 502, not JSON, unsigned, badly signed, or be done with its answer lost.
"""

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
import responses
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GATEWAY = "https://openapi.alipay.com/gateway.do"
APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
NOTIFY_PATH = "/payments/alipay/notify/"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> bytes:
    pkcs8 = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def bare_base64(pem: bytes) -> str:
    """The key as Alipay's key tool and console show it: the base64 without PEM lines."""
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


def content_to_sign(params: dict) -> str:
    """A notify's signed text: every field but sign and sign_type, sorted, as k=v joined by &."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key not in ("sign", "sign_type"))


def request_content_to_sign(params: dict) -> str:
    """A request's signed text: Alipay leaves out only sign (and empty values); sign_type is signed."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign" and params[key] != "")


def rsa2_sign(key, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_holds(public_key, text: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class Trade:
    out_trade_no: str
    total_amount: Decimal
    status: str = "WAIT_BUYER_PAY"
    trade_no: str = field(default_factory=lambda: "2026" + uuid.uuid4().hex[:24])
    refunds: dict = field(default_factory=dict)  # out_request_no → Decimal

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunds.values(), Decimal("0"))


@dataclass
class Call:
    method: str
    biz_content: dict
    params: dict


class FakeAlipay:
    """Alipay's gateway.do and notifies. See the module docstring."""

    def __init__(self, mock: responses.RequestsMock, app_key, alipay_key, app_id: str = APP_ID):
        self.mock = mock
        self.app_key = app_key
        self.alipay_key = alipay_key
        self.app_id = app_id
        self.trades: dict[str, Trade] = {}
        self.calls: list[Call] = []
        self.failures: dict[str, list[str]] = {}
        self.lock = threading.RLock()
        # Called (with the method) just before an answer is sent: tests hold an answer back with it.
        self.before_answer = None
        mock.add_callback(responses.POST, GATEWAY, callback=self._answer)

    # --- Settings --------------------------------------------------------------------------------

    def configure(self, settings, folder: Path, bare: bool = False) -> None:
        """Point the site's ALIPAY_* settings at this fake: key files written to `folder` (PEM, or
        the bare base64 of Alipay's key tool with `bare`)."""
        folder.mkdir(parents=True, exist_ok=True)
        app, ours = private_pem(self.app_key), public_pem(self.alipay_key)
        (folder / "app_private_key.pem").write_text(bare_base64(app) if bare else app.decode())
        (folder / "alipay_public_key.pem").write_text(bare_base64(ours) if bare else ours.decode())
        settings.ALIPAY_APP_ID = self.app_id
        settings.ALIPAY_APP_PRIVATE_KEY_PATH = str(folder / "app_private_key.pem")
        settings.ALIPAY_PUBLIC_KEY_PATH = str(folder / "alipay_public_key.pem")
        settings.ALIPAY_NOTIFY_BASE = "https://shop.example.cn"
        settings.ALIPAY_GATEWAY_URL = GATEWAY
        settings.ALIPAY_TIMEOUT = 5
        settings.ALIPAY_SELLER_ID = ""

    # --- The shopper at Alipay's cashier --------------------------------------------------------

    def check_pay_url(self, url: str) -> tuple[dict, dict]:
        """What Alipay's cashier checks of a pay link: our APPID and a valid RSA2 signature by the
        app's key. Returns (the common parameters, biz_content)."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GATEWAY, url
        params = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True))
        self._check_signed(params)
        return params, json.loads(params["biz_content"])

    def shopper_opens(self, payment) -> Trade:
        """The shopper reached the cashier and logged in: Alipay's trade exists, unpaid."""
        with self.lock:
            trade = self.trades.get(payment.merchant_reference)
            if trade is None:
                trade = self.trades[payment.merchant_reference] = Trade(payment.merchant_reference, payment.amount)
            return trade

    def shopper_pays(self, payment, amount: Decimal | None = None) -> Trade:
        with self.lock:
            trade = self.shopper_opens(payment)
            if amount is not None:
                trade.total_amount = amount
            trade.status = "TRADE_SUCCESS"
            return trade

    # --- Notifies ------------------------------------------------------------------------------

    def sign_notify(self, fields: dict, key=None) -> dict:
        """The notify's fields with sign_type and sign, as Alipay signs them."""
        fields = {k: v for k, v in fields.items() if k not in ("sign", "sign_type")}
        return {**fields, "sign_type": "RSA2", "sign": rsa2_sign(key or self.alipay_key, content_to_sign(fields))}

    def paid_notify(self, payment, **overrides) -> dict:
        """A signed TRADE_SUCCESS notify for the payment's trade (opened if the test has not)."""
        trade = self.shopper_opens(payment)
        fields = {
            "notify_time": "2026-05-01 12:00:00",
            "notify_type": "trade_status_sync",
            "notify_id": uuid.uuid4().hex,
            "charset": "utf-8",
            "version": "1.0",
            "app_id": self.app_id,
            "seller_id": SELLER_ID,
            "buyer_id": "2088102177846880",
            "trade_no": trade.trade_no,
            "out_trade_no": payment.merchant_reference,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": str(trade.total_amount),
            "receipt_amount": str(trade.total_amount),
            "subject": "山货订单",
            "gmt_create": "2026-05-01 11:59:00",
            "gmt_payment": "2026-05-01 11:59:30",
            "fund_bill_list": json.dumps([{"amount": str(trade.total_amount), "fundChannel": "ALIPAYACCOUNT"}]),
        }
        fields.update(overrides)
        return self.sign_notify({k: v for k, v in fields.items() if v is not None})

    def refund_notify(self, refund, **overrides) -> dict:
        """A signed notify of our refund (out_biz_no = its out_request_no), as Alipay sends after
        a refund: TRADE_SUCCESS after a partial one, TRADE_CLOSED after the last."""
        trade = self.trades[refund.payment.merchant_reference]
        refunded = trade.refunded or refund.amount
        status = "TRADE_CLOSED" if refunded >= trade.total_amount else "TRADE_SUCCESS"
        fields = {
            "trade_status": status,
            "out_biz_no": refund.merchant_reference,
            "refund_fee": str(refunded),
            "gmt_refund": "2026-05-02 10:00:00.123",
        }
        fields.update(overrides)
        return self.paid_notify(refund.payment, **fields)

    def post_notify(self, client, fields: dict | bytes | str, content_type: str = "application/x-www-form-urlencoded"):
        """POST a notify as Alipay does: form-encoded UTF-8, or raw bytes/text as given."""
        body = urlencode(fields) if isinstance(fields, dict) else fields
        return client.post(NOTIFY_PATH, body, content_type=content_type)

    # --- Failures ------------------------------------------------------------------------------

    def fail(self, method: str, mode: str, times: int = 1) -> None:
        """The next `times` calls of `method` fail: "timeout" (nothing done), "connect" (never
        reached), "lost" (done, then the answer times out), "502", "not json", "unsigned",
        "bad signature", "busy" (a signed 20000 / ACQ.SYSTEM_ERROR: call again)."""
        with self.lock:
            self.failures.setdefault(method, []).extend([mode] * times)

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    # --- The gateway ---------------------------------------------------------------------------

    def _check_signed(self, params: dict) -> None:
        assert params["app_id"] == self.app_id, params
        assert params["sign_type"] == "RSA2", params
        assert params["charset"] == "utf-8", params
        assert params["version"] == "1.0", params
        assert TIMESTAMP.fullmatch(params["timestamp"]), params["timestamp"]
        signed = request_content_to_sign(params)
        assert rsa2_holds(self.app_key.public_key(), signed, params["sign"]), "bad request signature"

    def _answer(self, request: requests.PreparedRequest):
        body = request.body.decode("ascii") if isinstance(request.body, bytes) else request.body
        params = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
        self._check_signed(params)
        method, biz = params["method"], json.loads(params["biz_content"])
        with self.lock:
            self.calls.append(Call(method, biz, params))
            pending = self.failures.get(method)
            mode = pending.pop(0) if pending else None
        if mode == "timeout":
            raise requests.ReadTimeout(f"fake: {method} timed out")
        if mode == "connect":
            raise requests.ConnectionError(f"fake: {method} could not connect")
        if mode == "502":
            return 502, {}, "<html><body>502 Bad Gateway</body></html>"
        if mode == "not json":
            return 200, {}, "<html>系统繁忙</html>"
        if mode == "busy":
            node = {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "ACQ.SYSTEM_ERROR"}
        else:
            with self.lock:
                node = getattr(self, "_" + method.replace(".", "_"))(biz)
        if self.before_answer is not None:
            self.before_answer(method)
        if mode == "lost":
            raise requests.ReadTimeout(f"fake: {method} was done but its answer was lost")
        return 200, {"Content-Type": "text/html;charset=utf-8"}, self.signed_answer(method, node, mode)

    def signed_answer(self, method: str, node: dict, mode: str | None = None) -> str:
        key = method.replace(".", "_") + "_response"
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        if mode == "unsigned":
            return f'{{"{key}":{text}}}'
        signature = rsa2_sign(new_key() if mode == "bad signature" else self.alipay_key, text)
        return f'{{"{key}":{text},"sign":"{signature}"}}'

    @staticmethod
    def _refused(sub_code: str, sub_msg: str) -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}

    def _alipay_trade_query(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": str(trade.total_amount),
            "buyer_logon_id": "sha***@example.com",
        }

    def _alipay_trade_close(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.status != "WAIT_BUYER_PAY":
            return self._refused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def _alipay_trade_refund(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
        amount, number = Decimal(biz["refund_amount"]), biz["out_request_no"]
        fund_change = "N"
        if number in trade.refunds:
            if trade.refunds[number] != amount:
                return self._refused("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与原请求不一致")
        else:
            if trade.status != "TRADE_SUCCESS":
                return self._refused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if trade.refunded + amount > trade.total_amount:
                return self._refused("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade.refunds[number] = amount
            fund_change = "Y"
            if trade.refunded == trade.total_amount:
                trade.status = "TRADE_CLOSED"
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "fund_change": fund_change,
            "refund_fee": str(trade.refunded),
        }

    def _alipay_trade_fastpay_refund_query(self, biz: dict) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._refused("ACQ.TRADE_NOT_EXIST", "交易不存在")
        number = biz["out_request_no"]
        if number not in trade.refunds:
            return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "out_request_no": number,
            "total_amount": str(trade.total_amount),
            "refund_amount": str(trade.refunds[number]),
            "refund_status": "REFUND_SUCCESS",
        }


# --- Fixtures (registered in tests/conftest.py) --------------------------------------------------


@pytest.fixture(scope="session")
def alipay_keys():
    """The app's and "Alipay's" key pairs, made once per run (2048-bit keys take a moment)."""
    return new_key(), new_key()


@pytest.fixture
def alipay(settings, tmp_path, alipay_keys):
    """A fake Alipay serving gateway.do, the site configured for it (keys in the test's folder)."""
    app_key, alipay_key = alipay_keys
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeAlipay(mock, app_key, alipay_key)
        fake.configure(settings, tmp_path / "alipay")
        yield fake
