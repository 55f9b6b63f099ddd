"""The email that gives a shopper the link to their order: for a guest, the only way back to it.
Sent through Django's email framework (EMAIL_BACKEND; the console by default)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Order


def send_order_link(order_id: int, url: str, language: str) -> None:
    order = Order.objects.prefetch_related("lines").filter(pk=order_id).first()
    if order is None or not order.email:
        return
    with translation.override(language):
        subject = _("Your Shanhuo order %(number)s") % {"number": order.number}
        body = render_to_string("storefront/order_email.txt", {"order": order, "url": url})
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])
