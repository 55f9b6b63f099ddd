from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ServiceErrorsForm

DATE_FORMAT = "%Y-%m-%d"


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
    )


class ReportRangeForm(ServiceErrorsForm):
    """The days a report covers (`?start=…&end=…`); a day left out takes the default range's.
    The range's rules (order, length) are `promotion.reports.check_range`'s."""

    start = _date_field(_("First day"))
    end = _date_field(_("Last day"))

    def __init__(self, data, default: tuple, **kwargs):
        super().__init__(data, **kwargs)
        self.default = default

    def clean(self):
        data = super().clean()
        if "start" in data and not data["start"]:
            data["start"] = self.default[0]
        if "end" in data and not data["end"]:
            data["end"] = self.default[1]
        return data
