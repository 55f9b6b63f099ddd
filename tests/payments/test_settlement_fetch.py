"""Fetching a day's bill through the providers' APIs (the daily task): only the network is stood in
for, with `responses` on WeChat Pay's and Alipay's real hosts. The keys are the tests' own: our
requests are checked against the merchant's public key, and the providers' answers are signed
with theirs exactly as they document it (WeChat Pay: SHA256-RSA over timestamp, nonce and body;
Alipay: RSA2 over the response object's JSON text)."""

import base64
import gzip
import hashlib
import json
import re
import time
import uuid
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payments import ledger, tasks
from payments.gateways import GatewayError
from payments.models import LedgerTransaction, Payment
from payments.settlement_bill import BillError
from tests.payments.settlement_bills import ali_payment, alipay_csv, alipay_zip, wechat_bill, wx_payment
from tests.payments.test_settlement import paid, providers  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

WX_BILL = "https://api.mch.weixin.qq.com/v3/bill/tradebill"
WX_DOWNLOAD = "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrT"
ALI_GATEWAY = "https://openapi.alipay.com/gateway.do"
ALI_DOWNLOAD = "https://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&fileType=csv.zip&token=2dea"
PUBLIC_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"


@pytest.fixture(scope="module")
def keys():
    return {name: rsa.generate_private_key(public_exponent=65537, key_size=2048) for name in ("merchant", "provider")}


def pem_files(tmp_path, keys) -> dict:
    files = {}
    for name, key in keys.items():
        private = tmp_path / f"{name}_key.pem"
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        public = tmp_path / f"{name}_public.pem"
        public.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        files[name] = (str(private), str(public))
    return files


