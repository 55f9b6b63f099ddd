from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from farmers.models import Cooperative, Farmer

from .ledger import Account
from .payout_destination import payout_method_choices


class PayoutStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payout status", "On its way")
    PAID = "paid", pgettext_lazy("payout status", "Paid")
    FAILED = "failed", pgettext_lazy("payout status", "Failed")
    # Paid, then sent back by the bank: the money is owed to the seller again.
    RETURNED = "returned", pgettext_lazy("payout status", "Returned")


class Payout(models.Model):
    """Money sent to one seller (a farmer, or a cooperative on behalf of its members): the ledger
    entries it settles point at it (`Entry.payout`), so the same money is never paid twice.

    `sequence` counts the seller's payouts; with the seller's payable account it is unique, so two
    runs that raced past every lock would still make one payout, not two. The idempotency key is
    derived from it, for the payment service that later sends the money."""

    account = models.ForeignKey(Account, models.PROTECT, related_name="payouts", verbose_name=_("payable account"))
    farmer = models.ForeignKey(
        Farmer, models.PROTECT, null=True, blank=True, related_name="payouts", verbose_name=_("farmer")
    )
    cooperative = models.ForeignKey(
        Cooperative, models.PROTECT, null=True, blank=True, related_name="payouts", verbose_name=_("cooperative")
    )
    sequence = models.PositiveIntegerField(_("number"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING, db_index=True
    )
    method = models.CharField(_("payout method"), max_length=20, choices=payout_method_choices)
    destination = models.CharField(
        _("sent to"), max_length=80, blank=True, help_text=_("Where the money went, as the method saw it.")
    )
    reference = models.CharField(
        _("reference"), max_length=80, blank=True, help_text=_("Bank transfer reference of the payout.")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True, editable=False)
    failure_reason = models.CharField(_("why it failed"), max_length=255, blank=True)
    # A method that sends the money itself and hears of the outcome later (WeChat balance transfers):
    # the provider's last state of a payout still on its way ("" until the provider accepted it), and
    # what the seller's phone needs to confirm receipt while the provider waits for them.
    provider_state = models.CharField(_("state at the provider"), max_length=20, blank=True)
    confirm_package = models.TextField(_("confirmation package"), blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(farmer__isnull=False, cooperative__isnull=True)
                | models.Q(farmer__isnull=True, cooperative__isnull=False),
                name="payout_has_exactly_one_seller",
            ),
            models.UniqueConstraint(fields=["account", "sequence"], name="payout_sequence_per_seller"),
        ]

    def __str__(self):
        return f"{self.idempotency_key} · {self.amount} {self.currency}"

    @property
    def seller(self):
        return self.farmer if self.farmer_id else self.cooperative
