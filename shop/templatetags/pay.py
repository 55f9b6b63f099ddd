"""Template tags for the order page's pay steps.

{% load pay %}
{% qr_svg step.data.code_url %}    the payment's code (WeChat Pay's code_url) as an inline SVG QR code
"""

import segno
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def qr_svg(text: str) -> str:
    """Inline SVG sized by CSS (a viewBox, no width or height), so it fills a phone's width sharply;
    no image request and no script, so it shows wherever the page does."""
    svg = segno.make(text, error="m").svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the text is encoded as modules, not text
