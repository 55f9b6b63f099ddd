"""The double-entry ledger: every movement of money is a transaction whose entries sum to zero.

Sign convention: a debit is a positive amount, a credit a negative one. Cash at a gateway is an
asset (debited when a shopper pays); what the platform owes a farmer or cooperative is a liability
(credited when their goods are paid for); the platform's fee is income. Why our own small ledger
and not django-hordak: see docs/decisions.md (hordak enforces balance with PostgreSQL/MySQL
triggers and does not run on the SQLite embedded default)."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Cast, Round

from core.money import FEN, allocate, has_at_most_two_places

from . import ledger_text as text
from .models import Account, AccountKind, Entry, LedgerTransaction

PLATFORM_FEES = "income:platform-fees"
PAYOUTS_IN_TRANSIT = "liability:payouts-in-transit"
PROVIDER_FEES = "expense:provider-fees"


class UnbalancedTransaction(ValueError):
    pass


# --- Accounts ---------------------------------------------------------------------------------


def _account(code: str, name: str, kind: str, **owner) -> Account:
    account, _created = Account.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, **owner})
    return account


def cash_account(gateway: str) -> Account:
    return _account(f"asset:cash:{gateway}", text.stored(text.CASH, gateway=gateway), AccountKind.ASSET)


def fee_account() -> Account:
    return _account(PLATFORM_FEES, text.stored(text.PLATFORM_FEES), AccountKind.INCOME)


def provider_fee_account() -> Account:
    """What WeChat Pay, Alipay (and any provider whose fee we learn) kept of the money: the
    platform's expense, never the farmer's (docs/decisions.md, section settlement)."""
    return _account(PROVIDER_FEES, text.stored(text.PROVIDER_FEES), AccountKind.EXPENSE)


def payable_account(seller) -> Account:
    """What the platform owes one farmer or cooperative."""
    from farmers.models import Farmer

    if isinstance(seller, Farmer):
        return _account(
            f"liability:farmer:{seller.pk}",
            text.stored(text.PAYABLE_TO_FARMER, farmer=seller.pk),
            AccountKind.LIABILITY,
            farmer=seller,
        )
    return _account(
        f"liability:cooperative:{seller.pk}",
        text.stored(text.PAYABLE_TO_COOPERATIVE, cooperative=seller.pk),
        AccountKind.LIABILITY,
        cooperative=seller,
    )


def payouts_in_transit_account() -> Account:
    """Money taken off sellers' payables for payouts not yet confirmed paid (payments.payouts)."""
    return _account(PAYOUTS_IN_TRANSIT, text.stored(text.PAYOUTS_IN_TRANSIT), AccountKind.LIABILITY)


def sponsor_account(sponsor) -> Account:
    """A sponsor's promotion budget: billed clicks are debited here (no deposits are recorded yet,
    so its balance is what the sponsor owes for clicks)."""
    return _account(
        f"liability:sponsor:{sponsor.pk}", text.stored(text.SPONSOR_BUDGET, sponsor=sponsor.pk), AccountKind.LIABILITY
    )


def promotion_income_account() -> Account:
    return _account("income:promotion", text.stored(text.PROMOTION_INCOME), AccountKind.INCOME)


# --- Posting ----------------------------------------------------------------------------------


def post(key: str, memo: str, entries: list[tuple[Account, Decimal]], order=None) -> LedgerTransaction:
    """Book one balanced transaction, once: posting a key already booked returns the first booking.

    `memo` is stored English, made with `ledger_text.stored` so that it is shown translated.

    Entries to the same account are merged, and zero entries dropped, so callers can state the
    movement the way they think of it."""
    merged: dict[int, tuple[Account, Decimal]] = {}
    for account, amount in entries:
        if not isinstance(amount, Decimal) or not has_at_most_two_places(amount):
            raise UnbalancedTransaction(f"{key}: {amount!r} is not an amount in fen")
        previous = merged.get(account.pk, (account, Decimal("0")))[1]
        merged[account.pk] = (account, previous + amount)
    lines = [(account, amount) for account, amount in merged.values() if amount != 0]
    if sum((amount for _account, amount in lines), Decimal("0")) != 0:
        raise UnbalancedTransaction(f"{key}: entries do not sum to zero: {lines}")
    if not lines:
        raise UnbalancedTransaction(f"{key}: nothing to book")
    try:
        with transaction.atomic():
            booked = LedgerTransaction.objects.create(key=key, memo=memo[:255], order=order)
    except IntegrityError:
        return LedgerTransaction.objects.get(key=key)
    Entry.objects.bulk_create(Entry(transaction=booked, account=account, amount=amount) for account, amount in lines)
    return booked


