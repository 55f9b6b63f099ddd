import graphene
from graphene_django import DjangoObjectType

from .. import gateways, shopper_payments
from ..models import Payment, PaymentStatus, Refund, RefundStatus

# One value per registered gateway (PAYMENT_GATEWAYS), whether configured or not.
PaymentMethodEnum = graphene.Enum(
    "PaymentMethodEnum",
    [(name.upper(), name) for name in gateways.registry.names()],
    description="How the shopper pays. Stripe is offered only when it is configured.",
)

PaymentStatusEnum = graphene.Enum.from_enum(PaymentStatus, name="PaymentStatus")
RefundStatusEnum = graphene.Enum.from_enum(RefundStatus, name="RefundStatus")


class RefundType(DjangoObjectType):
    class Meta:
        model = Refund
        name = "Refund"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "amount", "includes_shipping", "reason", "created_at")

    status = graphene.Field(RefundStatusEnum, required=True)
    lines = graphene.List(graphene.NonNull("shop.graphql.order_types.OrderLineType"), required=True)

    @classmethod
    def get_node(cls, info, id):
        return None  # reached through its payment

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_lines(root, info):
        return root.lines.all()


class PaymentType(DjangoObjectType):
    """Seen only through an order its viewer may see."""

    class Meta:
        model = Payment
        name = "Payment"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "amount", "currency", "refunded_amount", "failure_message", "succeeded_at")

    gateway = graphene.Field(PaymentMethodEnum, required=True)
    status = graphene.Field(PaymentStatusEnum, required=True)
    client_secret = graphene.String(
        description="Stripe only: what the shopper's app confirms the PaymentIntent with. Null once paid."
    )
    refunds = graphene.List(graphene.NonNull(RefundType), required=True)

    @classmethod
    def get_node(cls, info, id):
        return None  # reached through its order

    @staticmethod
    def resolve_gateway(root, info):
        return root.gateway

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_client_secret(root, info):
        return shopper_payments.client_secret(root)

    @staticmethod
    def resolve_refunds(root, info):
        return root.refunds.all()
