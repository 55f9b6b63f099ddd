"""The bank's statement of payouts, uploaded as CSV: each row records one bank-transfer payout paid
(with the bank's reference) or failed.

Columns, by their header (any order, extra columns ignored): `payout` (the payout's number, or its
idempotency key), `reference`, `status` (`paid` or `failed`; 已到账 / 没成功 also read), `amount`
(yuan, as 94.80), and optionally `reason` (why it failed). UTF-8 (with or without Excel's BOM) or
GB18030, as Chinese banks export.

All or nothing (decision in docs/decisions.md): every row is checked first; if any is wrong, the
errors are returned row by row and nothing is recorded, so the operator fixes the file and uploads
it again whole. A row the books already show exactly so (the same payout paid with the same
reference, or failed) is left as it is: uploading the same file twice records it once."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.money import FEN

from . import payout_methods, payouts
from .models import Payout, PayoutStatus

COLUMNS = ("payout", "reference", "status", "amount")
STATUSES = {
    "paid": PayoutStatus.PAID,
    "已到账": PayoutStatus.PAID,
    "failed": PayoutStatus.FAILED,
    "没成功": PayoutStatus.FAILED,
}
MAX_ROWS = 5000


@dataclass
class Row:
    line: int
    payout: Payout | None = None
    status: str = ""
    reference: str = ""
    reason: str = ""
    unchanged: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    rows: list[Row]
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    recorded: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not any(row.errors for row in self.rows)

    @property
    def bad_rows(self) -> list[Row]:
        return [row for row in self.rows if row.errors]


def _text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError


def _find_payout(key: str) -> Payout | None:
    if key.isdigit():
        return Payout.objects.filter(pk=int(key)).first()
    return Payout.objects.filter(idempotency_key=key).first()


def _check(line: int, values: dict, seen: dict) -> Row:
    row = Row(line=line)
    key = values.get("payout", "").strip()
    row.reference = values.get("reference", "").strip()
    row.reason = values.get("reason", "").strip()[:255]
    status = STATUSES.get(values.get("status", "").strip().lower())
    if not key:
        row.errors.append(_("The payout's number is missing."))
    elif (payout := _find_payout(key)) is None:
        row.errors.append(_("There is no payout %(payout)s.") % {"payout": key})
    else:
        row.payout = payout
        if payout.pk in seen:
            row.errors.append(
                _("Payout %(payout)s is also on line %(line)d.") % {"payout": key, "line": seen[payout.pk]}
            )
        seen.setdefault(payout.pk, line)
    if status is None:
        row.errors.append(_("The status must be paid or failed."))
    row.status = status or ""
    if status == PayoutStatus.PAID and not row.reference:
        row.errors.append(_("A paid row needs the bank's reference."))
    if len(row.reference) > Payout._meta.get_field("reference").max_length:
        row.errors.append(_("This reference is too long."))
    try:
        amount = Decimal(values.get("amount", "").strip().replace(",", ""))
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        amount = None
        row.errors.append(_("The amount must be a number, like 94.80."))
    payout = row.payout
    if payout is None:
        return row
    if amount is not None and amount.quantize(FEN) != amount:
        row.errors.append(_("The amount must be in yuan with at most two decimals, like 94.80."))
    elif amount is not None and amount != payout.amount:
        row.errors.append(
            _("The amount is %(given)s but payout %(payout)s is %(amount)s.")
            % {"given": amount, "payout": payout.pk, "amount": payout.amount}
        )
    if payout_methods.get(payout.method).sends_itself:
        row.errors.append(_("Payout %(payout)s is not a bank transfer.") % {"payout": payout.pk})
    already = payout.status != PayoutStatus.PENDING
    same = payout.status == status and (status != PayoutStatus.PAID or payout.reference == row.reference)
    if already and same:
        row.unchanged = True
    elif already:
        row.errors.append(
            _("Payout %(payout)s is already recorded: %(status)s %(reference)s.")
            % {"payout": payout.pk, "status": payout.get_status_display(), "reference": payout.reference}
        )
    return row


def read(content: bytes) -> Outcome:
    """Check every row of the file, changing nothing."""
    try:
        text = _text(content)
    except ValueError:
        return Outcome(rows=[], problems=[_("The file is not text. Save it from the bank's page as CSV.")])
    reader = csv.DictReader(io.StringIO(text))
    headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in COLUMNS if column not in headers]
    if missing:
        message = _("The first line must name the columns %(columns)s; missing: %(missing)s.")
        return Outcome(rows=[], problems=[message % {"columns": ", ".join(COLUMNS), "missing": ", ".join(missing)}])
    rows, seen = [], {}
    try:
        for values in reader:
            if len(rows) >= MAX_ROWS:
                return Outcome(rows=[], problems=[_("At most %(max)d rows per file.") % {"max": MAX_ROWS}])
            cleaned = {(name or "").strip().lower(): (value or "") for name, value in values.items() if name}
            if not any(value.strip() for value in cleaned.values()):
                continue  # a blank line
            rows.append(_check(reader.line_num, cleaned, seen))
    except csv.Error as error:
        return Outcome(
            rows=[], problems=[_("The file is not a CSV file the page can read: %(error)s") % {"error": error}]
        )
    if not rows:
        return Outcome(rows=[], problems=[_("The file has no rows.")])
    return Outcome(rows=rows)


def record(actor, content: bytes) -> Outcome:
    """Check the file, then, if every row is right, record every row in one transaction. A payout
    settled by someone else between the check and the write undoes the whole file."""
    payouts.check_operator(actor)
    outcome = read(content)
    if not outcome.ok:
        return outcome
    try:
        with transaction.atomic():
            for row in outcome.rows:
                if row.unchanged:
                    outcome.unchanged += 1
                elif row.status == PayoutStatus.PAID:
                    payouts.record_paid(row.payout, row.reference, actor)
                    outcome.recorded += 1
                else:
                    payouts.record_failed(row.payout, row.reason or _("failed (bank's file)"), actor)
                    outcome.recorded += 1
    except ValidationError as error:
        row.errors.extend(error.messages)
        outcome.recorded = outcome.unchanged = 0
    return outcome
