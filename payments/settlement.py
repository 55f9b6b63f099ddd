"""Settlement: reading a provider's daily bill, matching each row to our payments and refunds, and
booking the provider's fee once (`ledger.book_provider_fee`, `ledger.book_provider_fee_returned`).

`import_bill(gateway, data)` reads the whole file first (`settlement_wechatpay.parse`,
`settlement_alipay.parse`): a file that is not a whole bill raises `BillError` and nothing is
written. Then, in one transaction, each row is matched by our merchant reference: a row that
matches is booked (or found booked already: importing a file again changes nothing); a row that
does not (a number we never gave, an amount that differs from ours, money we have not recorded as
received) is reported, never booked. The result (`Reconciliation`) is what an operator reads.

`fetch_and_import(gateway, day)` downloads a day's bill through the provider's API (the beat
task `payments.tasks.import_settlements`); `manage.py settlement_import` and the admin's upload
page import a file an operator downloaded."""

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from . import ledger, settlement_alipay, settlement_wechatpay
from .models import Payment, PaymentStatus, Refund, RefundStatus
from .settlement_bill import PAYMENT, REFUND, BillError, BillRow

logger = logging.getLogger(__name__)

PROVIDERS = {"wechatpay": settlement_wechatpay, "alipay": settlement_alipay}

# What became of a row. Booked and already booked are settled; every other outcome is a problem
# for an operator, and nothing of that row was booked.
BOOKED = "booked"
ALREADY_BOOKED = "already_booked"
UNKNOWN = "unknown"
AMOUNT_MISMATCH = "amount_mismatch"
FEE_MISMATCH = "fee_mismatch"
REFERENCE_MISMATCH = "reference_mismatch"
NOT_RECEIVED = "not_received"
REFUND_NOT_FINISHED = "refund_not_finished"
UNSUPPORTED = "unsupported"
NO_FEE = "no_fee"
SETTLED = (BOOKED, ALREADY_BOOKED, NO_FEE)


@dataclass(frozen=True)
class RowOutcome:
    row: BillRow
    outcome: str
    ours: Decimal | None = None  # our amount (or fee) where it differs

    @property
    def settled(self) -> bool:
        return self.outcome in SETTLED

    def describe(self) -> str:
        """What happened, for the operator (in the active language)."""
        row = self.row
        texts = {
            BOOKED: _("Fee %(fee)s booked."),
            ALREADY_BOOKED: _("Fee already booked; nothing changed."),
            UNKNOWN: _("No %(kind)s of ours has the number %(reference)s (or it went through another provider)."),
            AMOUNT_MISMATCH: _("The bill says %(amount)s, our records %(ours)s: not booked, check it."),
            FEE_MISMATCH: _("The fee %(fee)s differs from the one booked before (%(ours)s): check it."),
            REFERENCE_MISMATCH: _("The provider's number %(provider)s differs from ours: not booked, check it."),
            NOT_RECEIVED: _("The provider was paid, but our records have not received this payment: check it."),
            REFUND_NOT_FINISHED: _("Our refund is not finished yet: import this bill again once it is."),
            UNSUPPORTED: _("A row of kind “%(status)s”, which we do not use: not booked."),
            NO_FEE: _("No fee given back with this refund: nothing to book."),
        }
        return texts[self.outcome] % {
            "fee": row.fee,
            "kind": _("refund") if row.kind == REFUND else _("payment"),
            "reference": row.merchant_reference,
            "amount": row.amount,
            "ours": self.ours,
            "provider": row.provider_reference,
            "status": row.status,
        }


@dataclass
class Reconciliation:
    gateway: str
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def booked(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if outcome.outcome == BOOKED]

    @property
    def problems(self) -> list[RowOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.settled]

    def summary(self) -> str:
        return _("%(rows)s rows: %(booked)s fees booked, %(unchanged)s already booked, %(problems)s to check.") % {
            "rows": len(self.outcomes),
            "booked": len(self.booked),
            "unchanged": sum(1 for outcome in self.outcomes if outcome.outcome == ALREADY_BOOKED),
            "problems": len(self.problems),
        }


def parse(gateway: str, data: bytes) -> list[BillRow]:
    if gateway not in PROVIDERS:
        raise BillError(_("No bill can be read for the payment method “%(gateway)s”.") % {"gateway": gateway})
    return PROVIDERS[gateway].parse(data)


def import_bill(gateway: str, data: bytes) -> Reconciliation:
    """Read a bill of `gateway` ("wechatpay" or "alipay") and book each matching row's fee once.
    Raises `BillError` (nothing written) for a file that is not a whole bill."""
    rows = parse(gateway, data)
    result = Reconciliation(gateway)
    with transaction.atomic():
        for row in rows:
            if row.kind == PAYMENT:
                result.outcomes.append(_settle_payment(gateway, row))
            elif row.kind == REFUND:
                result.outcomes.append(_settle_refund(gateway, row))
            else:
                result.outcomes.append(RowOutcome(row, UNSUPPORTED))
    logger.info("settlement %s: %s", gateway, result.summary())
    return result


def _settle_payment(gateway: str, row: BillRow) -> RowOutcome:
    payment = Payment.objects.filter(merchant_reference=row.merchant_reference, gateway=gateway).first()
    if payment is None:
        return RowOutcome(row, UNKNOWN)
    if row.amount != payment.amount:
        return RowOutcome(row, AMOUNT_MISMATCH, payment.amount)
    if payment.provider_reference and row.provider_reference and row.provider_reference != payment.provider_reference:
        return RowOutcome(row, REFERENCE_MISMATCH)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return RowOutcome(row, NOT_RECEIVED)
    if ledger.book_provider_fee(payment, row.fee):
        return RowOutcome(row, BOOKED)
    if payment.provider_fee != row.fee:
        return RowOutcome(row, FEE_MISMATCH, payment.provider_fee)
    return RowOutcome(row, ALREADY_BOOKED)


def _settle_refund(gateway: str, row: BillRow) -> RowOutcome:
    refund = (
        Refund.objects.select_related("payment__order")
        .filter(merchant_reference=row.merchant_reference, payment__gateway=gateway)
        .first()
    )
    if refund is None or refund.payment.merchant_reference != row.payment_reference:
        return RowOutcome(row, UNKNOWN)
    if row.amount != refund.amount:
        return RowOutcome(row, AMOUNT_MISMATCH, refund.amount)
    if refund.status != RefundStatus.SUCCEEDED:
        return RowOutcome(row, REFUND_NOT_FINISHED)
    booked_before = ledger.provider_fee_returned(refund)
    if booked_before is not None:
        if booked_before != row.fee:
            return RowOutcome(row, FEE_MISMATCH, booked_before)
        return RowOutcome(row, ALREADY_BOOKED)
    if row.fee == 0:
        return RowOutcome(row, NO_FEE)
    ledger.book_provider_fee_returned(refund, row.fee)
    return RowOutcome(row, BOOKED)


def is_configured(gateway: str) -> bool:
    """Whether the provider's API can be asked for bills (its merchant keys are set)."""
    return gateway in PROVIDERS and PROVIDERS[gateway].is_configured()


def fetch_and_import(gateway: str, day: date) -> Reconciliation | None:
    """Download the bill of `day` through the provider's API and import it; None when the
    provider has no bill for that day. Raises `GatewayError` (retry later) or `BillError`."""
    data = PROVIDERS[gateway].fetch_bill(day)
    if data is None:
        logger.info("settlement %s: no bill for %s", gateway, day)
        return None
    return import_bill(gateway, data)
