"""`myEarnings`: the statement of the logged-in farmer, or of a cooperative they manage (or one of
its members), with the same rules as the earnings page (shop.permissions.can_see_earnings)."""

from dataclasses import dataclass
from functools import cached_property

import graphene
from django.core.exceptions import PermissionDenied
from graphql import GraphQLError

from core.graphql.fields import graphql_error
from core.graphql.ids import parse_global_id
from farmers.models import Cooperative, Farmer

from .. import earnings, permissions
from .earnings_types import EarningsStatementType


@dataclass
class Statement:
    seller: object
    period: earnings.Period

    @cached_property
    def balance(self) -> earnings.Balance:
        return earnings.balance(self.seller)


class EarningsQueries(graphene.ObjectType):
    my_earnings = graphene.Field(
        EarningsStatementType,
        seller_id=graphene.ID(
            description="A Farmer or Cooperative you act for (default: your own farmer, else your first cooperative)."
        ),
        since=graphene.Date(description="Sales of orders paid on or after this day (Asia/Shanghai)."),
        until=graphene.Date(description="…and on or before this day."),
        description="Your earnings statement. Null when you sell nothing.",
    )

    @staticmethod
    def resolve_my_earnings(root, info, seller_id=None, since=None, until=None):
        user = info.context.user
        if seller_id is None:
            sellers = permissions.statement_sellers(user)
            seller = sellers[0] if sellers else None
        else:
            seller = _seller(seller_id)
            if not permissions.can_see_earnings(user, seller):
                raise graphql_error(PermissionDenied("You may not see this seller's earnings."), "sellerId")
        if seller is None:
            return None
        if since and until and since > until:
            raise GraphQLError("`since` is after `until`.", extensions={"code": "INVALID", "field": "since"})
        return Statement(seller=seller, period=earnings.Period(since, until))


def _seller(global_id: str):
    parsed = parse_global_id(global_id)
    model = {"Farmer": Farmer, "Cooperative": Cooperative}.get(parsed[0]) if parsed else None
    seller = model.objects.filter(pk=parsed[1]).first() if model is not None else None
    if seller is None:
        raise GraphQLError(
            f"{global_id!r} is not a Farmer or Cooperative ID.", extensions={"code": "INVALID_ID", "field": "sellerId"}
        )
    return seller
