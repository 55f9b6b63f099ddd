"""What happened after a promoted slot was served: clicks, the spend they billed, and the orders
they brought."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.models import Order, Product

from .campaigns import Campaign


class ClickOutcome(models.TextChoices):
    BILLED = "billed", _("Billed")
    REPEAT = "repeat", _("Repeat from the same viewer")
    BOT = "bot", _("Known bot")
    EXPIRED = "expired", _("Expired token")
    REUSED = "reused", _("Token already used")
    FORGED = "forged", _("Forged token")
    MISMATCH = "mismatch", _("Token does not match the campaign")
    NOT_SERVING = "not_serving", _("Campaign not running")
    OVER_BUDGET = "over_budget", _("Budget cap reached")
    UNAVAILABLE = "unavailable", _("Budget service unavailable")


class Click(models.Model):
    """One request to /r/<token>, billable or not: every click is kept, so that the reasons a click
    was not billed can be audited. `token_id` is unique: a token bills at most once."""

    campaign = models.ForeignKey(
        Campaign, models.CASCADE, null=True, blank=True, related_name="clicks", verbose_name=_("campaign")
    )
    product = models.ForeignKey(
        Product, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    token_id = models.CharField(_("token ID"), max_length=32, null=True, blank=True, unique=True)
    served_at = models.DateTimeField(_("shown at"), null=True, blank=True)
    viewer_key = models.CharField(_("viewer"), max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shopper's account"),
    )
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ClickOutcome.choices)
    cost = models.DecimalField(_("cost (CNY)"), max_digits=8, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("clicked at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["viewer_key", "created_at"], name="click_viewer_time"),
            models.Index(fields=["campaign", "outcome"], name="click_campaign_outcome"),
        ]
        verbose_name = _("click")
        verbose_name_plural = _("clicks")

    def __str__(self):
        return f"{self.campaign_id} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def billable(self) -> bool:
        return self.outcome == ClickOutcome.BILLED


class Spend(models.Model):
    """The spend ledger: one debit of a campaign's budget per billed click, never two (the click
    is unique), in the day of the daily cap it counts against."""

    campaign = models.ForeignKey(Campaign, models.PROTECT, related_name="spends", verbose_name=_("campaign"))
    click = models.OneToOneField(Click, models.PROTECT, related_name="spend", verbose_name=_("click"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=8, decimal_places=2)
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "day"], name="spend_campaign_day")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="spend_amount_positive")]
        verbose_name = _("spend")
        verbose_name_plural = _("spend")

    def __str__(self):
        return f"{self.campaign_id} {self.amount}"


class OrderAttribution(models.Model):
    """An order credited to its shopper's last touch within the attribution window: a billable
    click on a promoted slot (with its campaign), or a creditable visit through a shared link
    (no campaign: nobody paid for it). Exactly one of the two is set."""

    order = models.OneToOneField(Order, models.CASCADE, related_name="attribution", verbose_name=_("order"))
    click = models.ForeignKey(
        Click, models.PROTECT, null=True, blank=True, related_name="attributions", verbose_name=_("click")
    )
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, null=True, blank=True, related_name="attributions", verbose_name=_("campaign")
    )
    share_visit = models.ForeignKey(
        "promotion.ShareVisit",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="attributions",
        verbose_name=_("share visit"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(click__isnull=False, share_visit__isnull=True)
                | models.Q(click__isnull=True, share_visit__isnull=False),
                name="attribution_one_touch",
            ),
            # A campaign exactly when a click: campaign reports never count an order a share brought.
            models.CheckConstraint(
                condition=models.Q(click__isnull=False, campaign__isnull=False)
                | models.Q(click__isnull=True, campaign__isnull=True),
                name="attribution_campaign_with_click",
            ),
        ]
        verbose_name = _("attributed order")
        verbose_name_plural = _("attributed orders")

    def __str__(self):
        return f"{self.order_id} ← {self.click_id or f's{self.share_visit_id}'}"
