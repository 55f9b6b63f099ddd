"""Payment gateways behind one interface (`base.Gateway`), registered by name in the
PAYMENT_GATEWAYS setting; which ones shoppers are offered depends on which are configured."""

from core.registry import Registry

from .base import Device, Gateway, GatewayError, GatewayUnsure, PaymentStep, RefundOutcome, RemoteState  # noqa: F401

registry = Registry("PAYMENT_GATEWAYS")


def get(name: str) -> Gateway:
    return registry.get(name)


# The Chinese wallets come first, the shopper's own app first of all: inside WeChat's browser
# WeChat Pay (Alipay cannot open there), elsewhere Alipay. Every other gateway follows in the
# setting's order (Stripe's card, then offline).
_WALLETS_IN_WECHAT = ("wechatpay", "alipay")
_WALLETS_ELSEWHERE = ("alipay", "wechatpay")


def available(device: Device | None = None) -> list[str]:
    """The configured gateways, best first for the shopper's device (the first is preselected and
    is the default). The checkout page, the API's `availablePaymentMethods` and the checkout's own
    check all read this; with neither WeChat Pay nor Alipay configured it is the setting's order."""
    configured = [gateway.name for gateway in registry.all() if gateway.is_configured()]
    wallets = _WALLETS_IN_WECHAT if device is not None and device.in_wechat else _WALLETS_ELSEWHERE
    first = [name for name in wallets if name in configured]
    return first + [name for name in configured if name not in first]


def default_method(device: Device | None = None) -> str:
    return available(device)[0]


def needs_openid(gateway: str, device: Device) -> bool:
    """Whether the shopper's WeChat openid must be learnt before this gateway can take the payment:
    WeChat Pay inside WeChat's browser pays by JSAPI, which needs it (core.wechat_oauth learns it)."""
    return gateway == "wechatpay" and device.in_wechat and not device.openid


def choices() -> list[tuple[str, str]]:
    """Every registered gateway, configured or not: orders paid through one stay readable."""
    return [(gateway.name, gateway.label) for gateway in registry.all()]
