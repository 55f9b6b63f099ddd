from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import services
from .models import NGO, Cooperative, County, Farmer, FarmerStateChange, Province, VerificationState, Village


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug"]
    search_fields = ["name", "name_en"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "province"]
    list_filter = ["province"]
    search_fields = ["name", "name_en", "province__name"]
    list_select_related = ["province"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "county", "households", "poor_households", "poverty_line", "baseline_income"]
    list_filter = ["county__province", "county"]
    search_fields = ["name", "name_en", "county__name", "county__province__name"]
    list_select_related = ["county__province"]


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "village", "verification_state", "created_at"]
    list_filter = ["verification_state", "village__county__province"]
    search_fields = ["name", "village__name", "phone"]
    filter_horizontal = ["managers"]
    list_select_related = ["village__county"]


class StateChangeInline(admin.TabularInline):
    model = FarmerStateChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "changed_by", "changed_at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


def _state_action(to_state, label):
    def action(modeladmin, request, queryset):
        done = 0
        for farmer in queryset:
            try:
                services.change_verification_state(farmer, to_state, by=request.user, reason=str(_("Changed in admin")))
                done += 1
            except Exception as exc:  # noqa: BLE001 - each failure is reported to the operator
                modeladmin.message_user(request, f"{farmer}: {exc}", messages.WARNING)
        modeladmin.message_user(request, _("%(n)d farmers updated.") % {"n": done})

    action.__name__ = f"mark_{to_state}"
    action.short_description = label
    return action


@admin.register(Farmer)
class FarmerAdmin(admin.ModelAdmin):
    list_display = ["name", "village", "cooperative", "verification_state", "is_registered_poor", "created_at"]
    list_filter = ["verification_state", "is_registered_poor", "village__county__province", "village__county"]
    search_fields = ["name", "phone", "id_number", "village__name", "cooperative__name"]
    list_select_related = ["village__county", "cooperative"]
    raw_id_fields = ["user", "village", "cooperative"]
    readonly_fields = ["verification_state", "state_changed_by", "state_changed_at", "state_reason", "created_at"]
    inlines = [StateChangeInline]
    actions = [
        _state_action(VerificationState.VERIFIED, _("Verify selected farmers")),
        _state_action(VerificationState.SUSPENDED, _("Suspend selected farmers")),
    ]


@admin.register(NGO)
class NGOAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "website"]
    search_fields = ["name"]
    filter_horizontal = ["villages", "staff"]
