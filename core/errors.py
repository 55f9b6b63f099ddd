"""How services refuse: a ValidationError with a code, keyed by the input field at fault (or by
none, for the input as a whole). Pages show it beside the field; GraphQL turns it into
`errors { field code message }`."""

from django.core.exceptions import ValidationError


def field_error(field: str | None, message, code: str, **params) -> ValidationError:
    error = ValidationError(message, code=code, params=params or None)
    return ValidationError({field: error}) if field else error
