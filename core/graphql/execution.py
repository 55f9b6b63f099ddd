"""Running a query: graphql-core's executor with a short road for the plainest fields and objects.

A page of 100 products is ~3,700 fields in ~1,200 objects, and most fields are a model attribute
read by graphene's default resolver (`name`, `price`, `category`, `village`) or a Relay `id`. For
each, graphql-core builds a `GraphQLResolveInfo` and a `Path`, reads the (absent) arguments, calls
the resolver through two partials, asks twice whether the result is awaitable and walks
`complete_value` down to the scalar or object: ~15 µs a field, most of a page's time.

Here, per selection set, each field gets a plan once (kept on its field definition, which lives as
long as its schema), and an object's fields are filled in one loop:

- a leaf read by graphene's attribute reader (or the Relay `id` of a Django type) is read and
  serialized in one step;
- an object read by graphene's attribute reader (`product.category`) has its own fields filled the
  same way, after the check graphql-core makes (`is_type_of`) done by class: graphene-django's
  check says yes for an instance of the type's model class itself, and anything else (another
  class, a dict) takes the usual road;
- lists of objects (`edges`, `variants`) are completed item by item in a tight loop, with the
  same check.

Only fields whose resolver is graphene's own attribute reader take the short road, and only when
no GraphQL middleware is configured: a field with a resolver of its own (every permission check:
`Farmer.phone`, a type's `get_queryset`, `Product.variants`) or arguments goes through
graphql-core's `execute_field` as before. Anything unusual (an exception, a null where the schema
forbids one, a value the scalar refuses, an awaitable) goes back to graphql-core's own path, and
an error raised inside a short-road object is located and handled by graphql-core's own
`located_error` and `handle_field_error`, exactly as its `execute_field` would: the data and the
errors (messages, paths, null propagation) are the same as graphql-core's
(tests/core/test_graphql_execution.py compares both on every case).
"""

from asyncio import gather
from functools import cached_property, partial

from graphene.relay import GlobalID, Node
from graphene.types.resolver import attr_resolver, dict_or_attr_resolver
from graphene_django import DjangoObjectType
from graphql import (
    ExecutionContext,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    located_error,
)
from graphql.execution.execute import get_field_def
from graphql.pyutils import Path, is_iterable
from graphql_relay import to_global_id

# graphene's attribute readers: a dict's item or an attribute (the default), or an attribute only.
_ATTRIBUTE_READERS = (dict_or_attr_resolver, attr_resolver)
_LEAF, _GLOBAL_ID, _OBJECT = 1, 2, 3
# A field's plan, kept on its definition: None for the usual way, or
# (kind, attribute, default, serialize or object type, nullable, model, whether a dict's item is read).
_PLAN = "_shanhuo_plain_plan"
# An object type's check, kept on it: _ANY (no is_type_of), a model class, or _USUAL.
_CHECK = "_shanhuo_plain_check"
_ANY, _USUAL = object(), object()
_SLOW = object()


def _object_check(object_type: GraphQLObjectType):
    """What an object's value must be for the short road: graphql-core checks nothing without
    `is_type_of`; graphene-django's says yes for an instance of the model class itself."""
    try:
        return object_type.__dict__[_CHECK]
    except KeyError:
        pass
    is_type_of = object_type.is_type_of
    if is_type_of is None:
        check = _ANY
    elif getattr(is_type_of, "__func__", None) is DjangoObjectType.is_type_of.__func__:
        model = is_type_of.__self__._meta.model
        # An instance of a model class is never awaitable, unless the class makes it so.
        check = _USUAL if hasattr(model, "__await__") else model
    else:
        check = _USUAL
    setattr(object_type, _CHECK, check)
    return check


