"""Forms of the operators' payment pages in the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Payment


class OfflinePaymentForm(forms.Form):
    """Confirming offline money: the reference it came with, as long as the payment can store.
    Optional, since a courier's cash on delivery may come with none."""

    reference = Payment._meta.get_field("reference").formfield(
        label=_("Bank transfer reference or receipt number"),
        help_text=_("Leave it empty for cash on delivery without a receipt."),
    )
