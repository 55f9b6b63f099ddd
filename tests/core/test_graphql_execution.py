"""The executor's short road for attribute-backed fields answers exactly as graphql-core's own."""

from functools import partial

import graphene
import pytest
from graphene.types.resolver import attr_resolver, dict_resolver
from graphene_django import DjangoObjectType
from graphql import ExecutionContext, execute, parse

from core.graphql import execution
from core.graphql.execution import PlainFieldsExecutionContext
from farmers.models import Farmer, Village


class Thing:
    """Plain attributes, a property that fails, and values the schema's scalars must refuse."""

    def __init__(self, pk, name, count, note=None, owner=None, keeper=None, friends=None):
        self.pk, self.name, self.count, self.note = pk, name, count, note
        self.owner, self.keeper, self.friends, self.maybe_friends = owner, keeper, friends, friends

    @property
    def broken(self):
        raise RuntimeError("boom")


class Owner(graphene.ObjectType):
    name = graphene.String(required=True)
    farmer = graphene.Field(lambda: FarmerNode)


class FarmerNode(DjangoObjectType):
    """graphene-django's type check (`is_type_of`): a Farmer, and nothing else, is one."""

    class Meta:
        model = Farmer
        fields = ("name",)
        skip_registry = True


class ThingType(graphene.ObjectType):
    name = graphene.String(required=True)
    count = graphene.Int(required=True)
    note = graphene.String()
    broken = graphene.String()
    shout = graphene.String()
    owner = graphene.Field(Owner)
    keeper = graphene.Field(Owner, required=True)
    friends = graphene.List(graphene.NonNull(lambda: ThingType))
    maybe_friends = graphene.List(lambda: ThingType)
    # graphene's other readers: an attribute even of a dict, a dict's item even of an object.
    label = graphene.String(resolver=partial(attr_resolver, "name", None))
    tag = graphene.String(resolver=partial(dict_resolver, "name", None))

    @staticmethod
    def resolve_shout(root, info):
        return "好"


class Query(graphene.ObjectType):
    things = graphene.List(ThingType)
    first = graphene.Field(ThingType)
    family = graphene.List(graphene.NonNull(ThingType), required=True)
    farmers = graphene.List(FarmerNode)

    @staticmethod
    def resolve_things(root, info):
        return [Thing(1, "橙子", 3, note="甜"), Thing(2, "茶叶", 5), {"name": "蜂蜜", "count": 7}]

    @staticmethod
    def resolve_family(root, info):
        """Objects in objects and lists of them: good ones, and each way one can go wrong inside."""
        good = Thing(4, "米", 1, owner={"name": "张"}, keeper={"name": "李", "farmer": Farmer(name="王")})
        nameless = {"name": None}  # a null for a non-null name, inside an object
        return [
            Thing(5, "茶", 2, owner=nameless, keeper={"name": "赵"}, friends=[good, None]),
            Thing(6, "笋", 3, owner={"name": "钱", "farmer": Village(name="村")}, keeper={"name": "孙"}),
            Thing(7, "蜜", 4, keeper=nameless, friends=[good]),
            good,
        ]

    @staticmethod
    def resolve_farmers(root, info):
        return [Farmer(name="王"), None, Village(name="村"), Farmer(name="李")]

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
        "{ family { name owner { name farmer { name } } keeper { name } } }",
        "{ family { name friends { name keeper { name } } maybeFriends { name owner { name } } } }",
        "{ things { name } family { maybeFriends { count } } }",
        "{ farmers { name } }",
        "{ things { label tag } }",
    ],
)
def test_same_data_and_errors_as_graphql_core(query):
    assert run(query, PlainFieldsExecutionContext) == run(query, ExecutionContext)


def test_the_cases_compared_go_wrong_where_they_should():
    """The comparisons above are worth something only if the short road meets the errors."""
    data, errors = run("{ family { name owner { name farmer { name } } keeper { name } } }", ExecutionContext)

    assert data is None  # the third's keeper has no name: null up to the required root list
    assert errors == [
        ("Cannot return null for non-nullable field Owner.name.", ("family", 0, "owner", "name")),
        ("Cannot return null for non-nullable field Owner.name.", ("family", 2, "keeper", "name")),
        ("Expected value of type 'FarmerNode' but got: <Village instance>.", ("family", 1, "owner", "farmer")),
    ]


@pytest.fixture
def reached(monkeypatch) -> list[str]:
    """The fields that reach graphql-core's own `execute_field`, as `Type.field`, in order."""
    seen = []
    usual = ExecutionContext.execute_field

    def counting(self, parent_type, source, field_nodes, path):
        seen.append(f"{parent_type.name}.{field_nodes[0].name.value}")
        return usual(self, parent_type, source, field_nodes, path)

    monkeypatch.setattr(ExecutionContext, "execute_field", counting)
    return seen


def test_objects_and_lists_of_them_skip_graphql_cores_field_machinery(reached):
    data, errors = run("{ farmers { name } family { name owner { name } } }", PlainFieldsExecutionContext)

    assert data["farmers"] == [{"name": "王"}, None, None, {"name": "李"}]
    assert [path for _message, path in errors] == [("family", 0, "owner", "name"), ("farmers", 2)]
    # Only the root fields, and the one owner whose name is null (reported by graphql-core).
    assert reached == ["Query.farmers", "Query.family", "Owner.name"]


def test_attribute_fields_skip_graphql_cores_field_machinery(reached):
    """The point of the short road: plain fields never reach graphql-core's `execute_field`."""
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
