"""Relay global IDs in mutation input: a bad or unknown one is a field error, never a 500."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from graphql_relay import from_global_id


def decode_id(global_id: str, expected_type: str, field: str) -> int:
    try:
        type_name, raw_pk = from_global_id(global_id or "")
        pk = int(raw_pk)
    except (ValueError, TypeError, UnicodeDecodeError):
        type_name, pk = "", None
    if type_name != expected_type or pk is None or pk <= 0:
        raise ValidationError(
            {
                field: ValidationError(
                    _("%(id)s is not a valid %(type)s ID."),
                    code="invalid",
                    params={"id": global_id, "type": expected_type},
                )
            }
        )
    return pk


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
