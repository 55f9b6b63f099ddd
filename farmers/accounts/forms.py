"""The farmer's sign-up form and the log-in form that farmers, NGO officers and staff share."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import ServiceErrorsForm
from core.ratelimit import LoginAttempt
from farmers import registration
from farmers.models import Cooperative, County, Province, VerificationState, Village


class PlaceSelect(forms.Select):
    """A select whose options carry their parent place (`data-p`), so that the page's small script
    can narrow a list to the province or county chosen above it."""

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parents = parents or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        parent = self.parents.get(str(value))
        if parent is not None:
            option["attrs"]["data-p"] = parent
        return option


def place_label(county: County) -> str:
    return f"{county.province.name} · {county.name}"


def grouped(items, group_of, label_of=str):
    """[(group label, [(pk, label), ...]), ...] in the items' order, for <optgroup>s."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append((item.pk, label_of(item)))
    return list(groups.items())


class SignUpForm(ServiceErrorsForm):
    """Phone, name, place, optional cooperative, password twice.

    The village works without JavaScript: its select lists every village, grouped under
    "province · county" (<optgroup>), so a person can pick theirs in one go; the province and
    county selects above it are optional and only narrow the lists, which the page's inline script
    (1.3 KB) does as the person picks, from `data-p` attributes already in the page. No JSON
    endpoint: on a slow network a round trip per choice is slower than the few kilobytes the full
    lists cost for the hundreds of villages one deployment (a county, an NGO) covers. Were a
    deployment to list thousands, the lists should come per county from an endpoint instead.
    The server checks that the choices agree (county in province, village in county, cooperative
    in the village's county) whatever the browser sent."""

    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        help_text=_("You will log in with it."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "numeric"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    province = forms.ModelChoiceField(
        Province.objects.all(), label=_("Province"), required=False, empty_label=_("Choose…"), widget=PlaceSelect
    )
    county = forms.ModelChoiceField(
        County.objects.all(), label=_("County"), required=False, empty_label=_("Choose…"), widget=PlaceSelect
    )
    village = forms.ModelChoiceField(
        Village.objects.select_related("county"),
        label=_("Village"),
        empty_label=_("Choose…"),
        error_messages={"required": _("Choose your village.")},
        widget=PlaceSelect,
    )
    cooperative = forms.ModelChoiceField(
        Cooperative.objects.filter(verification_state=VerificationState.VERIFIED).select_related("village"),
        label=_("Cooperative (if you belong to one)"),
        required=False,
        empty_label=pgettext_lazy("no cooperative", "None"),
        widget=PlaceSelect,
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        help_text=_("At least 6 characters; not 123456, 111111 or your phone number."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counties = list(County.objects.select_related("province"))
        villages = list(Village.objects.order_by("county__province__name", "county__name", "name"))
        cooperatives = list(
            Cooperative.objects.filter(verification_state=VerificationState.VERIFIED)
            .select_related("village")
            .order_by("village__county__province__name", "village__county__name", "name")
        )
        county_by_pk = {county.pk: county for county in counties}
        self._set_choices("province", [(p.pk, p.name) for p in Province.objects.all()], {})
        self._set_choices(
            "county",
            grouped(counties, lambda c: c.province.name, lambda c: c.name),
            {str(c.pk): c.province_id for c in counties},
        )
        self._set_choices(
            "village",
            grouped(villages, lambda v: place_label(county_by_pk[v.county_id]), lambda v: v.name),
            {str(v.pk): v.county_id for v in villages},
        )
        self._set_choices(
            "cooperative",
            grouped(cooperatives, lambda c: place_label(county_by_pk[c.village.county_id])),
            {str(c.pk): c.village.county_id for c in cooperatives},
        )

    def _set_choices(self, name, choices, parents):
        field = self.fields[name]
        field.choices = [("", field.empty_label), *choices]
        field.widget.parents = parents

    def clean_phone(self):
        phone = registration.clean_farmer_phone(self.cleaned_data["phone"])
        if registration.phone_is_registered(phone):
            raise ValidationError(_("This phone number is already registered. Log in instead."), code="duplicate_phone")
        return phone

    def clean(self):
        data = super().clean()
        province, county, village = data.get("province"), data.get("county"), data.get("village")
        if province and county and county.province_id != province.pk:
            self.add_error("county", ValidationError(_("This county is not in that province."), code="wrong_place"))
        if county and village and village.county_id != county.pk:
            self.add_error("village", ValidationError(_("This village is not in that county."), code="wrong_place"))
        cooperative = data.get("cooperative")
        if cooperative and village and cooperative.village.county_id != village.county_id:
            self.add_error(
                "cooperative",
                ValidationError(_("Choose a cooperative of your own county."), code="cooperative_other_county"),
            )
        password1, password2 = data.get("password1"), data.get("password2")
        if password1:
            try:
                registration.validate_farmer_password(password1, data.get("phone"))
            except ValidationError as error:
                self.add_error("password1", error)
            if password2 and password1 != password2:
                self.add_error(
                    "password2", ValidationError(_("The two passwords are not the same."), code="password_mismatch")
                )
        return data

    # The service names fields as the model does; the form has two password fields.
    SERVICE_FIELDS = {"password": "password1"}


RATE_LIMITED_MESSAGE = _("Too many attempts. Please wait 15 minutes and try again.")


class RateLimitedLogIn:
    """The rate-limited check of a log-in form (`core.ratelimit.LoginAttempt`), shared by our
    log-in page and the admin's, so that guesses at one account count together at both doors.
    The attempt is counted before the password is checked; a blocked one never reaches it."""

    rate_limited = False

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            login_name = registration.login_name(username)
            attempt = LoginAttempt.begin(self.request, login_name)
            if attempt.blocked:
                self.rate_limited = True
                raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
            self.user_cache = authenticate(self.request, username=login_name, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            attempt.succeeded()
        return self.cleaned_data


class LogInForm(RateLimitedLogIn, AuthenticationForm):
    """One form for everyone: farmers type their phone number (in any usual format), NGO officers,
    cooperative managers and staff their user name. Attempts are rate-limited (`core.ratelimit`)
    before the password is checked."""

    username = UsernameField(  # NFKC-normalised like user names at creation; autocomplete="username"
        label=_("Phone number or user name"),
        max_length=150,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("Wrong phone number, user name or password."),
        "inactive": _("This account is inactive."),
        "rate_limited": RATE_LIMITED_MESSAGE,
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)


class AdminLogInForm(RateLimitedLogIn, AdminAuthenticationForm):
    """The admin's own log-in form (staff only, its own page and words), rate-limited like ours:
    an operator's account is the one most worth guessing."""

    error_messages = {**AdminAuthenticationForm.error_messages, "rate_limited": RATE_LIMITED_MESSAGE}


class ShopperSignUpForm(ServiceErrorsForm):
    """A shopper's account: an email address and a password (core.shoppers checks both)."""

    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        help_text=_("At least 8 characters, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
