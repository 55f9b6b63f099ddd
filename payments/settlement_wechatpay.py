"""WeChat Pay's trade bill (交易账单, API v3): reading it, and fetching a day's bill.

The format, as WeChat Pay documents it (pay.weixin.qq.com, 交易账单详细说明, bill_type ALL): UTF-8
text, fields separated by commas; a header line of column names (交易时间, …, 微信订单号, 商户订单号,
…, 交易状态, …, 应结订单金额, 代金券金额, 微信退款单号, 商户退款单号, 退款金额, 充值券退款金额, 退款类型,
退款状态, 商品名称, 商户数据包, 手续费, 费率, 订单金额, 申请退款金额, 费率备注); one line per payment
(交易状态 SUCCESS) or refund (交易状态 REFUND, with 商户退款单号 = our refund's out_refund_no); then a
summary: a header (总交易单数, 应结订单总金额, 退款总金额, 充值券退款总金额, 手续费总金额, 订单总金额,
申请退款总金额) and one line. Every field of the detail and summary lines starts with a backtick (`)
so that spreadsheets keep long numbers whole. Amounts are in yuan; fees are written to five places.
Columns are found by name, so an added column does not break reading.

A refund row's fee is the part of the fee WeChat gives back with the refund (written negative);
both are read as positive amounts, the row's kind saying which way the money went."""

import csv
import gzip
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from wechatpayv3.utils import build_authorization, load_private_key, load_public_key, rsa_verify

from .gateways.base import GatewayError
from .settlement_bill import OTHER, PAYMENT, REFUND, BillError, BillRow, columns, fee, money

API_HOST = "https://api.mch.weixin.qq.com"
# Where a download address may point: WeChat Pay's main or backup API host (our signature goes with
# the download, so never anywhere else).
DOWNLOAD_HOSTS = (API_HOST + "/", "https://api2.mch.weixin.qq.com/")

SUMMARY_FIRST_COLUMN = "总交易单数"
REQUIRED = ("交易状态", "商户订单号", "微信订单号", "订单金额", "商户退款单号", "微信退款单号", "手续费")
KINDS = {"SUCCESS": PAYMENT, "REFUND": REFUND}


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def _unmark(fields: list[str], number: int) -> list[str]:
    """The values of a detail or summary line, without the backtick each one starts with."""
    if any(not field.startswith("`") for field in fields):
        raise BillError(
            _("Line %(line)s: a field does not start with a backtick (`): this is not a WeChat Pay bill.")
            % {"line": number}
        )
    return [field[1:].strip() for field in fields]


