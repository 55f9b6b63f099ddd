import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from farmers.models import Cooperative, Farmer

from ..limits import MAX_CHECKOUT_LINES, MAX_LINE_QUANTITY  # noqa: F401 - their home is shop.limits
from .address import MainlandAddress
from .catalog import Variant, exactly_one_seller
from .shipping import ShippingMethod


class Checkout(MainlandAddress):
    """A shopper's cart until it becomes an order. The primary key is a random UUID: a guest's
    checkout is reached by its ID alone, so the ID must not be guessable."""

    id = models.UUIDField(_("checkout ID"), primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="checkouts",
        verbose_name=_("shopper's account"),
    )
    email = models.EmailField(_("email"), blank=True)
    shipping_method = models.ForeignKey(
        ShippingMethod, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("shipping method")
    )
    completed_at = models.DateTimeField(_("ordered at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")

    def __str__(self):
        return str(self.id)


class CheckoutLine(models.Model):
    checkout = models.ForeignKey(Checkout, models.CASCADE, related_name="lines", verbose_name=_("checkout"))
    variant = models.ForeignKey(Variant, models.CASCADE, related_name="+", verbose_name=_("variant"))
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_LINE_QUANTITY)]
    )
    # The price the shopper last saw: a change since is told to them before they pay (shop.checkout.review).
    price_seen = models.DecimalField(_("price seen"), max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["checkout", "variant"], name="checkout_line_one_per_variant"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY), name="checkout_line_quantity"
            ),
        ]
        verbose_name = _("checkout line")
        verbose_name_plural = _("checkout lines")

    def __str__(self):
        return f"{self.variant_id} × {self.quantity}"


class ParcelDelivery(models.Model):
    """The delivery method a shopper chose for one seller's parcel (顺丰 for the honey, the standard
    courier for the potatoes), over the checkout's own method, which covers the other parcels."""

    checkout = models.ForeignKey(Checkout, models.CASCADE, related_name="parcel_deliveries", verbose_name=_("checkout"))
    farmer = models.ForeignKey(
        Farmer, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("farmer")
    )
    cooperative = models.ForeignKey(
        Cooperative, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("cooperative")
    )
    method = models.ForeignKey(ShippingMethod, models.CASCADE, related_name="+", verbose_name=_("shipping method"))

    class Meta:
        verbose_name = _("parcel's delivery")
        verbose_name_plural = _("parcels' deliveries")
        constraints = [
            exactly_one_seller("parcel_delivery_has_exactly_one_seller"),
            models.UniqueConstraint(fields=["checkout", "farmer"], name="parcel_delivery_one_per_farmer"),
            models.UniqueConstraint(fields=["checkout", "cooperative"], name="parcel_delivery_one_per_cooperative"),
        ]

    def __str__(self):
        return f"{self.checkout_id} · {self.method.name}"
