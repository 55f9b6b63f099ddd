from functools import partial

import graphene
from django.db.models import QuerySet
from graphene.relay.connection import connection_adapter, page_info_adapter
from graphene_django.fields import DjangoConnectionField
from graphene_django.utils import maybe_queryset
from graphql import GraphQLError
from graphql_relay import connection_from_array_slice, cursor_to_offset


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with `totalCount`: counted only when a client asks for it, unless the
    page itself showed where the list ends (`ConnectionField`)."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    @staticmethod
    def resolve_total_count(root, info):
        if root.length is None:
            root.length = root.count_rows()
        return root.length


def check_page_arguments(field_name: str, max_limit: int | None, args: dict) -> None:
    """Cursors that are not ours, page sizes and offsets out of range, as coded errors (any paginated
    field). graphene-django would otherwise fail on them with a ValueError or an assertion, which
    the API can only report as "Internal error."."""
    for name in ("after", "before"):
        cursor = args.get(name)
        if cursor is not None:
            offset = cursor_to_offset(cursor) if isinstance(cursor, str) else None
            if offset is None or offset < 0:
                raise GraphQLError(
                    f"`{name}` is not a cursor of this list.", extensions={"code": "INVALID", "field": name}
                )
    for name in ("first", "last"):
        value = args.get(name)
        if value is None:
            continue
        if value < 0:
            raise GraphQLError(f"`{name}` cannot be negative.", extensions={"code": "INVALID", "field": name})
        if max_limit and value > max_limit:
            raise GraphQLError(
                f"Requesting {value} records on the `{field_name}` connection exceeds the `{name}` limit "
                f"of {max_limit} records.",
                extensions={"code": "PAGE_TOO_LARGE", "field": name, "limit": max_limit},
            )
    offset = args.get("offset")
    if offset is not None:
        if offset < 0:
            raise GraphQLError("`offset` cannot be negative.", extensions={"code": "INVALID", "field": "offset"})
        if args.get("before") is not None:
            raise GraphQLError(
                "`offset` cannot be used with `before`.", extensions={"code": "INVALID", "field": "offset"}
            )


class ConnectionField(DjangoConnectionField):
    """A Django connection whose page-size errors are ordinary coded GraphQL errors, and which pages
    forward without counting the list.

    graphene-django counts every list before slicing it, to know whether a next page exists; over
    the whole catalogue that count is a scan of every visible product, the one cost of a page that
    grows with the catalogue. Paging forward (`first`, `after`, `offset`), one row more than the
    page tells that instead, and the count runs only for `totalCount` (or `last`/`before`, which
    need it). A queryset with a `count_rows` attribute (a function) is counted by it.
    """

    @classmethod
    def resolve_connection(cls, connection, args, iterable, max_limit=None):
        iterable = maybe_queryset(iterable)
        offset = args.get("offset") or 0
        after = cursor_to_offset(args["after"]) if args.get("after") is not None else None
        first = args.get("first")
        if (
            not isinstance(iterable, QuerySet)
            or args.get("last") is not None
            or args.get("before") is not None
            or offset < 0
            or (after is not None and after < 0)
        ):
            return super().resolve_connection(connection, args, iterable, max_limit)
        args = dict(args)
        args.pop("offset", None)
        start = offset + (after + 1 if after is not None else 0)
        if first is None:
            first = args["first"] = max_limit
        # `after` is folded into `start`; graphql-relay clips the slice by it all the same.
        args["after"] = None
        rows = list(iterable[start : start + first + 1]) if first is not None else list(iterable[start:])
        # Past the end, the page alone does not say how long the list is: count when asked.
        known = bool(rows) or start == 0
        page = connection_from_array_slice(
            rows,
            args,
            slice_start=start,
            array_length=start + len(rows),
            array_slice_length=len(rows),
            connection_type=partial(connection_adapter, connection),
            edge_type=connection.Edge,
            page_info_type=page_info_adapter,
        )
        page.iterable = iterable
        complete = first is None or len(rows) <= first
        page.length = start + len(rows) if known and complete else None
        # A queryset may carry `count_rows`, a faster exact count of itself (a kept one).
        page.count_rows = getattr(iterable, "count_rows", iterable.count)
        return page

    @classmethod
    def connection_resolver(
        cls,
        resolver,
        connection,
        default_manager,
        queryset_resolver,
        max_limit,
        enforce_first_or_last,
        root,
        info,
        **args,
    ):
        check_page_arguments(info.field_name, max_limit, args)
        return super().connection_resolver(
            resolver,
            connection,
            default_manager,
            queryset_resolver,
            max_limit,
            enforce_first_or_last,
            root,
            info,
            **args,
        )