def _text(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":  # asked for with tar_type=GZIP
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise BillError(_("The compressed bill is damaged: %(error)s") % {"error": error}) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BillError(_("The bill is not UTF-8 text: this is not a WeChat Pay bill.")) from error


def parse(data: bytes) -> list[BillRow]:
    """Every payment and refund of a trade bill (plain or gzipped). Raises `BillError` for anything
    but a whole bill: no header, a line with the wrong number of fields, a missing summary (a
    truncated download), or a summary whose count differs from the lines read."""
    lines = [(number, line) for number, line in enumerate(_text(data).splitlines(), 1) if line.strip()]
    if not lines:
        raise BillError(_("The bill is empty."))
    header_number, header_line = lines[0]
    header = [name.strip() for name in _fields(header_line)]
    at = columns(header, REQUIRED, header_number)
    rows: list[BillRow] = []
    summary = None
    for index, (number, line) in enumerate(lines[1:], 1):
        fields = _fields(line)
        if fields and fields[0].strip() == SUMMARY_FIRST_COLUMN:
            summary = ([name.strip() for name in fields], lines[index + 1 :])
            break
        values = _unmark(fields, number)
        if len(values) != len(header):
            raise BillError(
                _("Line %(line)s has %(found)s fields where the header has %(expected)s: the file is damaged.")
                % {"line": number, "found": len(values), "expected": len(header)}
            )
        rows.append(_row(number, values, at))
    _check_summary(summary, len(rows))
    return rows


def _row(number: int, values: list[str], at: dict[str, int]) -> BillRow:
    def value(name: str) -> str:
        return values[at[name]]

    status = value("交易状态")
    kind = KINDS.get(status, OTHER)
    if kind == REFUND:
        # 申请退款金额 is what we asked back (our refund's amount); older bills lack it.
        amount_column = "申请退款金额" if "申请退款金额" in at else "退款金额"
        return BillRow(
            line=number,
            kind=kind,
            merchant_reference=value("商户退款单号"),
            payment_reference=value("商户订单号"),
            provider_reference=value("微信退款单号"),
            amount=money(value(amount_column), number, amount_column),
            fee=fee(value("手续费"), number, "手续费"),
            status=status,
        )
    return BillRow(
        line=number,
        kind=kind,
        merchant_reference=value("商户订单号"),
        payment_reference=value("商户订单号"),
        provider_reference=value("微信订单号"),
        amount=money(value("订单金额"), number, "订单金额"),
        fee=fee(value("手续费"), number, "手续费"),
        status=status,
    )


def _check_summary(summary, count: int) -> None:
    if summary is None:
        raise BillError(_("The bill has no summary at its end: it is incomplete (cut off while downloading?)."))
    header, rest = summary
    if not rest:
        raise BillError(_("The bill's summary has no figures: it is incomplete (cut off while downloading?)."))
    figures_number, figures_line = rest[0]
    figures = _unmark(_fields(figures_line), figures_number)
    if SUMMARY_FIRST_COLUMN not in header or len(figures) != len(header):
        raise BillError(_("Line %(line)s: the summary is damaged.") % {"line": figures_number})
    stated = figures[header.index(SUMMARY_FIRST_COLUMN)]
    if stated != str(count):
        raise BillError(
            _("The summary counts %(stated)s rows but the bill has %(count)s: it is incomplete or damaged.")
            % {"stated": stated, "count": count}
        )


# --- Fetching ---------------------------------------------------------------------------------
# Read with the settings of the WeChat Pay gateway (branch `wechatpay`, payments/wechatpay_client.py):
# the merchant id, its certificate's serial and private key sign requests; WeChat Pay's public key
# (public-key mode) verifies its answer. Signing and verifying use wechatpayv3's own functions.


def _setting(name: str) -> str:
    return getattr(settings, name, "") or ""


def is_configured() -> bool:
    return all(
        _setting(name)
        for name in (
            "WECHATPAY_MCHID",
            "WECHATPAY_CERT_SERIAL_NO",
            "WECHATPAY_PRIVATE_KEY_PATH",
            "WECHATPAY_PUBLIC_KEY_PATH",
            "WECHATPAY_PUBLIC_KEY_ID",
        )
    )


def _get(url: str) -> requests.Response:
    path_and_query = "/" + url.split("/", 3)[3]
    authorization = build_authorization(
        path_and_query,
        "GET",
        _setting("WECHATPAY_MCHID"),
        _setting("WECHATPAY_CERT_SERIAL_NO"),
        load_private_key(Path(_setting("WECHATPAY_PRIVATE_KEY_PATH")).read_text(encoding="utf-8")),
    )
    try:
        return requests.get(
            url,
            headers={"Authorization": authorization, "Accept": "application/json", "User-Agent": "shanhuo"},
            timeout=getattr(settings, "WECHATPAY_TIMEOUT", 10),
        )
    except requests.RequestException as error:
        raise GatewayError(f"WeChat Pay could not be reached: {error}") from error


def _verified(response: requests.Response) -> dict:
    """The answer's JSON, once its signature (WeChat Pay's public key over timestamp, nonce and
    body) verifies; anything else is a `GatewayError`."""
    headers = response.headers
    if headers.get("Wechatpay-Serial") != _setting("WECHATPAY_PUBLIC_KEY_ID"):
        raise GatewayError("WeChat Pay's answer is signed with an unknown key")
    public_key = load_public_key(Path(_setting("WECHATPAY_PUBLIC_KEY_PATH")).read_text(encoding="utf-8"))
    if not rsa_verify(
        headers.get("Wechatpay-Timestamp", ""),
        headers.get("Wechatpay-Nonce", ""),
        response.text,
        headers.get("Wechatpay-Signature", ""),
        public_key,
    ):
        raise GatewayError("WeChat Pay's answer does not verify")
    return json.loads(response.text)


def fetch_bill(day: date) -> bytes | None:
    """The trade bill of one day (ALL: payments and refunds), or None when WeChat Pay has none
    for it (no trade that day). Ready after 10:00 the next day. The address to download it from
    comes in a signed answer, with the SHA1 of the bill, which the download must match."""
    response = _get(f"{API_HOST}/v3/bill/tradebill?bill_date={day:%Y-%m-%d}&bill_type=ALL&tar_type=GZIP")
    if response.status_code >= 500:
        raise GatewayError(f"WeChat Pay failed (HTTP {response.status_code})")
    if response.status_code != 200:
        try:
            code = json.loads(response.text).get("code", "")
        except ValueError:
            code = ""
        if code == "NO_STATEMENT_EXIST":
            return None
        raise GatewayError(f"WeChat Pay refused the bill (HTTP {response.status_code} {code})")
    answer = _verified(response)
    url = answer.get("download_url", "")
    if not url.startswith(DOWNLOAD_HOSTS):
        raise GatewayError(f"WeChat Pay named an unexpected download address: {url[:100]}")
    download = _get(url)
    if download.status_code != 200:
        raise GatewayError(f"WeChat Pay did not give the bill (HTTP {download.status_code})")
    content = download.content
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.GzipFile(fileobj=io.BytesIO(content)).read()
        except (OSError, EOFError) as error:
            raise GatewayError(f"WeChat Pay's bill arrived damaged: {error}") from error
    if answer.get("hash_type", "SHA1").upper() != "SHA1" or (
        hashlib.sha1(content, usedforsecurity=False).hexdigest() != answer.get("hash_value", "").lower()
    ):
        raise GatewayError("WeChat Pay's bill does not match its hash: the download is damaged")
    return content
