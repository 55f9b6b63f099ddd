import functools
import itertools
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Cooperative, Farmer, FarmerStateChange, VerificationState
from .permissions import can_verify
from .signals import cooperative_verified, farmer_verified

S = VerificationState
ALLOWED_TRANSITIONS = {
    S.PENDING: {S.VERIFIED, S.REJECTED},
    S.REJECTED: {S.PENDING, S.VERIFIED},
    S.VERIFIED: {S.SUSPENDED},
    S.SUSPENDED: {S.VERIFIED},
}
NEEDS_REASON = {S.REJECTED, S.SUSPENDED}


def check_decision(from_state: str, to_state: str, reason: str) -> tuple[S, S, str]:
    """The rules every verification decision follows: an allowed move, and a reason where the
    decision hurts (rejecting, suspending). Returns the states and the trimmed reason."""
    from_state, to_state = S(from_state), S(to_state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise ValidationError(
            {
                "verification_state": ValidationError(
                    _("The state cannot go from %(from)s to %(to)s."),
                    code="invalid_transition",
                    params={"from": from_state.label, "to": to_state.label},
                )
            }
        )
    reason = (reason or "").strip()
    if to_state in NEEDS_REASON and not reason:
        raise ValidationError({"reason": ValidationError(_("Please give a reason."), code="required")})
    return from_state, to_state, reason


@transaction.atomic
def change_verification_state(farmer: Farmer, to_state: str, by, reason: str = "") -> Farmer:
    """Move a farmer between verification states and record who did it, when and why.

    `by` is the person deciding; None only for the system itself (a management command)."""
    farmer = Farmer.objects.select_for_update().get(pk=farmer.pk)
    if by is not None and farmer.user_id == by.pk:
        raise PermissionDenied(_("Nobody can decide on their own verification."))
    if by is not None and not can_verify(by, farmer):
        raise PermissionDenied(_("You cannot verify farmers of this village."))
    from_state, to_state, reason = check_decision(farmer.verification_state, to_state, reason)
    now = timezone.now()
    farmer.verification_state = to_state
    farmer.state_changed_by = by
    farmer.state_changed_at = now
    farmer.state_reason = reason
    farmer.save(update_fields=["verification_state", "state_changed_by", "state_changed_at", "state_reason"])
    FarmerStateChange.objects.create(
        farmer=farmer, from_state=from_state, to_state=to_state, changed_by=by, changed_at=now, reason=reason
    )
    if to_state == S.VERIFIED:
        farmer_verified.send(sender=Farmer, farmer=farmer, by=by)
    return farmer


# --- Farmer sign-up ---------------------------------------------------------------------------

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


@transaction.atomic
def change_cooperative_state(cooperative: Cooperative, to_state: str, by, reason: str = "") -> Cooperative:
    """A cooperative's verification, decided by site staff, with the same moves and reasons as a
    farmer's. Its listings waiting for verification go on sale with it (`cooperative_verified`)."""
    if by is not None and not (by.is_authenticated and by.is_staff):
        raise PermissionDenied(_("Only the platform's staff verify cooperatives."))
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    _from_state, to_state, _reason = check_decision(cooperative.verification_state, to_state, reason)
    cooperative.verification_state = to_state
    cooperative.save(update_fields=["verification_state"])
    if to_state == S.VERIFIED:
        cooperative_verified.send(sender=Cooperative, cooperative=cooperative, by=by)
    return cooperative
