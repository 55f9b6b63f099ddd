"""Fixtures of the search behaviour suite: one catalog a test module, and every search backend
reachable in the run, each with that catalog indexed.

- SQLite always: in the default database when that is SQLite, else in the in-memory
  `search_sqlite` database that `config.settings_test` adds beside PostgreSQL.
- PostgreSQL when the default database is PostgreSQL; otherwise its tests skip, and fail on CI
  (`require`), where PostgreSQL is part of every run.
- OpenSearch: the run's own node (`engine_url`, tests/engine_node.py), in indices of a prefix
  unique to the backend, deleted afterwards. Without Java or Maven it skips with the reason, and
  fails on CI, where the node always runs.
- Elasticsearch only when ELASTICSEARCH_URL is set (it skips if the server does not answer a ping).
  It is not a backend of the suite otherwise, on CI neither: no Elasticsearch server can run in
  the test run (its `cjk` analyzer's module is not published on Maven Central; decision 183), and
  a quarter of the suite skipping in every run would only hide the skips that matter.

The catalog is written once a module inside a transaction on every database, rolled back when
the module ends; each test runs in a savepoint inside it (pytest-django's own per-test
transaction), so whatever a test changes, in the shop or in a database index, is undone after
it. An engine's index is not undone by a rollback, so tests that change the catalog use
`private_index`, which gives an engine an index of the test's own.
"""

import os
import socket
import uuid
from contextlib import ExitStack

import pytest
from django.conf import settings
from django.db import connections, transaction

from search import indexing
from search.backends.database import PostgresBackend, SqliteBackend
from tests.conftest import require
from tests.search.behaviour_catalog import Catalog, build_catalog

BACKENDS = ("sqlite", "postgresql", "opensearch") + (("elasticsearch",) if os.environ.get("ELASTICSEARCH_URL") else ())
# The backends on a search engine: their indices outlive a rolled-back transaction.
ENGINE_VENDORS = ("opensearch", "elasticsearch")


def _default_vendor() -> str:
    return connections["default"].vendor


def elasticsearch_reachable(url: str | None) -> bool:
    if not url:
        return False
    from elastic_transport import TransportError
    from elasticsearch import ApiError, Elasticsearch

    try:
        client = Elasticsearch(url, request_timeout=3)
    except ValueError:  # not a URL the client understands
        return False
    try:
        return bool(client.ping())
    except (ApiError, TransportError):
        return False
    finally:
        client.close()


def _drop_indices(client, prefix: str, not_found: type[Exception]) -> None:
    """Delete by name: servers refuse wildcard deletes (`action.destructive_requires_name`)."""
    try:
        names = list(client.indices.get(index=f"{prefix}-*", allow_no_indices=True, expand_wildcards="all"))
        if names:
            client.indices.delete(index=",".join(names))
    except not_found:
        pass
    finally:
        client.close()


def _drop_elasticsearch_indices(url: str, prefix: str) -> None:
    from elasticsearch import Elasticsearch, NotFoundError

    _drop_indices(Elasticsearch(url, request_timeout=10), prefix, NotFoundError)


def _drop_opensearch_indices(url: str, prefix: str) -> None:
    from opensearchpy import NotFoundError, OpenSearch

    _drop_indices(OpenSearch(hosts=[url], timeout=10), prefix, NotFoundError)


class _EngineIndices:
    """Backends on a test engine, each in indices of a fresh prefix; all dropped at the end."""

    def __init__(self, url: str, backend_class: type, drop_indices):
        self.url = url
        self.backend_class = backend_class
        self.drop_indices = drop_indices
        self.prefixes: list[str] = []

    def backend(self):
        prefix = f"test-{uuid.uuid4().hex[:12]}"
        self.prefixes.append(prefix)
        backend = self.backend_class(self.url, prefix, name=prefix)
        backend.test_prefix = prefix
        backend.test_indices = self
        return backend

    def drop(self, backend=None):
        prefixes = [backend.test_prefix] if backend is not None else list(self.prefixes)
        for prefix in prefixes:
            self.drop_indices(self.url, prefix)
            self.prefixes.remove(prefix)


@pytest.fixture(scope="session")
def elasticsearch_indices():
    url = settings.SEARCH_TEST_ELASTICSEARCH_URL
    if not elasticsearch_reachable(url):
        yield None
        return
    from search.backends.elasticsearch import ElasticsearchBackend

    indices = _EngineIndices(url, ElasticsearchBackend, _drop_elasticsearch_indices)
    yield indices
    indices.drop()


