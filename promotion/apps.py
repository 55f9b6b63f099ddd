from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionConfig(AppConfig):
    name = "promotion"
    verbose_name = _("Promotion")
    # What operators change beyond viewing (core.operators): campaigns and their states, and stories
    # (publishing and withdrawing them).
    operator_permissions = ("change_campaign", "change_contentitem")

    def ready(self):
        from farmers.homes import register_home

        from . import checks, receivers  # noqa: F401
        from .permissions import is_sponsor_staff

        # A sponsor's staff who log in start at their campaigns (unless they also sell or verify).
        register_home(is_sponsor_staff, "sponsor:home")
