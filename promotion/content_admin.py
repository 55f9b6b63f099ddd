"""Operators' view of stories and photo essays (imported by promotion.admin).

Every change goes through promotion.content, so the admin keeps the same rules as the API: text
cleaned, the farmer of the village, the village's goods, a photo essay published only with a
processed photo. Photos are added through the API (the photo pipeline); here they are seen, ordered
and never edited, so no unprocessed file and no GPS can slip in by the admin."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import apply_to_each

from . import content as services
from .models import ContentImage, ContentItem, ContentStatus

FORM_FIELDS = ["kind", "title", "summary", "body", "village", "farmer", "products", "ngo"]


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
        fields = FORM_FIELDS

    actor = None  # set by ContentItemAdmin.get_form: the rules depend on who writes

    def clean(self):
        """The service's checks, for every field the form's own checks passed (all shown at once)."""
        data = super().clean()
        if "village" in self.errors or "kind" in self.errors:
            return data
        item = self.instance
        values = {name: data.get(name) for name in FORM_FIELDS}
        values["products"] = list(values["products"] or [])
        values.update({name: values[name] or "" for name in ("title", "summary", "body")})
        chosen = "ngo" in self.changed_data or item.pk is None
        try:
            cleaned = services.clean_content(self.actor, **values, ngo_chosen=chosen)
            if item.pk and item.status == ContentStatus.PUBLISHED:
                services.check_publishable(ContentItem(pk=item.pk, kind=cleaned["kind"], body=cleaned["body"]))
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in FORM_FIELDS else None, errors)
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
        fields = {name: form.cleaned_data[name] for name in FORM_FIELDS}
        fields["products"] = list(fields["products"])
        if change:
            changed = {name: fields[name] for name in FORM_FIELDS if name in form.changed_data}
            saved = services.update_content(request.user, obj, **changed)
        else:
            saved = services.create_content(request.user, **fields)
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
        self._transition(request, queryset, services.publish_content, _("%(count)d story(ies) published."))

    @admin.action(description=_("Unpublish the selected stories"))
    def unpublish_selected(self, request, queryset):
        self._transition(request, queryset, services.unpublish_content, _("%(count)d story(ies) unpublished."))