def fee_rate() -> Decimal:
    return Decimal(str(settings.PLATFORM_FEE_PERCENT)) / 100


def platform_fee(amount: Decimal) -> Decimal:
    """The platform's fee on an amount of goods: PLATFORM_FEE_PERCENT of it, rounded half up to the
    fen. The one statement of the rule: the ledger books it on an order's goods, and
    `shop.provenance` shows shoppers what is left for the farmer."""
    return (amount * fee_rate()).quantize(FEN, rounding=ROUND_HALF_UP)


def _seller_accounts(fulfilments) -> dict[int, Account]:
    return {fulfilment.pk: payable_account(fulfilment.seller) for fulfilment in fulfilments}


def book_payment(payment) -> None:
    """A paid order: cash in; each seller is owed their goods and their parcel's shipping; then the
    platform's fee moves from the sellers to the fee account, split over the lines in whole fen."""
    order = payment.order
    fulfilments = list(order.fulfilments.select_related("farmer", "cooperative"))
    payables = _seller_accounts(fulfilments)
    entries = [(cash_account(payment.gateway), payment.amount)]
    entries += [(payables[fulfilment.pk], -fulfilment.total) for fulfilment in fulfilments]
    post(f"payment:{payment.pk}", text.stored(text.ORDER_PAID, order=order.number), entries, order=order)

    lines = list(order.lines.all())
    total_fee = platform_fee(order.subtotal)
    if total_fee <= 0 or not lines:
        return
    for line, fee in zip(lines, allocate(total_fee, [line.total for line in lines]), strict=True):
        line.platform_fee = fee
    type(lines[0]).objects.bulk_update(lines, ["platform_fee"])
    entries = [(fee_account(), -total_fee)]
    entries += [(payables[line.fulfilment_id], line.platform_fee) for line in lines]
    post(f"fee:{payment.pk}", text.stored(text.PLATFORM_FEE, order=order.number), entries, order=order)


def _taking_back(order, lines, includes_shipping: bool) -> tuple[list, list]:
    """What giving a shopper back these lines (and the shipping) takes from the sellers: each
    seller's payable is debited for their goods and their parcel's shipping, less the fee they had
    been charged on those goods, which the platform gives back. Returns the payables' entries for
    the goods and shipping, and the fee's return (empty when no fee was charged); the cash going
    out is the sum of the former."""
    fulfilments = list(order.fulfilments.select_related("farmer", "cooperative"))
    payables = _seller_accounts(fulfilments)
    goods = [(payables[line.fulfilment_id], line.total) for line in lines]
    if includes_shipping:
        goods += [(payables[fulfilment.pk], fulfilment.shipping_price) for fulfilment in fulfilments]
    fee_back = sum((line.platform_fee for line in lines), Decimal("0"))
    fees = []
    if fee_back > 0:
        fees = [(fee_account(), fee_back)]
        fees += [(payables[line.fulfilment_id], -line.platform_fee) for line in lines]
    return goods, fees


def book_refund(refund) -> None:
    """Money back to the shopper: the refunded lines' value (less their fee, which the platform
    gives back) comes off each seller's payable; a full refund also takes back the shipping."""
    payment = refund.payment
    order = payment.order
    goods, fees = _taking_back(order, list(refund.lines.all()), refund.includes_shipping)
    memo = text.stored(text.REFUND, refund=refund.pk, order=order.number)
    post(f"refund:{refund.pk}", memo, [(cash_account(payment.gateway), -refund.amount), *goods], order=order)
    if fees:
        post(f"fee-refund:{refund.pk}", text.stored(text.FEE_RETURNED, refund=refund.pk), fees, order=order)


