"""The weekly payout run as a Celery task: beat names it, weekly by default on Monday 03:00 China
time (or when the settings say); the task makes a run, and repeated makes none; on a real worker
over Redis it pays the sellers from another thread and connection, against committed rows."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab

from config.celery import app
from config.env import READ
from payments import ledger, tasks
from payments.models import Payout
from tests.celery_worker import unacked_messages, waiting_messages
from tests.payments.test_payouts import A_OWED, B_OWED, sellers_with_money_due

ROOT = Path(__file__).resolve().parents[2]
TASK = "payments.tasks.run_payouts"
WAIT_SECONDS = 30


def payout_entry(beat_schedule) -> dict:
    (entry,) = [entry for entry in beat_schedule.values() if entry["task"] == TASK]
    return entry


def test_beat_runs_the_payouts_weekly_on_monday_at_three_china_time(settings):
    schedule = payout_entry(settings.CELERY_BEAT_SCHEDULE)["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.minute, schedule.hour, schedule.day_of_week) == ({0}, {3}, {1})
    assert app.conf.timezone == "Asia/Shanghai"
    assert TASK in app.tasks


def test_the_day_and_hour_of_the_run_come_from_the_settings():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "(e,) = [e for e in s.CELERY_BEAT_SCHEDULE.values() if e['task'] == 'payments.tasks.run_payouts']; "
        "c = e['schedule']; print(json.dumps([sorted(c.minute), sorted(c.hour), sorted(c.day_of_week)]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in READ}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PAYOUT_RUN_WEEKDAY": "fri",
            "PAYOUT_RUN_HOUR": "22",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(output.stdout.strip().splitlines()[-1]) == [[0], [22], [5]]


@pytest.mark.django_db
def test_the_task_makes_a_run_and_repeated_makes_none(settings):
    settings.PAYOUT_MINIMUM = "10.00"
    sellers = sellers_with_money_due(2)

    assert tasks.run_payouts.delay().get() == 4
    assert tasks.run_payouts.delay().get() == 0

    assert Payout.objects.count() == 4
    assert all(ledger.owed_to(seller) == 0 for seller in sellers)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_payouts(celery_on_redis, settings):
    settings.PAYOUT_MINIMUM = "10.00"
    queue, broker = celery_on_redis
    farmer_a, farmer_b = sellers_with_money_due(1)

    tasks.run_payouts.delay()
    # Waiting in Redis: nothing ran in this process.
    assert waiting_messages(broker, queue, TASK) == 1
    assert not Payout.objects.exists()

    runs = []

    def record(sender=None, task=None, state=None, retval=None, **kwargs):
        if task is not None and task.name == TASK:
            runs.append(
                {"thread": threading.get_ident(), "eager": task.request.is_eager, "state": state, "made": retval}
            )

    signals.task_postrun.connect(record, weak=False)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            deadline = time.monotonic() + WAIT_SECONDS
            while not runs and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        signals.task_postrun.disconnect(record)

    assert runs == [{"thread": runs[0]["thread"], "eager": False, "state": "SUCCESS", "made": 2}]
    assert runs[0]["thread"] != threading.get_ident()
    assert waiting_messages(broker, queue) == 0 and unacked_messages(broker, queue) == 0
    assert {p.farmer: p.amount for p in Payout.objects.all()} == {farmer_a: A_OWED, farmer_b: B_OWED}
