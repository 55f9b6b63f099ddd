"""Alipay's trade bill (账单, bill_type trade): reading it, and fetching a day's bill.

What the bill is (opendocs.alipay.com, alipay.data.dataservice.bill.downloadurl.query, and the
parsers of the bill in public code that agree with it): the answer names a `bill_download_url`
(valid for 30 seconds) of a zip holding GBK-encoded CSV files; the one whose name ends in
`_业务明细.csv` (not `_业务明细(汇总).csv`) lists each trade. Its lines starting with # are notes: a
title, the account, the dates, then a line `#-----…业务明细列表…-----`, the header (支付宝交易号,
商户订单号, 业务类型, 商品名称, 创建时间, 完成时间, 门店编号, 门店名称, 操作员, 终端号, 对方账户,
订单金额（元）, 商家实收（元）, …, 退款批次号/请求号, 服务费（元）, 分润（元）, 备注), one line per trade
(业务类型 交易) or refund (业务类型 退款: 订单金额 negative, 退款批次号/请求号 = our out_request_no), then
`#-----…业务明细列表结束-----` and the totals (`#交易合计：N笔，…`, `#退款合计：M笔，…`). Values may be
padded with tabs and spaces. Columns are found by name."""

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import requests
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from django.conf import settings
from django.utils.translation import gettext as _

from .gateways.base import GatewayError
from .settlement_bill import OTHER, PAYMENT, REFUND, BillError, BillRow, columns, fee, money

DETAIL_START = "业务明细列表"
DETAIL_END = "业务明细列表结束"
REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "订单金额（元）", "退款批次号/请求号", "服务费（元）")
KINDS = {"交易": PAYMENT, "退款": REFUND}
TOTALS = {PAYMENT: re.compile(r"交易合计[：:]\s*(\d+)\s*笔"), REFUND: re.compile(r"退款合计[：:]\s*(\d+)\s*笔")}


