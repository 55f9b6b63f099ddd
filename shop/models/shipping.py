from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..limits import MAX_EXTRA_KG_PRICE, MAX_SHIPPING_RATE_PRICE


class ShippingMethod(models.Model):
    """A courier service the shopper picks (标准快递, 顺丰). Each farmer ships a parcel of their own,
    so every parcel is priced separately from this method's weight table."""

    name = models.CharField(_("name"), max_length=40)
    is_active = models.BooleanField(_("offered to shoppers"), default=True)
    extra_kg_price = models.DecimalField(
        _("price per kg above the heaviest bracket (CNY)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_EXTRA_KG_PRICE)],
        help_text=_("Charged for each started kilogram a parcel weighs above the heaviest bracket."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        constraints = [
            # Every order's shipping fits its columns (shop.limits).
            models.CheckConstraint(
                condition=models.Q(extra_kg_price__lte=MAX_EXTRA_KG_PRICE), name="shipping_extra_kg_price_at_most_max"
            ),
        ]

    def __str__(self):
        return self.name


class ShippingRate(models.Model):
    """One row of the table an operator edits: parcels up to this weight cost this much."""

    method = models.ForeignKey(ShippingMethod, models.CASCADE, related_name="rates", verbose_name=_("shipping method"))
    max_weight_kg = models.DecimalField(
        _("up to (kg)"), max_digits=7, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    price = models.DecimalField(
        _("price (CNY)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_SHIPPING_RATE_PRICE)],
    )

    class Meta:
        ordering = ["method", "max_weight_kg"]
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")
        constraints = [
            models.UniqueConstraint(fields=["method", "max_weight_kg"], name="shipping_rate_one_per_weight"),
            models.CheckConstraint(condition=models.Q(max_weight_kg__gt=0), name="shipping_rate_weight_positive"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="shipping_rate_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(price__lte=MAX_SHIPPING_RATE_PRICE), name="shipping_rate_price_at_most_max"
            ),
        ]

    def __str__(self):
        return _("%(method)s, up to %(weight)s kg: %(price)s") % {
            "method": self.method.name,
            "weight": self.max_weight_kg,
            "price": self.price,
        }
