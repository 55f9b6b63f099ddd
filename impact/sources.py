"""Where each figure comes from in the ledger: the one statement of which entries count.

Every money figure is the sum, with a sign, of a set of `payments.Entry` rows, each given the
village it counts for; `figures_from_ledger`, the drill-down (`impact.trace`) and the daily
roll-up (`impact.rollup`) all read these querysets, so the three cannot disagree.

A transaction counts on the Asia/Shanghai day it was booked (`LedgerTransaction.created_at`). An
entry's village is its seller's village (the farmer's, or the cooperative's), read now: a seller
who moves takes their history with them. Household counts read the same entries (a household is
a farmer with a payment entry on their own payable account)."""

from django.db.models import BigIntegerField, Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Substr, TruncDate

from payments.models import Entry, Payout
from promotion.models import Click

from .periods import Period, local_zone

# Keys of ledger transactions (payments.ledger, payments.payouts, promotion.clicks).
PAYMENT = "payment:"
REFUND = "refund:"
PAYOUT_PAID = "payout-paid:"
# A paid payout the bank sent back: cash comes back in (a debit of the cash account). Booked by the
# returned-payouts step of issue 14 under this key; until then no such transaction exists.
PAYOUT_RETURNED = "payout-returned:"
PROMOTION_CLICK = "promotion-click-"
CASH_ACCOUNTS = "asset:cash:"
PROMOTION_INCOME = "income:promotion"

MONEY_KEYS = ("gross_sales", "refunds", "farmer_income", "paid_out", "promotion_spend", "promoted_income")
# Entries are debits (+) and credits (−); a figure is SIGN × their sum, so that money owed to or
# paid to sellers counts as a positive amount.
SIGN = {
    "gross_sales": -1,
    "refunds": 1,
    "farmer_income": -1,
    "paid_out": -1,
    "promotion_spend": -1,
    "promoted_income": -1,
}


def _payable_entries():
    return Entry.objects.filter(Q(account__farmer__isnull=False) | Q(account__cooperative__isnull=False)).annotate(
        village=Coalesce(F("account__farmer__village_id"), F("account__cooperative__village_id"))
    )


def _key_number(prefix: str):
    """The number after `prefix` in a transaction's key, NULL for other keys (CASE keeps the cast
    away from keys that do not end in a number)."""
    return When(
        transaction__key__startswith=prefix, then=Cast(Substr("transaction__key", len(prefix) + 1), BigIntegerField())
    )


def _paid_out_entries():
    payout_pk = Case(
        _key_number(PAYOUT_PAID), _key_number(PAYOUT_RETURNED), default=Value(None), output_field=BigIntegerField()
    )
    village = Payout.objects.filter(pk=OuterRef("payout_pk")).annotate(
        v=Coalesce(F("farmer__village_id"), F("cooperative__village_id"))
    )
    return (
        Entry.objects.filter(account__code__startswith=CASH_ACCOUNTS)
        .filter(Q(transaction__key__startswith=PAYOUT_PAID) | Q(transaction__key__startswith=PAYOUT_RETURNED))
        .annotate(payout_pk=payout_pk)
        .annotate(village=Subquery(village.values("v")[:1]))
    )


def _spend_entries():
    click_pk = Case(_key_number(PROMOTION_CLICK), default=Value(None), output_field=BigIntegerField())
    village = Click.objects.filter(pk=OuterRef("click_pk")).values("product__village_id")[:1]
    return (
        Entry.objects.filter(account__code=PROMOTION_INCOME, transaction__key__startswith=PROMOTION_CLICK)
        .annotate(click_pk=click_pk)
        .annotate(village=Subquery(village))
    )


def money_entries(key: str):
    """All entries behind a money figure, each annotated with `village` (its id)."""
    if key == "gross_sales":
        return _payable_entries().filter(transaction__key__startswith=PAYMENT)
    if key == "refunds":
        return _payable_entries().filter(transaction__key__startswith=REFUND)
    if key == "farmer_income":
        return _payable_entries().filter(transaction__order__isnull=False)
    if key == "promoted_income":
        return _payable_entries().filter(
            transaction__order__isnull=False, transaction__order__attribution__campaign__isnull=False
        )
    if key == "paid_out":
        return _paid_out_entries()
    if key == "promotion_spend":
        return _spend_entries()
    raise KeyError(key)


def household_entries():
    """Payment entries on farmers' own payables: each is a sale by that farmer's household."""
    return money_entries("gross_sales").filter(account__farmer__isnull=False)


def promoted_order_entries():
    """Payment entries of orders credited to a campaign's click."""
    return money_entries("gross_sales").filter(transaction__order__attribution__campaign__isnull=False)


def in_period(queryset, period: Period | None):
    if period is None:
        return queryset
    start, end = period.bounds()
    return queryset.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)


def local_day():
    """The Asia/Shanghai day an entry's transaction was booked."""
    return TruncDate("transaction__created_at", tzinfo=local_zone())