def _plan(field_def) -> tuple | None:
    resolve = field_def.resolve
    field_type = field_def.type
    nullable = not isinstance(field_type, GraphQLNonNull)
    named = field_type if nullable else field_type.of_type
    if field_def.args or not isinstance(resolve, partial):
        return None
    if resolve.func in _ATTRIBUTE_READERS and len(resolve.args) == 2 and not resolve.keywords:
        attname, default = resolve.args
        reads_dicts = resolve.func is dict_or_attr_resolver
        if isinstance(named, GraphQLLeafType):
            return (_LEAF, attname, default, named.serialize, nullable, None, reads_dicts)
        if isinstance(named, GraphQLObjectType) and _object_check(named) is not _USUAL:
            return (_OBJECT, attname, default, named, nullable, _object_check(named), reads_dicts)
        return None
    if (
        isinstance(named, GraphQLLeafType)
        and resolve.func == GlobalID.id_resolver
        and resolve.args == (DjangoObjectType.resolve_id, Node)
        and resolve.keywords.get("parent_type_name") is None
    ):
        return (_GLOBAL_ID, None, None, named.serialize, nullable, None, False)
    return None


def _field_plan(field_def) -> tuple | None:
    try:
        return field_def.__dict__[_PLAN]
    except KeyError:
        plan = _plan(field_def)
        setattr(field_def, _PLAN, plan)
        return plan


