"""A seller's statement: what each parcel they sold paid them, what the platform owes them now, how
much of it goes out at the next payout run, and the payouts already made.

A seller is a farmer or a cooperative (members' own listings are paid to the member; a cooperative
manager reads each member's statement besides the cooperative's). The figures are those the ledger
booked (`payments.ledger.book_payment` / `book_refund`), read from the order records it booked
them from: a parcel's goods and shipping are credited to the seller when the order is paid; each
line's `platform_fee` is what the ledger debited; a refunded line gives back its goods and its fee,
a refund that includes shipping gives back the parcel's shipping. So, summed over every parcel, the
statement's "paid to you" less the payouts equals the seller's payable in the ledger, to the fen
(tests/shop/test_earnings.py proves it).

A period selects parcels by the day their order was paid (Asia/Shanghai days); a refund is shown
with the order it refunds, whatever day it came.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from farmers.models import Cooperative, Farmer
from payments import ledger, payouts
from payments.ledger import fen_sum, from_fen
from payments.models import Payout, PayoutStatus, Refund, RefundStatus

from .models import Fulfilment, OrderLine

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included; None on either side: unbounded."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(order__payment__succeeded_at__gte=_day_start(self.start))
        if self.end is not None:
            q &= Q(order__payment__succeeded_at__lt=_day_start(self.end + timedelta(days=1)))
        return q


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))  # settings.TIME_ZONE: Asia/Shanghai


def month_of(day: date) -> Period:
    """The calendar month holding `day`."""
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(first, last)


@dataclass(frozen=True)
class Sales:
    """Money of sold parcels, as the ledger booked it for the seller. `fee` is the platform's fee
    kept (a refunded line's fee is given back); `refunded` the goods (and shipping) given back."""

    goods: Decimal = ZERO
    shipping: Decimal = ZERO
    fee: Decimal = ZERO
    refunded: Decimal = ZERO
    orders: int = 0

    @property
    def sold(self) -> Decimal:
        return self.goods + self.shipping

    @property
    def earned(self) -> Decimal:
        """What these sales paid the seller: goods and shipping, less the fee and the refunds."""
        return self.goods + self.shipping - self.fee - self.refunded


@dataclass(frozen=True)
class ParcelEarnings:
    """One parcel (the seller's part of one order) and what it paid them."""

    parcel: Fulfilment
    sales: Sales

    @property
    def order_number(self) -> str:
        return self.parcel.order.number

    @property
    def paid_at(self) -> datetime:
        return self.parcel.order.payment.succeeded_at


@dataclass(frozen=True)
class Balance:
    """What the platform owes the seller now (the ledger's payable), and of it what the next run
    pays (`due`) and what still waits: for delivery, for the hold period after it, for a pending
    refund, or for the payable to reach the minimum payout."""

    payable: Decimal
    due: Decimal
    on_the_way: Decimal  # payouts made, not yet confirmed paid (no longer in the payable)
    paid_out: Decimal  # payouts confirmed paid

    @property
    def waiting(self) -> Decimal:
        return self.payable - self.due


def seller_parcels(seller):
    """The seller's parcels of paid orders, newest payment first."""
    own = {"farmer": seller} if isinstance(seller, Farmer) else {"cooperative": seller}
    return Fulfilment.objects.filter(order__payment__succeeded_at__isnull=False, **own).order_by(
        "-order__payment__succeeded_at", "-pk"
    )


def _shipping_refunded():
    return Exists(
        Refund.objects.filter(payment__order=OuterRef("order"), includes_shipping=True, status=RefundStatus.SUCCEEDED)
    )


def with_earnings_relations(parcels):
    """What `parcel_earnings` reads, in a fixed number of queries for a page of parcels."""
    return (
        parcels.select_related("order__payment")
        .annotate(shipping_refunded=_shipping_refunded())
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
    )


def parcel_earnings(parcel: Fulfilment) -> ParcelEarnings:
    """One parcel's figures, from a parcel loaded through `with_earnings_relations`."""
    lines = list(parcel.lines.all())
    refunded = [line for line in lines if line.refunded_at is not None]
    fee = sum((line.platform_fee for line in lines), ZERO) - sum((line.platform_fee for line in refunded), ZERO)
    given_back = sum((line.total for line in refunded), ZERO)
    if parcel.shipping_refunded:
        given_back += parcel.shipping_price
    sales = Sales(goods=parcel.subtotal, shipping=parcel.shipping_price, fee=fee, refunded=given_back, orders=1)
    return ParcelEarnings(parcel=parcel, sales=sales)


def _grouped_sales(parcels, by: str | None) -> dict:
    """Sales of `parcels` per value of the parcel field `by` (None: one group, key None), in three
    aggregate queries whatever the number of parcels or groups, summed in whole fen."""
    parcels = parcels.order_by()

    def rows(queryset, **sums):
        if by:
            return {row[by]: row for row in queryset.values(by).annotate(**sums)}
        return {None: queryset.aggregate(**sums)}

    own = rows(parcels, goods=fen_sum("subtotal"), shipping=fen_sum("shipping_price"), orders=Count("pk"))
    shipping_back = rows(parcels.filter(_shipping_refunded()), fen=fen_sum("shipping_price"))
    lines = OrderLine.objects.filter(fulfilment__in=parcels.values("pk")).annotate(
        **({"group": F(f"fulfilment__{by}")} if by else {})
    )
    line_sums = {
        "fee": fen_sum("platform_fee"),
        "fee_back": fen_sum("platform_fee", filter=Q(refunded_at__isnull=False)),
        "goods_back": fen_sum("total", filter=Q(refunded_at__isnull=False)),
    }
    if by:
        by_line = {row["group"]: row for row in lines.values("group").annotate(**line_sums)}
    else:
        by_line = {None: lines.aggregate(**line_sums)}
    result = {}
    for key, row in own.items():
        back = by_line.get(key, {})
        result[key] = Sales(
            goods=from_fen(row["goods"]),
            shipping=from_fen(row["shipping"]),
            fee=from_fen(back.get("fee")) - from_fen(back.get("fee_back")),
            refunded=from_fen(back.get("goods_back")) + from_fen(shipping_back.get(key, {}).get("fen")),
            orders=row["orders"] or 0,
        )
    return result


def sales_totals(seller, period: Period | None = None) -> Sales:
    """The seller's sales in the period (default: all time)."""
    parcels = seller_parcels(seller).filter((period or Period()).bounds())
    return _grouped_sales(parcels, None)[None]


def seller_payouts(seller):
    """The seller's payouts, newest first."""
    own = {"farmer": seller} if isinstance(seller, Farmer) else {"cooperative": seller}
    return Payout.objects.filter(**own).order_by("-created_at", "-pk")


def balance(seller, now: datetime | None = None) -> Balance:
    """The payable is the ledger's (`ledger.owed_to`); what is due, the payout run's own rule
    (`payouts.due_to`), so this page never promises a payout the run would not make."""
    sums = seller_payouts(seller).aggregate(
        on_the_way=fen_sum("amount", filter=Q(status=PayoutStatus.PENDING)),
        paid_out=fen_sum("amount", filter=Q(status=PayoutStatus.PAID)),
    )
    return Balance(
        payable=ledger.owed_to(seller),
        due=payouts.due_to(seller, now),
        on_the_way=from_fen(sums["on_the_way"]),
        paid_out=from_fen(sums["paid_out"]),
    )


@dataclass(frozen=True)
class MemberSales:
    farmer: Farmer
    sales: Sales


def members_sales(cooperative: Cooperative, period: Period | None = None) -> list[MemberSales]:
    """Each member's own sales in the period (their money goes to their own payable), in the same
    three queries however many members."""
    members = list(cooperative.members.order_by("name", "pk"))
    parcels = Fulfilment.objects.filter(
        farmer__in=[m.pk for m in members], order__payment__succeeded_at__isnull=False
    ).filter((period or Period()).bounds())
    sales = _grouped_sales(parcels, "farmer")
    return [MemberSales(farmer=member, sales=sales.get(member.pk, Sales())) for member in members]


def hold_days() -> int:
    return settings.PAYOUT_HOLD_DAYS


def payout_minimum() -> Decimal:
    return payouts.minimum()
