"""The forms on "orders to ship". They parse what the farmer chose and typed (and the browser is told
which fields are required); what a valid shipment is (lengths, paid first, not twice, not cancelled)
is `shop.orders.ship_fulfilment`'s rule."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

# The couriers that serve most villages, by their own (Chinese) names: stored as chosen, shown as is.
CARRIERS = ("中国邮政", "顺丰速运", "中通快递", "圆通速递", "韵达快递", "申通快递", "京东物流", "极兔速递")
OTHER = "other"


class ParcelActionForm(forms.Form):
    """One action on one parcel. Its prefix keeps ids unique when a page has many parcels; the
    action itself has no fields (marking delivered), so the service's errors have a place to show."""

    def __init__(self, *args, fulfilment, **kwargs):
        kwargs.setdefault("prefix", f"p{fulfilment.pk}")
        super().__init__(*args, **kwargs)
        self.fulfilment = fulfilment

    def field_for(self, key: str) -> str | None:
        """The field beside which a service error about `key` is shown (None: above the form)."""
        return key if key in self.fields else None

    def add_service_error(self, error: ValidationError) -> None:
        """Put the service's errors beside the fields they concern; the rest above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            self.add_error(None if key == NON_FIELD_ERRORS else self.field_for(key), errors)


class ShipForm(ParcelActionForm):
    """Mark a parcel shipped: a select of common couriers (works on any phone, no JavaScript), a box
    for any other courier, and the tracking number from the waybill."""

    carrier = forms.ChoiceField(
        label=_("Courier"),
        choices=[("", "—"), *((name, name) for name in CARRIERS), (OTHER, _("Other courier"))],
    )
    carrier_other = forms.CharField(
        label=_("Other courier's name"),
        required=False,
        help_text=_("Only if you chose “Other courier”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        help_text=_("As printed on the waybill."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean(self):
        """ "Other" without a name: said now, with any other mistake, not after they are corrected."""
        data = super().clean()
        if data.get("carrier") == OTHER and not data.get("carrier_other", "").strip():
            field = self.fields["carrier_other"]
            self.add_error("carrier_other", ValidationError(field.error_messages["required"], code="required"))
        return data

    @property
    def uses_other(self) -> bool:
        return self.is_bound and self.data.get(self.add_prefix("carrier")) == OTHER

    def carrier_name(self) -> str:
        """What the courier is called: the one chosen, or the one typed for "other"."""
        if self.cleaned_data["carrier"] == OTHER:
            return self.cleaned_data["carrier_other"]
        return self.cleaned_data["carrier"]

    def field_for(self, key: str) -> str | None:
        if key == "carrier" and self.uses_other:
            return "carrier_other"
        return super().field_for(key)
