from django.core.management.base import BaseCommand

from core.operators import OPERATORS_GROUP, ensure_operator_group


class Command(BaseCommand):
    help = (
        f"Create or update the operators' group ({OPERATORS_GROUP}): view every model, change what operators "
        "work on (each app's operator_permissions). Safe to run again; run it after migrating to new models. "
        "Then put operators (staff users) in the group in the admin."
    )

    def handle(self, *args, **options):
        group = ensure_operator_group()
        self.stdout.write(
            f"Group {group.name}: {group.permissions.count()} permissions, {group.user_set.count()} users."
        )
