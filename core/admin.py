from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import OutboxMessage, User

admin.site.register(User, UserAdmin)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what shoppers, sponsors and the money did (orders, payments, clicks, the ledger):
    operators read them; changes go through the services (cancel, ship, confirm payment, refund,
    bill a click), so that stock, statuses and the ledger stay in step."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Tasks the broker could not take when asked (core.outbox); beat sends them again. Rows older
    than a minute mean the broker or beat is down."""

    list_display = ("task", "created_at", "attempts")
    list_filter = ("task",)
    search_fields = ("task",)
