"""ID arguments of queries: a malformed or unknown ID is a GraphQL error with a code, not a 500."""

from graphql import GraphQLError
from graphql_relay import from_global_id


def decode_node_id(global_id: str, node_type, field: str) -> int:
    type_name = node_type._meta.name
    try:
        decoded_type, raw_pk = from_global_id(global_id or "")
        pk = int(raw_pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        decoded_type, pk = "", 0
    if decoded_type != type_name or pk <= 0:
        raise GraphQLError(
            f"{global_id!r} is not a valid {type_name} ID.", extensions={"code": "INVALID_ID", "field": field}
        )
    return pk


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


def resolve_any_node(info, global_id: str):
    """`node(id)`: like Relay's, but a bad ID is a coded error and each type's own visibility applies."""
    try:
        type_name, raw_pk = from_global_id(global_id or "")
        pk = int(raw_pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        type_name, pk = "", 0
    schema_type = info.schema.get_type(type_name) if type_name else None
    graphene_type = getattr(schema_type, "graphene_type", None)
    if pk <= 0 or graphene_type is None or not hasattr(graphene_type, "get_node"):
        raise GraphQLError(f"{global_id!r} is not a valid ID.", extensions={"code": "INVALID_ID", "field": "id"})
    return graphene_type.get_node(info, pk)
