"""Query limits, checked before anything runs: size (in the view), then depth and cost.

Depth counts nested fields along the deepest path.

Cost estimates the work a query can cause. Every field costs its multiplier (how many times it can
be resolved). A connection multiplies what is under it by `first`/`last` (the cap of 100 when the
argument is a variable or absent; its `edges` are counted by that); a plain list of objects by
`LIST_ESTIMATE`. A root field costs
at least `ROOT_FIELD_COST`, because each is its own trip to the database: a lookup aliased a
thousand times must not be cheap. Cost is linear in the multiplier, so each fragment is costed once
and reused, and fragments spreading each other many times stay linear to check.
"""

from django.conf import settings
from graphql import GraphQLError, get_named_type, get_nullable_type, is_list_type, is_object_type
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, IntValueNode
from graphql.validation import ValidationRule

LIST_ESTIMATE = 10  # products have at most 20 variants and 8 photos, most have one to three
ROOT_FIELD_COST = 1000


class QueryDepth:
    """How deeply fields nest, fragments included (introspection fields, like GraphiQL's schema
    query, are not counted). Each fragment is measured once: graphene's own depth validator
    expands fragments afresh at every spread, exponential in fragments that spread each other."""

    def __init__(self, fragments):
        self.fragments = fragments
        self.memo: dict[str, int] = {}

    def of(self, selection_set, seen=frozenset()) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                deepest = max(deepest, 1 + self.of(selection.selection_set, seen) if selection.selection_set else 0)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.of(selection.selection_set, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    if name not in self.memo:
                        self.memo[name] = self.of(self.fragments[name].selection_set, seen | {name})
                    deepest = max(deepest, self.memo[name])
        return deepest


class QueryCost:
    def __init__(self, schema, fragments, cap: int):
        self.schema, self.fragments, self.cap = schema, fragments, cap
        self.memo: dict[tuple[str, bool], int] = {}

    def operation(self, operation) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self._selection(root, operation.selection_set, frozenset(), is_root=True)

    def _selection(self, parent_type, selection_set, seen, is_root: bool) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                cost = self._field(parent_type, selection, seen)
                total += max(ROOT_FIELD_COST, cost) if is_root else cost
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                fragment_type = self.schema.get_type(condition.name.value) if condition else parent_type
                total += self._selection(fragment_type, selection.selection_set, seen, is_root)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, seen, is_root)
        return total

    def _fragment(self, name: str, seen, is_root: bool) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:
            return 0  # unknown fragments and cycles are the specification rules' to report
        key = (name, is_root)
        if key not in self.memo:
            fragment_type = self.schema.get_type(fragment.type_condition.name.value)
            self.memo[key] = self._selection(fragment_type, fragment.selection_set, seen | {name}, is_root)
        return self.memo[key]

    def _field(self, parent_type, field: FieldNode, seen) -> int:
        field_def = getattr(parent_type, "fields", {}).get(field.name.value)
        if field_def is None or field.selection_set is None:
            return 1
        child_type = get_named_type(field_def.type)
        multiplier = 1 if parent_type.name.endswith("Connection") else self._multiplier(field, field_def, child_type)
        return 1 + multiplier * self._selection(child_type, field.selection_set, seen, is_root=False)

    def _multiplier(self, field: FieldNode, field_def, child_type) -> int:
        if child_type.name.endswith("Connection"):
            for argument in field.arguments or ():
                if argument.name.value in ("first", "last"):
                    if isinstance(argument.value, IntValueNode):
                        return max(1, min(int(argument.value.value), self.cap))
                    return self.cap
            return self.cap
        if is_list_type(get_nullable_type(field_def.type)) and is_object_type(child_type):
            return LIST_ESTIMATE
        return 1


def most_repeated_selection(document) -> tuple[str, int, object] | None:
    """The selection made most often in one place, with its count and a node: a field by its
    response name (`name`), or fragment spreads, all counted together (`...`); inline fragments
    count toward the selection set they are in. Linear in the document: each selection is counted
    once. The specification's overlapping-fields rule compares every pair of same-named fields,
    and every pair of fragments spread in one place, so 2,000 of either cost seconds of validation;
    this scan finds them first."""
    worst = None
    for definition in document.definitions:
        roots = [getattr(definition, "selection_set", None)]
        while roots:
            counts, nodes, pending = {}, {}, [roots.pop()]
            while pending:
                selection_set = pending.pop()
                for selection in selection_set.selections if selection_set else ():
                    if isinstance(selection, InlineFragmentNode):
                        pending.append(selection.selection_set)
                        continue
                    key = "..."
                    if isinstance(selection, FieldNode):
                        key = (selection.alias or selection.name).value
                        if selection.selection_set is not None:
                            roots.append(selection.selection_set)
                    counts[key] = counts.get(key, 0) + 1
                    nodes.setdefault(key, selection)
            for key, count in counts.items():
                if worst is None or count > worst[1]:
                    worst = (key, count, nodes[key])
    return worst


def limits_validator(max_depth: int, max_cost: int, cap: int):
    class QueryLimitsRule(ValidationRule):
        def enter_document(self, document, *_args):
            fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
            depth, cost = QueryDepth(fragments), QueryCost(self.context.schema, fragments, cap)
            for definition in document.definitions:
                if definition.kind != "operation_definition":
                    continue
                deepest = depth.of(definition.selection_set)
                if deepest > max_depth:
                    self.refuse(
                        definition,
                        "QUERY_TOO_DEEP",
                        deepest,
                        max_depth,
                        f"The query nests {deepest} levels deep, more than the limit of {max_depth}.",
                    )
                    continue
                total = cost.operation(definition)
                if total > max_cost:
                    self.refuse(
                        definition,
                        "QUERY_TOO_COSTLY",
                        total,
                        max_cost,
                        f"The query costs {total}, more than the limit of {max_cost}; ask for fewer objects.",
                    )

        def refuse(self, node, code: str, measured: int, limit: int, message: str):
            self.report_error(
                GraphQLError(message, node, extensions={"code": code, "measured": measured, "limit": limit})
            )

    return QueryLimitsRule


def limit_rules(max_depth: int, max_cost: int):
    """Run only on documents that passed the specification's rules (which reject fragment cycles)."""
    return (limits_validator(max_depth, max_cost, settings.GRAPHENE["RELAY_CONNECTION_MAX_LIMIT"]),)
