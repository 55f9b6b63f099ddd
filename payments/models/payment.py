from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def gateway_choices():
    """The registered gateways (PAYMENT_GATEWAYS), read when needed so that adding one needs no migration."""
    from payments.gateways import choices

    return choices()


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    FAILED = "failed", _("Failed")
    SUCCEEDED = "succeeded", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """The shopper's payment for one order, through one gateway. Its status only moves forward
    (see `payments.shopper_payments`), so a late or replayed gateway message cannot undo a later one."""

    # By name, not import: shop sits above payments (docs/architecture.md).
    order = models.OneToOneField("shop.Order", models.PROTECT, related_name="payment", verbose_name=_("order"))
    gateway = models.CharField(_("gateway"), max_length=10, choices=gateway_choices)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    refunded_amount = models.DecimalField(_("refunded"), max_digits=12, decimal_places=2, default=Decimal("0"))
    stripe_payment_intent = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, unique=True, null=True, blank=True, editable=False
    )
    client_secret = models.CharField(_("client secret"), max_length=255, blank=True, editable=False)
    # WeChat Pay and Alipay: our number for the payment at the provider (their out_trade_no), and
    # theirs (WeChat's transaction_id, Alipay's trade_no) once they have one.
    merchant_reference = models.CharField(
        _("our payment number at the provider"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    provider_reference = models.CharField(
        _("provider's payment number"), max_length=64, blank=True, db_index=True, editable=False
    )
    # What the shopper's page needs to pay, by channel ("native": the QR code's content, "h5": the
    # link, "jsapi": the prepay id, "page"/"wap": Alipay's address): opened once per channel.
    shopper_data = models.JSONField(_("payment page data"), default=dict, blank=True, editable=False)
    # The provider's fee on this payment, once known (a notify or a settlement file); booked once.
    provider_fee = models.DecimalField(
        _("provider's fee"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    failure_message = models.CharField(_("why it failed"), max_length=255, blank=True)
    reference = models.CharField(
        _("reference"), max_length=80, blank=True, help_text=_("Bank transfer reference or receipt number.")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    succeeded_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self):
        return f"{self.get_gateway_display()} · {self.order.number}"

    @property
    def idempotency_key(self) -> str:
        """Derived from the order, so a retried start can never open a second charge."""
        return f"shanhuo-order-{self.order.checkout_id}"

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount if self.status == PaymentStatus.SUCCEEDED else Decimal("0")


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund status", "Pending")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money sent back: the whole rest of a payment, or chosen lines. Booked in the ledger when it succeeds."""

    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    lines = models.ManyToManyField("shop.OrderLine", blank=True, related_name="refunds", verbose_name=_("order lines"))
    includes_shipping = models.BooleanField(_("shipping refunded too"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    stripe_refund = models.CharField(
        _("Stripe refund"), max_length=255, unique=True, null=True, blank=True, editable=False
    )
    # WeChat Pay and Alipay: our refund number at the provider (out_refund_no / out_request_no) and
    # theirs (WeChat's refund_id).
    merchant_reference = models.CharField(
        _("our refund number at the provider"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    provider_reference = models.CharField(_("provider's refund number"), max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{self.amount} · {self.get_status_display()}"


class WebhookEvent(models.Model):
    """Each gateway event once: the unique id makes a replayed or duplicated delivery a no-op."""

    event_id = models.CharField(_("event ID"), max_length=255, unique=True)
    type = models.CharField(_("event type"), max_length=100)
    payload = models.JSONField(_("content"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self):
        return f"{self.type} {self.event_id}"
