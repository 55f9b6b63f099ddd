"""The one way a mutation runs: permission, then the service in a transaction, errors as data."""

from contextlib import nullcontext

import graphene
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from graphene.types.mutation import MutationOptions

from .errors import errors_from_validation


class BaseMutation(graphene.Mutation):
    """Subclasses declare `error_type`, `code_enum` and `permission` (in Meta, or once for a whole
    app as `_error_type`, `_code_enum`, `_permission_check` on an abstract base) and implement
    `perform_mutation`. Services name the fields at fault in their own words; `error_fields` in
    Meta maps those that differ from the mutation's arguments (`{"lines": "linesIds"}`). Any
    ValidationError or PermissionDenied rolls the whole transaction back, so a mutation that
    returns errors has changed nothing."""

    class Meta:
        abstract = True

    _error_type = None
    _code_enum = None
    _permission_check = None
    _error_fields: dict[str, str] = {}
    # False for a mutation that commits in steps of its own (one that calls a payment gateway).
    _atomic = True

    @classmethod
    def __init_subclass_with_meta__(
        cls, error_type=None, code_enum=None, permission=None, error_fields=None, _meta=None, **options
    ):
        if not _meta:
            _meta = MutationOptions(cls)
        error_type = error_type or cls._error_type
        code_enum = code_enum or cls._code_enum
        permission = permission or cls._permission_check
        cls.errors = graphene.List(graphene.NonNull(error_type), required=True)
        cls._code_enum = code_enum
        cls._permission = staticmethod(permission) if permission else None
        cls._error_fields = {**cls._error_fields, **(error_fields or {})}
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @classmethod
    def mutate(cls, root, info, **data):
        user = info.context.user
        if cls._permission is not None and not cls._permission(user):
            return cls._failure(
                [{"field": None, "code": "PERMISSION_DENIED", "message": _("You do not have permission to do this.")}]
            )
        try:
            with transaction.atomic() if cls._atomic else nullcontext():
                return cls.perform_mutation(root, info, **data)
        except ValidationError as exc:
            return cls._failure(errors_from_validation(exc, cls._code_enum, cls._error_fields))
        except PermissionDenied as exc:
            message = str(exc) or _("You do not have permission to do this.")
            return cls._failure([{"field": None, "code": "PERMISSION_DENIED", "message": message}])

    @classmethod
    def perform_mutation(cls, root, info, **data):
        raise NotImplementedError

    @classmethod
    def _failure(cls, errors):
        return cls(errors=errors)
