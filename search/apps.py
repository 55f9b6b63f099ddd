from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")
    operator_permissions = ()  # operators view the index entries (see core.operators)

    def ready(self):
        from . import receivers  # noqa: F401
