"""Payouts: what the platform owes each seller, paid out once it is safe to.

A seller (a farmer, or a cooperative on behalf of its members) is paid for an order's money once
their parcel of it was delivered more than PAYOUT_HOLD_DAYS ago, no refund of the order is still
pending and no dispute of its payment is open, and only when that money adds up to PAYOUT_MINIMUM
or more. "That money" is read from the ledger, not recomputed: the entries on the seller's payable
account booked for such orders (goods and shipping, less the fee, less refunds and lost disputes),
so a refunded line, or a refund after an earlier payout, is netted exactly as it was booked.

Each entry paid points at its payout (`Entry.payout`), so the same money is never paid twice. Each
seller is paid in one transaction under a lock of their payable account: a run repeated, or two
runs at once, pay each seller once, and a run stopped half-way leaves every seller either paid in
full or not at all.

Booking: a payout moves its amount from the payable to "payouts on their way"; confirmed paid, it
leaves through the cash account its method pays from; failed, it goes back to the payable and its
entries may be paid again; returned after it was paid, it comes back into that cash account and
goes back to the payable, its entries likewise paid again.

Each seller's payout method is chosen from their `PayoutDestination` (`payments.payout_methods`);
a method that sends the money itself (Stripe Connect) is called once the seller's transaction has
committed (`payments.payout_sending`), never inside it.

Payments sits below shop (docs/architecture.md): orders, parcels and their delivery are read
through the ledger transaction's relation to `shop.Order`, by lookup names, never by import."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DateTimeField, Exists, F, Max, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from core.errors import field_error
from core.money import FEN

from . import ledger, payout_methods
from . import ledger_text as text
from .models import (
    Account,
    Dispute,
    DisputeStatus,
    Entry,
    Payout,
    PayoutDestination,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from .permissions import may_record_payouts

logger = logging.getLogger(__name__)

# shop.FulfilmentStatus.DELIVERED, by value: payments may not import shop.
DELIVERED = "delivered"

# `Payout.amount` holds numeric(12, 2). One order's share always fits (shop.limits); a seller owed
# more than this over many orders is paid whole orders up to it, and the rest by the next runs.
MAX_PAYOUT = Decimal("9999999999.99")


class PayoutRace(RuntimeError):
    """Money this payout was to settle was settled by another at the same moment."""


@dataclass(frozen=True)
class Due:
    """What one seller is to be paid now, and the ledger entries it settles."""

    account: Account
    amount: Decimal
    # Read under the seller's lock by `pay_out`; empty on a candidate of the grouped read.
    entry_ids: tuple[int, ...] = ()

    @property
    def seller(self):
        return self.account.farmer if self.account.farmer_id else self.account.cooperative


def hold_cutoff(now: datetime | None = None) -> datetime:
    """Parcels delivered at or before this moment are past the hold period."""
    return (now or timezone.now()) - timedelta(days=settings.PAYOUT_HOLD_DAYS)


def minimum() -> Decimal:
    return Decimal(str(settings.PAYOUT_MINIMUM)).quantize(FEN)


def _minimum_fen() -> int:
    """The minimum in whole fen, and never less than one: a payout is of some money."""
    return max(int(minimum() * 100), 1)


def _payable_accounts():
    return Account.objects.filter(Q(farmer__isnull=False) | Q(cooperative__isnull=False))


def _eligible() -> Q:
    """Which unpaid entries on a payable may be paid out: booked for an order whose parcel from
    that account's seller was delivered by `cutoff` (a `cutoff` alias the caller annotates), with
    no refund pending and no dispute of its payment open (`payments.disputes`). One condition for
    the grouped read of candidates and for the seller's own re-read under the lock, so the two
    cannot drift apart. One parcel per seller and order (a unique constraint in shop), so the join
    adds no duplicate rows."""
    parcel = "transaction__order__fulfilments__"
    own_parcel = Q(**{f"{parcel}farmer": F("account__farmer")}) | Q(
        **{f"{parcel}cooperative": F("account__cooperative")}
    )
    refund_pending = Exists(
        Refund.objects.filter(status=RefundStatus.PENDING, payment__order=OuterRef("transaction__order"))
    )
    disputed = Exists(Dispute.objects.filter(status=DisputeStatus.OPEN, payment__order=OuterRef("transaction__order")))
    return (
        Q(payout__isnull=True, transaction__order__isnull=False)
        & Q(**{f"{parcel}status": DELIVERED, f"{parcel}delivered_at__lte": F("cutoff")})
        & own_parcel
        & ~refund_pending
        & ~disputed
    )


def _eligible_entries(account: Account, cutoff: datetime):
    """The account's entries that may be paid out now (see `_eligible`)."""
    return (
        Entry.objects.filter(account=account)
        .alias(cutoff=Value(cutoff, output_field=DateTimeField()))
        .filter(_eligible())
        .order_by("pk")
    )


