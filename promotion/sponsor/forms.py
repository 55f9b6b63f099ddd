from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ServiceErrorsForm
from farmers.models import Province
from shop.models import Category

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


class TargetingForm(ServiceErrorsForm):
    """Whom a campaign is shown to. The rules (what a frequency cap may be) are
    `promotion.campaigns`'; the fields carry the service's names so its errors land beside them."""

    target_provinces = forms.ModelMultipleChoiceField(
        label=_("Shown to readers in these provinces"),
        help_text=_("Choose none to show it everywhere. Readers whose province we do not know do not see it."),
        queryset=Province.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_categories = forms.ModelMultipleChoiceField(
        label=_("Shown to readers who like these kinds of goods"),
        help_text=_(
            "Choose none to show it to everyone. Readers who turned off recommendations for them see no campaign "
            "chosen this way."
        ),
        queryset=Category.objects.select_related("parent").order_by("parent__position", "parent_id", "position"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    frequency_cap = forms.CharField(
        label=_("Shown to one reader at most this many times a day"),
        help_text=_("Only numbers, like 3. Leave empty for no limit."),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
