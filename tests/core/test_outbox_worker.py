"""Tasks kept while the broker was down are sent once it is back, and a real worker runs them: the
photo is processed and the search row synced (core.outbox). Redis is the broker and a real Celery
worker consumes it, in a thread of this process with its own database connection; one worker for
the module (starting one takes seconds). Publishing is cut by pointing it at a closed port; the
worker keeps its own connection to Redis meanwhile, as a worker would while the web's network
to the broker is down."""

import logging
import os
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from graphql_relay import to_global_id

from config.celery import app
from core import outbox
from core.models import OutboxMessage
from core.tasks import drain_outbox
from search.models import SearchEntry
from shop import catalog
from shop.models import ImageStatus, ProductImage
from tests import factories
from tests.celery_worker import closed_port, drop_broker_connections, forget_queue, point_broker_at, waiting_messages
from tests.conftest import redis_available, require
from tests.core.test_images import phone_jpeg
from tests.shop.test_product_images import UPLOAD

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def worker():
    """One worker for the module, on a queue nobody else listens to; everything put back after."""
    require(redis_available(), "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    url = os.environ["REDIS_URL"]
    queue = f"test-outbox-{uuid.uuid4().hex}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_default_queue", "task_always_eager")}
    root = logging.getLogger()
    root_handlers, root_level = root.handlers[:], root.level  # the worker's logging setup replaces them
    app.conf.update(broker_url=url, task_default_queue=queue, task_always_eager=False)
    drop_broker_connections()
    broker = redis.Redis.from_url(url)
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            yield url, queue, broker
    finally:
        app.conf.update(saved)
        drop_broker_connections()
        root.handlers[:], root.level = root_handlers, root_level
        forget_queue(broker, queue)


@pytest.fixture
def broker(worker, settings, monkeypatch):
    """Callables cutting the web's broker and bringing it back; the broker is up when the test ends."""
    url, queue, connection = worker
    settings.OUTBOX_GRACE_SECONDS = 0  # no send of the test's own is under way when it drains
    monkeypatch.setattr(outbox, "_broker_down_until", None)

    class Broker:
        def cut(self):
            app.conf.task_always_eager = False
            point_broker_at(f"redis://127.0.0.1:{closed_port()}/0")

        def restore(self):
            app.conf.task_always_eager = False
            point_broker_at(url)

        def waiting(self):
            return waiting_messages(connection, queue)

    yield Broker()
    point_broker_at(url)


def wait_until(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not {what} within {WAIT_SECONDS} s")
        time.sleep(0.1)


def upload_photo(gql, farmer, product) -> ProductImage:
    variables = {"product": to_global_id("Product", product.pk), "image": None, "alt": ""}
    result = gql.login(farmer.user).upload(UPLOAD, variables, {"image": SimpleUploadedFile("p.jpg", phone_jpeg())})
    assert result["data"]["productImageCreate"]["errors"] == [], result
    assert result["data"]["productImageCreate"]["image"]["status"] == "PENDING"
    return ProductImage.objects.get(product=product)


def processed(image) -> bool:
    image.refresh_from_db()
    return image.status != ImageStatus.PENDING


def assert_processed_once(image):
    assert image.status == ImageStatus.READY, (image.error_code, image.error_message)
    assert image.raw_upload.name == ""
    renditions = sorted(path.name for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())
    assert len(renditions) == 4, renditions  # original, small, medium, large: one set, one run


def indexed_name(product) -> str | None:
    entry = SearchEntry.objects.filter(product_id=product.pk).first()
    return entry and entry.name


def test_the_beat_drain_sends_what_waited_and_the_worker_does_it(gql, broker):
    farmer = factories.farmer()
    product = factories.product(farmer, name="土豆")
    wait_until(lambda: indexed_name(product) == "土豆", "index the new product")
    broker.cut()

    image = upload_photo(gql, farmer, product)
    catalog.update_product(farmer.user, product, name="新土豆")
    assert set(OutboxMessage.objects.values_list("task", flat=True)) == {
        "core.tasks.process_image",
        "search.tasks.sync_index",
    }
    time.sleep(1)  # nothing reached the worker
    assert not processed(image) and indexed_name(product) == "土豆"

    broker.restore()
    drain_outbox.delay()  # what beat sends every OUTBOX_DRAIN_SECONDS; the worker runs the drain

    wait_until(lambda: processed(image) and indexed_name(product) == "新土豆", "process the photo and sync search")
    assert_processed_once(image)
    wait_until(lambda: not OutboxMessage.objects.exists() and broker.waiting() == 0, "empty the outbox and queue")


def test_the_next_send_that_gets_through_drains_what_waited(gql, broker, settings):
    settings.OUTBOX_BROKER_PAUSE_SECONDS = 0  # the broker is tried again at the next send
    farmer = factories.farmer()
    product = factories.product(farmer, name="土豆")
    wait_until(lambda: indexed_name(product) == "土豆", "index the new product")
    broker.cut()
    image = upload_photo(gql, farmer, product)
    assert OutboxMessage.objects.filter(task="core.tasks.process_image").count() == 1

    broker.restore()
    catalog.update_product(farmer.user, product, name="新土豆")  # its send gets through, and drains

    wait_until(lambda: processed(image) and indexed_name(product) == "新土豆", "process the photo and sync search")
    assert_processed_once(image)
    wait_until(lambda: not OutboxMessage.objects.exists(), "empty the outbox")
