"""A fake WeChat Pay (API v3) for tests: the merchant API on https://api.mch.weixin.qq.com served by
`responses`, and notifies signed and encrypted as WeChat Pay documents them.

Keys are made per test with `cryptography`: the merchant's RSA key (our requests' signatures), the
platform's RSA key with its x509 certificate (WeChat's answers and notifies), and an APIv3 key
(the notifies' and certificates' AES-256-GCM). Like WeChat Pay, the fake

- refuses a request whose Authorization signature does not verify with the merchant's public key
  (401 SIGN_ERROR), and signs every answer with the platform key (the library verifies them);
- serves /v3/certificates with the platform certificate encrypted under the APIv3 key (certificate
  mode), or names the answers' key PUB_KEY_ID_… (public-key mode, `mode="public_key"`);
- keeps its orders and refunds by out_trade_no and out_refund_no: opening an order again with the
  same number and amount answers as before, refunding with the same out_refund_no returns the
  refund already made, so a retried call never doubles anything.

Use in a test:

    def test_something(wechatpay_fake, client):           # the fixture (tests/conftest.py)
        order = two_farmer_order(payment_method="wechatpay")[0]
        step = shopper_payments.payment_step(order.payment, Device(user_agent="Mozilla/5.0 (X11)"))
        wechatpay_fake.pay(order.payment.merchant_reference)   # the shopper scans and pays
        response = wechatpay_fake.post(client, *wechatpay_fake.paid_notify(order.payment.merchant_reference))
        assert response.status_code == 204

`fail_next("POST", "/v3/refund", "timeout_after")` makes the next matching call fail: "timeout"
(never reached WeChat), "timeout_after" (done at WeChat, the answer lost), "connection", or an HTTP
status such as 500. `requests_to(path)` lists what we sent. Outside tests (bench/wechat_notify.py),
`FakeWeChatPay(folder)` alone signs notifies for a server configured with `env()`."""

import base64
import datetime
import json
import re
import secrets
import string
import time
import uuid
from pathlib import Path

import pytest
import requests
import responses
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

API = "https://api.mch.weixin.qq.com"
NOTIFY_PATH = "/payments/wechatpay/notify/"
CHINA = datetime.timezone(datetime.timedelta(hours=8))
AUTH = re.compile(r'(\w+)="([^"]*)"')


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _now_text() -> str:
    return datetime.datetime.now(CHINA).isoformat(timespec="seconds")


