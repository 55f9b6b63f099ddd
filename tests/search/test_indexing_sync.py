"""Keeping the index in step with the catalog: every change that alters what a shopper may find
reaches the index once the transaction commits (never before, never for a rolled-back change),
in one task per transaction, and hidden goods are dropped from results at once, even before the
task has run. The last test runs the task on a real Celery worker over Redis."""

import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction

from farmers.models import VerificationState
from farmers.verification import change_cooperative_state, change_verification_state
from search import indexing, product_search
from search.backends import get_backend
from search.models import SearchEntry
from search.tasks import sync_index
from shop import catalog
from shop.models import Product, Variant
from tests import factories
from tests.celery_worker import unacked_messages, waiting_messages

pytestmark = pytest.mark.django_db


def indexed_ids(text: str = "") -> set[int]:
    return {hit.product_id for hit in get_backend().search(text).hits}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks a block registered, as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def test_a_new_listing_is_indexed_after_its_commit_only(on_commit):
    with on_commit() as callbacks:
        product = factories.product(name="云南高原土豆")
        assert indexed_ids("土豆") == set(), "indexed before the commit"
    assert callbacks, "nothing was scheduled"
    assert indexed_ids("土豆") == {product.pk}
    assert indexed_ids("tudou") == {product.pk}


def test_one_task_for_everything_a_transaction_changed(on_commit):
    with mock.patch.object(sync_index, "delay", wraps=sync_index.delay) as delay, on_commit(), transaction.atomic():
        first = factories.product(name="赣南脐橙")
        second = factories.product(name="冰糖心苹果")
        Variant.objects.create(product=first, name="10斤装", price=Decimal("69.00"), stock=3)
    assert delay.call_count == 1
    products, _related = delay.call_args.args
    assert {first.pk, second.pk} <= set(products)
    assert indexed_ids() == {first.pk, second.pk}


def test_a_rolled_back_change_is_not_indexed(on_commit):
    with on_commit():
        try:
            with transaction.atomic():
                factories.product(name="黑木耳")
                raise RuntimeError("the farmer's form failed later")
        except RuntimeError:
            pass
    assert indexed_ids("黑木耳") == set()
    assert not Product.objects.filter(name="黑木耳").exists()


def test_unpublished_goods_leave_the_results_at_once_and_the_index_after_commit(on_commit):
    with on_commit():
        product = factories.product(name="土蜂蜜")
    assert [p.pk for p in product_search.search_products("蜂蜜").products] == [product.pk]

    # A bulk update sends no signal and schedules nothing: the index still holds the product…
    Product.objects.filter(pk=product.pk).update(is_published=False)
    assert indexed_ids("蜂蜜") == {product.pk}
    # …but shoppers no longer see it, because hits are re-read through the visible catalog.
    assert product_search.search_products("蜂蜜").products == []

    with on_commit():
        catalog.update_product(product.farmer.user, Product.objects.get(pk=product.pk), is_published=False)
    assert indexed_ids("蜂蜜") == set()
    assert not SearchEntry.objects.filter(product_id=product.pk).exists()


def test_a_suspended_farmers_goods_leave_the_index(on_commit):
    staff = factories.staff_user()
    with on_commit():
        product = factories.product(name="散养土鸡蛋")
    assert indexed_ids("鸡蛋") == {product.pk}
    with on_commit():
        change_verification_state(product.farmer, VerificationState.SUSPENDED, staff, reason="假货")
    assert indexed_ids("鸡蛋") == set()
    with on_commit():
        change_verification_state(product.farmer, VerificationState.VERIFIED, staff, reason="查清")
    assert indexed_ids("鸡蛋") == {product.pk}


def test_a_cooperatives_goods_follow_its_verification(on_commit):
    staff = factories.staff_user()
    coop = factories.cooperative()
    with on_commit():
        product = factories.product(coop, name="合作社核桃")
    assert indexed_ids("核桃") == {product.pk}
    with on_commit():
        change_cooperative_state(coop, VerificationState.SUSPENDED, staff, reason="停业")
    assert indexed_ids("核桃") == set()


