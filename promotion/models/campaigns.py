"""Who pays for promotion and what they buy: sponsors, their campaigns, and each campaign's day."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import to_fen
from farmers.models import Farmer, Province, Village
from shop.models import Category, Product


class SponsorKind(models.TextChoices):
    PLATFORM = "platform", _("Platform (charity traffic)")
    NGO = "ngo", _("NGO")
    COMPANY = "company", _("Company")


class Sponsor(models.Model):
    """Whoever funds campaigns. Its staff (and operators) manage its campaigns; nobody else sees them."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SponsorKind.choices, default=SponsorKind.COMPANY)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="sponsors", verbose_name=_("staff")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")

    def __str__(self):
        return self.name


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    EXHAUSTED = "exhausted", _("Budget spent")
    ENDED = "ended", _("Ended")


class Campaign(models.Model):
    """Promotes some products, a farmer's goods or a village's goods, paying `bid` per billable click.

    `spent_fen` and each day's `CampaignDay.spent_fen` are the counters of the database budget path (a
    conditional UPDATE never lets them pass a cap); on the Redis path Redis holds the live counters
    and the reconcile task writes the ledger's sums back here. The ledger (`Spend`) is the record.
    """

    sponsor = models.ForeignKey(Sponsor, models.PROTECT, related_name="campaigns", verbose_name=_("sponsor"))
    name = models.CharField(_("name"), max_length=120)
    products = models.ManyToManyField(
        Product, blank=True, related_name="campaigns", verbose_name=_("products promoted")
    )
    farmer = models.ForeignKey(
        Farmer, models.PROTECT, null=True, blank=True, related_name="campaigns", verbose_name=_("farmer promoted")
    )
    village = models.ForeignKey(
        Village, models.PROTECT, null=True, blank=True, related_name="campaigns", verbose_name=_("village promoted")
    )
    bid = models.DecimalField(
        _("bid per click (CNY)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    daily_cap = models.DecimalField(
        _("daily budget cap (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    total_cap = models.DecimalField(
        _("total budget cap (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT, db_index=True
    )
    # Targeting (promotion.targeting): none chosen means everywhere, any reader.
    target_provinces = models.ManyToManyField(
        Province, blank=True, related_name="targeting_campaigns", verbose_name=_("shown to readers in")
    )
    target_categories = models.ManyToManyField(
        Category, blank=True, related_name="targeting_campaigns", verbose_name=_("shown to readers interested in")
    )
    frequency_cap = models.PositiveIntegerField(
        _("times a day one reader sees it at most"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit."),
    )
    # In fen: SQLite adds decimals as floats, and a cap must hold to the fen on every database.
    spent_fen = models.PositiveBigIntegerField(_("spent (fen)"), default=0, editable=False)
    # The pacing controller's pass-through rate: the share of feed requests this campaign enters.
    serving_rate = models.FloatField(
        _("serving rate"), default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    # Billable clicks per impression, smoothed toward a prior, renewed by the pacing task each minute.
    predicted_ctr = models.FloatField(_("predicted click rate"), default=0.02, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(bid__gt=0), name="campaign_bid_positive"),
            models.CheckConstraint(condition=models.Q(daily_cap__gt=0), name="campaign_daily_cap_positive"),
            models.CheckConstraint(condition=models.Q(total_cap__gt=0), name="campaign_total_cap_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(frequency_cap__isnull=True) | models.Q(frequency_cap__gte=1),
                name="campaign_frequency_cap_positive",
            ),
        ]

    def __str__(self):
        return self.name

    def is_running(self, now) -> bool:
        """Active and inside its schedule: may be served and billed (serving.running in SQL)."""
        return (
            self.state == CampaignState.ACTIVE
            and self.starts_at <= now
            and (self.ends_at is None or now < self.ends_at)
        )

    @property
    def bid_fen(self) -> int:
        return to_fen(self.bid)

    @property
    def daily_cap_fen(self) -> int:
        return to_fen(self.daily_cap)

    @property
    def total_cap_fen(self) -> int:
        return to_fen(self.total_cap)


class CampaignDay(models.Model):
    """One campaign's figures for one day (Asia/Shanghai): the daily cap's counter and impressions."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="days", verbose_name=_("campaign"))
    day = models.DateField(_("day"))
    spent_fen = models.PositiveBigIntegerField(_("spent (fen)"), default=0)
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="campaign_day_unique")]
        verbose_name = _("campaign day")
        verbose_name_plural = _("campaign days")

    def __str__(self):
        return f"{self.campaign_id} {self.day}"


class CampaignViewerDay(models.Model):
    """How many times one reader was shown one capped campaign on one day (Asia/Shanghai): the
    database budget path's frequency-cap counter, moved by a conditional UPDATE like the budget's.
    `viewer` is a hash of the viewer key (budget.repeat_key), never the key itself; rows older than
    yesterday are deleted by the minute task."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="+", verbose_name=_("campaign"))
    day = models.DateField(_("day"))
    viewer = models.CharField(_("reader (hashed)"), max_length=32)
    impressions = models.PositiveIntegerField(_("impressions"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "day", "viewer"], name="campaign_viewer_day_unique")]
        indexes = [models.Index(fields=["day"], name="campaign_viewer_day_day")]
        verbose_name = _("campaign reader day")
        verbose_name_plural = _("campaign reader days")

    def __str__(self):
        return f"{self.campaign_id} {self.day} {self.viewer}"
