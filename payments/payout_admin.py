"""The payouts' admin: the list (who, which village, how much), recording a bank transfer paid,
failed or returned, the bank's CSV of references, and where each seller is paid.

Every action and page goes through the services of payments.payouts and payments.payout_bank_csv,
and is offered only to operators who may record payouts (`payments.permissions`)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from . import payout_bank_csv, payouts
from .payout_forms import BankFileForm, PayoutReasonForm, PayoutReferenceForm
from .permissions import may_record_payouts


def seller_village(seller) -> str:
    """County · village of a farmer or cooperative, for the admin's lists ("—" for none)."""
    if seller is None:
        return "—"
    village = seller.village
    return f"{village.county.name} · {village.name}"


class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["number", "seller_name", "village", "amount", "status", "method", "reference", "created_at"]
    list_filter = ["status", "method"]
    list_select_related = ["farmer__village__county", "cooperative__village__county"]
    search_fields = ["=id", "idempotency_key", "reference", "farmer__name", "cooperative__name"]
    actions = ["record_paid", "record_failed", "record_returned"]
    change_list_template = "admin/payments/payout/change_list.html"

    def has_record_permission(self, request):
        return may_record_payouts(request.user)

    @admin.display(description=_("payout number"), ordering="id")
    def number(self, obj):
        return obj.pk

    @admin.display(description=_("seller"))
    def seller_name(self, obj):
        return obj.seller.name

    @admin.display(description=_("village"))
    def village(self, obj):
        return seller_village(obj.seller)

    # --- Recording -----------------------------------------------------------------------------

    def _form_page(self, request, queryset, *, action, form_class, service, title, intro, done):
        """First a page listing the chosen payouts, each with its field; once sent, each payout
        through the service, with a message per payout (a refusal names its reason)."""
        if not may_record_payouts(request.user):
            raise PermissionDenied
        chosen = list(queryset.select_related("farmer__village__county", "cooperative__village__county"))
        sent = request.POST.get("post") == "yes"
        rows = [(payout, form_class(request.POST if sent else None, prefix=f"payout-{payout.pk}")) for payout in chosen]
        if sent and all(form.is_valid() for _payout, form in rows):
            for payout, form in rows:
                try:
                    service(request.user, payout, *form.cleaned_data.values())
                except (ValidationError, PermissionDenied) as error:
                    reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                    failed = _("Payout %(number)s: %(reason)s") % {"number": payout.pk, "reason": reason}
                    self.message_user(request, failed, messages.ERROR)
                else:
                    self.message_user(request, done % {"number": payout.pk}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": self.opts,
            "rows": rows,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/payments/payout/record.html", context)

    @admin.action(description=_("Record paid (bank reference)"), permissions=["record"])
    def record_paid(self, request, queryset):
        return self._form_page(
            request,
            queryset,
            action="record_paid",
            form_class=PayoutReferenceForm,
            service=payouts.mark_paid,
            title=_("Record payouts paid"),
            intro=_("Record only money the bank's statement shows sent. Enter each transfer's reference."),
            done=_("Payout %(number)s recorded paid."),
        )

    @admin.action(description=_("Record failed (money back to the payable)"), permissions=["record"])
    def record_failed(self, request, queryset):
        return self._form_page(
            request,
            queryset,
            action="record_failed",
            form_class=PayoutReasonForm,
            service=payouts.mark_failed,
            title=_("Record payouts failed"),
            intro=_("The money did not leave: it is owed to the seller again and the next run pays it."),
            done=_("Payout %(number)s recorded failed."),
        )

    @admin.action(description=_("Record returned by the bank"), permissions=["record"])
    def record_returned(self, request, queryset):
        return self._form_page(
            request,
            queryset,
            action="record_returned",
            form_class=PayoutReasonForm,
            service=payouts.mark_returned,
            title=_("Record payouts returned"),
            intro=_("The money was paid, then came back: it is owed to the seller again and the next run pays it."),
            done=_("Payout %(number)s recorded returned."),
        )

    # --- The bank's file -----------------------------------------------------------------------

    def get_urls(self):
        upload = self.admin_site.admin_view(self.upload_references)
        return [path("upload-references/", upload, name="payments_payout_upload_references"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_record": may_record_payouts(request.user)}
        return super().changelist_view(request, extra_context)

    def upload_references(self, request):
        if not may_record_payouts(request.user):
            raise PermissionDenied
        form = BankFileForm(request.POST or None, request.FILES or None)
        outcome = None
        if request.method == "POST" and form.is_valid():
            outcome = payout_bank_csv.record(request.user, form.cleaned_data["file"].read())
            if outcome.ok:
                done = _("%(recorded)d payouts recorded; %(unchanged)d were already recorded so.")
                self.message_user(request, done % {"recorded": outcome.recorded, "unchanged": outcome.unchanged})
                form = BankFileForm()
        return TemplateResponse(
            request, "admin/payments/payout/upload_references.html", self._upload_context(request, form, outcome)
        )

    def _upload_context(self, request, form, outcome):
        return {
            **self.admin_site.each_context(request),
            "title": _("Upload the bank's payout references"),
            "opts": self.opts,
            "form": form,
            "outcome": outcome,
            "changelist_url": reverse("admin:payments_payout_changelist"),
        }


class PayoutDestinationAdmin(admin.ModelAdmin):
    """Kept by operators (the change permission on payout destinations); lists show the bank account
    masked, the change page shows it whole to those who may change it."""

    list_display = [
        "seller_name",
        "village",
        "method",
        "wechat_bound",
        "stripe_account",
        "bank_account_shown",
        "updated_at",
    ]
    list_filter = ["method"]
    list_select_related = ["farmer__village__county", "cooperative__village__county"]
    search_fields = ["farmer__name", "cooperative__name", "stripe_account", "bank_account_name"]
    autocomplete_fields = ["farmer", "cooperative"]
    fields = [
        "farmer",
        "cooperative",
        "method",
        "stripe_account",
        "bank_name",
        "bank_account_name",
        "bank_account_number",
        "wechat_bound",
        "wechat_bound_at",
        "wechat_bound_by",
    ]
    # The WeChat is bound by its owner (/farmer/wechat/), never typed in here; the openid is not shown.
    readonly_fields = ["wechat_bound", "wechat_bound_at", "wechat_bound_by"]

    @admin.display(description=_("seller"))
    def seller_name(self, obj):
        return obj.seller.name

    @admin.display(description=_("WeChat bound"), boolean=True)
    def wechat_bound(self, obj):
        return obj.wechat_bound

    @admin.display(description=_("village"))
    def village(self, obj):
        return seller_village(obj.seller)

    @admin.display(description=_("bank account"))
    def bank_account_shown(self, obj):
        return obj.bank_account_shown
