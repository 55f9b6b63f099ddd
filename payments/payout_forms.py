"""Forms of the payouts' admin pages (payments/payout_admin.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Payout

MAX_FILE_BYTES = 2 * 1024 * 1024


class PayoutReferenceForm(forms.Form):
    reference = Payout._meta.get_field("reference").formfield(
        label=_("Bank transfer reference"),
        required=True,
        help_text=_("As the bank's statement shows it."),
    )


class PayoutReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=255,
        help_text=_("What the bank said, e.g. the account is closed."),
    )


class BankFileForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's CSV file"),
        help_text=_("Columns: payout, reference, status (paid or failed), amount; reason is optional."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large: at most 2 MB."), code="too_large")
        return upload
