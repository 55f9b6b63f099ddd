"""The operators' group: the staff who run the platform through the admin.

Django's admin shows a staff user only what their permissions allow; with none at all it says
"You don't have permission to view or edit anything". Operators view every model of the
project's apps and change what their work needs. Each app says what that is for its own models,
in its AppConfig:

    operator_permissions = ("change_order",)  # codenames, beyond viewing every model of the app

An app with the attribute (even empty) is viewed whole; one without it is not part of the
operators' work. Core learns of the apps through the app registry, since it imports none.
`ensure_operator_group()` (the command `ensure_operator_group`; `seed_demo` runs it) gives the
group exactly these permissions, so run it again after a deployment that adds models."""

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

OPERATORS_GROUP = "运营"


def declared_permissions() -> set[tuple[str, str]]:
    """(app label, codename) of every permission the operators' group should hold."""
    wanted = set()
    for config in apps.get_app_configs():
        declared = getattr(config, "operator_permissions", None)
        if declared is None:
            continue
        wanted.update((config.label, get_permission_codename("view", model._meta)) for model in config.get_models())
        wanted.update((config.label, codename) for codename in declared)
    return wanted


def operator_permissions() -> list[Permission]:
    wanted = declared_permissions()
    labels = {label for label, _codename in wanted}
    found = [
        permission
        for permission in Permission.objects.filter(content_type__app_label__in=labels).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    missing = wanted - {(permission.content_type.app_label, permission.codename) for permission in found}
    if missing:
        names = ", ".join(sorted(f"{label}.{codename}" for label, codename in missing))
        raise ImproperlyConfigured(f"No such permissions (a typo in operator_permissions, or run migrate): {names}")
    return found


@transaction.atomic
def ensure_operator_group() -> Group:
    """The group, made if missing, with exactly the declared permissions (extra ones removed:
    give someone more through a group of its own)."""
    group, _created = Group.objects.get_or_create(name=OPERATORS_GROUP)
    group.permissions.set(operator_permissions())
    return group
