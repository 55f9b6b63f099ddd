"""Storing a provider's notify once, in the same transaction as what it does.

The event's id is taken first: a replayed or duplicated notify finds it taken and changes nothing,
and an effect that fails rolls the id back with it, so the provider's retry is handled afresh
(as `stripe_events.handle` does for Stripe's events)."""

from collections.abc import Callable

from django.db import IntegrityError, transaction

from .models import WebhookEvent

EVENT_TYPE_MAX = WebhookEvent._meta.get_field("type").max_length


def storable(value):
    """A payload as PostgreSQL's jsonb can hold it: NUL characters replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def record_once(event_id: str, type: str, payload: dict, act: Callable[[], str]) -> str:
    """Store the event under `event_id` and run `act` in one transaction; returns act's outcome
    (kept with the event), or "duplicate" when the id was stored before."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    event_id=event_id, type=type[:EVENT_TYPE_MAX], payload=storable(payload)
                )
        except IntegrityError:
            return "duplicate"
        outcome = act()
        record.outcome = outcome[:100]
        record.save(update_fields=["outcome"])
    return outcome
