"""Running calls at the same moment from threads, each with its own database connection."""

import threading
import time

from django.db import connection

# Seconds a whole round of concurrent calls may take before the test calls it stuck (a deadlock,
# a lock never released); a round normally takes one to three seconds.
ROUND_TIMEOUT = 15


def run_together(calls: list, timeout: float = ROUND_TIMEOUT) -> list:
    """Run the calls in threads released together by one barrier; return their results in order.

    Each thread closes its database connection when done. A thread still running after `timeout`
    fails the test (a deadlock or a lock held forever); so does any exception in a thread."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    failures: list[tuple[int, BaseException]] = []

    def worker(index, call):
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread below
            failures.append((index, error))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(calls)} calls still running after {timeout} s (deadlock or lock held)"
    assert not failures, f"{len(failures)} calls failed, e.g. call {failures[0][0]}: {failures[0][1]!r}"
    return results