class FakeWeChatPay:
    mchid = "1900000109"
    appid = "wxd678efh567hg6787"

    def __init__(self, folder: Path, mode: str = "certificate"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.mode = mode
        self.apiv3_key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        self.merchant_key = _rsa_key()
        self.merchant_serial = secrets.token_hex(20).upper()
        self.platform_key = _rsa_key()
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
        self.platform_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.platform_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(self.platform_key, hashes.SHA256())
        )
        self.platform_serial = format(self.platform_cert.serial_number, "X")
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(16).upper()
        self.private_key_path = self.folder / "apiclient_key.pem"
        self.private_key_path.write_text(_pem(self.merchant_key))
        self.public_key_path = self.folder / "pub_key.pem"
        self.public_key_path.write_text(
            self.platform_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self.cert_dir = self.folder / "wechatpay-certs"
        self.transactions: dict[str, dict] = {}  # by out_trade_no
        self.refunds: dict[str, dict] = {}  # by out_refund_no
        self.received: list[tuple[str, str, dict]] = []  # (method, path, body) of every accepted call
        self.failures: list[tuple[str, str, object]] = []
        self.refund_status = "PROCESSING"  # what a new refund starts as
        self.mock: responses.RequestsMock | None = None

    # --- Configuration ----------------------------------------------------------------------------

    @property
    def serial(self) -> str:
        """What WeChat's answers and notifies name in Wechatpay-Serial."""
        return self.public_key_id if self.mode == "public_key" else self.platform_serial

    def env(self, notify_base: str = "https://shop.example.cn") -> dict[str, str]:
        """The WECHATPAY_* settings (as environment variables) for a server talking to this fake."""
        public = self.mode == "public_key"
        return {
            "WECHATPAY_MCHID": self.mchid,
            "WECHATPAY_APPID": self.appid,
            "WECHATPAY_CERT_SERIAL_NO": self.merchant_serial,
            "WECHATPAY_PRIVATE_KEY_PATH": str(self.private_key_path),
            "WECHATPAY_APIV3_KEY": self.apiv3_key,
            "WECHATPAY_PUBLIC_KEY_PATH": str(self.public_key_path) if public else "",
            "WECHATPAY_PUBLIC_KEY_ID": self.public_key_id if public else "",
            "WECHATPAY_CERT_DIR": "" if public else str(self.cert_dir),
            "WECHATPAY_NOTIFY_BASE": notify_base,
        }

    def configure(self, settings) -> None:
        """Point Django's settings (pytest-django's `settings` fixture) at this fake."""
        for name, value in self.env().items():
            setattr(settings, name, value)
        settings.WECHATPAY_TIMEOUT = 2

    def write_certificate(self) -> None:
        """Put the platform certificate in WECHATPAY_CERT_DIR, as the library keeps it after a
        download: a server then verifies without asking /v3/certificates."""
        self.cert_dir.mkdir(parents=True, exist_ok=True)
        pem = self.platform_cert.public_bytes(serialization.Encoding.PEM).decode()
        (self.cert_dir / f"{self.platform_serial}.pem").write_text(pem)

    def start(self) -> responses.RequestsMock:
        """Serve the API through `responses` (local addresses pass through); `stop()` ends it."""
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.start()
        for prefix in ("http://127.0.0.1", "http://localhost"):
            self.mock.add_passthru(prefix)
        routes = [
            ("GET", r"/v3/certificates$", self._certificates),
            ("POST", r"/v3/pay/transactions/(native|h5|jsapi)$", self._open),
            ("GET", r"/v3/pay/transactions/out-trade-no/([^/?]+)\?mchid=(\w+)$", self._query),
            ("POST", r"/v3/pay/transactions/out-trade-no/([^/?]+)/close$", self._close),
            ("POST", r"/v3/refund/domestic/refunds$", self._refund),
            ("GET", r"/v3/refund/domestic/refunds/([^/?]+)$", self._query_refund),
        ]
        for method, pattern, handler in routes:
            self.mock.add_callback(
                method, re.compile(re.escape(API) + pattern), callback=self._serving(method, pattern, handler)
            )
        return self.mock

    def stop(self) -> None:
        if self.mock is not None:
            self.mock.stop()
            self.mock.reset()
            self.mock = None

    # --- What the shopper and WeChat do ------------------------------------------------------------

    def fail_next(self, method: str, path_part: str, kind) -> None:
        """The next `method` call whose path contains `path_part` fails as `kind`: "timeout",
        "timeout_after" (handled, then the answer lost), "connection", or an HTTP status."""
        self.failures.append((method, path_part, kind))

    def requests_to(self, path_part: str, method: str = "POST") -> list[dict]:
        return [body for m, path, body in self.received if m == method and path_part in path]

    def pay(self, out_trade_no: str, openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> dict:
        """The shopper pays the open order (scans the code, confirms in WeChat)."""
        trade = self.transactions[out_trade_no]
        assert trade["trade_state"] in ("NOTPAY", "USERPAYING"), trade["trade_state"]
        trade.update(
            trade_state="SUCCESS",
            trade_state_desc="支付成功",
            transaction_id="4200" + secrets.token_hex(12)[:24],
            success_time=_now_text(),
            payer={"openid": openid},
        )
        return trade

    def transaction_resource(self, out_trade_no: str, /, **overrides) -> dict:
        trade = self.transactions[out_trade_no]
        resource = {
            "mchid": self.mchid,
            "appid": self.appid,
            "out_trade_no": out_trade_no,
            "transaction_id": trade.get("transaction_id", ""),
            "trade_type": trade["trade_type"],
            "trade_state": trade["trade_state"],
            "trade_state_desc": trade["trade_state_desc"],
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": trade.get("success_time", ""),
            "payer": trade.get("payer", {"openid": ""}),
            "amount": {
                "total": trade["amount"]["total"],
                "payer_total": trade["amount"]["total"],
                "currency": trade["amount"]["currency"],
                "payer_currency": trade["amount"]["currency"],
            },
        }
        resource.update(overrides)
        return resource

    def paid_notify(self, out_trade_no: str, /, notify_id: str | None = None, **overrides) -> tuple[bytes, dict]:
        """TRANSACTION.SUCCESS for a paid order (`pay` first), as (body, headers); `overrides`
        replace fields of the resource (e.g. amount={"total": 1, "currency": "CNY"})."""
        resource = self.transaction_resource(out_trade_no, **overrides)
        return self.notify("TRANSACTION.SUCCESS", resource, "transaction", "支付成功", notify_id=notify_id)

    def finish_refund(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        """WeChat settles a refund (SUCCESS, ABNORMAL or CLOSED)."""
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        if status == "SUCCESS":
            refund["success_time"] = _now_text()
        return refund

    def refund_notify(
        self, out_refund_no: str, status: str = "SUCCESS", notify_id: str | None = None
    ) -> tuple[bytes, dict]:
        """REFUND.<status> for a refund we asked for, settling it at the fake too."""
        refund = self.finish_refund(out_refund_no, status)
        resource = {
            "mchid": self.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": status,
            "success_time": refund.get("success_time", ""),
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }
        return self.notify(f"REFUND.{status}", resource, "refund", "退款状态变更", notify_id=notify_id)

    def notify(
        self,
        event_type: str,
        resource: dict,
        original_type: str,
        summary: str,
        *,
        notify_id: str | None = None,
        timestamp: int | None = None,
        serial: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
    ) -> tuple[bytes, dict]:
        """A notify as WeChat Pay posts it: the resource encrypted with AEAD_AES_256_GCM under the
        APIv3 key (a 12-character nonce, associated data naming its type), the JSON body signed
        with the platform key over "timestamp\\nnonce\\nbody\\n". Arguments make it wrong on purpose."""
        nonce = secrets.token_hex(6)
        associated = original_type
        plaintext = json.dumps(resource, ensure_ascii=False).encode()
        ciphertext = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), plaintext, associated.encode()
        )
        body = {
            "id": notify_id or str(uuid.uuid4()),
            "create_time": _now_text(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        }
        return self.sign_body(
            json.dumps(body, ensure_ascii=False).encode(),
            timestamp=timestamp,
            serial=serial,
            signing_key=signing_key,
        )

    def sign_body(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        serial: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[bytes, dict]:
        """Any body (malformed ones too) with WeChat's signature headers."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16)
        text = body.decode("utf-8", "replace")
        headers = {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _sign(signing_key or self.platform_key, f"{stamp}\n{nonce}\n{text}\n"),
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
        return body, headers

    @staticmethod
    def post(client, body: bytes, headers: dict):
        """Deliver a notify through Django's test client."""
        return client.post(NOTIFY_PATH, body, content_type="application/json", headers=headers)

    # --- The API --------------------------------------------------------------------------------

    def _serving(self, method, pattern, handler):
        def serve(request):
            kind = self._take_failure(method, request.path_url)
            if kind == "timeout":
                raise requests.exceptions.ReadTimeout("fake WeChat Pay: read timed out")
            if kind == "connection":
                raise requests.exceptions.ConnectionError("fake WeChat Pay: connection refused")
            if isinstance(kind, int):
                return self._answer(kind, {"code": "SYSTEM_ERROR", "message": "系统错误"})
            body_text = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
            refused = self._check_authorization(request, body_text)
            if refused:
                return refused
            body = json.loads(body_text) if body_text else {}
            self.received.append((method, request.path_url, body))
            match = re.search(pattern, request.path_url)
            answer = handler(body, *match.groups())
            if kind == "timeout_after":
                raise requests.exceptions.ReadTimeout("fake WeChat Pay: answer lost")
            return answer

        return serve

    def _take_failure(self, method: str, path: str):
        for i, failure in enumerate(self.failures):
            if failure[0] == method and failure[1] in path:
                return self.failures.pop(i)[2]
        return None

    def _check_authorization(self, request, body_text: str):
        header = request.headers.get("Authorization", "")
        scheme, _, rest = header.partition(" ")
        fields = dict(AUTH.findall(rest))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or fields.get("mchid") != self.mchid:
            return self._answer(401, {"code": "SIGN_ERROR", "message": "Authorization 不合法"})
        if fields.get("serial_no") != self.merchant_serial:
            return self._answer(401, {"code": "SIGN_ERROR", "message": "商户证书序列号有误"})
        message = f"{request.method}\n{request.path_url}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n"
        message += f"{body_text}\n"
        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if abs(time.time() - int(fields.get("timestamp") or 0)) > 300:
            return self._answer(401, {"code": "SIGN_ERROR", "message": "时间戳过期"})
        return None

    def _answer(self, status: int, body: dict | None):
        text = json.dumps(body, ensure_ascii=False) if body is not None else ""
        _, headers = self.sign_body(text.encode())
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        headers["Request-ID"] = uuid.uuid4().hex
        return status, headers, text

    def _certificates(self, body):
        nonce = secrets.token_hex(6)
        pem = self.platform_cert.public_bytes(serialization.Encoding.PEM)
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), pem, b"certificate")
        return self._answer(
            200,
            {
                "data": [
                    {
                        "serial_no": self.platform_serial,
                        "effective_time": self.platform_cert.not_valid_before_utc.isoformat(),
                        "expire_time": self.platform_cert.not_valid_after_utc.isoformat(),
                        "encrypt_certificate": {
                            "algorithm": "AEAD_AES_256_GCM",
                            "nonce": nonce,
                            "associated_data": "certificate",
                            "ciphertext": base64.b64encode(ciphertext).decode(),
                        },
                    }
                ]
            },
        )

    def _invalid(self, message: str):
        return self._answer(400, {"code": "PARAM_ERROR", "message": message})

    def _open(self, body, trade_type):
        trade_type = trade_type.upper()
        required = ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount")
        if any(not body.get(name) for name in required):
            return self._invalid("缺少参数")
        if body["appid"] != self.appid or body["mchid"] != self.mchid:
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "appid和mch_id不匹配"})
        if len(body["description"].encode()) > 127 or not body["notify_url"].startswith("https://"):
            return self._invalid("description 或 notify_url 格式错误")
        amount = body["amount"]
        if not isinstance(amount.get("total"), int) or amount["total"] <= 0 or amount.get("currency") != "CNY":
            return self._invalid("amount 格式错误")
        if trade_type == "JSAPI" and not (body.get("payer") or {}).get("openid"):
            return self._invalid("JSAPI 需要 payer.openid")
        if trade_type == "H5":
            scene = body.get("scene_info") or {}
            if not scene.get("payer_client_ip") or (scene.get("h5_info") or {}).get("type") != "Wap":
                return self._invalid("H5 需要 scene_info")
        number = body["out_trade_no"]
        trade = self.transactions.get(number)
        if trade is not None:
            if trade["trade_state"] == "SUCCESS":
                return self._answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
            if trade["trade_state"] == "CLOSED":
                return self._answer(400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})
            if trade["amount"] != amount or trade["description"] != body["description"]:
                return self._answer(400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"})
        else:
            trade = self.transactions[number] = {
                "out_trade_no": number,
                "amount": amount,
                "description": body["description"],
                "time_expire": body.get("time_expire"),
                "notify_url": body["notify_url"],
                "trade_type": trade_type,
                "trade_state": "NOTPAY",
                "trade_state_desc": "订单未支付",
                "prepay": {},
            }
        prepay = trade["prepay"].setdefault(trade_type, "wx" + secrets.token_hex(14))
        trade["trade_type"] = trade_type
        if trade_type == "NATIVE":
            return self._answer(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay[2:12]}"})
        if trade_type == "H5":
            url = f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}&package=2150917749"
            return self._answer(200, {"h5_url": url})
        return self._answer(200, {"prepay_id": prepay})

    def _trade_answer(self, trade: dict) -> dict:
        answer = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": trade["out_trade_no"],
            "trade_type": trade["trade_type"],
            "trade_state": trade["trade_state"],
            "trade_state_desc": trade["trade_state_desc"],
            "amount": {"total": trade["amount"]["total"], "currency": trade["amount"]["currency"]},
        }
        if trade.get("transaction_id"):
            answer.update(
                transaction_id=trade["transaction_id"],
                success_time=trade["success_time"],
                payer=trade["payer"],
                amount={**answer["amount"], "payer_total": trade["amount"]["total"], "payer_currency": "CNY"},
            )
        return answer

    def _query(self, body, number, mchid):
        trade = self.transactions.get(number)
        if trade is None or mchid != self.mchid:
            return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self._answer(200, self._trade_answer(trade))

    def _close(self, body, number):
        trade = self.transactions.get(number)
        if body.get("mchid") != self.mchid:
            return self._invalid("mchid 有误")
        if trade is None:
            return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if trade["trade_state"] in ("SUCCESS", "REFUND"):
            return self._answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
        trade.update(trade_state="CLOSED", trade_state_desc="已关闭")
        return self._answer(204, None)

    def _refund_answer(self, refund: dict) -> dict:
        return {
            key: refund[key]
            for key in (
                "refund_id",
                "out_refund_no",
                "transaction_id",
                "out_trade_no",
                "channel",
                "user_received_account",
                "create_time",
                "status",
                "amount",
            )
        } | ({"success_time": refund["success_time"]} if refund.get("success_time") else {})

    def _refund(self, body):
        number = body.get("out_refund_no")
        amount = body.get("amount") or {}
        if not number or not body.get("out_trade_no") or not isinstance(amount.get("refund"), int):
            return self._invalid("缺少参数")
        if not body.get("notify_url", "https://").startswith("https://"):
            return self._invalid("notify_url 格式错误")
        existing = self.refunds.get(number)
        if existing is not None:
            if existing["amount"]["refund"] != amount["refund"]:
                return self._answer(400, {"code": "INVALID_REQUEST", "message": "退款单号重复，金额不一致"})
            return self._answer(200, self._refund_answer(existing))
        trade = self.transactions.get(body["out_trade_no"])
        if trade is None or trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
        if amount.get("total") != trade["amount"]["total"] or amount.get("currency") != "CNY":
            return self._invalid("订单金额或币种与支付金额不一致")
        refunded = sum(
            r["amount"]["refund"]
            for r in self.refunds.values()
            if r["out_trade_no"] == trade["out_trade_no"] and r["status"] in ("SUCCESS", "PROCESSING")
        )
        if amount["refund"] <= 0 or refunded + amount["refund"] > trade["amount"]["total"]:
            return self._invalid("申请退款金额超过订单可退金额")
        refund = self.refunds[number] = {
            "refund_id": "50" + secrets.token_hex(14),
            "out_refund_no": number,
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _now_text(),
            "status": self.refund_status,
            "amount": {
                "total": trade["amount"]["total"],
                "refund": amount["refund"],
                "payer_total": trade["amount"]["total"],
                "payer_refund": amount["refund"],
                "settlement_total": trade["amount"]["total"],
                "settlement_refund": amount["refund"],
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if self.refund_status == "SUCCESS":
            refund["success_time"] = _now_text()
        trade.update(trade_state="REFUND", trade_state_desc="转入退款")
        return self._answer(200, self._refund_answer(refund))

    def _query_refund(self, body, number):
        refund = self.refunds.get(number)
        if refund is None:
            return self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
        return self._answer(200, self._refund_answer(refund))


@pytest.fixture
def wechatpay_fake(settings, tmp_path):
    """WeChat Pay configured (certificate mode) and served by a fresh fake for this test."""
    fake = FakeWeChatPay(tmp_path / "wechatpay")
    fake.configure(settings)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def wechatpay_fake_public_key(settings, tmp_path):
    """The same in public-key mode (WECHATPAY_PUBLIC_KEY_PATH and _ID set; no certificates)."""
    fake = FakeWeChatPay(tmp_path / "wechatpay", mode="public_key")
    fake.configure(settings)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
