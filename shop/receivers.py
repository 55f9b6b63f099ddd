from django.dispatch import receiver

from farmers.signals import cooperative_verified, farmer_verified
from payments.signals import payment_succeeded, refund_succeeded

from . import orders
from .models import Product


@receiver(farmer_verified)
def publish_waiting_listings_of_farmer(sender, farmer, **kwargs):
    """Listings a farmer finished while pending go live with the verification."""
    Product.objects.filter(farmer=farmer, publish_when_verified=True).update(
        is_published=True, publish_when_verified=False
    )


@receiver(cooperative_verified)
def publish_waiting_listings_of_cooperative(sender, cooperative, **kwargs):
    Product.objects.filter(cooperative=cooperative, publish_when_verified=True).update(
        is_published=True, publish_when_verified=False
    )


@receiver(payment_succeeded)
def order_paid(sender, payment, **kwargs):
    orders.record_paid(payment)


@receiver(refund_succeeded)
def order_refunded(sender, refund, payment, **kwargs):
    orders.record_refunded(payment.order_id, whole_order=refund.includes_shipping)
