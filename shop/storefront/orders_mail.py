from django.urls import reverse
from django.utils import translation

from core import outbox
from shop import tasks


def send_order_link(request, order, token: str) -> None:
    """Email the order's link once the order is committed, in the language the shopper reads."""
    url = request.build_absolute_uri(reverse("shop:order", args=[token]))
    language = translation.get_language()
    outbox.enqueue(tasks.email_order_link, [order.pk, url, language])
