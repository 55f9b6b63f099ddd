"""Shipping prices: each seller's parcel is priced by its weight from the operator's table."""

import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ShippingMethod


def active_methods():
    return ShippingMethod.objects.filter(is_active=True).prefetch_related("rates")


def parcel_price(method: ShippingMethod, weight_kg: Decimal) -> Decimal:
    """The first bracket that holds the parcel; above the heaviest, its price plus the per-kg price
    for each started kilogram over it. Uses `method.rates.all()`, so prefetch it for many parcels."""
    rates = sorted(method.rates.all(), key=lambda rate: rate.max_weight_kg)
    if not rates:
        raise ValidationError(
            {"shipping_method": ValidationError(_("This delivery method has no prices yet."), code="invalid")}
        )
    for rate in rates:
        if weight_kg <= rate.max_weight_kg:
            return rate.price
    heaviest = rates[-1]
    extra_kg = math.ceil(weight_kg - heaviest.max_weight_kg)
    return heaviest.price + extra_kg * method.extra_kg_price
