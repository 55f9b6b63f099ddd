"""What every page form shares: Chinese-style labels (no colon after them) and a place beside each
field for the errors a service raises, keyed by the service's own field names."""

from django import forms
from django.core.exceptions import ValidationError


class ServiceErrorsForm(forms.Form):
    # The service's field name -> this form's; errors of fields the form lacks go on top.
    SERVICE_FIELDS: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            name = self.SERVICE_FIELDS.get(field, field)
            self.add_error(name if name in self.fields else None, errors)
