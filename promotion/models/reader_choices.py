"""A reader's own choice about the feed, kept with their account so that it follows them to every
device they sign in on (a browser without an account keeps it in a cookie: promotion.personalisation)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReaderChoice(models.Model):
    """One row per account that ever used the switch; no row means the default (personalised).
    China's rules on algorithmic recommendation (2022, art. 17) require an easy way to turn
    personalised recommendation off: this is where an account's "off" is remembered."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("account"),
    )
    personalised = models.BooleanField(_("personalised recommendations"), default=True)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("reader's feed choice")
        verbose_name_plural = _("readers' feed choices")

    def __str__(self):
        return f"{self.user_id}: {'on' if self.personalised else 'off'}"
