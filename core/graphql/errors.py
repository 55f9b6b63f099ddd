"""Mutation errors: every mutation returns `errors: [{field, code, message}]` with its app's code enum."""

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

COMMON_CODES = ("GRAPHQL_ERROR", "INVALID", "REQUIRED", "NOT_FOUND", "PERMISSION_DENIED", "MAX_LENGTH", "UNIQUE")

# Django's own validation codes, folded into our smaller vocabulary.
DJANGO_CODES = {
    "blank": "REQUIRED",
    "null": "REQUIRED",
    "required": "REQUIRED",
    "max_length": "MAX_LENGTH",
    "unique": "UNIQUE",
    "unique_together": "UNIQUE",
}


def error_code_enum(name: str, extra_codes: tuple[str, ...] = ()) -> type[graphene.Enum]:
    return graphene.Enum(name, [(code, code) for code in COMMON_CODES + extra_codes])


def error_type(name: str, code_enum: type[graphene.Enum], **extra_fields) -> type[graphene.ObjectType]:
    """`extra_fields` are filled from the ValidationError's params of the same name (`lines`)."""
    return type(
        name,
        (graphene.ObjectType,),
        {
            "field": graphene.String(description="The input field at fault (camelCase), or null for the whole input."),
            "code": graphene.Field(code_enum, required=True),
            "message": graphene.String(required=True),
            **extra_fields,
        },
    )


def camel_case(name: str | None) -> str | None:
    if not name or name == NON_FIELD_ERRORS:
        return None
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def errors_from_validation(
    exc: ValidationError, code_enum: type[graphene.Enum], field_names: dict[str, str] | None = None
) -> list[dict]:
    """`field_names` renames a service's field to the mutation's argument where they differ."""
    field_names = field_names or {}
    known = set(code_enum._meta.enum.__members__)
    items = []
    if hasattr(exc, "error_dict"):
        pairs = [(field, error) for field, errors in exc.error_dict.items() for error in errors]
    else:
        pairs = [(None, error) for error in exc.error_list]
    for field, error in pairs:
        code = error.code or "invalid"
        code = DJANGO_CODES.get(code, code.upper())
        if code not in known:
            code = "INVALID"
        message = error.message % error.params if error.params else error.message
        item = {"field": camel_case(field_names.get(field, field)), "code": code, "message": str(message)}
        items.append({**(error.params or {}), **item})
    return items
