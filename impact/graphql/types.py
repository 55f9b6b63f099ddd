"""Impact figures in the API: one field per figure of `impact.figures.FIGURES` (money and ratios
as ExactDecimal strings, counts as Int), the series over the period, a row per village, and the
figures' definitions with their IRIS+ codes."""

import types as pytypes
import typing
from dataclasses import fields

import graphene

from core.graphql.scalars import ExactDecimal
from farmers.graphql.types import VillageType

from ..figures import FIGURES, Figures

ImpactScopeKind = graphene.Enum(
    "ImpactScopeKind",
    [("VILLAGE", "village"), ("COUNTY", "county"), ("PROVINCE", "province"), ("NGO", "ngo"), ("ALL", "all")],
    description="What an impact report adds up: one village, a county's, a province's or an NGO's villages, or all.",
)


class ImpactScope(graphene.InputObjectType):
    kind = ImpactScopeKind(required=True)
    id = graphene.ID(description="The Village, County, Province or NGO's global ID; none for ALL.")


def _optional(field) -> bool:
    hint = field.type if not isinstance(field.type, str) else eval(field.type, vars(typing))  # noqa: S307 - our own annotations
    return isinstance(hint, pytypes.UnionType) and type(None) in hint.__args__


def _figure_field(field):
    definition = FIGURES[field.name]
    scalar = graphene.Int if definition.unit == "count" else ExactDecimal
    description = definition.definition + (f" IRIS+ {definition.iris}." if definition.iris else "")
    return scalar(required=not _optional(field), description=description)


ImpactFigures = type(
    "ImpactFigures",
    (graphene.ObjectType,),
    {
        "__doc__": "The figures of a set of villages over a period. Money in CNY to the fen; ratios to 4 places.",
        **{field.name: _figure_field(field) for field in fields(Figures)},
    },
)


class ImpactFigureDefinition(graphene.ObjectType):
    key = graphene.String(required=True, description="The figure's field name in ImpactFigures (snake_case).")
    label = graphene.String(required=True, description="Its name in the request's language.")
    unit = graphene.String(required=True, description="money | count | ratio")
    iris_code = graphene.String(description="The IRIS+ metric it reports (PI7852), if any.")
    definition = graphene.String(required=True)

    @staticmethod
    def resolve_label(root, info):
        return str(root.label)

    @staticmethod
    def resolve_iris_code(root, info):
        return root.iris or None


class ImpactPoint(graphene.ObjectType):
    period = graphene.String(required=True, description="The point's period, as `period` arguments take it.")
    label = graphene.String(required=True)
    start = graphene.Date(required=True)
    end = graphene.Date(required=True, description="Inclusive.")
    figures = graphene.Field(ImpactFigures, required=True)


class VillageImpact(graphene.ObjectType):
    village = graphene.Field(VillageType, required=True)
    figures = graphene.Field(ImpactFigures, required=True)


class ImpactReport(graphene.ObjectType):
    period = graphene.String(required=True)
    period_label = graphene.String(required=True)
    figures = graphene.Field(ImpactFigures, required=True, description="The whole scope over the whole period.")
    series = graphene.List(
        graphene.NonNull(ImpactPoint), required=True, description="Day by day or month by month over the period."
    )
    villages = graphene.List(
        graphene.NonNull(VillageImpact), required=True, description="Each village of the scope on its own."
    )
    definitions = graphene.List(graphene.NonNull(ImpactFigureDefinition), required=True)
