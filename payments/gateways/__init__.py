"""Payment gateways behind one interface (`base.Gateway`), registered by name in the
PAYMENT_GATEWAYS setting; which ones shoppers are offered depends on which are configured."""

from core.registry import Registry

from .base import Device, Gateway, GatewayError, GatewayUnsure, PaymentStep, RefundOutcome, RemoteState  # noqa: F401

registry = Registry("PAYMENT_GATEWAYS")


def get(name: str) -> Gateway:
    return registry.get(name)


def available() -> list[str]:
    """The configured gateways, in the setting's order (the first is the default)."""
    return [gateway.name for gateway in registry.all() if gateway.is_configured()]


def default_method() -> str:
    return available()[0]


def choices() -> list[tuple[str, str]]:
    """Every registered gateway, configured or not: orders paid through one stay readable."""
    return [(gateway.name, gateway.label) for gateway in registry.all()]
