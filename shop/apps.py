from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")
    # What operators change beyond viewing (core.operators): a product's visibility, orders (the
    # actions: confirm payment, cancel), and the shipping table with its weight brackets.
    operator_permissions = (
        "change_product",
        "change_order",
        "change_shippingmethod",
        "add_shippingrate",
        "change_shippingrate",
        "delete_shippingrate",
    )

    def ready(self):
        from . import receivers  # noqa: F401 - connects the signal receivers
        from .storefront import carts  # noqa: F401 - a guest's cart follows them when they log in