def sign(key, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verifies(key, message: str, signature: str) -> bool:
    try:
        key.public_key().verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001 - InvalidSignature or a malformed signature
        return False
    return True


# --- WeChat Pay ---------------------------------------------------------------------------------------


@pytest.fixture
def wechatpay(settings, tmp_path, keys):
    files = pem_files(tmp_path, keys)
    settings.WECHATPAY_MCHID = "1900000109"
    settings.WECHATPAY_CERT_SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    settings.WECHATPAY_PRIVATE_KEY_PATH = files["merchant"][0]
    settings.WECHATPAY_PUBLIC_KEY_PATH = files["provider"][1]
    settings.WECHATPAY_PUBLIC_KEY_ID = PUBLIC_KEY_ID
    return keys


def wechat_signed_by_us(request, keys) -> bool:
    """Our Authorization header, checked as WeChat Pay does: the merchant's signature over
    method, path with query, timestamp, nonce and (empty) body."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', request.headers["Authorization"]))
    url = urlsplit(request.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    message = f"GET\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n\n"
    return fields["mchid"] == "1900000109" and verifies(keys["merchant"], message, fields["signature"])


def wechat_answer(keys, body: str, key=None, serial=PUBLIC_KEY_ID) -> dict:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": sign(key or keys["provider"], f"{timestamp}\n{nonce}\n{body}\n"),
    }


def stub_wechat(keys, bill: bytes, hash_of: bytes | None = None, answer_key=None):
    def bill_info(request):
        assert wechat_signed_by_us(request, keys)
        assert dict(parse_qsl(urlsplit(request.url).query)) == {
            "bill_date": "2025-06-01",
            "bill_type": "ALL",
            "tar_type": "GZIP",
        }
        body = json.dumps(
            {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(hash_of if hash_of is not None else bill, usedforsecurity=False).hexdigest(),
                "download_url": WX_DOWNLOAD,
            }
        )
        return 200, {**wechat_answer(keys, body, key=answer_key), "Content-Type": "application/json"}, body

    def download(request):
        assert wechat_signed_by_us(request, keys)
        return 200, {"Content-Type": "application/octet-stream"}, gzip.compress(bill)

    responses.add_callback(responses.GET, WX_BILL, callback=bill_info)
    responses.add_callback(responses.GET, WX_DOWNLOAD.split("?")[0], callback=download)


@responses.activate
def test_the_daily_task_downloads_wechats_bill_and_books_its_fees(wechatpay):
    payment = paid("wechatpay")
    stub_wechat(wechatpay, wechat_bill(wx_payment(payment, "0.60")))

    summary = tasks.import_settlements("wechatpay", "2025-06-01")

    assert "1" in summary
    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")
    assert ledger.balance(ledger.provider_fee_account()) == Decimal("0.60")
    assert not ledger.unbalanced_transactions().exists()

    tasks.import_settlements("wechatpay", "2025-06-01")  # a repeated run
    assert LedgerTransaction.objects.filter(key__startswith="provider-fee").count() == 1


@responses.activate
def test_a_download_that_does_not_match_its_hash_books_nothing(wechatpay):
    payment = paid("wechatpay")
    bill = wechat_bill(wx_payment(payment, "0.60"))
    stub_wechat(wechatpay, bill, hash_of=bill + b"more rows")

    with pytest.raises(GatewayError, match="hash"):
        tasks.import_settlements.run("wechatpay", "2025-06-01")
    assert Payment.objects.get(pk=payment.pk).provider_fee is None


@responses.activate
def test_an_answer_not_signed_by_wechat_is_refused(wechatpay):
    payment = paid("wechatpay")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stub_wechat(wechatpay, wechat_bill(wx_payment(payment, "0.60")), answer_key=forger)

    with pytest.raises(GatewayError, match="verify"):
        tasks.import_settlements.run("wechatpay", "2025-06-01")
    assert Payment.objects.get(pk=payment.pk).provider_fee is None
    assert len(responses.calls) == 1  # the bill was never downloaded


@responses.activate
def test_no_bill_for_a_day_without_trade_and_an_outage_is_retried(wechatpay):
    body = json.dumps({"code": "NO_STATEMENT_EXIST", "message": "账单文件不存在"})
    responses.add(responses.GET, WX_BILL, body=body, status=400, content_type="application/json")
    assert tasks.import_settlements("wechatpay", "2025-06-01") == "no bill"

    responses.replace(responses.GET, WX_BILL, body="", status=503)
    with pytest.raises(GatewayError):
        tasks.import_settlements.run("wechatpay", "2025-06-01")


def test_nothing_is_fetched_while_a_provider_is_not_configured():
    with responses.RequestsMock() as network:  # any request would fail the test
        assert tasks.import_settlements("wechatpay") == "not configured"
        assert tasks.import_settlements("alipay") == "not configured"
        assert len(network.calls) == 0


# --- Alipay -------------------------------------------------------------------------------------------


@pytest.fixture
def alipay(settings, tmp_path, keys):
    files = pem_files(tmp_path, keys)
    settings.ALIPAY_APP_ID = "2021000000000000"
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = files["merchant"][0]
    settings.ALIPAY_PUBLIC_KEY_PATH = files["provider"][1]
    return keys


def alipay_signed_by_us(request, keys) -> bool:
    """Our request's RSA2 signature, checked as Alipay does: over the other parameters, sorted,
    joined as k=v with &."""
    params = dict(parse_qsl(urlsplit(request.url).query))
    signature = params.pop("sign")
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    return params["app_id"] == "2021000000000000" and verifies(keys["merchant"], message, signature)


def stub_alipay(keys, zipped: bytes, code="10000", sub_code=None):
    def query(request):
        assert alipay_signed_by_us(request, keys)
        params = dict(parse_qsl(urlsplit(request.url).query))
        assert params["method"] == "alipay.data.dataservice.bill.downloadurl.query"
        assert json.loads(params["biz_content"]) == {"bill_type": "trade", "bill_date": "2025-06-01"}
        inner = {"code": code, "msg": "Success"}
        inner.update({"bill_download_url": ALI_DOWNLOAD} if code == "10000" else {"sub_code": sub_code})
        content = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
        body = (
            '{"alipay_data_dataservice_bill_downloadurl_query_response":'
            f'{content},"sign":"{sign(keys["provider"], content)}"}}'
        )
        return 200, {"Content-Type": "text/html;charset=utf-8"}, body

    responses.add_callback(responses.GET, ALI_GATEWAY, callback=query)
    responses.add(responses.GET, ALI_DOWNLOAD.split("?")[0], body=zipped, content_type="application/oct-stream")


@responses.activate
def test_the_daily_task_downloads_alipays_bill_and_books_its_fees(alipay):
    payment = paid("alipay")
    stub_alipay(alipay, alipay_zip(alipay_csv(ali_payment(payment, "0.60"))))

    tasks.import_settlements("alipay", "2025-06-01")

    assert Payment.objects.get(pk=payment.pk).provider_fee == Decimal("0.60")
    assert not ledger.unbalanced_transactions().exists()


@responses.activate
def test_alipay_without_a_bill_for_the_day(alipay):
    stub_alipay(alipay, b"", code="40004", sub_code="isp.bill_not_exist")
    assert tasks.import_settlements("alipay", "2025-06-01") == "no bill"


@responses.activate
def test_a_truncated_alipay_download_books_nothing(alipay):
    payment = paid("alipay")
    stub_alipay(alipay, alipay_zip(alipay_csv(ali_payment(payment, "0.60")))[:-40])
    with pytest.raises(BillError):
        tasks.import_settlements.run("alipay", "2025-06-01")
    assert Payment.objects.get(pk=payment.pk).provider_fee is None
