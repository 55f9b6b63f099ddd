from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import ledger, shopper_payments
from .models import Account, Dispute, Entry, LedgerTransaction, Payment, Payout, PayoutDestination, Refund, WebhookEvent
from .payout_admin import PayoutAdmin, PayoutDestinationAdmin, seller_village


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "status", "includes_shipping", "reason", "created_by", "created_at"]


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ["amount", "status", "reason", "provider_id", "opened_by", "opened_at", "closed_by", "closed_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "gateway", "status", "amount", "refunded_amount", "succeeded_at"]
    list_filter = ["gateway", "status"]
    search_fields = ["order__id", "order__email", "stripe_payment_intent", "reference"]
    inlines = [RefundInline, DisputeInline]
    actions = ["refund_in_full"]

    @admin.action(description=_("Refund in full"))
    def refund_in_full(self, request, queryset):
        for payment in queryset:
            try:
                shopper_payments.refund_payment(request.user, payment, reason="refunded by an operator")
            except ValidationError as error:
                self.message_user(request, f"{payment}: {' '.join(error.messages)}", level="error")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "payment", "status", "includes_shipping", "created_at"]
    list_filter = ["status", "includes_shipping"]
    search_fields = ["payment__order__email", "stripe_refund", "reason"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Opened and closed through `payments.disputes` (Stripe's webhook); read here."""

    list_display = ["__str__", "payment", "status", "provider_id", "opened_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["payment__order__email", "payment__stripe_payment_intent", "provider_id", "reason"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "outcome", "received_at"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id", "type"]


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ["account", "amount"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    """Memos are stored in English and shown in the operator's language (payments.ledger_text);
    searching matches the stored English."""

    list_display = ["key", "memo_shown", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["key", "memo"]
    fields = ["key", "memo_shown", "order", "created_at"]
    readonly_fields = fields
    inlines = [EntryInline]

    @admin.display(description=_("memo"))
    def memo_shown(self, obj):
        return str(obj)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """A seller's payable names the seller and their village, not only a number."""

    list_display = ["code", "name_shown", "seller_name", "village", "kind", "balance"]
    list_select_related = ["farmer__village__county", "cooperative__village__county"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "farmer__name", "cooperative__name"]
    fields = ["code", "name_shown", "kind", "farmer", "cooperative", "balance"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(fen=ledger.fen_sum("entries__amount"))

    @admin.display(description=_("name"))
    def name_shown(self, obj):
        return str(obj)

    @admin.display(description=_("seller"))
    def seller_name(self, obj):
        seller = obj.farmer or obj.cooperative
        return seller.name if seller else "—"

    @admin.display(description=_("village"))
    def village(self, obj):
        return seller_village(obj.farmer or obj.cooperative)

    @admin.display(description=_("balance (debit +, credit −)"))
    def balance(self, obj):
        return ledger.from_fen(obj.fen)


admin.site.register(Payout, PayoutAdmin)
admin.site.register(PayoutDestination, PayoutDestinationAdmin)
