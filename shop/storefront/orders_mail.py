from django.db import transaction
from django.urls import reverse
from django.utils import translation

from shop import tasks


def send_order_link(request, order, token: str) -> None:
    """Email the order's link once the order is committed, in the language the shopper reads."""
    url = request.build_absolute_uri(reverse("shop:order", args=[token]))
    language = translation.get_language()
    transaction.on_commit(lambda: tasks.email_order_link.delay(order.pk, url, language))
