from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from . import baselines, verification
from .models import (
    BASELINE_FIELDS,
    NGO,
    Cooperative,
    County,
    Farmer,
    FarmerStateChange,
    Province,
    VerificationState,
    Village,
    VillageBaselineChange,
)


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

    def save_model(self, request, obj, form, change):
        """Baseline figures changed here go through the service too, so the history has them."""
        if not change:
            return super().save_model(request, obj, form, change)
        figures = {name: getattr(obj, name) for name in BASELINE_FIELDS}
        for name in BASELINE_FIELDS:
            setattr(obj, name, form.initial[name])
        super().save_model(request, obj, form, change)
        baselines.update_baseline(obj, request.user, **figures)
        obj.refresh_from_db(fields=list(BASELINE_FIELDS))


@admin.register(VillageBaselineChange)
class VillageBaselineChangeAdmin(ReadOnlyAdmin):
    list_display = ["village", "changed_at", "changed_by"]
    list_select_related = ["village__county", "changed_by"]
    list_filter = ["village__county__province"]
    search_fields = ["village__name", "village__county__name", "changed_by__username"]
    date_hierarchy = "changed_at"


class VerificationDecisionForm(forms.ModelForm):
    """Verification is decided here like anywhere else: through the service, with a reason."""

    change_state_to = forms.ChoiceField(
        label=_("Change verification state to"),
        required=False,
        choices=[("", "—"), *VerificationState.choices],
    )
    change_reason = forms.CharField(label=_("Reason for the change"), required=False, widget=forms.Textarea)


class VerificationDecisionAdmin(admin.ModelAdmin):
    """Applies the decision fields of `VerificationDecisionForm` through `decide` after saving."""

    def decide(self, obj, to_state, by, reason):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        to_state = form.cleaned_data.get("change_state_to")
        if to_state and to_state != obj.verification_state:
            try:
                self.decide(obj, to_state, request.user, form.cleaned_data.get("change_reason", ""))
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)


class CooperativeAdminForm(VerificationDecisionForm):
    class Meta:
        model = Cooperative
        fields = ["name", "slug", "village", "managers", "phone", "story"]


@admin.register(Cooperative)
class CooperativeAdmin(VerificationDecisionAdmin):
    form = CooperativeAdminForm
    readonly_fields = ["verification_state"]
    list_display = ["name", "village", "verification_state", "created_at"]
    list_filter = ["verification_state", "village__county__province"]
    search_fields = ["name", "village__name", "phone"]
    filter_horizontal = ["managers"]
    list_select_related = ["village__county"]

    def decide(self, obj, to_state, by, reason):
        verification.change_cooperative_state(obj, to_state, by=by, reason=reason)


class StateChangeInline(admin.TabularInline):
    model = FarmerStateChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "changed_by", "changed_at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


class FarmerAdminForm(VerificationDecisionForm):
    class Meta:
        model = Farmer
        fields = [
            "user",
            "name",
            "phone",
            "id_number",
            "village",
            "cooperative",
            "is_registered_poor",
            "household_size",
            "story",
        ]


@admin.register(Farmer)
class FarmerAdmin(VerificationDecisionAdmin):
    form = FarmerAdminForm
    list_display = ["name", "village", "cooperative", "verification_state", "is_registered_poor", "created_at"]
    list_filter = ["verification_state", "is_registered_poor", "village__county__province", "village__county"]
    search_fields = ["name", "phone", "id_number", "village__name", "cooperative__name"]
    list_select_related = ["village__county", "cooperative"]
    raw_id_fields = ["user", "village", "cooperative"]
    readonly_fields = ["verification_state", "state_changed_by", "state_changed_at", "state_reason", "created_at"]
    inlines = [StateChangeInline]
    actions = ["verify_selected"]

    @admin.action(description=_("Verify selected farmers"))
    def verify_selected(self, request, queryset):
        done = 0
        for farmer in queryset:
            try:
                verification.change_verification_state(farmer, VerificationState.VERIFIED, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"{farmer}: {'; '.join(error.messages)}", messages.WARNING)
        self.message_user(request, _("%(n)d farmers verified.") % {"n": done})

    def decide(self, obj, to_state, by, reason):
        verification.change_verification_state(obj, to_state, by=by, reason=reason)


@admin.register(NGO)
class NGOAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "website"]
    search_fields = ["name"]
    filter_horizontal = ["villages", "staff"]
