from django.dispatch import receiver

from shop.signals import order_placed

from .attribution import attribute_order


@receiver(order_placed)
def attribute_placed_order(sender, order, viewer_keys=(), **kwargs):
    attribute_order(order, viewer_keys)
