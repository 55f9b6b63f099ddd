"""Waiting, bounded, for something another thread or process does: a webhook that localstripe
sends a second after a charge, a page the live server answers."""

import time
from collections.abc import Callable

from django.db import OperationalError


def wait_until(condition: Callable[[], object], timeout: float = 15, interval: float = 0.1, what: str = ""):
    """Call `condition` until it returns something true, and return that; fail the test after
    `timeout` seconds, naming `what` was awaited (the condition's docstring or name otherwise).

    On SQLite the live server's thread shares the test's in-memory database, whose tables are
    locked, not waited for, while that thread writes: a read then fails at once with "database
    table is locked", and is simply tried again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            awaited = what or condition.__doc__ or getattr(condition, "__name__", "the condition")
            raise AssertionError(f"waited {timeout:g} s, in vain, for {awaited}")
        time.sleep(interval)