@pytest.fixture(scope="session")
def opensearch_indices(engine_url):
    """Indices on the run's OpenSearch node (skips, or fails on CI, without it: see engine_url)."""
    from search.backends.opensearch import OpenSearchBackend

    indices = _EngineIndices(engine_url, OpenSearchBackend, _drop_opensearch_indices)
    yield indices
    indices.drop()


@pytest.fixture(scope="module")
def behaviour_catalog(django_db_setup, django_db_blocker) -> Catalog:
    """The behaviour catalog, written once for the module and rolled back after it."""
    with django_db_blocker.unblock(), ExitStack() as stack:
        aliases = list(connections)
        for alias in aliases:
            stack.enter_context(transaction.atomic(using=alias))
        built = build_catalog()
        try:
            yield built
        finally:
            for alias in aliases:
                transaction.set_rollback(True, using=alias)


@pytest.fixture(scope="module", params=BACKENDS)
def search_backend(request):
    """A backend of each kind reachable in this run (see the module docstring)."""
    name = request.param
    if name == "sqlite":
        return SqliteBackend(using="default" if _default_vendor() == "sqlite" else "search_sqlite", name="sqlite")
    if name == "postgresql":
        require(_default_vendor() == "postgresql", "the PostgreSQL backend needs DATABASE_URL=postgres://...")
        return PostgresBackend(using="default", name="postgresql")
    if name == "opensearch":
        # Asked for here only: the database backends' tests never wait for the node.
        return request.getfixturevalue("opensearch_indices").backend()
    elasticsearch_indices = request.getfixturevalue("elasticsearch_indices")
    if elasticsearch_indices is None:
        url = settings.SEARCH_TEST_ELASTICSEARCH_URL
        if url:  # named on purpose: under CI its silence is a failure, not a skip
            require(False, f"Elasticsearch at {url} does not answer")
        pytest.skip("Elasticsearch: set ELASTICSEARCH_URL (docker compose up elasticsearch) to run against it")
    return elasticsearch_indices.backend()


def build_index(backend, catalog: Catalog) -> None:
    """Clear, rebuild from the catalog, then index every product by id, hidden ones included:
    both ways of indexing must leave exactly the visible goods in the index."""
    backend.clear()
    indexing.rebuild(backend=backend)
    indexing.index_products(sorted(product.pk for product in catalog.products.values()), backend=backend)


@pytest.fixture(scope="module")
def indexed(behaviour_catalog, search_backend, django_db_blocker):
    """The backend with the module's catalog indexed; tests using it must not change the catalog."""
    with django_db_blocker.unblock():
        build_index(search_backend, behaviour_catalog)
    return search_backend


@pytest.fixture
def private_index(behaviour_catalog, search_backend):
    """A backend with the catalog indexed that the test may change: on the database backends the
    module's index (the test's savepoint undoes the changes), on an engine an index of the
    test's own, dropped after the test."""
    if search_backend.vendor not in ENGINE_VENDORS:
        build_index(search_backend, behaviour_catalog)
        yield search_backend
        return
    indices = search_backend.test_indices
    backend = indices.backend()
    try:
        build_index(backend, behaviour_catalog)
        yield backend
    finally:
        indices.drop(backend)


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that refuses every connection: a socket bound to it (so nothing else
    takes it) that never listens. An engine "down" the way a stopped server is."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def engine_at(url: str, prefix: str = "test-down") -> dict:
    """A SEARCH_BACKENDS entry for an Elasticsearch-compatible engine at `url`."""
    return {
        "BACKEND": "search.backends.elasticsearch.ElasticsearchBackend",
        "OPTIONS": {"url": url, "index_prefix": prefix, "timeout": 2},
    }


DATABASE_ENTRY = {"BACKEND": "search.backends.database.DatabaseBackend", "OPTIONS": {"using": "default"}}


@pytest.fixture
def engine_down(settings, closed_port):
    """The production setting with an engine, the engine refusing connections: `default` is an
    engine at a closed port, `fallback` the database backend."""
    settings.SEARCH_BACKENDS = {"default": engine_at(f"http://127.0.0.1:{closed_port}"), "fallback": DATABASE_ENTRY}
    return closed_port


@pytest.fixture
def engine_down_without_fallback(settings, closed_port):
    """An engine refusing connections and nothing to fall back to: searches say they are unavailable."""
    settings.SEARCH_BACKENDS = {"default": engine_at(f"http://127.0.0.1:{closed_port}")}
    return closed_port
