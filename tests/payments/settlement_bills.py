"""Bills as WeChat Pay and Alipay write them, built from our payments and refunds, for the
settlement tests: WeChat Pay's trade bill (every field after a backtick, a summary block at the
end) and Alipay's zip of GBK-encoded CSV files named in GBK (业务明细 and its 汇总)."""

import io
import zipfile
from decimal import Decimal

WX_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
WX_SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def wx_payment(payment, fee, amount=None, reference=None, transaction_id="4200002512202506011234567890"):
    amount = f"{amount if amount is not None else payment.amount:.2f}"
    return [
        "2025-06-01 10:00:00", "wx2421b1c4370ec43b", "1900000109", "0", "", transaction_id,
        reference or payment.merchant_reference, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "NATIVE", "SUCCESS", "OTHERS", "CNY",
        amount, "0.00", "0", "0", "0.00", "0.00", "", "", "山货", "", f"{Decimal(fee):.5f}", "0.60%", amount,
        "0.00", "",
    ]  # fmt: skip


def wx_refund(refund, fee_back, amount=None):
    amount = f"{amount if amount is not None else refund.amount:.2f}"
    return [
        "2025-06-01 15:00:00", "wx2421b1c4370ec43b", "1900000109", "0", "", "4200002512202506011234567890",
        refund.payment.merchant_reference, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "NATIVE", "REFUND", "OTHERS", "CNY",
        "0.00", "0.00", "50300305972025060112345678", refund.merchant_reference, amount, "0.00", "ORIGINAL",
        "SUCCESS", "山货", "", f"-{Decimal(fee_back):.5f}", "0.60%", f"{refund.payment.amount:.2f}", amount, "",
    ]  # fmt: skip


def _marked(fields) -> str:
    return ",".join(f"`{field}" for field in fields)


def wechat_bill(*rows, count=None, summary=True) -> bytes:
    fees = sum((Decimal(row[22]) for row in rows), Decimal("0"))
    lines = [WX_HEADER, *(_marked(row) for row in rows)]
    if summary:
        figures = [str(len(rows) if count is None else count), "0.00", "0.00", "0.00", f"{fees:.5f}", "0.00", "0.00"]
        lines += [WX_SUMMARY_HEADER, _marked(figures)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


ALIPAY_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
    "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
    "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def ali_payment(payment, fee, amount=None, trade_no="2025060122001400001234567890"):
    amount = f"{amount if amount is not None else payment.amount:.2f}"
    return [
        trade_no, payment.merchant_reference, "交易", "山货", "2025-06-01 10:00:00", "2025-06-01 10:00:05", "", "", "",
        "", "li***@example.com", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", "",
        f"-{Decimal(fee):.2f}", "0.00", "",
    ]  # fmt: skip


def ali_refund(refund, fee_back, trade_no="2025060122001400001234567890"):
    amount = f"-{refund.amount:.2f}"
    return [
        trade_no, refund.payment.merchant_reference, "退款", "山货", "2025-06-01 10:00:00", "2025-06-01 15:00:00", "",
        "", "", "", "li***@example.com", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00",
        refund.merchant_reference, f"{Decimal(fee_back):.2f}", "0.00", "",
    ]  # fmt: skip


def alipay_csv(*rows, end=True, trades=None, refunds=None) -> bytes:
    trades = sum(1 for row in rows if row[2] == "交易") if trades is None else trades
    refunds = sum(1 for row in rows if row[2] == "退款") if refunds is None else refunds
    lines = [
        "#支付宝业务明细查询",
        "#账号：[20880000000000000156]",
        "#起始日期：[2025年06月01日 00:00:00]   终止日期：[2025年06月02日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        ALIPAY_HEADER,
        # Alipay pads its values with a tab
        *(",".join(f"{value}\t" for value in row) for row in rows),
    ]
    if end:
        lines += [
            "#-----------------------------------------业务明细列表结束------------------------------------",
            f"#交易合计：{trades}笔，商家实收共0.00元，商家优惠共0.00元",
            f"#退款合计：{refunds}笔，商家实收退款共0.00元，商家优惠退款共0.00元",
            "#导出时间：[2025年06月02日 10:00:00]",
        ]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


class GbkNamed(zipfile.ZipInfo):
    """A zip entry named in GBK without the UTF-8 flag, as Alipay's zips are (zipfile itself would
    write a non-ASCII name in UTF-8 and flag it)."""

    __slots__ = ()

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits


def _gbk_named(name: str) -> zipfile.ZipInfo:
    return GbkNamed(name, date_time=(2025, 6, 2, 9, 0, 0))


def alipay_zip(detail: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_gbk_named("20880000000000000156_20250601_业务明细(汇总).csv"), "#汇总\r\n".encode("gbk"))
        archive.writestr(_gbk_named("20880000000000000156_20250601_业务明细.csv"), detail)
    return buffer.getvalue()
