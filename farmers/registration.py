"""Farmers signing up: the phone number as the log-in name, the password rules, and the account
with its pending farmer record."""

import functools
import itertools
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Farmer

MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
PHONE_SEPARATORS = re.compile(r"[\s\-()]")
FARMER_PASSWORD_MIN_LENGTH = 6
NAME_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def normalise_phone(value) -> str | None:
    """A mainland mobile number as 11 ASCII digits, or None when `value` is not one.

    Full-width characters (a Chinese keyboard's １３８ or ＋８６) become ASCII first; spaces, dashes
    and brackets go; a +86, 0086 or 86 country prefix goes. Then it must be 1[3-9] and 9 digits:
    a landline (010-12345678), 12 digits or a number starting 12 is not a mobile."""
    text = PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value or "")))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        if len(text) == 13 and text.startswith("86"):
            text = text[2:]
    return text if MAINLAND_MOBILE.fullmatch(text) else None


def login_name(typed: str) -> str:
    """The user name someone means by what they typed at a log-in: a shopper's email address
    (lower-cased, see core.shoppers), a farmer's phone number in any usual format, or a user name."""
    typed = (typed or "").strip()
    return typed.lower() if "@" in typed else normalise_phone(typed) or typed


def clean_farmer_phone(value) -> str:
    phone = normalise_phone(value)
    if phone is None:
        raise ValidationError(_("Enter an 11-digit mainland mobile number, e.g. 13800138000."), code="invalid_phone")
    return phone


def phone_is_registered(phone: str) -> bool:
    """Taken as a log-in name: by a farmer with an account, or by any user named like it."""
    User = get_user_model()
    return (
        Farmer.objects.filter(phone=phone, user__isnull=False).exists() or User.objects.filter(username=phone).exists()
    )


def validate_farmer_password(password: str, phone: str | None = None) -> None:
    """The password rule for farmers: at least 6 characters, not one character repeated, not a
    run such as 123456 or 654321, not (part of) their phone number, not a well-known password.

    Why so short: many farmers type on a small phone with a number pad and are used to six-digit
    PINs (bank cards, WeChat Pay); a long or mixed-character rule gets written on paper or
    forgotten, and there is no SMS reset yet. Guessing online is what a short secret must survive,
    and the log-in is rate-limited (5 failures per number per 15 minutes, `core.ratelimit`); so the
    rule refuses the guesses an attacker tries first: 111111, 123456, the phone number (which is
    the log-in name, so known to them) and Django's list of common passwords."""
    password = password or ""
    if len(password) < FARMER_PASSWORD_MIN_LENGTH:
        raise ValidationError(
            _("Use at least %(min)d characters."), code="password_too_short", params={"min": FARMER_PASSWORD_MIN_LENGTH}
        )
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    if steps in ({0}, {1}, {-1}):
        raise ValidationError(
            _("Too easy to guess: not one character repeated or in a row."), code="password_too_simple"
        )
    if phone and password in phone:
        raise ValidationError(_("Do not use your phone number as the password."), code="password_is_phone")
    try:
        _common_passwords().validate(password)
    except ValidationError:
        raise ValidationError(_("This password is too common; choose another."), code="password_too_common") from None


@functools.cache
def _common_passwords() -> CommonPasswordValidator:
    return CommonPasswordValidator()  # reads its list of 20,000 once per process


def register_farmer(phone, password, name, village, cooperative=None) -> Farmer:
    """Sign a farmer up: a user account named by the phone number and a pending farmer record.

    Validates everything itself (callers other than the sign-up page will come), raising a
    ValidationError keyed by field. A phone taken meanwhile by a concurrent sign-up, which only
    the database's unique constraints can see, is the same `duplicate_phone` error. The user and
    the farmer are written in one transaction (a savepoint inside a caller's); the password is
    hashed before it opens."""
    errors = {}
    try:
        phone = clean_farmer_phone(phone)
    except ValidationError as error:
        errors["phone"] = error
    else:
        if phone_is_registered(phone):
            errors["phone"] = ValidationError(
                _("This phone number is already registered. Log in instead."), code="duplicate_phone"
            )
    try:
        validate_farmer_password(password, phone if "phone" not in errors else None)
    except ValidationError as error:
        errors["password"] = error
    name = (name or "").strip()
    if not name:
        errors["name"] = ValidationError(_("Please give your name."), code="required")
    elif len(name) > Farmer._meta.get_field("name").max_length:
        errors["name"] = ValidationError(
            _("A name has at most %(max)d characters."),
            code="max_length",
            params={"max": Farmer._meta.get_field("name").max_length},
        )
    elif NAME_CONTROL_CHARACTERS.search(name):
        errors["name"] = ValidationError(_("Remove the invisible control characters from your name."), code="invalid")
    if village is None:
        errors["village"] = ValidationError(_("Choose your village."), code="required")
    elif cooperative is not None:
        if not cooperative.is_verified:
            errors["cooperative"] = ValidationError(
                _("This cooperative is not verified yet."), code="cooperative_not_verified"
            )
        elif cooperative.village.county_id != village.county_id:
            errors["cooperative"] = ValidationError(
                _("Choose a cooperative of your own county."), code="cooperative_other_county"
            )
    if errors:
        raise ValidationError(errors)

    User = get_user_model()
    user = User(username=phone)
    user.set_password(password)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            user.save()
            return Farmer.objects.create(user=user, name=name, phone=phone, village=village, cooperative=cooperative)
    except IntegrityError:
        if phone_is_registered(phone):
            raise ValidationError(
                {
                    "phone": ValidationError(
                        _("This phone number is already registered. Log in instead."), code="duplicate_phone"
                    )
                }
            ) from None
        raise