def book_dispute_lost(dispute, lines, includes_shipping: bool) -> Decimal:
    """A lost dispute: the card network took the money back from us. Booked as a full refund of
    what was left of the payment (`lines`, and the shipping if not refunded yet), in one
    transaction: cash out, each seller's payable debited for their part less the fee they had
    been charged, the fee given back. Returns the cash taken back (zero: nothing was left)."""
    payment = dispute.payment
    order = payment.order
    goods, fees = _taking_back(order, lines, includes_shipping)
    taken = sum((amount for _account, amount in goods), Decimal("0"))
    if taken > 0:
        memo = text.stored(text.DISPUTE_LOST, dispute=dispute.pk, order=order.number)
        entries = [(cash_account(payment.gateway), -taken), *goods, *fees]
        post(f"dispute-lost:{dispute.pk}", memo, entries, order=order)
    return taken


def book_provider_fee(payment, fee: Decimal) -> bool:
    """The provider's fee on a payment, once (key `provider-fee:<payment>`): it kept the fee out of
    the money, so its cash account is credited and the platform's expense debited; the sellers'
    payables are untouched (the platform bears it). Records it on `payment.provider_fee`. False
    when a fee was already recorded for the payment (whatever its amount: the caller compares).
    A zero fee is recorded with no transaction (there is nothing to move)."""
    from .models import Payment

    if not isinstance(fee, Decimal) or fee < 0 or not has_at_most_two_places(fee):
        raise UnbalancedTransaction(f"provider fee {fee!r} is not an amount in fen")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("order").get(pk=payment.pk)
        if locked.provider_fee is not None:
            payment.provider_fee = locked.provider_fee
            return False
        if fee > 0:
            memo = text.stored(text.PROVIDER_FEE, gateway=locked.gateway, order=locked.order.number)
            entries = [(cash_account(locked.gateway), -fee), (provider_fee_account(), fee)]
            post(f"provider-fee:{locked.pk}", memo, entries, order=locked.order)
        locked.provider_fee = fee
        locked.save(update_fields=["provider_fee"])
    payment.provider_fee = fee
    return True


def provider_fee_returned(refund) -> Decimal | None:
    """The fee the provider gave back with this refund, as booked; None when none was booked."""
    entry = Entry.objects.filter(
        transaction__key=f"provider-fee-refund:{refund.pk}", account__code=PROVIDER_FEES
    ).first()
    return -entry.amount if entry else None


def book_provider_fee_returned(refund, fee: Decimal) -> bool:
    """The part of its fee a provider gives back with a refund (WeChat Pay returns it in
    proportion), once (key `provider-fee-refund:<refund>`): cash back in, the expense reduced.
    False when it was booked before, or the fee is zero (nothing to book)."""
    if not isinstance(fee, Decimal) or fee < 0 or not has_at_most_two_places(fee):
        raise UnbalancedTransaction(f"returned provider fee {fee!r} is not an amount in fen")
    if fee == 0:
        return False
    key = f"provider-fee-refund:{refund.pk}"
    if LedgerTransaction.objects.filter(key=key).exists():
        return False
    payment = refund.payment
    memo = text.stored(text.PROVIDER_FEE_RETURNED, gateway=payment.gateway, refund=refund.pk)
    entries = [(cash_account(payment.gateway), fee), (provider_fee_account(), -fee)]
    post(key, memo, entries, order=payment.order)
    return True


# --- Reading ----------------------------------------------------------------------------------


def fen_sum(path: str, filter: Q | None = None) -> Sum:
    """A sum of amounts in whole fen (an integer). SQLite adds decimals as binary floats, so a plain
    Sum of 174.80 − 94.80 − 80.00 there is 1.4e-14, not zero; integers add exactly everywhere."""
    return Sum(Cast(Round(F(path) * 100), IntegerField()), filter=filter)


def from_fen(fen: int | None) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(FEN)


def balance(account: Account) -> Decimal:
    """Debits minus credits; a liability or income account's balance is therefore negative."""
    return from_fen(account.entries.aggregate(fen=fen_sum("amount"))["fen"])


def owed_to(seller) -> Decimal:
    """What the platform owes this seller now (a positive amount)."""
    return -balance(payable_account(seller))


def unbalanced_transactions():
    """Transactions whose entries do not sum to zero, or that have fewer than two: always empty."""
    return LedgerTransaction.objects.annotate(total=fen_sum("entries__amount"), count=Count("entries")).filter(
        ~Q(total=0) | Q(count__lt=2) | Q(total__isnull=True)
    )
