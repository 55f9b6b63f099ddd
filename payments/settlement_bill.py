"""What a provider's bill says, once parsed: one `BillRow` per payment or refund it lists, whatever
the provider's format (`settlement_wechatpay`, `settlement_alipay`). A file that cannot be read
whole raises `BillError`, so nothing of it is ever booked (`settlement.import_bill`)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.money import FEN

PAYMENT = "payment"
REFUND = "refund"
OTHER = "other"  # a row of a kind we never make (a revoked card-code payment, …): reported, not booked


class BillError(ValueError):
    """The file is not a whole bill of this provider; the message says where and why (translated)."""


@dataclass(frozen=True)
class BillRow:
    line: int  # where the row is in the file (1-based), for the operator
    kind: str  # PAYMENT | REFUND | OTHER
    # Our number for what the row is about: the payment's out_trade_no, or the refund's
    # out_refund_no / out_request_no for a refund.
    merchant_reference: str
    payment_reference: str  # the payment's out_trade_no (for a refund too)
    provider_reference: str  # the provider's number for the payment (or the refund, where it gives one)
    amount: Decimal  # what was paid, or refunded (positive)
    fee: Decimal  # the provider's fee kept (payment) or given back (refund): positive, to the fen
    status: str = ""  # the provider's word for the row (交易状态 / 业务类型), for the report


def money(value: str, line: int, column: str) -> Decimal:
    """An amount in yuan as the bill writes it ("12.30", "-0.06"): exact, at most to the fen."""
    amount = _decimal(value, line, column)
    if amount != amount.quantize(FEN):
        raise BillError(
            _("Line %(line)s: “%(value)s” in column %(column)s is not an amount in fen.")
            % {"line": line, "value": value, "column": column}
        )
    return amount.quantize(FEN)


def fee(value: str, line: int, column: str) -> Decimal:
    """A fee, as a positive amount to the fen. WeChat Pay writes fees to five places ("0.06000")
    though it charges whole fen; a fee that is not whole fen is rounded half up, as WeChat rounds."""
    return abs(_decimal(value, line, column)).quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(value: str, line: int, column: str) -> Decimal:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise BillError(
            _("Line %(line)s: “%(value)s” in column %(column)s is not a number.")
            % {"line": line, "value": value, "column": column}
        )
    return amount


def columns(header: list[str], required: tuple[str, ...], line: int) -> dict[str, int]:
    """Where each named column is; a column missing from the header is an error naming it."""
    positions = {name: i for i, name in enumerate(header)}
    missing = [name for name in required if name not in positions]
    if missing:
        raise BillError(
            _("Line %(line)s: the header lacks the columns %(columns)s: this is not the expected bill.")
            % {"line": line, "columns": "、".join(missing)}
        )
    return positions
