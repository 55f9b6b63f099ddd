"""How payouts reach sellers: methods behind one interface (`base.PayoutMethod`), registered by
name in the PAYOUT_METHODS setting (`core.registry`), as payment gateways are in PAYMENT_GATEWAYS.

The run gives each seller the first method, in the setting's order, that is configured and can
reach them (`choose`): a seller's own choice on their `PayoutDestination` is tried first. List the
bank transfer last: it reaches everyone, since an operator makes it by hand."""

from django.core.exceptions import ImproperlyConfigured

from core.registry import Registry

from .base import PayoutMethod, SendError, SendOutcome  # noqa: F401

registry = Registry("PAYOUT_METHODS")


def get(name: str) -> PayoutMethod:
    return registry.get(name)


def choices() -> list[tuple[str, str]]:
    """Every registered method, configured or not: payouts made through one stay readable."""
    return [(method.name, method.label) for method in registry.all()]


def choose(destination, amount=None) -> str:
    """The method a seller with this destination (a `PayoutDestination`, or None: nothing
    recorded) is paid `amount` through now (`amount` None: whatever the amount)."""
    preferred = [destination.method] if destination is not None and destination.method else []
    for name in [*preferred, *registry.names()]:
        if name not in registry or not (method := registry.get(name)).is_configured():
            continue
        if method.reaches(destination) if amount is None else method.takes(destination, amount):
            return name
    raise ImproperlyConfigured("PAYOUT_METHODS has no configured method that reaches every seller (a bank transfer)")
