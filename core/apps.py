from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Accounts")
    operator_permissions = ()  # operators view the users (see core.operators)

    def ready(self):
        # Connects the Celery signals that carry request ids into tasks and count task runs, in
        # the web processes and the worker alike.
        from . import metrics, request_ids  # noqa: F401
