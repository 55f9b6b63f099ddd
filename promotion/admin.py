"""Operators' view of promotion: sponsors, campaigns (changed through `promotion.campaigns`), the
money records (days, clicks, spend, attributions) and the links shoppers share with their visits,
which are read here and never edited, and
stories and photo essays (changed through `promotion.content`)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, apply_to_each
from payments.ledger import fen_sum, from_fen

from . import campaigns, content
from .models import (
    Campaign,
    CampaignDay,
    CampaignState,
    CampaignViewerDay,
    ChosenProvince,
    Click,
    ContentImage,
    ContentItem,
    ContentStatus,
    OrderAttribution,
    ProductFeedStats,
    ReaderChoice,
    ShareLink,
    ShareVisit,
    Spend,
    Sponsor,
)
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
        fields = ["sponsor", *campaigns.CAMPAIGN_FIELDS]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk and self.instance.state == CampaignState.ENDED:
            raise ValidationError(_("An ended campaign cannot be changed."))
        campaign = self.instance
        for name in ("farmer", "village", "bid", "daily_cap", "total_cap", "starts_at", "ends_at"):
            setattr(campaign, name, data.get(name))
        if "frequency_cap" in data:
            try:
                data["frequency_cap"] = campaigns.clean_frequency_cap(data["frequency_cap"])
            except ValidationError as error:
                self.add_error("frequency_cap", error.error_dict["frequency_cap"])
                return data
        campaigns.validate_campaign(campaign, list(data.get("products") or []), set(self.changed_data))
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ["name", "sponsor", "state", "bid", "daily_cap", "total_cap", "spent", "serving_rate", "starts_at"]
    list_filter = ["state", "sponsor"]
    list_select_related = ["sponsor"]
    search_fields = ["name", "sponsor__name"]
    autocomplete_fields = ["products", "farmer", "village", "target_provinces", "target_categories"]
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
            (_("billable clicks"), figures.billed_clicks),
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
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in campaigns.CAMPAIGN_FIELDS}
        for many in ("products", *campaigns.TARGET_FIELDS):
            if many in fields:
                fields[many] = list(fields[many])
        saved = campaigns.update_campaign(request.user, obj, **fields)
        obj.state, obj.updated_at = saved.state, saved.updated_at

    def _transition(self, request, queryset, service, done_message):
        apply_to_each(self, request, queryset, service, done_message)

    @admin.action(description=_("Activate the selected campaigns"))
    def activate_selected(self, request, queryset):
        self._transition(request, queryset, campaigns.activate_campaign, _("%(count)d campaign(s) active."))

    @admin.action(description=_("Pause the selected campaigns"))
    def pause_selected(self, request, queryset):
        self._transition(request, queryset, campaigns.pause_campaign, _("%(count)d campaign(s) paused."))

    @admin.action(description=_("End the selected campaigns"))
    def end_selected(self, request, queryset):
        self._transition(request, queryset, campaigns.end_campaign, _("%(count)d campaign(s) ended."))


@admin.register(CampaignDay)
class CampaignDayAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "day", "spent", "impressions"]
    list_filter = ["day"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__name"]

    @admin.display(description=_("spent (CNY)"))
    def spent(self, obj):
        return from_fen(obj.spent_fen)


@admin.register(CampaignViewerDay)
class CampaignViewerDayAdmin(ReadOnlyAdmin):
    """Frequency-cap counts of the database budget path (a reader is a hash, never a key)."""

    list_display = ["campaign", "day", "impressions"]
    list_filter = ["day"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__name"]


@admin.register(ProductFeedStats)
class ProductFeedStatsAdmin(ReadOnlyAdmin):
    """The quality figures the feed ranks with (promotion.quality), folded every few minutes."""

    list_display = ["product", "impressions", "clicks", "views", "carts", "orders", "click_rate", "order_rate"]
    list_filter = ["updated_at"]
    list_select_related = ["product"]
    search_fields = ["product__name"]


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


class AttributedByFilter(admin.SimpleListFilter):
    title = _("brought by")
    parameter_name = "by"

    def lookups(self, request, model_admin):
        return [("click", _("a promoted slot")), ("share", _("a shared link"))]

    def queryset(self, request, queryset):
        if self.value() == "click":
            return queryset.filter(click__isnull=False)
        if self.value() == "share":
            return queryset.filter(share_visit__isnull=False)
        return queryset


@admin.register(OrderAttribution)
class OrderAttributionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "campaign", "click", "share_visit"]
    list_filter = [AttributedByFilter, "campaign"]
    list_select_related = ["order", "campaign", "click", "share_visit"]
    search_fields = ["campaign__name", "order__email", "share_visit__link__token"]


@admin.register(ChosenProvince)
class ChosenProvinceAdmin(ReadOnlyAdmin):
    """The province a shopper chose for their feed: shown, never edited for them."""

    list_display = ["user", "province", "chosen_at"]
    list_filter = ["province"]
    list_select_related = ["user", "province"]
    search_fields = ["user__username"]


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "product", "sharer", "sharer_key", "token"]
    list_filter = ["created_at"]
    list_select_related = ["product", "sharer"]
    search_fields = ["token", "product__name", "sharer__username", "sharer_key"]
    date_hierarchy = "created_at"


@admin.register(ShareVisit)
class ShareVisitAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "link", "product", "outcome", "user", "viewer_key"]
    list_filter = ["outcome"]
    list_select_related = ["link__product", "user"]
    search_fields = ["link__token", "link__product__name", "viewer_key"]
    date_hierarchy = "created_at"

    @admin.display(description=_("product"))
    def product(self, obj):
        return obj.link.product


@admin.register(ReaderChoice)
class ReaderChoiceAdmin(ReadOnlyAdmin):
    """The reader's own choice (promotion.personalisation): seen here, changed only by the reader."""

    list_display = ["user", "personalised", "changed_at"]
    list_filter = ["personalised"]
    list_select_related = ["user"]
    search_fields = ["user__username"]


