"""A village's baseline figures (households, registered poor households, poverty line, baseline
income): the figures an NGO reports its impact against. NGO staff of a village's NGO (and
operators) update them here, and every update leaves a `VillageBaselineChange`, so a report made
against old figures can be explained later."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import has_at_most_two_places

from .models import BASELINE_FIELDS, Village, VillageBaselineChange
from .permissions import covers_village

# DecimalField(max_digits=10, decimal_places=2): the largest amount the column holds.
MAX_AMOUNT = Decimal("99999999.99")
MAX_HOUSEHOLDS = 2_147_483_647  # PositiveIntegerField on every backend


def can_edit_baseline(user, village) -> bool:
    """Staff of an NGO covering the village, or operators."""
    return covers_village(user, village)


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError(
                {name: ValidationError(_("Type a whole number, like 120."), code="invalid")}
            ) from None
    if value < 0:
        raise ValidationError({name: ValidationError(_("This cannot be less than 0."), code="min_value")})
    if value > MAX_HOUSEHOLDS:
        raise ValidationError({name: ValidationError(_("This number is too large."), code="max_value")})
    return value


def _amount(name: str, value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError({name: ValidationError(_("Type an amount in yuan, like 4000.00."), code="invalid")})
    if amount < 0:
        raise ValidationError({name: ValidationError(_("This cannot be less than 0."), code="min_value")})
    if not has_at_most_two_places(amount):
        raise ValidationError(
            {name: ValidationError(_("At most two digits after the decimal point (fen)."), code="max_decimal_places")}
        )
    if amount > MAX_AMOUNT:
        raise ValidationError({name: ValidationError(_("This amount is too large."), code="max_value")})
    return amount.quantize(Decimal("0.01"))


def check_baseline(*, households, poor_households, poverty_line, baseline_income) -> dict:
    """The figures, parsed and checked: counts are whole numbers ≥ 0, registered poor households
    at most all households, amounts in yuan ≥ 0 to the fen. Every field's error at once."""
    errors = {}
    values = {}
    for name, parse, value in (
        ("households", _count, households),
        ("poor_households", _count, poor_households),
        ("poverty_line", _amount, poverty_line),
        ("baseline_income", _amount, baseline_income),
    ):
        try:
            values[name] = parse(name, value)
        except ValidationError as error:
            errors.update(error.error_dict)
    if "households" in values and "poor_households" in values and values["poor_households"] > values["households"]:
        errors["poor_households"] = [
            ValidationError(
                _("Registered poor households cannot be more than all households (%(households)d)."),
                code="more_than_households",
                params={"households": values["households"]},
            )
        ]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def update_baseline(village: Village, by, **figures) -> VillageBaselineChange | None:
    """Set the village's four baseline figures (all four given) and record the change. Returns the
    record, or None when nothing changed (no record then). Refuses with `PermissionDenied` anyone
    who does not cover the village, and with a `ValidationError` keyed by figure, writing nothing."""
    if not can_edit_baseline(by, village):
        raise PermissionDenied(_("You cannot change the figures of this village."))
    values = check_baseline(**figures)
    village = Village.objects.select_for_update().get(pk=village.pk)
    old = {name: getattr(village, name) for name in BASELINE_FIELDS}
    if all(old[name] == values[name] for name in BASELINE_FIELDS):
        return None
    for name in BASELINE_FIELDS:
        setattr(village, name, values[name])
    village.save(update_fields=list(BASELINE_FIELDS))
    return VillageBaselineChange.objects.create(
        village=village,
        changed_by=by,
        changed_at=timezone.now(),
        **{f"old_{name}": old[name] for name in BASELINE_FIELDS},
        **{f"new_{name}": values[name] for name in BASELINE_FIELDS},
    )


def baseline_history(village: Village):
    return village.baseline_changes.select_related("changed_by")
