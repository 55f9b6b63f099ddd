from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo database (`manage.py seed_demo`): it writes through every other app, so it sits
    above them all and nothing imports it."""

    name = "demo"
    verbose_name = "Demo"
