"""Query limits: depth, and a cost that multiplies by each connection's page size.

A query's cost is the number of objects it can ask for at most: each field costs its parent's
multiplier, and a connection multiplies what is under it by `first`/`last` (the connection cap when
the argument is a variable or missing). Both run before execution, so an abusive query costs
nothing but its parse.
"""

from django.conf import settings
from graphene.validation import depth_limit_validator
from graphql import GraphQLError, get_named_type
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, IntValueNode
from graphql.validation import ValidationRule, specified_rules


def query_cost(schema, operation, fragments, cap: int) -> int:
    root = schema.get_root_type(operation.operation)
    return _selection_cost(schema, root, operation.selection_set, fragments, 1, cap, set())


def _selection_cost(schema, parent_type, selection_set, fragments, multiplier, cap, seen) -> int:
    if selection_set is None or parent_type is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += multiplier
            fields = getattr(parent_type, "fields", {})
            field_def = fields.get(selection.name.value)
            if field_def is None:
                continue
            child_type = get_named_type(field_def.type)
            child_multiplier = multiplier * _page_size(selection, child_type, cap)
            total += _selection_cost(
                schema, child_type, selection.selection_set, fragments, child_multiplier, cap, seen
            )
        elif isinstance(selection, InlineFragmentNode):
            fragment_type = (
                schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent_type
            )
            total += _selection_cost(schema, fragment_type, selection.selection_set, fragments, multiplier, cap, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            fragment_type = schema.get_type(fragment.type_condition.name.value)
            total += _selection_cost(
                schema, fragment_type, fragment.selection_set, fragments, multiplier, cap, seen | {name}
            )
    return total


def _page_size(field: FieldNode, child_type, cap: int) -> int:
    if not child_type.name.endswith("Connection"):
        return 1
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), cap))
            return cap
    return cap


def cost_limit_validator(max_cost: int, cap: int):
    class CostLimitRule(ValidationRule):
        def enter_document(self, document, *_args):
            fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
            for definition in document.definitions:
                if definition.kind != "operation_definition":
                    continue
                cost = query_cost(self.context.schema, definition, fragments, cap)
                if cost > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"The query costs {cost}, more than the limit of {max_cost}; ask for fewer objects.",
                            definition,
                            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
                        )
                    )

    return CostLimitRule


def validation_rules():
    cap = settings.GRAPHENE["RELAY_CONNECTION_MAX_LIMIT"]
    return (
        *specified_rules,
        depth_limit_validator(max_depth=settings.GRAPHQL_MAX_DEPTH),
        cost_limit_validator(settings.GRAPHQL_MAX_COST, cap),
    )
