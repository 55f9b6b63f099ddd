"""Payment gateways behind one interface (`base.Gateway`); which ones are offered depends on settings."""

from django.conf import settings

from shop.models import PaymentMethod

from .base import Gateway, GatewayError, RefundOutcome  # noqa: F401


def available() -> list[str]:
    """Stripe when its keys are configured; the offline method always (the embedded default)."""
    methods = [PaymentMethod.STRIPE.value] if settings.STRIPE_SECRET_KEY else []
    return [*methods, PaymentMethod.OFFLINE.value]


def default_method() -> str:
    return available()[0]


def get(name: str) -> Gateway:
    if name == PaymentMethod.STRIPE:
        from .stripe import StripeGateway

        return StripeGateway()
    from .offline import OfflineGateway

    return OfflineGateway()
