from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from farmers.models import Cooperative, Farmer, Village
from payments.models import gateway_choices

from .address import MainlandAddress
from .catalog import Variant, exactly_one_seller


class OrderStatus(models.TextChoices):
    UNPAID = "unpaid", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partly shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Order(MainlandAddress):
    """What a completed checkout became: prices, names, sellers and villages are copied here, so
    later edits to the catalog never change what a shopper bought."""

    checkout_id = models.UUIDField(_("checkout ID"), unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("shopper's account"),
    )
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.UNPAID, db_index=True
    )
    payment_method = models.CharField(_("payment method"), max_length=10, choices=gateway_choices)
    shipping_method_name = models.CharField(_("shipping method"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", editable=False)
    subtotal = models.DecimalField(_("goods"), max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                # Rounded: SQLite adds decimals as floats (39.90 + 6.80 = 46.699999999999996).
                condition=models.Q(total=Round(models.F("subtotal") + models.F("shipping_total"), 2)),
                name="order_total_adds_up",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"{self.pk:08d}" if self.pk else ""


class FulfilmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("To ship")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Fulfilment(models.Model):
    """One seller's parcel of an order: each farmer (or cooperative) ships their own goods."""

    order = models.ForeignKey(Order, models.CASCADE, related_name="fulfilments", verbose_name=_("order"))
    farmer = models.ForeignKey(
        Farmer, models.PROTECT, null=True, blank=True, related_name="fulfilments", verbose_name=_("farmer")
    )
    cooperative = models.ForeignKey(
        Cooperative, models.PROTECT, null=True, blank=True, related_name="fulfilments", verbose_name=_("cooperative")
    )
    village = models.ForeignKey(Village, models.PROTECT, related_name="fulfilments", verbose_name=_("village"))
    seller_name = models.CharField(_("seller"), max_length=80)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.UNFULFILLED,
        db_index=True,
    )
    subtotal = models.DecimalField(_("goods"), max_digits=12, decimal_places=2)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=3)
    shipping_price = models.DecimalField(_("shipping"), max_digits=10, decimal_places=2)
    shipping_method_name = models.CharField(_("shipping method"), max_length=40, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        constraints = [
            exactly_one_seller("fulfilment_has_exactly_one_seller"),
            models.UniqueConstraint(fields=["order", "farmer"], name="fulfilment_one_per_farmer"),
            models.UniqueConstraint(fields=["order", "cooperative"], name="fulfilment_one_per_cooperative"),
        ]

    def __str__(self):
        return f"{self.order.number} · {self.seller_name}"

    @property
    def seller(self):
        return self.farmer if self.farmer_id else self.cooperative

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping_price


class OrderLine(models.Model):
    order = models.ForeignKey(Order, models.CASCADE, related_name="lines", verbose_name=_("order"))
    fulfilment = models.ForeignKey(Fulfilment, models.CASCADE, related_name="lines", verbose_name=_("fulfilment"))
    variant = models.ForeignKey(
        Variant, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("variant")
    )
    product_name = models.CharField(_("product"), max_length=120)
    variant_name = models.CharField(_("unit"), max_length=40)
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    unit_weight_kg = models.DecimalField(_("weight of one (kg)"), max_digits=7, decimal_places=3)
    farmer = models.ForeignKey(
        Farmer, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("farmer")
    )
    cooperative = models.ForeignKey(
        Cooperative, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("cooperative")
    )
    village = models.ForeignKey(Village, models.PROTECT, related_name="+", verbose_name=_("village"))
    seller_name = models.CharField(_("seller"), max_length=80)
    village_name = models.CharField(_("village"), max_length=120)
    # The product's harvest date when ordered: shown on the line's provenance page (shop.provenance).
    harvest_date = models.DateField(_("harvest date"), null=True, blank=True)
    # The platform's fee on this line, fixed when the payment is booked (payments.ledger).
    platform_fee = models.DecimalField(_("platform fee"), max_digits=12, decimal_places=2, default=Decimal("0"))
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product_name} · {self.variant_name} × {self.quantity}"
