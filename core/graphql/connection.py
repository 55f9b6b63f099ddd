import graphene
from graphene_django.fields import DjangoConnectionField
from graphql import GraphQLError
from graphql_relay import cursor_to_offset


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with `totalCount`, taken from the count DjangoConnectionField already runs."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    @staticmethod
    def resolve_total_count(root, info):
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
    """A Django connection whose page-size errors are ordinary coded GraphQL errors."""

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
