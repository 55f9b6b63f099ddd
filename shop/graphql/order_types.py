import graphene
from graphene_django import DjangoObjectType

from core.graphql.connection import CountableConnection
from payments.graphql.types import PaymentMethodEnum

from .. import permissions
from ..models import Fulfilment, FulfilmentStatus, Order, OrderLine, OrderStatus
from .address import AddressType, address_of

OrderStatusEnum = graphene.Enum.from_enum(OrderStatus, name="OrderStatus")
FulfilmentStatusEnum = graphene.Enum.from_enum(FulfilmentStatus, name="FulfilmentStatus")


class OrderLineType(DjangoObjectType):
    """What was bought, as it was when bought: name, unit, price, seller and village are copies."""

    class Meta:
        model = OrderLine
        name = "OrderLine"
        interfaces = (graphene.relay.Node,)
        fields = (
            "id",
            "product_name",
            "variant_name",
            "sku",
            "unit_price",
            "quantity",
            "seller_name",
            "village_name",
            "refunded_at",
        )

    total_price = graphene.Decimal(required=True)

    @classmethod
    def get_node(cls, info, id):
        return None  # reached through its order

    @staticmethod
    def resolve_total_price(root, info):
        return root.total


class FulfilmentType(DjangoObjectType):
    """One seller's parcel. Its seller sees the delivery address, which they need to ship it."""

    class Meta:
        model = Fulfilment
        name = "Fulfilment"
        interfaces = (graphene.relay.Node,)
        fields = (
            "id",
            "seller_name",
            "village",
            "carrier",
            "tracking_number",
            "shipped_at",
            "delivered_at",
            "subtotal",
            "shipping_price",
            "shipping_method_name",
            "weight_kg",
        )
        connection_class = CountableConnection

    status = graphene.Field(FulfilmentStatusEnum, required=True)
    order_number = graphene.String(required=True)
    order_status = graphene.Field(OrderStatusEnum, required=True)
    is_paid = graphene.Boolean(required=True)
    payment_method = graphene.Field(PaymentMethodEnum, required=True)
    shipping_address = graphene.Field(AddressType, required=True)
    lines = graphene.List(graphene.NonNull(OrderLineType), required=True)

    @classmethod
    def get_node(cls, info, id):
        fulfilment = (
            Fulfilment.objects.select_related("order", "farmer__cooperative", "cooperative").filter(pk=id).first()
        )
        user = info.context.user
        if fulfilment and (
            permissions.can_ship(user, fulfilment) or permissions.can_manage_order(user, fulfilment.order)
        ):
            return fulfilment
        return None

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_order_number(root, info):
        return root.order.number

    @staticmethod
    def resolve_order_status(root, info):
        return root.order.status

    @staticmethod
    def resolve_is_paid(root, info):
        return root.order.paid_at is not None

    @staticmethod
    def resolve_payment_method(root, info):
        return root.order.payment_method

    @staticmethod
    def resolve_shipping_address(root, info):
        return address_of(root.order)

    @staticmethod
    def resolve_lines(root, info):
        return root.lines.all()


class OrderType(DjangoObjectType):
    class Meta:
        model = Order
        name = "Order"
        interfaces = (graphene.relay.Node,)
        fields = (
            "id",
            "email",
            "shipping_method_name",
            "currency",
            "subtotal",
            "shipping_total",
            "total",
            "created_at",
            "paid_at",
            "cancelled_at",
        )
        connection_class = CountableConnection

    number = graphene.String(required=True)
    status = graphene.Field(OrderStatusEnum, required=True)
    payment_method = graphene.Field(PaymentMethodEnum, required=True)
    shipping_address = graphene.Field(AddressType, required=True)
    lines = graphene.List(graphene.NonNull(OrderLineType), required=True)
    fulfilments = graphene.List(graphene.NonNull(FulfilmentType), required=True)
    payment = graphene.Field("payments.graphql.types.PaymentType")

    @classmethod
    def get_node(cls, info, id):
        order = Order.objects.filter(pk=id).first()
        return order if order and permissions.can_manage_order(info.context.user, order) else None

    @staticmethod
    def resolve_status(root, info):
        return root.status

    @staticmethod
    def resolve_payment_method(root, info):
        return root.payment_method

    @staticmethod
    def resolve_shipping_address(root, info):
        return address_of(root)

    @staticmethod
    def resolve_lines(root, info):
        return root.lines.all()

    @staticmethod
    def resolve_fulfilments(root, info):
        return root.fulfilments.all()

    @staticmethod
    def resolve_payment(root, info):
        from payments.models import Payment

        return Payment.objects.filter(order=root).first()
