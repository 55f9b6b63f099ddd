from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User

admin.site.register(User, UserAdmin)


def apply_to_each(model_admin, request, queryset, service, done_message) -> int:
    """An admin action through a service, object by object: each refusal is reported with its
    reason and the others still go through; `done_message` is formatted with `count`."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    done = 0
    for obj in queryset:
        try:
            service(request.user, obj)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            model_admin.message_user(request, f"{obj}: {reason}", messages.ERROR)
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    return done
