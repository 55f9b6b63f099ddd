"""Operators' payment actions on an order: confirm money received offline, refund. They live
with the orders (shop sits above payments) and call the payments services."""

import graphene

from core.graphql.ids import get_by_global_id
from core.graphql.mutations import BaseMutation
from core.permissions import staff
from payments import shopper_payments
from payments.graphql.errors import PaymentError, PaymentErrorCode
from payments.graphql.types import RefundType
from payments.models import Payment

from ..models import Order, OrderLine
from .order_types import OrderType


class PaymentMutation(BaseMutation):
    class Meta:
        abstract = True

    _error_type = PaymentError
    _code_enum = PaymentErrorCode
    _permission_check = staticmethod(staff)


def _payment_of(order_id) -> Payment:
    order = get_by_global_id(Order.objects.select_related("payment"), order_id, "Order", "id")
    return order.payment


class OrderPaymentConfirm(PaymentMutation):
    """Cash on delivery or bank transfer: the money has arrived."""

    order = graphene.Field(OrderType)

    class Arguments:
        id = graphene.ID(required=True, description="The order.")
        reference = graphene.String(description="Bank transfer reference or receipt number.")

    @classmethod
    def perform_mutation(cls, root, info, id, reference=""):
        payment = shopper_payments.confirm_offline_payment(info.context.user, _payment_of(id), reference or "")
        return cls(order=payment.order, errors=[])


class OrderRefund(PaymentMutation):
    """Refund chosen lines, or with no lines everything not yet refunded (shipping included)."""

    refund = graphene.Field(RefundType)
    order = graphene.Field(OrderType)
    _atomic = False  # the gateway is called between two transactions of the service

    class Meta:
        error_fields = {"lines": "linesIds"}

    class Arguments:
        id = graphene.ID(required=True, description="The order.")
        lines_ids = graphene.List(graphene.NonNull(graphene.ID))
        reason = graphene.String()

    @classmethod
    def perform_mutation(cls, root, info, id, lines_ids=None, reason=""):
        payment = _payment_of(id)
        lines = None
        if lines_ids is not None:
            lines = [get_by_global_id(OrderLine.objects.all(), line, "OrderLine", "linesIds") for line in lines_ids]
        refund = shopper_payments.refund_payment(info.context.user, payment, lines, reason or "")
        return cls(refund=refund, order=Order.objects.get(pk=payment.order_id), errors=[])


class PaymentMutations(graphene.ObjectType):
    order_payment_confirm = OrderPaymentConfirm.Field()
    order_refund = OrderRefund.Field()
