"""Links shoppers share (a poster's QR code, a forwarded link) and the visits they bring. Nobody
is billed for them: a visit is kept so that an order can be credited to the share that brought
it, the way a feed click is."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.models import Product


class ShareLink(models.Model):
    """One link per product and sharer: the sharer is the viewer key of core.viewers (`u:<id>` when
    signed in, else `c:<browser cookie>`), so asking again, even on another day, gives the same
    link. The token is random and says nothing about the product or the sharer."""

    # Kept when the product is deleted (as clicks are), so the orders credited to it stay explained.
    product = models.ForeignKey(
        Product, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sharer's account"),
    )
    sharer_key = models.CharField(_("sharer"), max_length=64)
    token = models.CharField(_("token"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["product", "sharer_key"], name="share_link_per_sharer")]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self):
        return self.token


class ShareVisitOutcome(models.TextChoices):
    CREDITED = "credited", _("Counts for orders")
    OWN = "own", _("The sharer's own visit")
    BOT = "bot", _("Known bot")
    HIDDEN = "hidden", _("Goods not on sale")


class ShareVisit(models.Model):
    """One request to /s/<token>. Every visit is kept; only CREDITED ones can be credited an order."""

    link = models.ForeignKey(ShareLink, models.CASCADE, related_name="visits", verbose_name=_("share link"))
    viewer_key = models.CharField(_("viewer"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shopper's account"),
    )
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ShareVisitOutcome.choices)
    created_at = models.DateTimeField(_("visited at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["viewer_key", "created_at"], name="share_visit_viewer_time")]
        verbose_name = _("share visit")
        verbose_name_plural = _("share visits")

    def __str__(self):
        return f"{self.link_id} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def creditable(self) -> bool:
        return self.outcome == ShareVisitOutcome.CREDITED