def _member_name(info: zipfile.ZipInfo) -> str:
    """Alipay's zips name their files in GBK without saying so; zipfile then reads them as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _detail_csv(data: bytes) -> bytes:
    """The detail file out of the zip; a bare CSV (an operator who unzipped it) is taken as it is."""
    if not data.startswith(b"PK"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                name = _member_name(info)
                if name.endswith(".csv") and "业务明细" in name and "汇总" not in name:
                    return archive.read(info)
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as error:
        raise BillError(_("The bill's zip file is damaged: %(error)s") % {"error": error}) from error
    raise BillError(_("The zip file holds no 业务明细 file: this is not an Alipay trade bill."))


def _clean(value: str) -> str:
    return value.strip().strip("\t").strip()


def parse(data: bytes) -> list[BillRow]:
    """Every trade and refund of a bill (the zip, or its 业务明细 CSV). Raises `BillError` for
    anything but a whole bill: no list, a missing end line (a truncated file), a line with the
    wrong number of fields, or totals that differ from the lines read."""
    try:
        text = _detail_csv(data).decode("gb18030")
    except UnicodeDecodeError as error:
        raise BillError(_("The bill is not GBK text: this is not an Alipay bill.")) from error
    lines = list(enumerate(text.splitlines(), 1))
    start = next((i for i, (_n, line) in enumerate(lines) if DETAIL_START in line and DETAIL_END not in line), None)
    if start is None or start + 1 >= len(lines):
        raise BillError(_("The bill has no list of trades (业务明细列表): this is not an Alipay trade bill."))
    header_number, header_line = lines[start + 1]
    header = [_clean(name) for name in next(csv.reader([header_line]))]
    at = columns(header, REQUIRED, header_number)
    rows: list[BillRow] = []
    end = None
    for index in range(start + 2, len(lines)):
        number, line = lines[index]
        if not line.strip():
            continue
        if line.startswith("#"):
            end = index
            break
        values = [_clean(value) for value in next(csv.reader([line]))]
        if values and values[-1] == "" and len(values) == len(header) + 1:
            values = values[:-1]  # a trailing comma
        if len(values) != len(header):
            raise BillError(
                _("Line %(line)s has %(found)s fields where the header has %(expected)s: the file is damaged.")
                % {"line": number, "found": len(values), "expected": len(header)}
            )
        rows.append(_row(number, values, at))
    if end is None or DETAIL_END not in lines[end][1]:
        raise BillError(_("The bill does not end its list (业务明细列表结束): it is incomplete."))
    _check_totals([line for _n, line in lines[end:]], rows)
    return rows


def _row(number: int, values: list[str], at: dict[str, int]) -> BillRow:
    def value(name: str) -> str:
        return values[at[name]]

    status = value("业务类型")
    kind = KINDS.get(status, OTHER)
    amount = abs(money(value("订单金额（元）"), number, "订单金额（元）"))
    return BillRow(
        line=number,
        kind=kind,
        merchant_reference=value("退款批次号/请求号") if kind == REFUND else value("商户订单号"),
        payment_reference=value("商户订单号"),
        provider_reference=value("支付宝交易号"),
        amount=amount,
        fee=fee(value("服务费（元）"), number, "服务费（元）"),
        status=status,
    )


def _check_totals(notes: list[str], rows: list[BillRow]) -> None:
    for kind, pattern in TOTALS.items():
        stated = next((match.group(1) for note in notes if (match := pattern.search(note))), None)
        count = sum(1 for row in rows if row.kind == kind)
        if stated is not None and int(stated) != count:
            raise BillError(
                _("The totals count %(stated)s %(kind)s rows but the bill has %(count)s: it is incomplete or damaged.")
                % {"stated": stated, "kind": "交易" if kind == PAYMENT else "退款", "count": count}
            )


# --- Fetching ---------------------------------------------------------------------------------
# Signed and verified with python-alipay-sdk (RSA2); the requests are sent with `requests` (the
# SDK's urllib cannot be stubbed in tests; see docs/decisions.md). Settings as the Alipay gateway's.

GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
METHOD = "alipay.data.dataservice.bill.downloadurl.query"
NO_BILL = ("isp.bill_not_exist", "isv.bill_not_exist")


def _setting(name: str) -> str:
    return getattr(settings, name, "") or ""


def is_configured() -> bool:
    return all(_setting(name) for name in ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH"))


def _client() -> AliPay:
    return AliPay(
        appid=_setting("ALIPAY_APP_ID"),
        app_private_key_string=Path(_setting("ALIPAY_APP_PRIVATE_KEY_PATH")).read_text(encoding="utf-8"),
        alipay_public_key_string=Path(_setting("ALIPAY_PUBLIC_KEY_PATH")).read_text(encoding="utf-8"),
        sign_type="RSA2",
    )


def _timeout() -> int:
    return getattr(settings, "ALIPAY_TIMEOUT", 10)


def fetch_bill(day: date) -> bytes | None:
    """The trade bill (a zip) of one day, or None when Alipay has none for it. Ready the next
    day (Alipay advises after 10:00). The download address lives 30 seconds: it is used at once."""
    client = _client()
    signed = client.client_api(METHOD, biz_content={"bill_type": "trade", "bill_date": f"{day:%Y-%m-%d}"})
    gateway = _setting("ALIPAY_GATEWAY_URL") or GATEWAY_URL
    try:
        response = requests.get(f"{gateway}?{signed}", timeout=_timeout())
    except requests.RequestException as error:
        raise GatewayError(f"Alipay could not be reached: {error}") from error
    if response.status_code != 200:
        raise GatewayError(f"Alipay failed (HTTP {response.status_code})")
    try:
        answer = client._verify_and_return_sync_response(response.text, METHOD.replace(".", "_") + "_response")
    except AliPayValidationError as error:
        raise GatewayError("Alipay's answer does not verify") from error
    except (AliPayException, ValueError, AttributeError) as error:
        raise GatewayError(f"Alipay refused the bill: {error}") from error
    if answer.get("code") != "10000":
        if answer.get("sub_code") in NO_BILL:
            return None
        raise GatewayError(f"Alipay refused the bill ({answer.get('code')} {answer.get('sub_code')})")
    url = answer.get("bill_download_url", "")
    host = url.split("/")[2] if url.startswith("https://") else ""
    if not (host == "alipay.com" or host.endswith(".alipay.com")):
        raise GatewayError(f"Alipay named an unexpected download address: {url[:100]}")
    try:
        download = requests.get(url, timeout=_timeout())
    except requests.RequestException as error:
        raise GatewayError(f"Alipay's bill could not be downloaded: {error}") from error
    if download.status_code != 200:
        raise GatewayError(f"Alipay did not give the bill (HTTP {download.status_code})")
    return download.content
