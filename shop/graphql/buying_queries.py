"""Queries of buying: a checkout, orders, the signed-in user's own, and a seller's parcels."""

import graphene
from django.core.exceptions import PermissionDenied, ValidationError

from core.graphql.connection import ConnectionField
from core.graphql.fields import graphql_error, node_or_error
from core.permissions import authenticated

from .. import checkout as checkout_service
from .. import permissions
from ..shipping import active_methods
from .checkout_mutations import decode_checkout_id
from .checkout_types import CheckoutType, ShippingMethodType
from .order_types import FulfilmentStatusEnum, FulfilmentType, OrderType


class MeType(graphene.ObjectType):
    """The signed-in user's own checkouts and orders."""

    class Meta:
        name = "Me"

    email = graphene.String(required=True)
    checkouts = graphene.List(graphene.NonNull(CheckoutType), required=True, description="Open checkouts.")
    orders = ConnectionField(OrderType)

    @staticmethod
    def resolve_email(root, info):
        return root.email

    @staticmethod
    def resolve_checkouts(root, info):
        return checkout_service.open_checkouts(root).select_related("shipping_method")

    @staticmethod
    def resolve_orders(root, info, **_page):
        return permissions.orders_of(root)


class BuyingQueries(graphene.ObjectType):
    checkout = graphene.Field(CheckoutType, id=graphene.ID(required=True))
    order = graphene.Field(OrderType, id=graphene.ID(required=True), description="Your order (operators: any).")
    me = graphene.Field(MeType, description="Null when not signed in.")
    fulfilments_to_ship = ConnectionField(
        FulfilmentType,
        status=FulfilmentStatusEnum(),
        description="Parcels you ship as a farmer or cooperative manager, newest first.",
    )
    shipping_methods = graphene.List(graphene.NonNull(ShippingMethodType), required=True)

    @staticmethod
    def resolve_checkout(root, info, id):
        try:
            return checkout_service.checkout_for(info.context.user, decode_checkout_id(id))
        except (ValidationError, PermissionDenied) as error:
            raise graphql_error(error, "id") from None

    @staticmethod
    def resolve_order(root, info, id):
        return node_or_error(info, id, OrderType, "id")

    @staticmethod
    def resolve_me(root, info):
        user = info.context.user
        return user if authenticated(user) else None

    @staticmethod
    def resolve_fulfilments_to_ship(root, info, status=None, **_page):
        parcels = (
            permissions.fulfilments_to_ship(info.context.user)
            .select_related("order")
            .order_by("-order__created_at", "-id")
        )
        if status is not None:
            parcels = parcels.filter(status=status.value)  # graphene 3 passes enum members
        return parcels

    @staticmethod
    def resolve_shipping_methods(root, info):
        return active_methods()
