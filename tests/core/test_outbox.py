"""Tasks asked for by a change while the broker is down (core.outbox): the change stands, the API
says so honestly, and the task is kept in the database to send later, not lost.

The broker is a real Redis URL on a port nothing listens on, so every publish is really refused.
The rows are really committed (`transaction=True`): the outbox sends on commit. That the kept tasks
are sent and run once the broker is back is shown with a real worker in test_outbox_worker.py."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from graphql_relay import to_global_id

from config.celery import app
from core import outbox
from core.models import OutboxMessage
from search.models import SearchEntry
from shop import catalog
from shop.models import ImageStatus, ProductImage
from tests import factories
from tests.celery_worker import closed_port, drop_broker_connections, point_broker_at
from tests.core.test_images import phone_jpeg
from tests.shop.test_product_images import UPLOAD

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_TASK = "core.tasks.process_image"
SYNC_TASK = "search.tasks.sync_index"


@pytest.fixture
def cut_broker(monkeypatch):
    """A callable that takes the broker away (tasks are no longer run in-process either)."""
    saved = app.conf.broker_url
    monkeypatch.setattr(outbox, "_broker_down_until", None)

    def cut():
        app.conf.task_always_eager = False  # conftest's autouse fixture puts it back
        point_broker_at(f"redis://127.0.0.1:{closed_port()}/0")

    yield cut
    app.conf.broker_url = saved
    drop_broker_connections()


def waiting(task: str) -> list[list]:
    return [message.args for message in OutboxMessage.objects.filter(task=task)]


def test_a_photo_uploaded_while_the_broker_is_down_is_accepted_as_processing(gql, cut_broker, settings):
    farmer = factories.farmer()
    product = factories.product(farmer)
    cut_broker()

    variables = {"product": to_global_id("Product", product.pk), "image": None, "alt": ""}
    result = gql.login(farmer.user).upload(UPLOAD, variables, {"image": SimpleUploadedFile("p.jpg", phone_jpeg())})

    assert "errors" not in result, result  # not "Internal error."
    answer = result["data"]["productImageCreate"]
    assert answer["errors"] == []
    assert answer["image"]["status"] == "PENDING"
    image = ProductImage.objects.get()
    assert image.status == ImageStatus.PENDING and image.raw_upload
    assert waiting(IMAGE_TASK) == [["shop.productimage", image.pk]]


def test_a_product_change_while_the_broker_is_down_keeps_its_search_sync(cut_broker):
    farmer = factories.farmer()
    product = factories.product(farmer, name="土豆")
    assert SearchEntry.objects.get(product_id=product.pk).name == "土豆"  # indexed in-process
    cut_broker()

    catalog.update_product(farmer.user, product, name="新土豆")

    assert waiting(SYNC_TASK) == [[[product.pk], []]]
    assert SearchEntry.objects.get(product_id=product.pk).name == "土豆"  # not synced, but not lost


def test_a_change_rolled_back_leaves_nothing_to_send(cut_broker):
    farmer = factories.farmer()
    product = factories.product(farmer)
    cut_broker()

    with pytest.raises(RuntimeError), transaction.atomic():
        catalog.update_product(farmer.user, product, name="新土豆")
        raise RuntimeError

    assert OutboxMessage.objects.count() == 0


def test_draining_while_the_broker_is_still_down_keeps_every_task(cut_broker):
    farmer = factories.farmer()
    product = factories.product(farmer)
    cut_broker()
    catalog.update_product(farmer.user, product, name="新土豆")
    catalog.update_product(farmer.user, product, name="新新土豆")

    assert outbox.drain(grace=0) == 0

    assert waiting(SYNC_TASK) == [[[product.pk], []], [[product.pk], []]]
    # The first change's send failed, so the second's was not even tried (the broker is left alone
    # for OUTBOX_BROKER_PAUSE_SECONDS); the drain tried the oldest once more and stopped there.
    assert list(OutboxMessage.objects.order_by("created_at").values_list("attempts", flat=True)) == [2, 0]


def test_without_a_broker_tasks_still_run_in_process_and_nothing_is_kept(gql):
    farmer = factories.farmer()
    product = factories.product(farmer)

    variables = {"product": to_global_id("Product", product.pk), "image": None, "alt": ""}
    result = gql.login(farmer.user).upload(UPLOAD, variables, {"image": SimpleUploadedFile("p.jpg", phone_jpeg())})

    assert result["data"]["productImageCreate"]["errors"] == []
    assert ProductImage.objects.get().status == ImageStatus.READY  # processed after the commit, in-process
    assert OutboxMessage.objects.count() == 0
