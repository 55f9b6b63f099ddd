import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """The project's own user model, set at the start so that phone log-in for farmers and
    email log-in for shoppers can be added later without swapping the model under live data."""

    # Part of every API token's fingerprint (core.api_tokens): replacing it ends all of the user's
    # tokens at once (tokensDeactivateAll). Empty until first replaced, so that the bearer tokens
    # issued before it existed keep their fingerprint.
    jwt_token_key = models.CharField(_("API token key"), max_length=32, blank=True, default="", editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the transaction of the change that asks for it
    (core.outbox): it is sent once that commits, and deleted once the broker took it. A row still
    here means the broker was down when it was sent; `outbox.drain` sends it again."""

    # A UUID, never reused after a rollback: a send deletes its rows by key.
    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(_("attempts to send"), default=0)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("task waiting to be sent")
        verbose_name_plural = _("tasks waiting to be sent")

    def __str__(self):
        return f"{self.task} {self.created_at:%Y-%m-%d %H:%M:%S}"
