from django.contrib import admin

from core.admin import ReadOnlyAdmin

from . import fallback, indexing
from .backends import backends
from .models import PendingSync


@admin.register(PendingSync)
class PendingSyncAdmin(ReadOnlyAdmin):
    """What a search backend missed while it was down, with the engine's health above the list:
    where operators look when shoppers' searches seem stale."""

    list_display = ["backend", "product_id", "queued_at"]
    list_filter = ["backend"]
    search_fields = ["=product_id"]
    ordering = ["queued_at", "product_id"]

    def changelist_view(self, request, extra_context=None):
        has_fallback = fallback.FALLBACK in backends
        extra_context = {
            **(extra_context or {}),
            "engine": fallback.health() if has_fallback else None,
            "pending": indexing.pending_counts(),
        }
        return super().changelist_view(request, extra_context)
