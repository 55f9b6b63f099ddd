"""The request id: one id per web request, in every log line of that request and of the Celery
tasks it enqueued, so an operator can follow one shopper's click from gunicorn into the worker.

A well-formed `X-Request-ID` from the proxy in front is kept (the proxy's own logs then match
ours); anything else is replaced by a fresh id, so a client cannot inject text into our logs."""

import contextvars
import logging
import re
import uuid

from celery import signals

HEADER = "X-Request-ID"
# Letters, digits and - _ . : only, at most 64: what proxies (nginx's $request_id, a UUID) send.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")
# The name of the Celery message header that carries the id into a task.
TASK_HEADER = "shanhuo_request_id"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def activate(request_id: str | None) -> contextvars.Token:
    return _current.set(request_id)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


def new_id() -> str:
    return uuid.uuid4().hex


def from_header(value: str | None) -> str:
    """The incoming id when well-formed, otherwise a new one."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return new_id()


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record a handler emits, as `request_id`."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            # Django logs a 4xx/5xx answer (`django.request`) after the middleware has finished,
            # with the request on the record.
            request = getattr(record, "request", None)
            record.request_id = _current.get() or getattr(request, "request_id", None) or "-"
        return True


# --- Celery: the id travels in the task message's headers --------------------------------------


@signals.before_task_publish.connect(weak=False)
def _add_to_message(headers=None, **kwargs):
    request_id = _current.get()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


@signals.task_prerun.connect(weak=False)
def _set_in_task(task=None, **kwargs):
    if task is None or task.request.is_eager:
        return  # an eager task runs inside the request: its id is already current
    request_id = getattr(task.request, TASK_HEADER, None) or (task.request.headers or {}).get(TASK_HEADER)
    _current.set(request_id or None)


@signals.task_postrun.connect(weak=False)
def _clear_after_task(task=None, **kwargs):
    if task is not None and not task.request.is_eager:
        _current.set(None)  # the worker's next task starts without one
