from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    # What operators change beyond viewing (core.operators): payments (confirming offline money, refunds).
    operator_permissions = ("change_payment",)
