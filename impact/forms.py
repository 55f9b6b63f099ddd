"""The dashboard's forms: the period picker (parsed by `impact.periods.parse_period`) and the
village baseline form (checked by `farmers.baselines`). They parse; the rules are the services'."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import ServiceErrorsForm
from farmers.models import Village

from .periods import parse_period

KIND_CHOICES = [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year")), ("range", _("Days from … to …"))]
QUARTER_CHOICES = [(str(n), _("Quarter %(n)d") % {"n": n}) for n in range(1, 5)]


class PeriodForm(ServiceErrorsForm):
    """Pick a month, a quarter, a year or two days. Each kind reads its own fields; the period
    is built as text and parsed by the same function the API uses, so both refuse alike."""

    SERVICE_FIELDS = {"period": "kind"}
    period_errors: list = []  # a bad `?period=` in a link, shown above the picker

    kind = forms.ChoiceField(label=_("Show by"), choices=KIND_CHOICES)
    month = forms.CharField(
        label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"})
    )
    year = forms.CharField(
        label=_("Year"), required=False, widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6})
    )
    quarter = forms.ChoiceField(label=_("Quarter"), required=False, choices=QUARTER_CHOICES)
    start = forms.CharField(label=_("First day"), required=False, widget=forms.TextInput(attrs={"type": "date"}))
    end = forms.CharField(label=_("Last day"), required=False, widget=forms.TextInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        needed = {"month": ["month"], "quarter": ["year"], "year": ["year"], "range": ["start", "end"]}.get(kind, [])
        for name in needed:
            if not (data.get(name) or "").strip():
                self.add_error(name, ValidationError(_("Please fill this in."), code="required"))
        if self.errors:
            return data
        text = {
            "month": lambda: data["month"].strip(),
            "quarter": lambda: f"{data['year'].strip()}-Q{data.get('quarter') or 1}",
            "year": lambda: data["year"].strip(),
            "range": lambda: f"{data['start'].strip()}..{data['end'].strip()}",
        }[kind]()
        try:
            data["period"] = parse_period(text)
        except ValidationError as error:
            field = {"month": "month", "quarter": "year", "year": "year", "range": "end"}[kind]
            self.add_error(field, error.error_dict["period"])
        return data


def period_form_initial(period) -> dict:
    """The picker's fields showing `period`."""
    initial = {"kind": period.kind, "year": str(period.start.year), "month": f"{period.start:%Y-%m}"}
    initial["quarter"] = str((period.start.month - 1) // 3 + 1)
    initial["start"], initial["end"] = period.start.isoformat(), period.end.isoformat()
    return initial


class BaselineForm(ServiceErrorsForm):
    """The four baseline figures as a person types them; `farmers.baselines.check_baseline`
    parses and checks them, and its errors go beside these fields (same names)."""

    households = forms.CharField(
        label=Village._meta.get_field("households").verbose_name,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    poor_households = forms.CharField(
        label=Village._meta.get_field("poor_households").verbose_name,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    poverty_line = forms.CharField(
        label=Village._meta.get_field("poverty_line").verbose_name,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    baseline_income = forms.CharField(
        label=Village._meta.get_field("baseline_income").verbose_name,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
