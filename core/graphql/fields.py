"""ID arguments of queries: a malformed or unknown ID is a GraphQL error with a code, not a 500."""

from django.core.exceptions import PermissionDenied, ValidationError
from graphql import GraphQLError

from .ids import parse_global_id


def _invalid(global_id, what: str, field: str) -> GraphQLError:
    return GraphQLError(f"{global_id!r} is not a valid {what}.", extensions={"code": "INVALID_ID", "field": field})


def decode_node_id(global_id: str, node_type, field: str) -> int:
    type_name = node_type._meta.name
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        raise _invalid(global_id, f"{type_name} ID", field)
    return parsed[1]


def node_or_error(info, global_id: str, node_type, field: str, must_exist: bool = True):
    pk = decode_node_id(global_id, node_type, field)
    if not must_exist:
        return pk
    node = node_type.get_node(info, pk)
    if node is None:
        raise GraphQLError(
            f"No {node_type._meta.name} with ID {global_id!r}.", extensions={"code": "NOT_FOUND", "field": field}
        )
    return node


def node_by_id_or_slug(info, node_type, id, slug, visible, noun: str):
    """A root field taking either `id` or `slug`: by ID through the type's own visibility, by slug
    among `visible` (a queryset of what the viewer may see). `noun` names it in the error."""
    if (id is None) == (slug is None):
        raise GraphQLError("Give either id or slug.", extensions={"code": "INVALID", "field": "id"})
    if id is not None:
        return node_or_error(info, id, node_type, "id")
    found = visible.filter(slug=slug).first()
    if found is None:
        raise GraphQLError(f"No {noun} with slug {slug!r}.", extensions={"code": "NOT_FOUND", "field": "slug"})
    return found


def resolve_any_node(info, global_id: str):
    """`node(id)`: like Relay's, but a bad ID is a coded error and each type's own visibility applies."""
    parsed = parse_global_id(global_id)
    schema_type = info.schema.get_type(parsed[0]) if parsed else None
    graphene_type = getattr(schema_type, "graphene_type", None)
    if graphene_type is None or not hasattr(graphene_type, "get_node"):
        raise _invalid(global_id, "ID", "id")
    return graphene_type.get_node(info, parsed[1])


def graphql_error(error: ValidationError | PermissionDenied, field: str) -> GraphQLError:
    """A service's refusal, raised from a query: the same code and message a mutation would return."""
    if isinstance(error, PermissionDenied):
        return GraphQLError(str(error), extensions={"code": "PERMISSION_DENIED", "field": field})
    first = error.error_list[0] if not hasattr(error, "error_dict") else next(iter(error.error_dict.values()))[0]
    message = first.message % first.params if first.params else first.message
    return GraphQLError(str(message), extensions={"code": (first.code or "invalid").upper(), "field": field})
