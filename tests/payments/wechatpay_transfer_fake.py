"""A fake of WeChat Pay's merchant transfer API (商家转账) at its real host, with real signatures.

The tests generate a merchant key (ours: it signs our requests, and the fake verifies the
Authorization header against its public half, as WeChat Pay does) and a platform key (WeChat Pay's:
it signs every answer and notify, and `wechatpayv3` verifies them against the public key we are
configured with, in public-key mode). Notifies carry their resource encrypted with AES-256-GCM under
the APIv3 key, as WeChat Pay sends them. `responses` answers at https://api.mch.weixin.qq.com, the
only thing replaced.

The fake keeps its transfers by out_bill_no, as WeChat Pay does: a second POST of the same number
returns the first transfer, never a second one (`created` counts the transfers made)."""

import base64
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field

import requests
import responses
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HOST = "https://api.mch.weixin.qq.com"
TRANSFERS = f"{HOST}/v3/fund-app/mch-transfer/transfer-bills"
QUERY = re.compile(re.escape(TRANSFERS) + r"/out-bill-no/(?P<no>[A-Za-z0-9]+)$")
MCHID = "1900000109"
APPID = "wx1234567890abcdef"
SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000000001"
APIV3_KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes
AUTHORIZATION = re.compile(r"^WECHATPAY2-SHA256-RSA2048 (?P<params>.+)$")


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_private(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sign(key, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class Bill:
    out_bill_no: str
    openid: str
    transfer_amount: int
    body: dict
    state: str = "WAIT_USER_CONFIRM"
    fail_reason: str = ""
    transfer_bill_no: str = field(default_factory=lambda: "1330000" + secrets.token_hex(12))
    package_info: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(24)).decode())


