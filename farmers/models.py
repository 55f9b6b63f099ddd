from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.model_loading import FastRows


class Province(FastRows, models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class County(FastRows, models.Model):
    province = models.ForeignKey(Province, models.PROTECT, related_name="counties", verbose_name=_("province"))
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["province__name", "name"]
        unique_together = [("province", "name")]
        verbose_name = _("county")
        verbose_name_plural = _("counties")

    def __str__(self):
        return f"{self.province.name} {self.name}"


class Village(FastRows, models.Model):
    """A village, with the baseline figures an NGO reports its impact against."""

    county = models.ForeignKey(County, models.PROTECT, related_name="villages", verbose_name=_("county"))
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    story = models.TextField(_("story"), blank=True)
    households = models.PositiveIntegerField(_("households"), default=0)
    poor_households = models.PositiveIntegerField(_("registered poor households"), default=0)
    poverty_line = models.DecimalField(
        _("poverty line (CNY per person per year)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("4000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    baseline_income = models.DecimalField(
        _("baseline income (CNY per person per year)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        ordering = ["county__province__name", "county__name", "name"]
        unique_together = [("county", "name")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(poor_households__lte=models.F("households")),
                name="village_poor_households_within_households",
            ),
        ]
        verbose_name = _("village")
        verbose_name_plural = _("villages")

    def __str__(self):
        return f"{self.county.name} {self.name}"


class VerificationState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("verification state", "Pending")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class Cooperative(FastRows, models.Model):
    """A farmers' cooperative (合作社): can sell on its own account and on behalf of its members."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    village = models.ForeignKey(Village, models.PROTECT, related_name="cooperatives", verbose_name=_("village"))
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_cooperatives", verbose_name=_("managers")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    story = models.TextField(_("story"), blank=True)
    verification_state = models.CharField(
        _("verification state"), max_length=10, choices=VerificationState.choices, default=VerificationState.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.verification_state == VerificationState.VERIFIED


class Farmer(FastRows, models.Model):
    """A farming household. Phone and ID number are personal data: see `farmers.permissions`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="farmer",
        verbose_name=_("user account"),
    )
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    village = models.ForeignKey(Village, models.PROTECT, related_name="farmers", verbose_name=_("village"))
    cooperative = models.ForeignKey(
        Cooperative, models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("cooperative")
    )
    is_registered_poor = models.BooleanField(_("registered poor household"), default=False)
    household_size = models.PositiveSmallIntegerField(_("people in household"), default=1)
    story = models.TextField(_("story"), blank=True)
    verification_state = models.CharField(
        _("verification state"),
        max_length=10,
        db_index=True,
        choices=VerificationState.choices,
        default=VerificationState.PENDING,
    )
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("state changed by"),
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    state_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["village_id", "name"]  # not "village": that would join county and province
        constraints = [
            # The phone is the log-in name of a farmer with an account; farmers listed by their
            # cooperative without an account may share a household phone.
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(user__isnull=False),
                name="farmer_phone_unique_with_account",
                violation_error_message=_("A farmer with an account already uses this phone number."),
            ),
        ]
        verbose_name = _("farmer")
        verbose_name_plural = _("farmers")

    def __str__(self):
        return f"{self.name} ({self.village.name})"

    @property
    def is_verified(self):
        return self.verification_state == VerificationState.VERIFIED


class FarmerStateChange(models.Model):
    """The record of every verification decision: who, when, why."""

    farmer = models.ForeignKey(Farmer, models.CASCADE, related_name="state_changes", verbose_name=_("farmer"))
    from_state = models.CharField(_("from state"), max_length=10, choices=VerificationState.choices)
    to_state = models.CharField(_("to state"), max_length=10, choices=VerificationState.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("verification change")
        verbose_name_plural = _("verification changes")

    def __str__(self):
        return f"{self.farmer_id}: {self.from_state} → {self.to_state}"


class NGO(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    villages = models.ManyToManyField(Village, blank=True, related_name="ngos", verbose_name=_("villages covered"))
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="ngos", verbose_name=_("staff"))
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("NGO")
        verbose_name_plural = _("NGOs")

    def __str__(self):
        return self.name


class VillageBaselineChange(models.Model):
    """One edit of a village's baseline figures: who changed them, when, and each figure before
    and after, so a report made against old figures can be explained later."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="baseline_changes", verbose_name=_("village"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"))
    old_households = models.PositiveIntegerField(_("households before"))
    new_households = models.PositiveIntegerField(_("households after"))
    old_poor_households = models.PositiveIntegerField(_("registered poor households before"))
    new_poor_households = models.PositiveIntegerField(_("registered poor households after"))
    old_poverty_line = models.DecimalField(_("poverty line before"), max_digits=10, decimal_places=2)
    new_poverty_line = models.DecimalField(_("poverty line after"), max_digits=10, decimal_places=2)
    old_baseline_income = models.DecimalField(_("baseline income before"), max_digits=10, decimal_places=2)
    new_baseline_income = models.DecimalField(_("baseline income after"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("village baseline change")
        verbose_name_plural = _("village baseline changes")

    def __str__(self):
        return f"{self.village_id} @ {self.changed_at:%Y-%m-%d %H:%M}"

    def changed_figures(self) -> list[dict]:
        """{name, label, old, new} of each figure this edit changed, in the village's field order."""
        rows = []
        for name in BASELINE_FIELDS:
            old, new = getattr(self, f"old_{name}"), getattr(self, f"new_{name}")
            if old != new:
                rows.append({"name": name, "label": Village._meta.get_field(name).verbose_name, "old": old, "new": new})
        return rows


# The figures an NGO reports against, in the order forms and histories show them.
BASELINE_FIELDS = ("households", "poor_households", "poverty_line", "baseline_income")