def test_renaming_a_village_reindexes_its_goods(on_commit):
    with on_commit():
        product = factories.product(name="小米")
    village = product.village
    assert indexed_ids("石门村") == set()
    with on_commit():
        village.name = "石门村"
        village.save()
    assert indexed_ids("石门村") == {product.pk}
    assert indexed_ids("shimen") == {product.pk}


def test_renaming_a_category_reindexes_its_goods(on_commit):
    top = factories.category("干货")
    sub = factories.category("菌菇", parent=top)
    with on_commit():
        product = factories.product(name="农家特产", category_=sub)
    with on_commit():
        top.name_en = "Dried goods"
        top.save()
    assert indexed_ids("dried") == {product.pk}


def test_selling_out_moves_goods_after_those_in_stock(on_commit):
    with on_commit():
        first = factories.product(name="沃柑 一号")
        second = factories.product(name="沃柑 二号")
    assert [h.product_id for h in get_backend().search("沃柑").hits] == [second.pk, first.pk]  # newest first
    with on_commit():
        Variant.objects.filter(product=second).update(stock=0)
        catalog.sync_in_stock([second.pk])
    assert [h.product_id for h in get_backend().search("沃柑").hits] == [first.pk, second.pk]


def test_a_deleted_product_leaves_the_index(on_commit):
    with on_commit():
        product = factories.product(name="苦荞茶")
    with on_commit():
        product.delete()
    assert indexed_ids("苦荞") == set()


def test_rebuild_replaces_the_index_with_the_visible_catalog(on_commit):
    visible = factories.product(name="红心猕猴桃")
    hidden = factories.product(name="猕猴桃干", published=False)
    # Nothing was committed through hooks here: only a rebuild puts goods in the index.
    stale_id = hidden.pk + 1000
    get_backend().bulk_index([{**_document_of(visible), "id": stale_id}])
    report = indexing.rebuild()
    assert report.documents == 1
    assert indexed_ids("猕猴桃") == {visible.pk}


def _document_of(product):
    from search.documents import documents

    return next(documents([product.pk]))


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_sync_task_runs_on_a_real_worker(celery_on_redis):
    """Committed rows, a message through Redis, a worker thread with its own connection: the
    product is searchable only once the worker has run the task."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    queue, broker = celery_on_redis
    main_thread = threading.get_ident()
    product = factories.product(name="秭归脐橙")  # autocommit: each save commits and enqueues
    assert waiting_messages(broker, queue) >= 1
    assert indexed_ids("脐橙") == set(), "indexed without the worker"

    threads = []

    def record(sender=None, task=None, **kwargs):
        if task is not None and task.name == "search.tasks.sync_index":
            threads.append(threading.get_ident())

    from celery import signals

    signals.task_postrun.connect(record, weak=False)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue]):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (indexed_ids("脐橙") and waiting_messages(broker, queue) == 0):
                time.sleep(0.1)
    finally:
        signals.task_postrun.disconnect(record)
    assert indexed_ids("脐橙") == {product.pk}
    assert threads and main_thread not in threads
    assert waiting_messages(broker, queue) == 0
    assert unacked_messages(broker, queue) == 0


@pytest.mark.django_db(transaction=True)
def test_a_large_rebuild_builds_documents_in_several_processes(require_postgres):
    """The processes read committed rows through their own connections, so this needs a real
    database the test commits to; each must return its batch's documents, in id order."""
    products = [factories.product(name=f"高山土豆{n}") for n in range(5)]
    hidden = factories.product(name="高山土豆 草稿", published=False)
    built = list(indexing.all_documents(workers=2, batch=2))
    assert [document["id"] for document in built] == [p.pk for p in products]
    assert hidden.pk not in {document["id"] for document in built}
    assert built == list(indexing.all_documents(workers=1))
    report = indexing.rebuild(workers=2)
    assert report.documents == 5
    assert indexed_ids("土豆") == {p.pk for p in products}
