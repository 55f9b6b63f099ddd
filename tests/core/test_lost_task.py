"""A task whose worker is killed (SIGKILL: no chance to give the message back) runs again within
the broker's visibility timeout (settings.CELERY_VISIBILITY_TIMEOUT, from the environment), and
completes once: the task is acknowledged late, so the message is still the broker's when the worker
dies, and the photo step is safe to run twice.

Real worker processes (`celery -A tests.killable_worker worker`, prefork as deployed), over Redis,
on the test's PostgreSQL database (a process of its own cannot see SQLite's in-memory test
database). The first run of the photo step waits to be killed; the test kills the worker's whole
process group, then starts a second worker, which finds the message again once the 3-second
visibility timeout set for the test has passed (kombu's default is an hour)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from shop import catalog
from shop.models import ImageStatus
from tests import factories
from tests.celery_worker import point_broker_at, unacked_messages, waiting_messages
from tests.core.test_images import phone_jpeg

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

VISIBILITY_SECONDS = 3
WAIT_SECONDS = 60


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "tests.killable_worker", "worker", "--loglevel", "INFO"]
    command += [
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def wait_until(condition, what: str, log: Path):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {WAIT_SECONDS} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def test_a_photo_task_killed_with_its_worker_reruns_and_completes_once(require_postgres, celery_on_redis, tmp_path):
    queue, broker = celery_on_redis
    url = os.environ["REDIS_URL"]
    runs, log = tmp_path / "runs", tmp_path / "worker.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        # A worker with DEBUG off refuses the embedded key (config.env.refuse_embedded_secret_key).
        "DJANGO_SECRET_KEY": "test-worker-key-" + "x" * 40,
        "CELERY_UNACKED_RESTORE_SECONDS": "1",
        "SHANHUO_TEST_QUEUE": queue,
        "SHANHUO_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SHANHUO_TEST_PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "SHANHUO_TEST_RUNS": str(runs),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    point_broker_at(url)
    farmer = factories.farmer()
    product = factories.product(farmer)
    image = catalog.add_product_image(farmer.user, product, SimpleUploadedFile("p.jpg", phone_jpeg()))
    raw = Path(settings.PRIVATE_MEDIA_ROOT) / image.raw_upload.name

    first = start_worker(env, log)
    try:
        wait_until(lambda: runs.exists() and len(runs.read_text().split()) == 1, "the first worker did not start", log)
        assert unacked_messages(broker, queue) == 1  # taken, not yet acknowledged
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, as a lost container
        first.wait(10)
    finally:
        stop(first)
    image.refresh_from_db()
    assert image.status == ImageStatus.PENDING

    second = start_worker(env, log)
    try:
        wait_until(
            lambda: image.refresh_from_db() or image.status != ImageStatus.PENDING, "the task did not rerun", log
        )
        time.sleep(VISIBILITY_SECONDS + 2)  # long enough for a message left unacknowledged to come back
    finally:
        stop(second)

    pids = runs.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1], pids  # killed once, then run once to the end
    assert image.status == ImageStatus.READY, (image.error_code, image.error_message)
    assert image.raw_upload.name == "" and not raw.exists()
    renditions = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert len(renditions) == 4, renditions  # one processed image: original, small, medium, large
    assert waiting_messages(broker, queue) == 0
    assert unacked_messages(broker, queue) == 0
