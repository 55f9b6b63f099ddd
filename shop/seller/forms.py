"""The seller's forms. They parse what a farmer typed; the rules themselves stay in `shop.catalog`
(the same `clean_*` functions run here, so that every mistake is shown at once, beside its field)."""

import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.images import ImageRejected, check_upload
from shop import catalog, permissions, selectors
from shop.models import MAX_VARIANTS_PER_PRODUCT, Category, Product

DATE_FORMAT = "%Y-%m-%d"


def _service_check(cleaner, value, field: str, **kwargs):
    """Run a service's cleaner and turn its {field: error} dict into this field's error."""
    try:
        return cleaner(value, field, **kwargs)
    except ValidationError as exc:
        raise ValidationError(exc.error_dict[field]) from None


def normalise_number(value: str) -> str:
    """Chinese keyboards often type full-width digits (３９．９０) and a yuan sign: read them as meant."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    return text.lstrip("¥").replace("元", "").strip()


class PriceField(forms.CharField):
    """Text, not a number input: a number input drops what it cannot parse, and the service has the
    one rule of what a price is (more than zero, two decimal places at most)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_number(super().to_python(value))


class StockField(forms.IntegerField):
    """A count of boxes: digits only. "20斤", "20 箱" or "二十" get a note that says what to type."""

    default_error_messages = {"invalid": _("Type the number only, like 20, without 斤 or 箱.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(normalise_number(value) if isinstance(value, str) else value)


class WeightField(forms.CharField):
    """How many 斤 one unit weighs (farmers weigh in 斤; the catalog stores kilograms). Text, like
    the price, so that "5斤" or "５" are read as meant and every other answer gets a clear note."""

    default_error_messages = {"required": _("Fill in how many 斤 one unit weighs: shipping is priced by it.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("Weight of one unit (斤)"))
        kwargs.setdefault("help_text", _("For example: a 5 斤 box, write 5. Shipping is priced by it."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalise_number(super().to_python(value)).removesuffix("斤").strip()


def weight_text(weight_kg) -> str:
    """A stored weight as the form shows it, in 斤 (2.500 kg → "5"); blank when none was given."""
    return "" if weight_kg is None or catalog.needs_weight_kg(weight_kg) else f"{catalog.jin(weight_kg):f}"


class PriceStockMixin:
    def clean_price(self):
        return _service_check(catalog.clean_price, self.cleaned_data["price"], "price")

    def clean_stock(self):
        return _service_check(catalog.clean_stock, self.cleaned_data["stock"], "stock")

    def clean_weight(self):
        """In kilograms, as stored."""
        return _service_check(catalog.clean_weight_jin, self.cleaned_data["weight"], "weight")


class CategoryField(forms.ChoiceField):
    """Subcategories grouped by their top category (<optgroup>); a top category without
    subcategories is a choice of its own."""

    def __init__(self, **kwargs):
        super().__init__(choices=self._grouped, **kwargs)

    @staticmethod
    def _grouped():
        choices = [("", "—")]
        for top, children in selectors.subcategories_by_top():
            if children:
                choices.append((top.display_name, [(str(child.pk), child.display_name) for child in children]))
            else:
                choices.append((str(top.pk), top.display_name))
        return choices

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        category = Category.objects.filter(pk=value).first()
        if category is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return category

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Category) else value


class SellerField(forms.ChoiceField):
    """Whose goods these are, for a cooperative manager: each cooperative they manage (which can sell
    on its own account) with its members beneath it. Values are `c<pk>` or `f<pk>`."""

    def __init__(self, user, **kwargs):
        cooperatives, farmers = permissions.sellers_for(user)
        self._cooperatives = {coop.pk: coop for coop in cooperatives}
        self._farmers = {farmer.pk: farmer for farmer in farmers}
        members: dict[int | None, list] = {}
        for farmer in self._farmers.values():
            key = farmer.cooperative_id if farmer.cooperative_id in self._cooperatives else None
            members.setdefault(key, []).append(farmer)
        choices = [("", "—")]
        for farmer in members.pop(None, []):
            choices.append((f"f{farmer.pk}", self._farmer_label(farmer, user)))
        for coop in self._cooperatives.values():
            group = [(f"c{coop.pk}", _("%(name)s (the cooperative itself)") % {"name": coop.name})]
            group += [(f"f{farmer.pk}", self._farmer_label(farmer, user)) for farmer in members.get(coop.pk, [])]
            choices.append((coop.name, group))
        super().__init__(choices=choices, **kwargs)

    @staticmethod
    def _farmer_label(farmer, user):
        if farmer.user_id == user.pk:
            return _("%(name)s (me)") % {"name": farmer.name}
        return f"{farmer.name} · {farmer.village.name}"

    @property
    def choice_count(self) -> int:
        return len(self._cooperatives) + len(self._farmers)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        kind, pk = value[0], int(value[1:])
        return self._cooperatives[pk] if kind == "c" else self._farmers[pk]


class ProductDetailsForm(forms.Form):
    """What describes a product: shared by the listing form and the edit page."""

    name = forms.CharField(
        label=_("Name of the goods"),
        max_length=Product._meta.get_field("name").max_length,
        help_text=_("For example: 赣南脐橙 (Gannan navel oranges)."),
    )
    category = CategoryField(label=_("Category"))
    harvest_date = forms.DateField(
        label=_("Harvest date"),
        required=False,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Product._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few lines: how it is grown, how it tastes, how to keep it."),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text=_("Take a photo with your phone's camera, or choose one you already have."),
    )

    def clean_name(self):
        return _service_check(catalog.clean_text, self.cleaned_data["name"], "name")

    def clean_description(self):
        return _service_check(catalog.clean_text, self.cleaned_data["description"], "description", multiline=True)

    def clean_photo(self):
        """The service's quick check (size, format, pixels), here too so that a bad photo is reported
        together with every other mistake, not only once the rest is right."""
        upload = self.cleaned_data.get("photo")
        if upload:
            try:
                check_upload(catalog.read_upload(upload, settings.IMAGE_MAX_BYTES))
            except ImageRejected as exc:
                raise ValidationError(exc.message, code=exc.code.lower()) from None
        return upload

    def ask_for_the_photo_again(self):
        """Browsers cannot put a chosen file back into a form: say so beside the photo field."""
        if self.is_bound and self.files.get(self.add_prefix("photo")):
            note = _("Your photo could not be kept while the mistakes are corrected: please choose it again.")
            self.fields["photo"].help_text = note
            self["photo"].help_text = note  # the bound field, made (and cached) while validating


class ProductForm(ProductDetailsForm):
    """The listing form. A cooperative manager (or staff) also chooses whose goods they are."""

    field_order = ["farmer", "name", "category", "photo"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        seller = SellerField(user, label=_("Farmer"), help_text=_("Whose goods are these?"))
        own_only = seller.choice_count == 1 and hasattr(user, "farmer")
        if not own_only:
            self.fields["farmer"] = seller
            self.order_fields(self.field_order)


class ProductEditForm(ProductDetailsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].label = _("Add a photo")


class VariantForm(PriceStockMixin, forms.Form):
    """One way the goods are sold: a 5 斤 box at ¥39.90, 20 in stock."""

    name = forms.CharField(
        label=_("Unit"), max_length=40, help_text=_("For example: 5 斤 box"), widget=forms.TextInput()
    )
    price = PriceField(label=_("Price (¥)"))
    weight = WeightField()
    stock = StockField(label=_("How many you can sell"))

    def clean_name(self):
        return _service_check(catalog.clean_text, self.cleaned_data["name"], "name")

    def service_values(self) -> dict:
        values = {field: self.cleaned_data[field] for field in ("name", "price", "stock")}
        return {**values, "weight_kg": self.cleaned_data["weight"]}


class BaseVariantFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Fill in at least one size: its unit, price, weight and stock."),
    }

    def filled_forms(self) -> list:
        """The rows the farmer filled in, in order; blank extra rows are ignored."""
        return [form for form in self.forms if form.has_changed() or not form.empty_permitted]


# Three rows; only the first is required (formsets make rows past `min_num` optional when blank).
VariantFormSet = forms.formset_factory(
    VariantForm,
    formset=BaseVariantFormSet,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=MAX_VARIANTS_PER_PRODUCT,
    absolute_max=MAX_VARIANTS_PER_PRODUCT,
    validate_max=True,
)


class VariantPriceStockForm(PriceStockMixin, forms.Form):
    """The small form on each variant row of "my products"."""

    price = PriceField(label=_("Price (¥)"))
    weight = WeightField(help_text="")
    stock = StockField(label=_("Stock"))
    page = forms.CharField(required=False, widget=forms.HiddenInput)
    # "edit" when sent from the product's edit page: go back there.
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_page(self) -> int | None:
        """Only where to go back to: a bad value must not cost the farmer their change."""
        page = self.cleaned_data.get("page") or ""
        return int(page) if page.isdigit() and int(page) >= 1 else None

    def clean_back(self) -> str:
        return "edit" if self.cleaned_data.get("back") == "edit" else ""

    def __init__(self, *args, variant, **kwargs):
        kwargs.setdefault("prefix", f"v{variant.pk}")
        # The current values, so a farmer changes one number without retyping the other.
        current = {"price": variant.price, "weight": weight_text(variant.weight_kg), "stock": variant.stock}
        kwargs["initial"] = {**current, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.variant = variant
        if catalog.needs_weight(variant) and not self.is_bound:
            # Listed before weights were asked for: point at the one answer missing.
            self.fields["weight"].missing = True
            self.fields["weight"].help_text = _("Not filled in yet: shipping is charged wrong. Please fill it in.")
