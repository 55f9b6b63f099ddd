"""The fallback and the sync on the real engine (the run's OpenSearch node, `engine_url`):

- the engine really down and back: goods indexed, the engine's port then refuses connections
  (a TCP relay in front of the node is closed, as a stopped engine's port is), searches are answered
  by the database meanwhile, changes are queued; the relay opens again (the node kept its data, as
  a restarted engine does), the beat task catches up and the engine finds what changed meanwhile;
- `search_rebuild`'s alias swap while a thread keeps searching: no failed and no empty search;
- a product change indexed into the engine by a real Celery worker over Redis.

Each test's indices have a prefix of their own, deleted afterwards."""

import contextlib
import socket
import threading
import time
import uuid

import pytest
from django.db import connection

from search import fallback, indexing, product_search
from search.backends import get_backend
from search.models import PendingSync
from search.tasks import catch_up_index
from tests import factories
from tests.conftest import require
from tests.search.conftest import DATABASE_ENTRY

pytestmark = pytest.mark.django_db


def engine_entry(url: str, prefix: str) -> dict:
    return {
        "BACKEND": "search.backends.opensearch.OpenSearchBackend",
        "OPTIONS": {"url": url, "index_prefix": prefix, "timeout": 5},
    }


@pytest.fixture
def opensearch_backend_class():
    try:
        from search.backends.opensearch import OpenSearchBackend
    except ImportError:
        require(False, "search.backends.opensearch is not there yet (helper engine's OpenSearchBackend)")
    return OpenSearchBackend


@pytest.fixture
def prefix(engine_url, opensearch_backend_class):
    """A prefix of the test's own; its indices are deleted after the test."""
    name = f"test-fallback-{uuid.uuid4().hex[:10]}"
    yield name
    backend = opensearch_backend_class(engine_url, name, name="cleanup")
    with contextlib.suppress(Exception):
        found = list(backend.client.indices.get(index=f"{name}-*", allow_no_indices=True, expand_wildcards="all"))
        if found:
            backend.client.indices.delete(index=",".join(found))


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    connection.__dict__.pop("_search_pending", None)  # earlier tests' rolled-back changes (see test_fallback)

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


class Relay:
    """A TCP relay on 127.0.0.1 to the node: `close()` and its port refuses connections (and open
    ones are cut), as a stopped engine's does; `open()` listens on the same port again."""

    def __init__(self, target_url: str):
        host, port = target_url.rsplit("//", 1)[1].split(":")
        self.target = (host, int(port))
        self.port = 0
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self):
        with self.lock:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: the port closes now
            self.listener.close()
            for each in self.sockets:
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                each.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(engine_url):
    relay = Relay(engine_url)
    yield relay
    relay.close()


def engine_finds(text: str) -> set[int]:
    """Asked of the engine itself, past the fallback."""
    return {hit.product_id for hit in get_backend().search(text, facets=False).hits}


def test_the_engine_down_then_back_catches_up_on_what_changed(relay, prefix, settings, monkeypatch, on_commit):
    started = time.monotonic()
    settings.SEARCH_BACKENDS = {"default": engine_entry(relay.url, prefix), "fallback": DATABASE_ENTRY}
    monkeypatch.setattr(fallback, "SKIP_SECONDS", 1)
    with on_commit():
        potato = factories.product(name="云南高原土豆")
        orange = factories.product(name="赣南脐橙")
    assert engine_finds("土豆") == {potato.pk} and engine_finds("脐橙") == {orange.pk}

    relay.close()  # the engine's port refuses connections from now on
    with on_commit():
        apple = factories.product(name="冰糖心苹果")
    with on_commit():
        orange.name = "赣南脐橙 新果"
        orange.save()
    potato_id = potato.pk
    with on_commit():
        potato.delete()

    # Shoppers are answered by the database, which has every change.
    assert product_search.search_products("苹果").products == [apple]
    assert product_search.search_products("土豆").products == []
    assert fallback.health().fallbacks == 2
    assert set(PendingSync.objects.filter(backend="default").values_list("product_id", flat=True)) == {
        apple.pk,
        orange.pk,
        potato_id,
    }
    assert catch_up_index() == {}  # the breaker is open: the beat task leaves the engine alone

    relay.open()
    time.sleep(1.1)  # the breaker closes
    assert catch_up_index() == {"default": 3}

    assert not PendingSync.objects.exists()
    assert engine_finds("苹果") == {apple.pk}
    assert engine_finds("新果") == {orange.pk}
    assert engine_finds("土豆") == set()
    before = fallback.health().fallbacks
    assert product_search.search_products("苹果").products == [apple]
    assert fallback.health().fallbacks == before, "the engine is back, yet the database answered"
    print(f"engine down and back: {time.monotonic() - started:.1f} s")


def test_searches_keep_answering_through_rebuilds_alias_swaps(engine_url, prefix, settings):
    settings.SEARCH_BACKENDS = {"default": engine_entry(engine_url, prefix), "fallback": DATABASE_ENTRY}
    grower = factories.farmer()
    potatoes = [factories.product(seller=grower, name=f"高原土豆{n}号") for n in range(20)]
    engine = get_backend()
    indexing.rebuild(engine)
    assert engine.search("土豆", facets=False).total == len(potatoes)

    totals, failures, rebuilding = [], [], threading.Event()
    rebuilding.set()

    def keep_searching():
        while rebuilding.is_set():
            try:
                totals.append(engine.search("土豆", facets=False).total)
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                failures.append(error)

    searcher = threading.Thread(target=keep_searching)
    started = time.monotonic()
    searcher.start()
    try:
        for _ in range(2):
            indexing.rebuild(engine)
    finally:
        rebuilding.clear()
        searcher.join()
    seconds = time.monotonic() - started

    assert failures == []
    assert len(totals) >= 10, f"only {len(totals)} searches in {seconds:.1f} s of rebuilding"
    assert set(totals) == {len(potatoes)}, "a search during the swap found fewer goods"
    indices = engine.client.indices.get_alias(index=engine.alias)
    assert len(indices) == 1, "old indices were left behind"
    print(f"{len(totals)} searches during 2 rebuilds in {seconds:.1f} s")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_indexes_a_change_into_the_engine(celery_on_redis, engine_url, prefix, settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    settings.SEARCH_BACKENDS = {"default": engine_entry(engine_url, prefix), "fallback": DATABASE_ENTRY}
    queue, _broker = celery_on_redis
    product = factories.product(name="秭归脐橙")  # autocommit: each save commits and enqueues
    assert engine_finds("脐橙") == set(), "indexed without the worker"

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue]):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not engine_finds("脐橙"):
            time.sleep(0.1)

    assert engine_finds("脐橙") == {product.pk}
    assert [hit.product_id for hit in get_backend("fallback").search("脐橙").hits] == [product.pk]
    assert not PendingSync.objects.exists()