class PlainFieldsExecutionContext(ExecutionContext):
    """graphql-core's execution, with attribute-backed fields and lists of objects resolved in a
    loop of their own (see the module's docstring)."""

    @cached_property
    def _plain(self) -> bool:
        """Whether the short road is open: no GraphQL middleware wraps the resolvers."""
        middleware = self.middleware_manager
        return middleware is None or not middleware.middlewares

    @cached_property
    def _entries_cache(self) -> dict:
        """id(fields) -> (fields, entries); the fields dict is kept so that its id is not reused. A
        dict of fields belongs to one type (graphql-core collects sub-fields per type)."""
        return {}

    def _entries(self, parent_type, fields):
        kept = self._entries_cache.get(id(fields))
        if kept is not None:
            return kept[1]
        entries = []
        for name, field_nodes in fields.items():
            field_def = get_field_def(self.schema, parent_type, field_nodes[0])
            plan = _field_plan(field_def) if field_def is not None else None
            subfields = self.collect_subfields(plan[3], field_nodes) if plan and plan[0] == _OBJECT else None
            entries.append((name, field_nodes, plan, subfields, field_def))
        self._entries_cache[id(fields)] = (fields, entries)
        return entries

    def execute_fields(self, parent_type, source_value, path, fields):
        if not self._plain:
            return super().execute_fields(parent_type, source_value, path, fields)
        results = {}
        awaitable_fields = []
        is_dict = isinstance(source_value, dict)
        for name, field_nodes, plan, subfields, field_def in self._entries(parent_type, fields):
            if plan is not None and plan[0] == _LEAF and not (is_dict and plan[6]):
                # The commonest field, inline: _short_road's first branch.
                _kind, attname, default, serialize, nullable, _check, _reads_dicts = plan
                try:
                    value = getattr(source_value, attname, default)
                    if value is None:
                        if nullable:
                            results[name] = None
                            continue
                    elif not isinstance(value, Exception):
                        serialized = serialize(value)
                        if serialized is not None and serialized is not Undefined:
                            results[name] = serialized
                            continue
                except Exception:  # noqa: BLE001, S110 - graphql-core's own path raises and reports it
                    pass
            elif plan is not None:
                value = self._short_road(
                    plan, subfields, field_def, field_nodes, parent_type, source_value, is_dict, path, name
                )
                if value is not _SLOW:
                    results[name] = value
                    if plan[0] == _OBJECT and type(value) is not dict and self.is_awaitable(value):
                        awaitable_fields.append(name)
                    continue
            result = self.execute_field(parent_type, source_value, field_nodes, Path(path, name, parent_type.name))
            if result is not Undefined:
                results[name] = result
                if self.is_awaitable(result):
                    awaitable_fields.append(name)
        if not awaitable_fields:
            return results

        async def get_results():
            awaited = await gather(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _short_road(self, plan, subfields, field_def, field_nodes, parent_type, source, is_dict, path, name):
        """The field's value, or _SLOW for graphql-core's own way (which reads it again)."""
        kind, attname, default, serialize_or_type, nullable, check, reads_dicts = plan
        try:
            if kind == _GLOBAL_ID:
                value = to_global_id(parent_type.name, source.pk)
            else:
                value = source.get(attname, default) if is_dict and reads_dicts else getattr(source, attname, default)
        except Exception:  # noqa: BLE001 - graphql-core's own path raises and reports it properly
            return _SLOW
        if value is None:
            return None if nullable else _SLOW
        if kind != _OBJECT:
            if isinstance(value, Exception):
                return _SLOW
            try:
                serialized = serialize_or_type(value)
            except Exception:  # noqa: BLE001 - as above
                return _SLOW
            return _SLOW if serialized is None or serialized is Undefined else serialized
        if not self._fits(check, value):
            return _SLOW
        field_path = Path(path, name, parent_type.name)
        return self._object(serialize_or_type, field_def.type, field_nodes, subfields, value, field_path)

    def _object(self, object_type, return_type, field_nodes, subfields, value, path):
        """An object's fields, with an error handled as graphql-core's `execute_field` does."""
        try:
            completed = self.execute_fields(object_type, value, path, subfields)
        except Exception as raw_error:  # noqa: BLE001 - located and handled as graphql-core does
            return self._field_error(raw_error, field_nodes, return_type, path)
        if type(completed) is not dict and self.is_awaitable(completed):
            return self._guarded(completed, field_nodes, return_type, path)
        return completed

    def _fits(self, check, value) -> bool:
        """Whether graphql-core would complete `value` as the object without a word, and without
        awaiting it (see _object_check)."""
        if check is _ANY:
            return value is not None and not isinstance(value, Exception) and not self.is_awaitable(value)
        return type(value) is check

    def complete_list_value(self, return_type, field_nodes, info, path, result):
        """A list of objects item by item, without graphql-core's four calls an item; any other
        list, or one with an awaitable item, the usual way; an item that does not fit its type
        through graphql-core's `complete_value`."""
        item_type = return_type.of_type
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        check = _object_check(object_type) if isinstance(object_type, GraphQLObjectType) else _USUAL
        if not self._plain or check is _USUAL or not is_iterable(result):
            return super().complete_list_value(return_type, field_nodes, info, path, result)
        is_awaitable = self.is_awaitable
        items = list(result)
        if any(type(item) is not check and is_awaitable(item) for item in items):
            return super().complete_list_value(return_type, field_nodes, info, path, items)
        subfields = self.collect_subfields(object_type, field_nodes)
        completed_results = []
        awaitable_indices = []
        for index, item in enumerate(items):
            item_path = path.add_key(index, None)
            if self._fits(check, item):
                completed = self._object(object_type, item_type, field_nodes, subfields, item, item_path)
            else:
                try:
                    completed = self.complete_value(item_type, field_nodes, info, item_path, item)
                except Exception as raw_error:  # noqa: BLE001 - as graphql-core does
                    completed = self._field_error(raw_error, field_nodes, item_type, item_path)
                if is_awaitable(completed):
                    completed = self._guarded(completed, field_nodes, item_type, item_path)
            if type(completed) is not dict and is_awaitable(completed):
                awaitable_indices.append(index)
            completed_results.append(completed)
        if not awaitable_indices:
            return completed_results

        async def get_completed_results():
            awaited = await gather(*(completed_results[index] for index in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed_results[index] = value
            return completed_results

        return get_completed_results()

    def _field_error(self, raw_error, field_nodes, return_type, path) -> None:
        """graphql-core's handling of an error: raised on for a non-null type, else recorded."""
        self.handle_field_error(located_error(raw_error, field_nodes, path.as_list()), return_type, path)

    def _guarded(self, completed, field_nodes, return_type, path):
        """An awaitable value, with an error raised while awaiting it handled as graphql-core does."""

        async def await_completed():
            try:
                return await completed
            except Exception as raw_error:  # noqa: BLE001 - as graphql-core does
                return self._field_error(raw_error, field_nodes, return_type, path)

        return await_completed()
