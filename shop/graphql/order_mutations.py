"""Orders after checkout: sellers ship and deliver their parcels; shoppers and operators cancel."""

import graphene

from core.graphql.ids import get_by_global_id
from core.graphql.mutations import BaseMutation
from core.permissions import authenticated

from .. import orders
from ..models import Fulfilment, Order
from .errors import OrderError, OrderErrorCode
from .order_types import FulfilmentType, OrderType


def _fulfilment(global_id):
    queryset = Fulfilment.objects.select_related("order", "farmer__cooperative", "cooperative")
    return get_by_global_id(queryset, global_id, "Fulfilment", "id")


class OrderMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = OrderError
    _code_enum = OrderErrorCode
    _permission_check = staticmethod(authenticated)


class FulfilmentShipInput(graphene.InputObjectType):
    carrier = graphene.String(required=True, description="e.g. 中国邮政, 顺丰.")
    tracking_number = graphene.String(required=True)


class FulfilmentShip(OrderMutation):
    fulfilment = graphene.Field(FulfilmentType)

    class Arguments:
        id = graphene.ID(required=True)
        input = FulfilmentShipInput(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id, input):
        fulfilment = orders.ship_fulfilment(
            info.context.user, _fulfilment(id), input["carrier"], input["tracking_number"]
        )
        return cls(fulfilment=fulfilment, errors=[])


class FulfilmentDeliver(OrderMutation):
    fulfilment = graphene.Field(FulfilmentType)

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        return cls(fulfilment=orders.deliver_fulfilment(info.context.user, _fulfilment(id)), errors=[])


class OrderCancel(OrderMutation):
    """Before anything ships. Returns the stock; a paid order is refunded in full."""

    order = graphene.Field(OrderType)
    _atomic = False  # the refund calls the payment gateway after the cancellation commits

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def perform_mutation(cls, root, info, id):
        order = get_by_global_id(Order.objects.all(), id, "Order", "id")
        return cls(order=orders.cancel_order(info.context.user, order), errors=[])


class OrderMutations(graphene.ObjectType):
    fulfilment_ship = FulfilmentShip.Field()
    fulfilment_deliver = FulfilmentDeliver.Field()
    order_cancel = OrderCancel.Field()