def _due(account: Account, cutoff: datetime) -> Due | None:
    rows = _eligible_entries(account, cutoff).values_list("pk", "amount", "transaction__order")
    # Entries on a payable are credits (negative): the seller is owed their negation. Per order, so
    # that a payout over MAX_PAYOUT can leave whole orders for the next run.
    orders: dict[int, tuple[list[int], Decimal]] = {}
    for pk, amount, order in rows:
        ids, owed = orders.setdefault(order, ([], Decimal("0")))
        ids.append(pk)
        orders[order] = (ids, owed - amount)
    # Money taken back (an order owing, after a refund) is always settled; orders owed are added
    # oldest first while the payout fits, so it never pays more than the whole sum would.
    taken = sorted(orders.values(), key=lambda order: (order[1] > 0, order[0][0]))
    amount, entry_ids = Decimal("0"), []
    for ids, owed in taken:
        if owed > 0 and amount + owed > MAX_PAYOUT:
            continue
        amount += owed
        entry_ids += ids
    if amount <= 0 or amount < minimum():
        return None
    return Due(account=account, amount=amount, entry_ids=tuple(entry_ids))


def due_payouts(now: datetime | None = None) -> list[Due]:
    """What a run would pay now, seller by seller (read only: the dry run), in two queries however
    many sellers: one grouped sum of the eligible entries per payable account, filtered by the
    minimum in SQL (in whole fen: SQLite adds decimals as floats), then the accounts themselves.

    A candidate's `entry_ids` are left empty: `pay_out` re-reads the seller's entries under the
    lock, so money booked or refunded between this read and the payout is counted right."""
    cutoff = hold_cutoff(now)
    grouped = (
        Entry.objects.alias(cutoff=Value(cutoff, output_field=DateTimeField()))
        .filter(_eligible())
        .values("account")
        .annotate(fen=ledger.fen_sum("amount"))
        .filter(fen__lte=-_minimum_fen())
        .order_by("account")
        .values_list("account", "fen")
    )
    owed = dict(grouped)
    accounts = _payable_accounts().select_related("farmer", "cooperative").in_bulk(list(owed))
    return [Due(account=accounts[pk], amount=-ledger.from_fen(fen)) for pk, fen in owed.items()]


def due_to(seller, now: datetime | None = None) -> Decimal:
    """What the next run would pay this one seller (zero when below the minimum): for the seller's
    own statement, without reading every other seller's books."""
    due = _due(ledger.payable_account(seller), hold_cutoff(now))
    return due.amount if due is not None else Decimal("0.00")


def destination_of(account: Account) -> PayoutDestination | None:
    seller = {"farmer": account.farmer_id} if account.farmer_id else {"cooperative": account.cooperative_id}
    return PayoutDestination.objects.filter(**seller).first()


def pay_out(account: Account, cutoff: datetime, method: str | None = None) -> Payout | None:
    """Pay one seller what is due, in one transaction; None when nothing is (any longer) due.
    `method` None: the seller's own (`payout_methods.choose`).

    The payable account's row is locked first, so a second run for the same seller waits and then
    finds the money already settled; the entries are re-read under the lock."""
    if method is not None and method not in payout_methods.registry:
        raise ValueError(f"unknown payout method {method!r}")
    with transaction.atomic():
        account = (
            _payable_accounts()
            .select_for_update(no_key=True, of=("self",))
            .select_related("farmer", "cooperative")
            .get(pk=account.pk)
        )
        due = _due(account, cutoff)
        if due is None:
            return None
        owed = ledger.owed_to(due.seller)
        if due.amount > owed:
            # Cannot happen while every order's entries net to what was paid less refunds; if it
            # does, the books need a person, not a payout.
            logger.error("payout for %s: %s due but only %s owed; not paid", account.code, due.amount, owed)
            return None
        sequence = (account.payouts.aggregate(last=Max("sequence"))["last"] or 0) + 1
        destination = destination_of(account)
        method = method or payout_methods.choose(destination, due.amount)
        sender = payout_methods.get(method)
        payout = Payout.objects.create(
            account=account,
            farmer=account.farmer,
            cooperative=account.cooperative,
            sequence=sequence,
            amount=due.amount,
            method=method,
            destination=sender.destination_text(destination),
            idempotency_key=f"shanhuo-payout-{account.pk}-{sequence}",
        )
        settled = Entry.objects.filter(pk__in=due.entry_ids, payout__isnull=True).update(payout=payout)
        if settled != len(due.entry_ids):
            raise PayoutRace(f"{account.code}: {len(due.entry_ids) - settled} entries were paid meanwhile")
        ledger.post(
            f"payout:{payout.pk}",
            text.stored(text.PAYOUT_SENT, payout=payout.pk),
            [(account, due.amount), (ledger.payouts_in_transit_account(), -due.amount)],
        )
        if sender.sends_itself:
            # Only once the payout is committed: money must never leave for a payout rolled back.
            from . import tasks

            outbox.enqueue(tasks.send_payout, [payout.pk], robust=True)
    return payout


def run(now: datetime | None = None, method: str | None = None) -> list[Payout]:
    """The payout run: every seller with money due is paid, each in their own transaction."""
    cutoff = hold_cutoff(now)
    payouts = []
    for due in due_payouts(now):
        payout = pay_out(due.account, cutoff, method)
        if payout is not None:
            payouts.append(payout)
    return payouts


