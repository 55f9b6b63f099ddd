"""Payouts: operators see all, a farmer their own, a cooperative manager their cooperative's, NGO
staff those of sellers in the villages they cover (payments.permissions.payouts_visible_to)."""

import graphene

from core.graphql.connection import ConnectionField

from ..permissions import payouts_visible_to
from .payout_types import PayoutStatusEnum, PayoutType, with_payout_relations


class PayoutQueries(graphene.ObjectType):
    payouts = ConnectionField(
        PayoutType,
        status=PayoutStatusEnum(description="Only payouts in this state."),
        description=(
            "Payouts you may see, newest first: operators all; a farmer their own; a cooperative manager "
            "the cooperative's; NGO staff those of sellers in the villages their NGO covers."
        ),
    )

    @staticmethod
    def resolve_payouts(root, info, status=None, **_page):
        payouts = payouts_visible_to(info.context.user)
        if status is not None:
            payouts = payouts.filter(status=getattr(status, "value", status))
        return with_payout_relations(payouts.order_by("-created_at", "-id"))
