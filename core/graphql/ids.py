"""Relay global IDs from clients: a bad or unknown one is a coded error, never a 500."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from graphql_relay import from_global_id

MAX_PK = 2**63 - 1  # a bigint column: larger numbers overflow the database driver


def parse_global_id(global_id) -> tuple[str, int] | None:
    """(type name, primary key), or None when the ID is not one of ours."""
    if not isinstance(global_id, str) or not global_id:
        return None
    try:
        type_name, raw_pk = from_global_id(global_id)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if not raw_pk.isascii() or not raw_pk.isdigit():
        return None
    pk = int(raw_pk)
    return (type_name, pk) if type_name and 0 < pk <= MAX_PK else None


def decode_id(global_id: str, expected_type: str, field: str) -> int:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != expected_type:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(id)s is not a valid %(type)s ID."),
                    code="invalid",
                    params={"id": global_id, "type": expected_type},
                )
            }
        )
    return parsed[1]


def get_by_global_id(queryset, global_id: str, expected_type: str, field: str):
    pk = decode_id(global_id, expected_type, field)
    try:
        return queryset.get(pk=pk)
    except ObjectDoesNotExist:
        raise ValidationError(
            {
                field: ValidationError(
                    _("No %(type)s with ID %(id)s."), code="not_found", params={"id": global_id, "type": expected_type}
                )
            }
        ) from None
