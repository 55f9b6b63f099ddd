"""`villageImpact` and `impactReport`: the dashboard's figures, with its visibility (operators see
every village, NGO staff their NGOs' villages, others nothing: PERMISSION_DENIED). A village or
scope outside what the viewer may see is NOT_FOUND, like one that does not exist; a bad period is
an error on the field "period" (INVALID_PERIOD), never a 500."""

import graphene
from django.core.exceptions import PermissionDenied, ValidationError
from graphql import GraphQLError

from core.graphql.fields import decode_node_id, graphql_error
from core.graphql.ids import parse_global_id
from farmers.graphql.types import CountyType, ProvinceType, VillageType

from ..figures import FIGURES, figures, per_village, series, villages_of
from ..periods import parse_period
from ..permissions import check_may_see_impact, villages_visible_to
from .types import ImpactReport, ImpactScope

SCOPE_TYPES = {"village": VillageType, "county": CountyType, "province": ProvinceType}


def _period(text):
    try:
        return parse_period(text)
    except ValidationError as error:
        raise graphql_error(error, "period") from None


def _not_found(field: str) -> GraphQLError:
    return GraphQLError("No such villages you may see.", extensions={"code": "NOT_FOUND", "field": field})


def _scope_pk(kind: str, global_id) -> int | None:
    if kind == "all":
        return None
    if global_id is None:
        raise GraphQLError("Give the scope's id.", extensions={"code": "REQUIRED", "field": "scope"})
    if kind == "ngo":
        parsed = parse_global_id(global_id)
        if parsed is None or parsed[0] != "NGO":
            raise GraphQLError(
                f"{global_id!r} is not a valid NGO ID.", extensions={"code": "INVALID_ID", "field": "scope"}
            )
        return parsed[1]
    return decode_node_id(global_id, SCOPE_TYPES[kind], "scope")


def report(user, village_ids: list[int], period) -> dict:
    return {
        "period": str(period),
        "period_label": period.label,
        "figures": figures(village_ids, period),
        "series": [
            {"period": str(point), "label": point.label, "start": point.start, "end": point.end, "figures": values}
            for point, values in series(village_ids, period)
        ],
        "villages": [
            {"village": village, "figures": values}
            for village, values in _with_villages(per_village(village_ids, period))
        ],
        "definitions": list(FIGURES.values()),
    }


def _with_villages(by_village: dict):
    from farmers.models import Village

    villages = Village.objects.select_related("county__province").in_bulk(list(by_village))
    return [(villages[pk], values) for pk, values in sorted(by_village.items())]


def _visible(info):
    try:
        check_may_see_impact(info.context.user)
    except PermissionDenied:
        raise graphql_error(PermissionDenied("Only NGO staff and operators see impact figures."), "") from None
    return villages_visible_to(info.context.user)


class ImpactQueries(graphene.ObjectType):
    village_impact = graphene.Field(
        ImpactReport,
        village_id=graphene.ID(required=True),
        period=graphene.String(required=True, description="2026-03, 2026-Q1, 2026 or 2026-01-05..2026-02-10."),
        description="A village's figures, if you work for an NGO that covers it (operators: any village).",
    )
    impact_report = graphene.Field(
        ImpactReport,
        scope=ImpactScope(required=True),
        period=graphene.String(required=True, description="2026-03, 2026-Q1, 2026 or 2026-01-05..2026-02-10."),
        description="The figures of a scope's villages that you may see, added up, by point and by village.",
    )

    @staticmethod
    def resolve_village_impact(root, info, village_id, period):
        visible = _visible(info)
        pk = decode_node_id(village_id, VillageType, "villageId")
        period = _period(period)
        if not visible.filter(pk=pk).exists():
            raise _not_found("villageId")
        return report(info.context.user, [pk], period)

    @staticmethod
    def resolve_impact_report(root, info, scope, period):
        visible = _visible(info)
        kind = getattr(scope.kind, "value", scope.kind)
        pk = _scope_pk(kind, scope.get("id"))
        period = _period(period)
        ids = list(visible.filter(pk__in=villages_of((kind, pk))).order_by("pk").values_list("pk", flat=True))
        if not ids and kind != "all":
            raise _not_found("scope")
        return report(info.context.user, ids, period)
