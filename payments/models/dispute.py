from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DisputeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("dispute status", "Open")
    WON = "won", pgettext_lazy("dispute status", "Won")
    LOST = "lost", pgettext_lazy("dispute status", "Lost")


class Dispute(models.Model):
    """A shopper contests a payment (a chargeback at the card network, or a complaint an operator
    records): while open, the order's money is not paid out; lost, the money is taken back in the
    ledger as a full refund would be (`payments.disputes`)."""

    payment = models.ForeignKey("payments.Payment", models.PROTECT, related_name="disputes", verbose_name=_("payment"))
    # Stripe's dispute id (dp_…); empty for a dispute an operator opens.
    provider_id = models.CharField(_("dispute ID at the payment service"), max_length=255, blank=True, editable=False)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("opened by")
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("closed by")
    )

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dispute_amount_positive"),
            models.UniqueConstraint(
                fields=["provider_id"], condition=~models.Q(provider_id=""), name="dispute_provider_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.amount} · {self.get_status_display()}"
