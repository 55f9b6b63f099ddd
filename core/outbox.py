"""Tasks asked for by a change, never lost when the broker is down: a transactional outbox.

`enqueue(task, *args)` writes the task as a row (`OutboxMessage`) in the caller's transaction, and
sends it to the broker once that commits; the row is deleted when the broker has taken it. If the
broker does not answer, the change still stands and the row stays: `drain` sends it later, run by
beat (`core.tasks.drain_outbox`) and by the next send in this process that gets through. A message
may thus be sent twice (a send that reached the broker but whose row was not deleted): every task
sent through here must be safe to run twice.

With no broker (CELERY_TASK_ALWAYS_EAGER) nothing is written: the task runs in-process after the
commit, as it always has.
"""

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# Set when a send fails in this process: until then the broker is not tried again (each try costs
# the request a connection attempt), and the next send that gets through drains what is waiting.
_broker_down_until: float | None = None


def is_eager(task) -> bool:
    return bool(task.app.conf.task_always_eager)


def enqueue(task, args: Iterable = (), kwargs: dict | None = None, *, robust: bool = False) -> None:
    """Send `task(*args, **kwargs)` once the current transaction commits (at once outside one).

    `robust` matters only when tasks run in-process: an error of the task is then logged rather
    than raised to the caller (`transaction.on_commit`'s own flag)."""
    args, kwargs = list(args), kwargs or {}
    if is_eager(task):
        transaction.on_commit(lambda: task.delay(*args, **kwargs), robust=robust)
        return
    message = record(task, args, kwargs)
    transaction.on_commit(lambda: send(task, args, kwargs, [message]), robust=True)


def record(task, args: Iterable = (), kwargs: dict | None = None) -> OutboxMessage:
    """Write the task in the current transaction without sending it: for callers that send several
    recorded tasks as one (search's index sync), through `send`."""
    return OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=kwargs or {})


def send(task, args: Iterable, kwargs: dict, messages: list[OutboxMessage]) -> bool:
    """Send the task now (after the commit) and delete the messages it stands for; if the broker
    does not take it, keep them for `drain`. True when sent."""
    global _broker_down_until
    ids = [message.pk for message in messages]
    if _broker_down_until is not None and time.monotonic() < _broker_down_until:
        return False
    if not _publish(task, args, kwargs):
        OutboxMessage.objects.filter(pk__in=ids).update(attempts=1)
        _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_PAUSE_SECONDS
        return False
    OutboxMessage.objects.filter(pk__in=ids).delete()
    if _broker_down_until is not None:
        _broker_down_until = None
        drain()
    return True


def drain(limit: int = 500, grace: float | None = None) -> int:
    """Send the messages waiting longer than the grace period (OUTBOX_GRACE_SECONDS: a younger one
    is being sent by its own commit), oldest first; stop at the first the broker refuses. Returns
    how many were sent. Concurrent drains skip each other's rows where the database can."""
    grace = settings.OUTBOX_GRACE_SECONDS if grace is None else grace
    cutoff = timezone.now() - timedelta(seconds=grace)
    sent = 0
    with transaction.atomic():
        waiting = OutboxMessage.objects.select_for_update(skip_locked=True).filter(created_at__lte=cutoff)
        for message in waiting.order_by("created_at")[:limit]:
            task = current_app.tasks.get(message.task)
            if task is None:
                logger.error("outbox: no task %r registered; message %s kept", message.task, message.pk)
                continue
            if not _publish(task, message.args, message.kwargs):
                OutboxMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
                break
            message.delete()
            sent += 1
    if sent:
        logger.info("outbox: %d waiting tasks sent", sent)
    return sent


def waiting() -> int:
    """How many tasks wait for the broker (an operator's figure: it should be 0 most of the time)."""
    return OutboxMessage.objects.count()


def _publish(task, args, kwargs) -> bool:
    """Hand the task to the broker once, without Celery's own retries: the outbox is the retry."""
    try:
        task.apply_async(list(args), dict(kwargs), retry=False)
    except Exception:
        logger.warning("outbox: broker did not take %s; kept to send later", task.name, exc_info=True)
        return False
    return True