# --- Stories and photo essays -------------------------------------------------------------------
# Every change goes through promotion.content, so the admin keeps the same rules as the API: text
# cleaned, the farmer of the village, the village's goods, a photo essay published only with a
# processed photo. Photos are added through the API (the photo pipeline); here they are seen,
# ordered and never edited, so no unprocessed file and no GPS can slip in by the admin.

CONTENT_FORM_FIELDS = ["kind", "title", "summary", "body", "village", "farmer", "products", "ngo"]


class ContentImageInline(admin.TabularInline):
    model = ContentImage
    extra = 0
    can_delete = False
    fields = ["preview", "caption", "position", "status", "error_code", "width", "height"]
    readonly_fields = ["preview", "caption", "status", "error_code", "width", "height"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def preview(self, obj):
        url = obj.url("small")
        return format_html('<img src="{}" height="60" alt="">', url) if url else "—"


class ContentItemAdminForm(forms.ModelForm):
    class Meta:
        model = ContentItem
        fields = CONTENT_FORM_FIELDS

    actor = None  # set by ContentItemAdmin.get_form: the rules depend on who writes

    def clean(self):
        """The service's checks, for every field the form's own checks passed (all shown at once)."""
        data = super().clean()
        if "village" in self.errors or "kind" in self.errors:
            return data
        item = self.instance
        values = {name: data.get(name) for name in CONTENT_FORM_FIELDS}
        values["products"] = list(values["products"] or [])
        values.update({name: values[name] or "" for name in ("title", "summary", "body")})
        chosen = "ngo" in self.changed_data or item.pk is None
        try:
            cleaned = content.clean_content(self.actor, **values, ngo_chosen=chosen)
            if item.pk and item.status == ContentStatus.PUBLISHED:
                content.check_publishable(ContentItem(pk=item.pk, kind=cleaned["kind"], body=cleaned["body"]))
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in CONTENT_FORM_FIELDS else None, errors)
            return data
        data.update({name: cleaned[name] for name in ("kind", "title", "summary", "body")})
        return data


@admin.register(ContentItem)
class ContentItemAdmin(admin.ModelAdmin):
    form = ContentItemAdminForm
    list_display = ["title", "kind", "village", "status", "published_at", "ngo", "author"]
    list_filter = ["status", "kind"]
    list_select_related = ["village", "ngo", "author"]
    search_fields = ["title", "summary", "village__name", "farmer__name"]
    autocomplete_fields = ["village", "farmer", "products"]
    readonly_fields = ["slug", "status", "published_at", "author", "created_at", "updated_at"]
    inlines = [ContentImageInline]
    actions = ["publish_selected", "unpublish_selected"]
    date_hierarchy = "created_at"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Through the services: a new item is a draft of its writer with a generated slug."""
        fields = {name: form.cleaned_data[name] for name in CONTENT_FORM_FIELDS}
        fields["products"] = list(fields["products"])
        if change:
            changed = {name: fields[name] for name in CONTENT_FORM_FIELDS if name in form.changed_data}
            saved = content.update_content(request.user, obj, **changed)
        else:
            saved = content.create_content(request.user, **fields)
        for field in ContentItem._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """The service set the goods already; only the photos' order is left to save."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _transition(self, request, queryset, service, done_message):
        apply_to_each(self, request, queryset, service, done_message)

    @admin.action(description=_("Publish the selected stories"))
    def publish_selected(self, request, queryset):
        self._transition(request, queryset, content.publish_content, _("%(count)d story(ies) published."))

    @admin.action(description=_("Unpublish the selected stories"))
    def unpublish_selected(self, request, queryset):
        self._transition(request, queryset, content.unpublish_content, _("%(count)d story(ies) unpublished."))
