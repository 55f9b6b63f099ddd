import graphene
from graphene_django import DjangoObjectType
from graphql_relay import to_global_id

from farmers.graphql.types import VillageType
from payments import gateways
from payments.graphql.types import PaymentMethodEnum

from .. import checkout as checkout_service
from ..models import Checkout, CheckoutLine, Order, ShippingMethod, ShippingRate
from ..shipping import active_methods
from .address import AddressType, address_of
from .types import VariantType


class ShippingRateType(DjangoObjectType):
    class Meta:
        model = ShippingRate
        name = "ShippingRate"
        fields = ("max_weight_kg", "price")


class ShippingMethodType(DjangoObjectType):
    class Meta:
        model = ShippingMethod
        name = "ShippingMethod"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "name", "extra_kg_price")

    rates = graphene.List(graphene.NonNull(ShippingRateType), required=True)

    @classmethod
    def get_node(cls, info, id):
        return ShippingMethod.objects.filter(pk=id, is_active=True).first()

    @staticmethod
    def resolve_rates(root, info):
        return root.rates.all()


class CheckoutLineType(DjangoObjectType):
    class Meta:
        model = CheckoutLine
        name = "CheckoutLine"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "quantity")

    variant = graphene.Field(VariantType, required=True)
    product_name = graphene.String(required=True)
    unit_price = graphene.Decimal(required=True)
    total_price = graphene.Decimal(required=True)

    @classmethod
    def get_node(cls, info, id):
        return None  # reached through its checkout only

    @staticmethod
    def resolve_product_name(root, info):
        return root.variant.product.name

    @staticmethod
    def resolve_unit_price(root, info):
        return root.variant.price

    @staticmethod
    def resolve_total_price(root, info):
        return root.variant.price * root.quantity


class CheckoutParcelType(graphene.ObjectType):
    """One seller's goods in the cart, shipped as one parcel and priced by its weight."""

    class Meta:
        name = "CheckoutParcel"

    seller_name = graphene.String(required=True)
    seller_id = graphene.ID(required=True, description="The Farmer's or Cooperative's ID: names the parcel.")
    village = graphene.Field(VillageType, required=True)
    lines = graphene.List(graphene.NonNull(CheckoutLineType), required=True)
    weight_kg = graphene.Decimal(required=True)
    subtotal = graphene.Decimal(required=True)
    shipping_price = graphene.Decimal(description="Null until a delivery method is chosen.")
    delivery_method = graphene.Field(
        ShippingMethodType,
        description="How this parcel travels: its own choice (made on the web), else the checkout's.",
    )

    @staticmethod
    def resolve_delivery_method(root, info):
        return root.method

    @staticmethod
    def resolve_seller_id(root, info):
        return to_global_id(type(root.seller).__name__, root.seller.pk)

    @staticmethod
    def resolve_seller_name(root, info):
        return root.seller.name

    @staticmethod
    def resolve_village(root, info):
        return root.lines[0].variant.product.village


def _totals(checkout):
    if not hasattr(checkout, "_totals"):
        checkout._totals = checkout_service.totals_of(checkout)
    return checkout._totals


class CheckoutType(DjangoObjectType):
    class Meta:
        model = Checkout
        name = "Checkout"
        interfaces = (graphene.relay.Node,)
        fields = ("id", "email", "created_at", "updated_at")

    lines = graphene.List(graphene.NonNull(CheckoutLineType), required=True)
    quantity = graphene.Int(required=True, description="Units in the cart.")
    parcels = graphene.List(graphene.NonNull(CheckoutParcelType), required=True)
    shipping_address = graphene.Field(AddressType)
    delivery_method = graphene.Field(ShippingMethodType)
    available_delivery_methods = graphene.List(graphene.NonNull(ShippingMethodType), required=True)
    available_payment_methods = graphene.List(
        graphene.NonNull(PaymentMethodEnum),
        required=True,
        description="The configured methods, best first for the asking browser: WeChat Pay first inside WeChat, "
        "Alipay first elsewhere, then card, then offline.",
    )
    subtotal_price = graphene.Decimal(required=True, description="Goods, CNY.")
    shipping_price = graphene.Decimal(description="All parcels, CNY; null until a delivery method is chosen.")
    total_price = graphene.Decimal(description="Goods and shipping, CNY; null until a delivery method is chosen.")
    is_completed = graphene.Boolean(required=True)
    order = graphene.Field("shop.graphql.order_types.OrderType", description="The order it became, once completed.")

    @classmethod
    def get_node(cls, info, id):
        return None  # reached with `checkout(id)`, which checks who asks

    @staticmethod
    def resolve_lines(root, info):
        return checkout_service.lines_of(root)

    @staticmethod
    def resolve_quantity(root, info):
        return sum(line.quantity for line in checkout_service.lines_of(root))

    @staticmethod
    def resolve_parcels(root, info):
        return _totals(root).parcels

    @staticmethod
    def resolve_shipping_address(root, info):
        return address_of(root)

    @staticmethod
    def resolve_delivery_method(root, info):
        return root.shipping_method

    @staticmethod
    def resolve_available_delivery_methods(root, info):
        return active_methods()

    @staticmethod
    def resolve_available_payment_methods(root, info):
        # Best first for the asking browser (WeChat Pay first inside WeChat), as the checkout page.
        return gateways.available(gateways.Device(user_agent=info.context.headers.get("User-Agent", "")))

    @staticmethod
    def resolve_subtotal_price(root, info):
        return _totals(root).subtotal

    @staticmethod
    def resolve_shipping_price(root, info):
        return _totals(root).shipping

    @staticmethod
    def resolve_total_price(root, info):
        return _totals(root).total

    @staticmethod
    def resolve_is_completed(root, info):
        return root.completed_at is not None

    @staticmethod
    def resolve_order(root, info):
        return Order.objects.filter(checkout_id=root.pk).first() if root.completed_at else None
