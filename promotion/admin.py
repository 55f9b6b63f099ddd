"""Operators' view of promotion: sponsors, campaigns (changed through `promotion.campaigns`), and
the money records (days, clicks, spend, attributions), which are read here and never edited."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, apply_to_each
from payments.ledger import fen_sum, from_fen

from . import campaigns as services
from .models import Campaign, CampaignDay, CampaignState, Click, OrderAttribution, Spend, Sponsor
from .stats import campaign_stats


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]


class CampaignAdminForm(forms.ModelForm):
    """Keeps the rules of `promotion.campaigns`: caps that pay at least a click, a schedule that
    ends after it starts, something to promote, a total cap not below what was spent."""

    class Meta:
        model = Campaign
        fields = [
            "sponsor",
            "name",
            "products",
            "farmer",
            "village",
            "bid",
            "daily_cap",
            "total_cap",
            "starts_at",
            "ends_at",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk and self.instance.state == CampaignState.ENDED:
            raise ValidationError(_("An ended campaign cannot be changed."))
        campaign = self.instance
        for name in ("farmer", "village", "bid", "daily_cap", "total_cap", "starts_at", "ends_at"):
            setattr(campaign, name, data.get(name))
        services.validate_campaign(campaign, list(data.get("products") or []), set(self.changed_data))
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ["name", "sponsor", "state", "bid", "daily_cap", "total_cap", "spent", "serving_rate", "starts_at"]
    list_filter = ["state", "sponsor"]
    list_select_related = ["sponsor"]
    search_fields = ["name", "sponsor__name"]
    autocomplete_fields = ["products", "farmer", "village"]
    readonly_fields = ["state", "spent", "serving_rate", "predicted_ctr", "stats", "created_by", "created_at"]
    actions = ["activate_selected", "pause_selected", "end_selected"]

    def get_queryset(self, request):
        """Spent from the ledger (one subquery): on the Redis path the counter column is written
        back by the reconcile task, up to a minute late."""
        billed = (
            Spend.objects.filter(campaign=OuterRef("pk"))
            .values("campaign")
            .annotate(fen=fen_sum("amount"))
            .values("fen")
        )
        return super().get_queryset(request).annotate(ledger_fen=Coalesce(Subquery(billed), 0))

    @admin.display(description=_("spent (CNY)"))
    def spent(self, obj):
        return from_fen(max(obj.spent_fen, getattr(obj, "ledger_fen", 0) or 0))

    @admin.display(description=_("figures"))
    def stats(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        figures = campaign_stats(obj)
        rows = [
            (_("impressions"), figures.impressions),
            (_("clicks"), figures.clicks),
            (_("billable clicks"), figures.billable_clicks),
            (_("spend (CNY)"), figures.spend),
            (_("orders"), figures.orders),
            (_("revenue (CNY)"), figures.revenue),
            (_("farmer income (CNY)"), figures.farmer_income),
        ]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    def save_model(self, request, obj, form, change):
        """A new campaign is a draft by its creator; a change goes through the service, which
        locks the row, checks again and moves the state with the budget (see update_campaign)."""
        if not change:
            obj.created_by = request.user
            obj.state = CampaignState.DRAFT
            obj.save()
            return
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CAMPAIGN_FIELDS}
        if "products" in fields:
            fields["products"] = list(fields["products"])
        saved = services.update_campaign(request.user, obj, **fields)
        obj.state, obj.updated_at = saved.state, saved.updated_at

    def _transition(self, request, queryset, service, done_message):
        apply_to_each(self, request, queryset, service, done_message)

    @admin.action(description=_("Activate the selected campaigns"))
    def activate_selected(self, request, queryset):
        self._transition(request, queryset, services.activate_campaign, _("%(count)d campaign(s) active."))

    @admin.action(description=_("Pause the selected campaigns"))
    def pause_selected(self, request, queryset):
        self._transition(request, queryset, services.pause_campaign, _("%(count)d campaign(s) paused."))

    @admin.action(description=_("End the selected campaigns"))
    def end_selected(self, request, queryset):
        self._transition(request, queryset, services.end_campaign, _("%(count)d campaign(s) ended."))


@admin.register(CampaignDay)
class CampaignDayAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "day", "spent", "impressions"]
    list_filter = ["day"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__name"]

    @admin.display(description=_("spent (CNY)"))
    def spent(self, obj):
        return from_fen(obj.spent_fen)


@admin.register(Click)
class ClickAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "product", "outcome", "cost", "user"]
    list_filter = ["outcome", "campaign"]
    list_select_related = ["campaign", "product", "user"]
    search_fields = ["campaign__name", "product__name", "token_id", "viewer_key"]
    date_hierarchy = "created_at"


@admin.register(Spend)
class SpendAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "campaign", "amount", "day", "click"]
    list_filter = ["day", "campaign"]
    list_select_related = ["campaign", "click"]
    search_fields = ["campaign__name"]


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "campaign", "click"]
    list_filter = ["campaign"]
    list_select_related = ["order", "campaign", "click"]
    search_fields = ["campaign__name", "order__email"]


from . import content_admin  # noqa: E402, F401  (stories and photo essays; registers itself)
