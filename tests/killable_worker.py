"""The Celery app of a worker process that a test kills (tests/core/test_lost_task.py): the project's
own app and settings, with the photo step slowed on its first run so the test can kill the worker
mid-task. Set by the test in the environment: the database and broker, SHANHUO_TEST_QUEUE (the
queue to consume), SHANHUO_TEST_MEDIA_ROOT / SHANHUO_TEST_PRIVATE_MEDIA_ROOT (the test's folders)
and SHANHUO_TEST_RUNS (a file that gets one line each time the photo step starts)."""

import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

from django.conf import settings

settings.MEDIA_ROOT = os.environ["SHANHUO_TEST_MEDIA_ROOT"]
settings.PRIVATE_MEDIA_ROOT = os.environ["SHANHUO_TEST_PRIVATE_MEDIA_ROOT"]

from config.celery import app  # noqa: E402 - the app `celery -A tests.killable_worker` runs

app.conf.task_default_queue = os.environ["SHANHUO_TEST_QUEUE"]


def _slow_first_run(clean):
    runs = Path(os.environ["SHANHUO_TEST_RUNS"])

    def clean_image(data):
        with runs.open("a") as file:
            file.write(f"{os.getpid()}\n")
        if len(runs.read_text().splitlines()) == 1:
            time.sleep(120)  # the test kills the worker here
        return clean(data)

    return clean_image


def _install(**kwargs):
    from core import image_services

    if not getattr(image_services.clean_image, "slowed", False):
        image_services.clean_image = _slow_first_run(image_services.clean_image)
        image_services.clean_image.slowed = True


from celery import signals  # noqa: E402

signals.task_prerun.connect(_install, weak=False)  # in the process that runs the task, Django set up
