from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FarmersConfig(AppConfig):
    name = "farmers"
    verbose_name = _("Villages and farmers")
    # What operators change beyond viewing (core.operators): verification decisions, which for
    # cooperatives are site staff's alone.
    operator_permissions = ("change_farmer", "change_cooperative")
