import graphene

from core.graphql.connection import check_page_arguments
from farmers.models import Farmer
from payments.graphql.payout_types import PayoutType, with_payout_relations

from .. import earnings
from .order_types import FulfilmentStatusEnum

RECENT_LIMIT = 100
DEFAULT_RECENT = 10


class SalesTotalsType(graphene.ObjectType):
    """Money of sold parcels, as the ledger booked it for the seller."""

    class Meta:
        name = "SalesTotals"

    orders = graphene.Int(required=True, description="Paid orders (parcels of this seller).")
    goods = graphene.Decimal(required=True)
    shipping = graphene.Decimal(required=True)
    platform_fee = graphene.Decimal(
        required=True, description="The platform's fee kept (refunded lines' fee given back)."
    )
    refunded = graphene.Decimal(required=True, description="Goods (and shipping) given back to shoppers.")
    earned = graphene.Decimal(required=True, description="Goods and shipping, less the fee and the refunds.")

    @staticmethod
    def resolve_platform_fee(root, info):
        return root.fee


class ParcelEarningsType(graphene.ObjectType):
    """What one parcel (the seller's part of an order) paid them."""

    class Meta:
        name = "ParcelEarnings"

    order_number = graphene.String(required=True)
    paid_at = graphene.DateTime(required=True, description="When the shopper's payment arrived.")
    status = graphene.Field(FulfilmentStatusEnum, required=True)
    totals = graphene.Field(SalesTotalsType, required=True)

    @staticmethod
    def resolve_status(root, info):
        return root.parcel.status

    @staticmethod
    def resolve_totals(root, info):
        return root.sales


class MemberSalesType(graphene.ObjectType):
    """A cooperative member's own sales (paid to the member)."""

    class Meta:
        name = "MemberSales"

    name = graphene.String(required=True)
    totals = graphene.Field(SalesTotalsType, required=True)

    @staticmethod
    def resolve_name(root, info):
        return root.farmer.name

    @staticmethod
    def resolve_totals(root, info):
        return root.sales


class EarningsStatementType(graphene.ObjectType):
    """A seller's statement. `payable` is what the ledger owes them now; of it `due` goes out at the
    next payout run and `waiting` waits for delivery, the hold period or the minimum payout."""

    class Meta:
        name = "EarningsStatement"

    seller_name = graphene.String(required=True)
    is_cooperative = graphene.Boolean(required=True)
    totals = graphene.Field(SalesTotalsType, required=True, description="Sales in the period asked for.")
    payable = graphene.Decimal(required=True)
    due = graphene.Decimal(required=True)
    waiting = graphene.Decimal(required=True)
    on_the_way = graphene.Decimal(required=True, description="Payouts sent, not yet confirmed paid.")
    paid_out = graphene.Decimal(required=True, description="Payouts confirmed paid, all time.")
    recent_orders = graphene.List(
        graphene.NonNull(ParcelEarningsType),
        required=True,
        first=graphene.Int(default_value=DEFAULT_RECENT, description=f"At most {RECENT_LIMIT}."),
        description="The newest paid orders in the period.",
    )
    payouts = graphene.List(
        graphene.NonNull(PayoutType),
        required=True,
        first=graphene.Int(default_value=DEFAULT_RECENT, description=f"At most {RECENT_LIMIT}."),
        description="The newest payouts (the `payouts` connection pages through all).",
    )
    members = graphene.List(
        graphene.NonNull(MemberSalesType), required=True, description="A cooperative's members' own sales."
    )

    @staticmethod
    def resolve_seller_name(root, info):
        return root.seller.name

    @staticmethod
    def resolve_is_cooperative(root, info):
        return not isinstance(root.seller, Farmer)

    @staticmethod
    def resolve_totals(root, info):
        return earnings.sales_totals(root.seller, root.period)

    @staticmethod
    def resolve_payable(root, info):
        return root.balance.payable

    @staticmethod
    def resolve_due(root, info):
        return root.balance.due

    @staticmethod
    def resolve_waiting(root, info):
        return root.balance.waiting

    @staticmethod
    def resolve_on_the_way(root, info):
        return root.balance.on_the_way

    @staticmethod
    def resolve_paid_out(root, info):
        return root.balance.paid_out

    @staticmethod
    def resolve_recent_orders(root, info, first):
        limit = _limit(info, first)
        parcels = earnings.seller_parcels(root.seller).filter(root.period.bounds())
        parcels = earnings.with_earnings_relations(parcels)[:limit]
        return [earnings.parcel_earnings(parcel) for parcel in parcels]

    @staticmethod
    def resolve_payouts(root, info, first):
        limit = _limit(info, first)
        return with_payout_relations(earnings.seller_payouts(root.seller))[:limit]

    @staticmethod
    def resolve_members(root, info):
        if isinstance(root.seller, Farmer):
            return []
        return earnings.members_sales(root.seller, root.period)


def _limit(info, first: int | None) -> int:
    """A negative or oversized `first` is a coded error, as on connections; null is the default."""
    first = DEFAULT_RECENT if first is None else first
    check_page_arguments(info.field_name, RECENT_LIMIT, {"first": first})
    return first