class WeChatPayFake:
    """The fake's transfers, what it was sent, and what it should answer next."""

    def __init__(self, tmp_path):
        self.merchant_key = _key()
        self.platform_key = _key()
        self.key_path = tmp_path / "apiclient_key.pem"
        self.key_path.write_bytes(_pem_private(self.merchant_key))
        self.public_key_path = tmp_path / "pub_key.pem"
        self.public_key_path.write_bytes(_pem_public(self.platform_key))
        self.bills: dict[str, Bill] = {}
        self.created = 0
        self.requests: list[dict] = []  # every request that reached the fake, verified
        self.first_state = "WAIT_USER_CONFIRM"
        # Answers to give before the real ones, one per request: an exception, or (status, json).
        self.upcoming: list = []
        # Make the transfer, then answer this instead (the answer lost after the money moved).
        self.lose_answer: list = []
        self.mock = None

    def configure(self, settings):
        settings.WECHATPAY_MCHID = MCHID
        settings.WECHATPAY_APPID = APPID
        settings.WECHATPAY_CERT_SERIAL_NO = SERIAL
        settings.WECHATPAY_PRIVATE_KEY_PATH = str(self.key_path)
        settings.WECHATPAY_APIV3_KEY = APIV3_KEY
        settings.WECHATPAY_PUBLIC_KEY_PATH = str(self.public_key_path)
        settings.WECHATPAY_PUBLIC_KEY_ID = PUBLIC_KEY_ID
        settings.WECHATPAY_CERT_DIR = ""
        settings.WECHATPAY_NOTIFY_BASE = "https://shanhuo.example.cn"
        settings.WECHATPAY_PAYOUTS_ENABLED = True
        settings.WECHATPAY_TRANSFER_SCENE_ID = "1005"
        settings.WECHATPAY_TRANSFER_REPORT_INFOS = json.dumps(
            [
                {"info_type": "岗位类型", "info_content": "农产品供货"},
                {"info_type": "报酬说明", "info_content": "山货货款"},
            ]
        )
        settings.WECHATPAY_TRANSFER_PERCEPTION = ""
        settings.WECHATPAY_TRANSFER_MAX = ""
        settings.WECHATPAY_OUT_BILL_PREFIX = "SHP"

    # --- The wire ---------------------------------------------------------------------------------

    def start(self):
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.start()
        self.mock.add_callback(responses.POST, TRANSFERS, callback=self._create)
        self.mock.add_callback(responses.GET, QUERY, callback=self._query)
        return self

    def stop(self):
        self.mock.stop()
        self.mock.reset()

    def _verify(self, request) -> bool:
        """WeChat Pay's check of our Authorization header: our merchant key signed this request."""
        match = AUTHORIZATION.match(request.headers.get("Authorization", ""))
        if match is None:
            return False
        params = dict(re.findall(r'(\w+)="([^"]*)"', match["params"]))
        if params.get("mchid") != MCHID or params.get("serial_no") != SERIAL:
            return False
        path = request.path_url
        body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        message = f"{request.method}\n{path}\n{params['timestamp']}\n{params['nonce_str']}\n{body}\n"
        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(params["signature"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:  # noqa: BLE001
            return False
        return abs(time.time() - int(params["timestamp"])) < 300

    def signed(self, status: int, payload: dict | None):
        """An answer as WeChat Pay sends it: signed with the platform key over timestamp, nonce, body."""
        body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": PUBLIC_KEY_ID,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": _sign(self.platform_key, f"{timestamp}\n{nonce}\n{body}\n"),
            "Content-Type": "application/json",
            "Request-ID": str(uuid.uuid4()),
        }
        return status, headers, body

    def _upcoming(self):
        if not self.upcoming:
            return None
        answer = self.upcoming.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        return self.signed(status, payload)

    def _create(self, request):
        if not self._verify(request):
            return self.signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        body = json.loads(request.body)
        self.requests.append({"method": "POST", "body": body, "headers": dict(request.headers)})
        early = self._upcoming()
        if early is not None:
            return early
        bill = self.bills.get(body["out_bill_no"])
        if bill is None:
            bill = Bill(body["out_bill_no"], body["openid"], body["transfer_amount"], body, state=self.first_state)
            self.bills[bill.out_bill_no] = bill
            self.created += 1
        if self.lose_answer:
            answer = self.lose_answer.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return self.signed(*answer)
        answer = {
            "out_bill_no": bill.out_bill_no,
            "transfer_bill_no": bill.transfer_bill_no,
            "create_time": "2026-12-03T10:00:00+08:00",
            "state": bill.state,
        }
        if bill.state == "WAIT_USER_CONFIRM":
            answer["package_info"] = bill.package_info
        if bill.state == "FAIL":
            answer["fail_reason"] = bill.fail_reason
        return self.signed(200, answer)

    def _query(self, request):
        if not self._verify(request):
            return self.signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        number = QUERY.search(request.url)["no"]
        self.requests.append({"method": "GET", "out_bill_no": number})
        early = self._upcoming()
        if early is not None:
            return early
        bill = self.bills.get(number)
        if bill is None:
            return self.signed(404, {"code": "NOT_FOUND", "message": "记录不存在"})
        return self.signed(200, self.resource(bill))

    def resource(self, bill: Bill) -> dict:
        answer = {
            "mch_id": MCHID,
            "out_bill_no": bill.out_bill_no,
            "transfer_bill_no": bill.transfer_bill_no,
            "appid": APPID,
            "state": bill.state,
            "transfer_amount": bill.transfer_amount,
            "transfer_remark": bill.body.get("transfer_remark", ""),
            "openid": bill.openid,
            "create_time": "2026-12-03T10:00:00+08:00",
            "update_time": "2026-12-03T10:05:00+08:00",
        }
        if bill.fail_reason:
            answer["fail_reason"] = bill.fail_reason
        return answer

    # --- WeChat Pay's side ------------------------------------------------------------------------

    def finish(self, out_bill_no: str, state: str, fail_reason: str = ""):
        """The farmer confirmed (SUCCESS), or the transfer ended without them (FAIL, CANCELLED)."""
        bill = self.bills[out_bill_no]
        bill.state, bill.fail_reason = state, fail_reason
        return bill

    def notify(self, out_bill_no: str, *, event_id=None, key=None, timestamp=None, resource=None):
        """The notify WeChat Pay posts for the bill's final state: (headers for Django's test
        client, body). `key` signs it (default the platform key: another forges it)."""
        plain = json.dumps(resource or self.resource(self.bills[out_bill_no]), ensure_ascii=False)
        nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay's
        ciphertext = AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), plain.encode(), b"mch_payment")
        body = json.dumps(
            {
                "id": event_id or str(uuid.uuid4()),
                "create_time": "2026-12-03T10:05:00+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "MCHTRANSFER.BILL.FINISHED",
                "summary": "商家转账单据终态通知",
                "resource": {
                    "original_type": "mch_payment",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": "mch_payment",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        timestamp = timestamp or str(int(time.time()))
        signature_nonce = secrets.token_hex(16)
        headers = {
            "HTTP_WECHATPAY_TIMESTAMP": timestamp,
            "HTTP_WECHATPAY_NONCE": signature_nonce,
            "HTTP_WECHATPAY_SERIAL": PUBLIC_KEY_ID,
            "HTTP_WECHATPAY_SIGNATURE_TYPE": "WECHATPAY2-SHA256-RSA2048",
            "HTTP_WECHATPAY_SIGNATURE": _sign(key or self.platform_key, f"{timestamp}\n{signature_nonce}\n{body}\n"),
        }
        return headers, body

    def decrypt_name(self, ciphertext: str) -> str:
        """A name we encrypted for WeChat Pay (RSA-OAEP with WeChat Pay's public key)."""
        plain = self.platform_key.decrypt(
            base64.b64decode(ciphertext),
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None),  # noqa: S303
        )
        return plain.decode()


TIMEOUT = requests.ReadTimeout("read timed out")
