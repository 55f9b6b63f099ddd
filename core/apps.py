from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    operator_permissions = ()  # operators view the users (see core.operators)
