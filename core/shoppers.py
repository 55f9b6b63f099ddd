"""Shopper accounts: an email address and a password (farmers sign up by phone, in farmers/)."""

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
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


def sign_up_shopper(email, password, *, login_url: str):
    """A shopper's account, for apps (`accountRegister`): the new user, or None when the address
    already has an account; the answer must not tell which (decision 264), so the caller answers
    both alike. The input is checked the same way in both cases, the password is hashed in both
    (the time taken tells nothing either), and the owner of a taken address is told by mail, with
    the way to sign in, in case it was them."""
    User = get_user_model()
    email = normalise_email(email)
    try:
        password_validation.validate_password(
            password or "",
            User(username=email, email=email),
            password_validation.get_password_validators(SHOPPER_PASSWORD_VALIDATORS),
        )
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    if not User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        try:
            with transaction.atomic():
                return User.objects.create_user(username=email, email=email, password=password)
        except IntegrityError:  # a concurrent sign-up with the same address: taken after all
            pass
    else:
        make_password(password)
    language = translation.get_language() or settings.LANGUAGE_CODE
    from core import outbox, tasks  # tasks import the photo pipeline; shoppers need it only here

    # Through the outbox, as every task a change asks for: not lost when the broker is down.
    outbox.enqueue(tasks.email_account_exists, [email, login_url, language], robust=True)
    return None


def send_account_exists_mail(email: str, login_url: str, language: str) -> None:
    """Tell the owner of an address that someone tried to sign up with it (perhaps them, having
    forgotten): the mail the sign-up's answer could not be, since it must not tell."""
    with translation.override(language):
        subject = _("Your Shanhuo account")
        body = _(
            "Someone, perhaps you, tried to create a Shanhuo account with this email address. "
            "It already has an account, so nothing was changed.\n\n"
            "If it was you, sign in with your password: %(url)s\n\n"
            "If it was not you, you can ignore this mail."
        ) % {"url": login_url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
