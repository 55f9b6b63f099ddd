"""Template tags for provenance: a line's public page, its QR code, and the farmer's share.

{% load provenance %}
<a href="{% provenance_path line %}">…</a>            the line's public page (a path)
{% provenance_qr line %}                               an inline SVG QR code of its absolute URL
{% farmer_share product.min_price as share %}          a shop.provenance.FarmerShare of a price
{% line_share line as share %}                         …of an order line (its booked fee once paid)
{{ share.percent|share_percent }}%                     95.0 → "95", 96.4 → "96.4"
"""

from decimal import Decimal

import segno
from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from shop import provenance

register = template.Library()


@register.simple_tag
def provenance_path(line) -> str:
    return reverse("shop:provenance", args=[provenance.provenance_token(line)])


@register.simple_tag(takes_context=True)
def provenance_qr(context, line) -> str:
    """The QR code of the line's page as inline SVG, sized by CSS (a viewBox, no width or height),
    so it prints sharp at any size. Needs `request` in the context for the absolute URL."""
    url = context["request"].build_absolute_uri(provenance_path(line))
    svg = segno.make(url, error="m").svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the URL is encoded as modules, not text


@register.simple_tag
def farmer_share(price):
    return provenance.farmer_share(price) if price is not None else None


@register.simple_tag
def line_share(line):
    return provenance.line_share(line)


@register.filter
def share_percent(value) -> str:
    """A percentage without a useless ".0": 95.0 → "95", 96.4 → "96.4"."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).normalize():f}"
