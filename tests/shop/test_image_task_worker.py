"""The photo task on a real Celery worker, over Redis, against the real database.

Everywhere else the task runs eagerly, in the test's own thread and transaction. That hides what
production depends on: the task is enqueued by `transaction.on_commit`, so the worker must find the
row committed (enqueue before the commit and the worker finds nothing, or a PENDING row it cannot
see); the task is `acks_late`, so the message leaves the queue only once the task has finished; and
the worker runs in another thread with its own database connection and its own transaction.
Here the rows are really committed (`transaction=True`), the message really goes through Redis on
a queue of its own, and a worker in a thread of this process consumes it.

The test cannot pass without the worker: after the commit it checks that the photo is still PENDING
and the message is waiting in Redis, and only then starts the worker.

Run locally with:
    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/shanhuo_imgtest \
        .venv/bin/python -m pytest tests/shop/test_image_task_worker.py -q
"""

import threading
import time
from pathlib import Path

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from config.celery import app
from shop import catalog
from shop.models import ImageStatus
from tests import factories
from tests.celery_worker import unacked_messages, waiting_messages
from tests.core.test_images import assert_bare_jpeg, phone_jpeg

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 30
IMAGE_TASK = "core.tasks.process_image"  # one task for product and story photos
SIZES = ("original", "small", "medium", "large")


def test_uploaded_photo_is_processed_by_a_real_worker(celery_on_redis):
    queue, broker = celery_on_redis
    farmer = factories.farmer()
    product = factories.product(farmer)
    main_thread = threading.get_ident()

    with transaction.atomic():
        image = catalog.add_product_image(farmer.user, product, SimpleUploadedFile("p.jpg", phone_jpeg()))
        assert waiting_messages(broker, queue, IMAGE_TASK) == 0, "enqueued before the commit"
    # Committed: the message waits in Redis, and nothing has run in this process.
    assert waiting_messages(broker, queue, IMAGE_TASK) == 1
    image.refresh_from_db()
    assert image.status == ImageStatus.PENDING
    raw = Path(settings.PRIVATE_MEDIA_ROOT) / image.raw_upload.name
    assert raw.is_file()

    runs = []

    def record(sender=None, task_id=None, task=None, state=None, **kwargs):
        if task is not None and task.name == IMAGE_TASK:
            request = task.request
            queue_name = (request.delivery_info or {}).get("routing_key")
            runs.append(
                {"thread": threading.get_ident(), "queue": queue_name, "eager": request.is_eager, "state": state}
            )

    signals.task_postrun.connect(record, weak=False)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                image.refresh_from_db()
                if image.status != ImageStatus.PENDING and runs:
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"the worker did not process the photo within {WAIT_SECONDS} s (still {image.status})")
    finally:
        signals.task_postrun.disconnect(record)

    assert runs == [{"thread": runs[0]["thread"], "queue": queue, "eager": False, "state": "SUCCESS"}]
    assert runs[0]["thread"] != main_thread, "the task ran in the test's thread, not in the worker"
    assert waiting_messages(broker, queue) == 0
    assert unacked_messages(broker, queue) == 0  # acknowledged (late, after the task), not left for redelivery

    assert image.status == ImageStatus.READY, (image.error_code, image.error_message)
    assert (image.width, image.height) == (48, 64)
    assert image.raw_upload.name == ""
    assert not raw.exists(), "the raw upload (with its GPS) must be deleted after processing"
    for size in SIZES:
        path = Path(settings.MEDIA_ROOT) / getattr(image, size).name
        assert path.is_file(), size
        assert assert_bare_jpeg(path.read_bytes()).size == (48, 64)
    assert list(product.images.filter(status=ImageStatus.READY)) == [image]
