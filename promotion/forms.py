from django import forms
from django.utils.translation import gettext_lazy as _

from farmers.models import Province


class ProvinceForm(forms.Form):
    """The province a reader says they are in (empty: forget it)."""

    province = forms.ModelChoiceField(
        Province.objects.all(),
        label=_("Your province"),
        required=False,
        empty_label=_("Not chosen"),
        error_messages={"invalid_choice": _("Choose a province from the list.")},
    )
