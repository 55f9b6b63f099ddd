"""The shopper's forms. They only shape input: quantities, stock, addresses and phones are checked by
shop.checkout, whose errors each form shows beside the field they belong to (`add_service_errors`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ServiceErrorsForm
from payments import gateways
from shop.limits import MAX_LINE_QUANTITY
from shop.regions import PROVINCES


def quantity_field(**kwargs) -> forms.IntegerField:
    """No bounds of its own: shop.checkout says what a quantity may be, in its own words."""
    return forms.IntegerField(
        label=_("Quantity"),
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_LINE_QUANTITY, "inputmode": "numeric"}),
        error_messages={"required": _("Choose a quantity."), "invalid": _("Enter a whole number.")},
        **kwargs,
    )


class AddToCartForm(ServiceErrorsForm):
    SERVICE_FIELDS = {"lines": "quantity"}

    variant = forms.TypedChoiceField(
        label=_("Size"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a size."), "invalid_choice": _("Choose a size.")},
    )
    quantity = quantity_field(initial=1)

    def __init__(self, variants, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.variants = {variant.pk: variant for variant in variants}
        self.fields["variant"].choices = [(variant.pk, variant.name) for variant in variants]
        in_stock = [variant.pk for variant in variants if variant.stock]
        if in_stock:
            self.fields["variant"].initial = in_stock[0]

    def clean_variant(self):
        return self.variants[self.cleaned_data["variant"]]


class QuantityForm(ServiceErrorsForm):
    SERVICE_FIELDS = {"lines": "quantity"}

    quantity = quantity_field()


class ContactForm(ServiceErrorsForm):
    """Email and delivery address: province from the 31, then city, county, street, as parcels are
    labelled in China."""

    email = forms.CharField(
        label=_("Email (we send the order link there)"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    recipient = forms.CharField(
        label=_("Recipient"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    province = forms.ChoiceField(
        label=_("Province"), choices=[("", _("Choose…")), *((name, name) for name in PROVINCES)]
    )
    city = forms.CharField(
        label=_("City"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    district = forms.CharField(
        label=_("District or county"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "address-level3"})
    )
    street = forms.CharField(
        label=_("Street, building and door number"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Required parts are checked by shop.checkout, which names the missing part in its words.
            field.required = False
            field.widget.attrs["required"] = True


class DeliveryForm(ServiceErrorsForm):
    """A choice of delivery method for each seller's parcel (a field per parcel, named by its
    seller key), each option priced for that parcel."""

    def __init__(self, parcel_options, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.methods = {}
        for entry in parcel_options:
            parcel = entry.parcel
            self.methods.update({method.pk: method for method, _price in entry.options})
            default = parcel.method or (entry.options[0][0] if entry.options else None)
            self.fields[parcel.key] = forms.TypedChoiceField(
                label=parcel.seller.name,
                coerce=int,
                widget=forms.RadioSelect,
                choices=[(method.pk, method.name) for method, _price in entry.options],
                initial=default.pk if default else None,
                error_messages={
                    "required": _("Choose how this parcel travels."),
                    "invalid_choice": _("Choose how this parcel travels."),
                },
            )

    def choices(self) -> dict:
        return {key: self.methods[pk] for key, pk in self.cleaned_data.items()}


class PlaceOrderForm(ServiceErrorsForm):
    SERVICE_FIELDS = {"payment_method": "payment_method"}

    payment_method = forms.ChoiceField(
        label=_("Payment"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to pay."), "invalid_choice": _("Choose how to pay.")},
    )
    # The total the shopper saw: if prices moved since, the order is not placed (shop.checkout).
    total = forms.DecimalField(widget=forms.HiddenInput, max_digits=12, decimal_places=2)

    def __init__(self, *args, device: gateways.Device | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = gateways.available(device)
        self.fields["payment_method"].choices = [(name, gateways.get(name).label) for name in offered]
        self.fields["payment_method"].initial = offered[0]
