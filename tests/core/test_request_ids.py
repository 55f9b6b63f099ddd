"""Request ids: taken or made, returned, on every log line of the request and of the Celery tasks
it enqueued (on a real worker over Redis); and the two log formats."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from core import request_ids
from core.logs import logging_config
from tests.celery_worker import waiting_messages

ROOT = Path(__file__).resolve().parents[2]


class Records(logging.Handler):
    """Keeps every record the root logger passes on, after the id filter the settings install."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.addFilter(request_ids.RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    handler = Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("shanhuo.requests").setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("shanhuo.requests").setLevel(logging.NOTSET)


def test_a_well_formed_incoming_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-4f2c9a1b-77")
    assert response["X-Request-ID"] == "edge-4f2c9a1b-77"


@pytest.mark.parametrize(
    "incoming", [None, "", "short", "has space 1234", "x" * 65, "inject\nline-123456", "日本語の値です"]
)
def test_a_missing_or_malformed_id_is_replaced_by_a_new_one(client, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    first = client.get("/healthz", **headers)["X-Request-ID"]
    second = client.get("/healthz", **headers)["X-Request-ID"]
    assert first != incoming and len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.django_db
def test_every_log_record_of_a_request_carries_its_id(client, records):
    response = client.get("/no-such-page-here/", HTTP_X_REQUEST_ID="req-0000aaaa")
    assert response.status_code == 404
    loggers = {record.name for record in records}
    # Ours during the request, and Django's 404 warning, written after the middleware returned.
    assert {"shanhuo.requests", "django.request"} <= loggers
    assert {record.request_id for record in records} == {"req-0000aaaa"}
    assert request_ids.current() is None  # cleared once the response left


def test_log_records_outside_a_request_say_so(records):
    logging.getLogger("shanhuo.test").warning("no request here")
    assert records[-1].request_id == "-"


# A task of this test only, registered on the project's app, run by a real worker.
@app.task(name="tests.core.log_a_line")
def log_a_line():
    logging.getLogger("shanhuo.test.task").warning("the task ran")
    return request_ids.current()


@pytest.fixture
def task_records():
    """On the task's loggers themselves: the worker's start re-applies Django's LOGGING to the root."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("shanhuo.test.task", "celery.app.trace")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.redis
def test_a_task_enqueued_during_a_request_logs_with_the_requests_id(celery_on_redis, task_records):
    queue, broker = celery_on_redis
    records = task_records
    token = request_ids.activate("req-1234abcd")
    try:
        log_a_line.delay()
    finally:
        request_ids.deactivate(token)
    # The id travels in the message's headers, not in this process's memory.
    [message] = [json.loads(m) for key in broker.scan_iter(match=f"{queue}*") for m in broker.lrange(key, 0, -1)]
    assert message["headers"][request_ids.TASK_HEADER] == "req-1234abcd"
    assert waiting_messages(broker, queue, "tests.core.log_a_line") == 1

    main = threading.get_ident()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [r for r in records if r.name == "shanhuo.test.task"]:
            time.sleep(0.05)
    [ran] = [r for r in records if r.name == "shanhuo.test.task"]
    assert ran.thread != main, "the task ran in the worker, not in the test's thread"
    assert ran.request_id == "req-1234abcd"
    # Celery's own line about the run carries it too.
    traced = [r for r in records if r.name == "celery.app.trace" and "log_a_line" in r.getMessage()]
    assert traced and {r.request_id for r in traced} == {"req-1234abcd"}


@pytest.mark.redis
def test_a_task_enqueued_outside_a_request_carries_no_id(celery_on_redis):
    queue, broker = celery_on_redis
    log_a_line.delay()
    [message] = [json.loads(m) for key in broker.scan_iter(match=f"{queue}*") for m in broker.lrange(key, 0, -1)]
    assert request_ids.TASK_HEADER not in message["headers"]


def run_logging(log_format: str | None) -> str:
    code = (
        "import logging, django; django.setup(); from core import request_ids; "
        "t = request_ids.activate('req-77778888'); logging.getLogger('shanhuo.x').warning('山货 ok'); "
        "logging.getLogger('shanhuo.requests').info('GET shop:home 200 1.0 ms')"
    )
    env = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
    if log_format:
        env["LOG_FORMAT"] = log_format
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stderr


def test_json_logs_are_one_object_a_line_with_the_request_id():
    lines = [json.loads(line) for line in run_logging("json").splitlines()]
    [warning, request_line] = lines
    assert warning["message"] == "山货 ok" and warning["level"] == "WARNING" and warning["logger"] == "shanhuo.x"
    assert warning["request_id"] == "req-77778888" and warning["time"].endswith("+00:00")
    assert request_line["logger"] == "shanhuo.requests"


def test_text_logs_are_the_default_and_leave_out_the_request_lines():
    output = run_logging(None)
    assert "WARNING shanhuo.x [req-77778888] 山货 ok" in output
    assert "shanhuo.requests" not in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config("jsno", "INFO")
