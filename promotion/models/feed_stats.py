"""The feed's quality figures per product: counts folded from the day counters in Redis (and the
orders from the order lines), with the smoothed rates the organic ranking reads (promotion.quality)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.models import Product


class ProductFeedStats(models.Model):
    product = models.OneToOneField(
        Product, models.CASCADE, primary_key=True, related_name="feed_stats", verbose_name=_("product")
    )
    impressions = models.PositiveBigIntegerField(_("feed impressions"), default=0)
    views = models.PositiveBigIntegerField(_("page views"), default=0)
    clicks = models.PositiveBigIntegerField(_("feed clicks"), default=0)
    carts = models.PositiveBigIntegerField(_("cart adds"), default=0)
    orders = models.PositiveBigIntegerField(_("orders"), default=0)
    # Smoothed toward the catalogue's mean at each fold, so a listing with little history is neither
    # buried nor lifted by a few chance clicks.
    click_rate = models.FloatField(_("click rate"), default=0.0)
    order_rate = models.FloatField(_("order rate"), default=0.0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("product feed figures")
        verbose_name_plural = _("product feed figures")

    def __str__(self):
        return str(self.product_id)
