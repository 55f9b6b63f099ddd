from decimal import Decimal, InvalidOperation

from django import template

from core.money import FEN

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥ with exactly two decimals: ¥39.90, never ¥39.9 or 39.900."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(FEN)
    except (InvalidOperation, ValueError):
        return ""
    return f"¥{amount:,}"
