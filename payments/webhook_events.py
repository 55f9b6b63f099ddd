"""Every provider's webhooks and notifies (Stripe, WeChat Pay, Alipay) are stored once and acted on
through `store_once_and_act`, so each is handled the same way: the event's id is written before it
is handled, in the same transaction as its effect. A replayed or duplicated delivery finds the id
taken and changes nothing; a handler that fails rolls the id back, so the provider's retry is
handled afresh. Ids are prefixed by provider ("wechatpay:…", "alipay:…"; Stripe's bare) so they
never collide."""

from collections.abc import Callable

from django.db import IntegrityError, transaction

from .models import WebhookEvent

OUTCOME_MAX = WebhookEvent._meta.get_field("outcome").max_length


def storable(value):
    """The event as PostgreSQL's jsonb can hold it: NUL characters replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def store_once_and_act(event_id: str, event_type: str, payload: dict, act: Callable[[], str]) -> str:
    """Store the event under `event_id` and run `act` (which returns what happened) in one
    transaction; "duplicate" without running it when the id was stored before."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event_id, type=event_type, payload=storable(payload))
        except IntegrityError:
            return "duplicate"
        outcome = act()
        record.outcome = outcome[:OUTCOME_MAX]
        record.save(update_fields=["outcome"])
    return outcome
