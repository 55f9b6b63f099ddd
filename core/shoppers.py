"""Shopper accounts: an email address and a password (farmers sign up by phone, in farmers/)."""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

# Django's own rules: shoppers type on full keyboards, unlike farmers (see farmers.registration).
SHOPPER_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def normalise_email(value) -> str:
    """An email address as the log-in name: trimmed and lower-cased (mailboxes are, in practice,
    case-insensitive, and people type capitals on phones without meaning to)."""
    email = str(value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ValidationError(_("Enter a valid email address."), code="invalid")}) from None
    return email


def register_shopper(email, password):
    User = get_user_model()
    email = normalise_email(email)
    taken = _("An account with this email already exists. Sign in instead.")
    if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ValidationError({"email": ValidationError(taken, code="duplicate_email")})
    candidate = User(username=email, email=email)
    try:
        password_validation.validate_password(
            password or "", candidate, password_validation.get_password_validators(SHOPPER_PASSWORD_VALIDATORS)
        )
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(username=email, email=email, password=password)
    except IntegrityError:  # a concurrent sign-up with the same address
        raise ValidationError({"email": ValidationError(taken, code="duplicate_email")}) from None
