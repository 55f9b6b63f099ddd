"""What the feed keeps of a reader in the database: only the province an account chose. Everything
else in a reader's profile (promotion.affinities) lives in Redis and is rebuilt from orders, carts
and clicks when lost; a choice the reader made is not in those, so it is kept here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from farmers.models import Province


class ChosenProvince(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("shopper's account")
    )
    province = models.ForeignKey(Province, models.CASCADE, related_name="+", verbose_name=_("province"))
    chosen_at = models.DateTimeField(_("chosen at"))

    class Meta:
        verbose_name = _("chosen province")
        verbose_name_plural = _("chosen provinces")

    def __str__(self):
        return f"{self.user_id}: {self.province_id}"
