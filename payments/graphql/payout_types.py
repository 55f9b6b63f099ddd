import graphene
from graphene_django import DjangoObjectType

from core.graphql.connection import CountableConnection

from ..models import Payout, PayoutStatus
from ..permissions import payouts_visible_to

PayoutStatusEnum = graphene.Enum.from_enum(PayoutStatus, name="PayoutStatus")


class PayoutType(DjangoObjectType):
    """Money sent to one seller. Names the seller and their village, never their phone or ID number."""

    class Meta:
        model = Payout
        name = "Payout"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "amount", "currency", "method", "reference", "created_at", "paid_at", "failed_at")
        connection_class = CountableConnection

    status = graphene.Field(PayoutStatusEnum, required=True)
    seller_name = graphene.String(required=True, description="The farmer's or cooperative's name.")
    is_cooperative = graphene.Boolean(required=True, description="Paid to a cooperative for its members.")
    village_name = graphene.String(required=True, description="The seller's village.")

    @classmethod
    def get_node(cls, info, id):
        return with_payout_relations(payouts_visible_to(info.context.user)).filter(pk=id).first()

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_seller_name(root, info):
        return root.seller.name

    @staticmethod
    def resolve_is_cooperative(root, info):
        return root.cooperative_id is not None

    @staticmethod
    def resolve_village_name(root, info):
        return root.seller.village.name


def with_payout_relations(payouts):
    """What PayoutType reads, loaded with the list (no query per payout)."""
    return payouts.select_related("farmer__village", "cooperative__village")
