"""The executor's short road for attribute-backed fields answers exactly as graphql-core's own."""

import graphene
import pytest
from graphql import ExecutionContext, execute, parse

from core.graphql import execution
from core.graphql.execution import PlainFieldsExecutionContext


class Thing:
    """Plain attributes, a property that fails, and values the schema's scalars must refuse."""

    def __init__(self, pk, name, count, note=None):
        self.pk, self.name, self.count, self.note = pk, name, count, note

    @property
    def broken(self):
        raise RuntimeError("boom")


class ThingType(graphene.ObjectType):
    name = graphene.String(required=True)
    count = graphene.Int(required=True)
    note = graphene.String()
    broken = graphene.String()
    shout = graphene.String()

    @staticmethod
    def resolve_shout(root, info):
        return "好"


class Query(graphene.ObjectType):
    things = graphene.List(ThingType)
    first = graphene.Field(ThingType)

    @staticmethod
    def resolve_things(root, info):
        return [Thing(1, "橙子", 3, note="甜"), Thing(2, "茶叶", 5), {"name": "蜂蜜", "count": 7}]

    @staticmethod
    def resolve_first(root, info):
        return Thing(3, None, "many")  # a null name and a count that is not an Int: both errors


SCHEMA = graphene.Schema(query=Query).graphql_schema


def run(query, context_class):
    result = execute(SCHEMA, parse(query), execution_context_class=context_class)
    errors = sorted((error.message, tuple(error.path)) for error in result.errors or ())
    return result.data, errors


@pytest.mark.parametrize(
    "query",
    [
        "{ things { name count note shout } }",
        "{ things { broken name } }",
        "{ first { note } }",
        "{ first { name } }",
        "{ first { count } }",
        "{ things { __typename name } first { note broken } }",
    ],
)
def test_same_data_and_errors_as_graphql_core(query):
    assert run(query, PlainFieldsExecutionContext) == run(query, ExecutionContext)


def test_attribute_fields_skip_graphql_cores_field_machinery(monkeypatch):
    """The point of the short road: plain fields never reach graphql-core's `execute_field`."""
    reached = []
    usual = ExecutionContext.execute_field

    def counting(self, parent_type, source, field_nodes, path):
        reached.append(f"{parent_type.name}.{field_nodes[0].name.value}")
        return usual(self, parent_type, source, field_nodes, path)

    monkeypatch.setattr(ExecutionContext, "execute_field", counting)
    data, errors = run("{ things { name count note shout } }", PlainFieldsExecutionContext)

    assert errors == []
    assert data["things"][0] == {"name": "橙子", "count": 3, "note": "甜", "shout": "好"}
    # Only the root list and the field with a resolver of its own take the usual way.
    assert sorted(set(reached)) == ["Query.things", "ThingType.shout"]


def test_middleware_turns_the_short_road_off():
    seen = []

    def middleware(next_, root, info, **args):
        seen.append(info.field_name)
        return next_(root, info, **args)

    result = execute(
        SCHEMA,
        parse("{ things { name } }"),
        middleware=[middleware],
        execution_context_class=PlainFieldsExecutionContext,
    )

    assert result.errors is None
    assert seen.count("name") == 3


def test_the_graphql_view_runs_with_the_short_road(monkeypatch, client):
    used = []
    monkeypatch.setattr(
        execution.PlainFieldsExecutionContext,
        "__init__",
        lambda self, *args, **kwargs: used.append(True) or ExecutionContext.__init__(self, *args, **kwargs),
    )

    response = client.post("/graphql/", {"query": "{ __typename }"}, content_type="application/json")

    assert response.json() == {"data": {"__typename": "Query"}}
    assert used == [True]
