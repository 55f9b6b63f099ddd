import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """The project's own user model, set at the start so that phone log-in for farmers and
    email log-in for shoppers can be added later without swapping the model under live data."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the transaction of the change that asks for it
    (core.outbox): it is sent once that commits, and deleted once the broker took it. A row still
    here means the broker was down when it was sent; `outbox.drain` sends it again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # never reused after a rollback
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.task} {self.created_at:%Y-%m-%d %H:%M:%S}"
