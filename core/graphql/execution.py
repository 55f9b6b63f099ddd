"""Running a query: graphql-core's executor with a short road for the plainest fields.

A page of 100 products is ~3,700 fields, and most of them are a model attribute read by graphene's
default resolver (`name`, `price`, `stock`) or a Relay `id`. For each, graphql-core builds a
`GraphQLResolveInfo`, reads the (absent) arguments, calls the resolver through two partials, asks
twice whether the result is awaitable and walks `complete_value` down to the scalar: ~15 µs a
field, half a page's time. Here such a field reads the attribute and serializes it in one step.

Only fields whose resolver is graphene's own attribute reader (or the Relay `id` of a Django
type) take the short road, and only when no GraphQL middleware is configured: any field with a
resolver of its own (every permission check: `Farmer.phone`, a type's `get_node`) goes the usual
way. Anything unusual (an exception, a null where the schema forbids one, a value the scalar
refuses) goes back to graphql-core's own path, so errors are reported exactly as before.
"""

from functools import partial

from graphene.relay import GlobalID, Node
from graphene.types.resolver import attr_resolver, dict_or_attr_resolver, dict_resolver
from graphene_django import DjangoObjectType
from graphql import ExecutionContext, GraphQLLeafType, GraphQLNonNull, Undefined
from graphql.execution.execute import get_field_def
from graphql_relay import to_global_id

_ATTRIBUTE_READERS = (dict_or_attr_resolver, attr_resolver, dict_resolver)
_ATTRIBUTE, _GLOBAL_ID = 1, 2

# Kept on each field definition (they live as long as their schema): None for the usual way, or
# (kind, attribute, default, serialize, nullable).
_PLAN = "_shanhuo_plain_plan"


def _plan(field_def) -> tuple | None:
    resolve = field_def.resolve
    field_type = field_def.type
    nullable = not isinstance(field_type, GraphQLNonNull)
    named = field_type if nullable else field_type.of_type
    if not isinstance(named, GraphQLLeafType) or field_def.args or not isinstance(resolve, partial):
        return None
    if resolve.func in _ATTRIBUTE_READERS and len(resolve.args) == 2 and not resolve.keywords:
        attname, default = resolve.args
        return (_ATTRIBUTE, attname, default, named.serialize, nullable)
    if (
        resolve.func == GlobalID.id_resolver
        and resolve.args == (DjangoObjectType.resolve_id, Node)
        and resolve.keywords.get("parent_type_name") is None
    ):
        return (_GLOBAL_ID, None, None, named.serialize, nullable)
    return None


class PlainFieldsExecutionContext(ExecutionContext):
    """graphql-core's execution, with attribute-backed leaf fields resolved in one step."""

    def execute_field(self, parent_type, source, field_nodes, path):
        field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        middleware = self.middleware_manager
        if field_def is None or (middleware is not None and middleware.middlewares):
            return super().execute_field(parent_type, source, field_nodes, path)
        try:
            plan = field_def.__dict__[_PLAN]
        except KeyError:
            plan = _plan(field_def)
            setattr(field_def, _PLAN, plan)
        if plan is None:
            return super().execute_field(parent_type, source, field_nodes, path)
        kind, attname, default, serialize, nullable = plan
        try:
            if kind == _ATTRIBUTE:
                value = source.get(attname, default) if isinstance(source, dict) else getattr(source, attname, default)
            else:
                value = to_global_id(parent_type.name, source.pk)
            if value is None and nullable:
                return None
            serialized = None if value is None or isinstance(value, Exception) else serialize(value)
        except Exception:  # noqa: BLE001 - graphql-core's own path raises and reports it properly
            serialized = None
        if serialized is None or serialized is Undefined:
            return super().execute_field(parent_type, source, field_nodes, path)
        return serialized
