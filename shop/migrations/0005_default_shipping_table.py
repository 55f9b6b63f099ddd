"""A starting shipping table, so a fresh installation can take orders; operators edit it in the admin."""

from decimal import Decimal

from django.db import migrations

DEFAULT_TABLE = [
    # name, extra price per kg above the heaviest bracket, [(up to kg, price)]
    ("标准快递", "2.00", [("1", "8.00"), ("3", "12.00"), ("5", "15.00"), ("10", "22.00")]),
    ("顺丰速运", "5.00", [("1", "18.00"), ("3", "24.00"), ("5", "30.00"), ("10", "45.00")]),
]


def create(apps, schema_editor):
    ShippingMethod = apps.get_model("shop", "ShippingMethod")
    ShippingRate = apps.get_model("shop", "ShippingRate")
    if ShippingMethod.objects.exists():
        return
    for position, (name, extra, rates) in enumerate(DEFAULT_TABLE):
        method = ShippingMethod.objects.create(name=name, extra_kg_price=Decimal(extra), position=position)
        for weight, price in rates:
            ShippingRate.objects.create(method=method, max_weight_kg=Decimal(weight), price=Decimal(price))


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_checkout_orders_shipping")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