# --- Settling a payout ----------------------------------------------------------------------------


def _locked(payout: Payout) -> Payout:
    """The seller's account, then the payout: the order the run locks them in."""
    Account.objects.select_for_update(no_key=True).filter(pk=payout.account_id).first()
    return Payout.objects.select_for_update(of=("self",)).select_related("account").get(pk=payout.pk)


def check_operator(actor) -> None:
    if not may_record_payouts(actor):
        raise PermissionDenied(_("Only operators record payouts."))


def _cash_account(payout: Payout) -> Account:
    return ledger.cash_account(payout_methods.get(payout.method).cash_gateway)


def mark_paid(actor, payout: Payout, reference: str) -> Payout:
    """The money reached the seller: an operator records the bank's reference. Repeating it with
    the same reference changes nothing; a payout that failed cannot be paid."""
    check_operator(actor)
    return record_paid(payout, reference, actor)


def record_paid(payout: Payout, reference: str, actor=None) -> Payout:
    """`mark_paid` without the operator check, for a method that sent the money itself (`actor`
    None) and for callers that checked already."""
    reference = (reference or "").strip()
    if not reference:
        raise field_error("reference", _("Enter the bank's reference of the transfer."), "required")
    if len(reference) > Payout._meta.get_field("reference").max_length:
        raise field_error("reference", _("This reference is too long."), "max_length")
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == PayoutStatus.PAID and payout.reference == reference:
            return payout
        if payout.status != PayoutStatus.PENDING:
            raise field_error(None, _("This payout is already settled."), "already_settled")
        payout.status = PayoutStatus.PAID
        payout.reference = reference
        payout.paid_at = timezone.now()
        payout.recorded_by = actor
        payout.save(update_fields=["status", "reference", "paid_at", "recorded_by"])
        ledger.post(
            f"payout-paid:{payout.pk}",
            text.stored(text.PAYOUT_PAID, payout=payout.pk),
            [(ledger.payouts_in_transit_account(), payout.amount), (_cash_account(payout), -payout.amount)],
        )
    return payout


def record_in_flight(payout: Payout, state: str, confirm_package: str = "") -> Payout:
    """The provider took the payout and has not finished it (WeChat: accepted, waiting for the
    seller to confirm receipt, transferring): its word is kept, nothing is booked. A payout settled
    meanwhile is left as it is (an answer that arrived late)."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status != PayoutStatus.PENDING:
            return payout
        state = (state or "")[: Payout._meta.get_field("provider_state").max_length]
        if (payout.provider_state, payout.confirm_package) != (state, confirm_package):
            payout.provider_state = state
            payout.confirm_package = confirm_package
            payout.save(update_fields=["provider_state", "confirm_package"])
    return payout


def mark_failed(actor, payout: Payout, reason: str = "") -> Payout:
    """The transfer did not go through: the money goes back to the seller's payable, and the
    entries it was to settle may be paid by a later run."""
    check_operator(actor)
    return record_failed(payout, reason, actor)


def record_failed(payout: Payout, reason: str = "", actor=None) -> Payout:
    """`mark_failed` without the operator check (see `record_paid`)."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == PayoutStatus.FAILED:
            return payout
        if payout.status != PayoutStatus.PENDING:
            raise field_error(None, _("This payout is already settled."), "already_settled")
        payout.status = PayoutStatus.FAILED
        payout.failure_reason = (reason or "").strip()[:255]
        payout.failed_at = timezone.now()
        payout.recorded_by = actor
        payout.save(update_fields=["status", "failure_reason", "failed_at", "recorded_by"])
        ledger.post(
            f"payout-failed:{payout.pk}",
            text.stored(text.PAYOUT_FAILED, payout=payout.pk),
            [(ledger.payouts_in_transit_account(), payout.amount), (payout.account, -payout.amount)],
        )
        payout.settled_entries.update(payout=None)
    return payout


def mark_returned(actor, payout: Payout, reason: str) -> Payout:
    """A paid payout came back (the bank sent it back, the account was closed): the money is back
    in the cash account it left, the seller is owed it again, and the entries it settled are
    unlinked, so the next run pays them (as after a failure, decision 106). Once per payout."""
    check_operator(actor)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the money came back."), "required")
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == PayoutStatus.RETURNED:
            return payout
        if payout.status != PayoutStatus.PAID:
            raise field_error(None, _("Only a paid payout can come back."), "not_paid")
        payout.status = PayoutStatus.RETURNED
        payout.failure_reason = reason[:255]
        payout.returned_at = timezone.now()
        payout.recorded_by = actor
        payout.save(update_fields=["status", "failure_reason", "returned_at", "recorded_by"])
        ledger.post(
            f"payout-returned:{payout.pk}",
            text.stored(text.PAYOUT_RETURNED, payout=payout.pk),
            [(_cash_account(payout), payout.amount), (payout.account, -payout.amount)],
        )
        payout.settled_entries.update(payout=None)
    return payout
