"""The daily roll-up of the impact figures (kept by `impact.rollup.refresh`): what the pages read
instead of summing the ledger each time. Every row is recomputed from the ledger's entries of its
day, never added to, so a refresh can be repeated and a day rebuilt at any time."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from farmers.models import Farmer, Village


class VillageDay(models.Model):
    """One money figure of one village on one Asia/Shanghai day, in fen, with the figure's sign
    (impact.sources.SIGN): the sum of that day's entries behind the figure."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="+", verbose_name=_("village"))
    day = models.DateField(_("day"))
    figure = models.CharField(_("figure"), max_length=24)
    fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "day", "figure"], name="village_day_figure_once")]
        indexes = [models.Index(fields=["day"], name="village_day_day")]
        verbose_name = _("village figure of a day")
        verbose_name_plural = _("village figures of days")

    def __str__(self):
        return f"{self.village_id} {self.day} {self.figure} {self.fen}"


class HouseholdDay(models.Model):
    """A farmer's household sold on this day (a payment booked on the farmer's own payable)."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="+", verbose_name=_("village"))
    day = models.DateField(_("day"))
    farmer = models.ForeignKey(Farmer, models.CASCADE, related_name="+", verbose_name=_("farmer"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "day", "farmer"], name="household_day_once")]
        indexes = [
            models.Index(fields=["farmer", "day"], name="household_day_farmer"),
            models.Index(fields=["day"], name="household_day_day"),
        ]
        verbose_name = _("household's sale day")
        verbose_name_plural = _("households' sale days")

    def __str__(self):
        return f"{self.village_id} {self.day} {self.farmer_id}"


class PromotedOrderDay(models.Model):
    """An order credited to a campaign's click paid one of the village's sellers on this day."""

    village = models.ForeignKey(Village, models.CASCADE, related_name="+", verbose_name=_("village"))
    day = models.DateField(_("day"))
    order = models.ForeignKey("shop.Order", models.CASCADE, related_name="+", verbose_name=_("order"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["village", "day", "order"], name="promoted_order_day_once")]
        indexes = [models.Index(fields=["day"], name="promoted_order_day_day")]
        verbose_name = _("promoted order's day")
        verbose_name_plural = _("promoted orders' days")

    def __str__(self):
        return f"{self.village_id} {self.day} {self.order_id}"


class RollupState(models.Model):
    """The one row that says how far the roll-up has read (its watermark), and that a refresh
    locks so that two never run at once."""

    last_transaction_id = models.BigIntegerField(_("last ledger transaction read"), default=0)
    last_attribution_id = models.BigIntegerField(_("last attribution read"), default=0)
    scanned_at = models.DateTimeField(_("last read at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("last refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("impact roll-up state")
        verbose_name_plural = _("impact roll-up state")

    def __str__(self):
        return f"{self.last_transaction_id} @ {self.scanned_at}"
