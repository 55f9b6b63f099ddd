"""Shared fixtures. Tests that need a real service call `require_*`: without the service they skip
with the reason, except under CI (CI=true), where a missing service is a failure."""

import json
import logging
import os
import tempfile
import uuid
from pathlib import Path

import pytest
from django.db import connection

import config.schema  # noqa: F401 - the API's types, defined in English before any test module runs

ON_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Tests marked slow first, so that parallel workers start the long ones at once instead of one
    worker running them alone at the end. Before pytest-django's own (stable) ordering, which must
    have the last word: a transactional test empties the tables when it ends (the data migrations'
    rows too), so every test in a transaction runs before any transactional one, on each worker."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if ON_CI:
        pytest.fail(f"CI needs this service: {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# --- The test search engine (tests/engine_node.py) ----------------------------------------------
# One OpenSearch node for the whole run, started by the controlling process (pytest-xdist's
# controller, or the only process with -n 0) while the workers set up their databases. Its URL is
# published in the environment, which the workers inherit; the status file says when it is ready,
# or why it could not start. A URL already set (a node of your own: `python -m tests.engine_node`)
# is used as it is.
ENGINE_URL_VARIABLE = "SEARCH_TEST_ENGINE_URL"
ENGINE_STATUS_VARIABLE = "SEARCH_TEST_ENGINE_STATUS"
# Test folders that use the engine: a run of other folders only does not start it.
ENGINE_TEST_DIRS = ("tests/search",)


def _wants_engine(config) -> bool:
    root = Path(config.rootpath)
    wanted = [(root / folder).resolve() for folder in ENGINE_TEST_DIRS]
    for arg in config.args:
        path = (Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
        if any(path == folder or path in folder.parents or folder in path.parents for folder in wanted):
            return True
    return False


def pytest_configure(config):
    if hasattr(config, "workerinput") or os.environ.get(ENGINE_URL_VARIABLE) or not _wants_engine(config):
        return
    from tests.engine_node import BackgroundNode

    status = Path(tempfile.mkdtemp(prefix="shanhuo-engine-")) / "status"
    config.shanhuo_engine = BackgroundNode(status_file=status)
    os.environ[ENGINE_URL_VARIABLE] = config.shanhuo_engine.url
    os.environ[ENGINE_STATUS_VARIABLE] = str(status)


def pytest_unconfigure(config):
    background = getattr(config, "shanhuo_engine", None)
    if background is None:
        return
    background.stop()
    status = Path(os.environ.pop(ENGINE_STATUS_VARIABLE))
    os.environ.pop(ENGINE_URL_VARIABLE, None)
    for leftover in (status, status.with_suffix(".partial")):
        leftover.unlink(missing_ok=True)
    status.parent.rmdir()


def pytest_terminal_summary(terminalreporter, config):
    """How long the node took to start and what memory it holds: the run's cost of the engine."""
    background = getattr(config, "shanhuo_engine", None)
    node = background.node if background is not None else None
    if node is None:
        return
    rss = node.rss_kib()
    memory = f", {rss / 1024:.0f} MiB resident" if rss else ""
    terminalreporter.write_line(f"search engine: OpenSearch at {node.url}, started in {node.seconds:.1f} s{memory}")


@pytest.fixture(scope="session")
def engine_url() -> str:
    """The URL of the run's OpenSearch node, once it is healthy. Skips with the reason when it
    cannot run here (no Java or Maven, the build failed), and fails under CI=true."""
    from tests.engine_node import EngineUnavailable, missing_tools, read_status, wait_until_healthy

    url = os.environ.get(ENGINE_URL_VARIABLE)
    status = os.environ.get(ENGINE_STATUS_VARIABLE)
    if not url:
        require(False, missing_tools() or f"the test search engine was not started: set {ENGINE_URL_VARIABLE}")
    try:
        if status:
            read_status(Path(status))
        wait_until_healthy(url)
    except EngineUnavailable as error:
        require(False, str(error))
    return url


@pytest.fixture
def require_postgres():
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def require_redis():
    require(redis_available(), "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    return os.environ["REDIS_URL"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Photos go to each test's own folder, never the working tree; passwords hash fast; the
    cache (rate-limit counters) is a namespace of the test's own: on Redis, counters outlive a
    test, and clearing the shared database would disturb other runs using it."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    settings.PROMOTION_REDIS_PREFIX = f"test-{uuid.uuid4().hex}:promo"
    settings.PROMOTION_SERVING_INDEX_SECONDS = 0  # rebuilt each request unless a test says otherwise
    settings.PROMOTION_FEED_CACHE_SECONDS = 0  # the feed's pool and cards too
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _feed_process_state():
    """What the feed keeps in the process (promotion.feed_cache's pool and cards, the page shells,
    the serving index, impressions not yet sent: promotion.quality) starts empty in each test, as
    in a new process."""
    from core import page_shells
    from promotion import feed_cache, quality, serving

    feed_cache.forget()
    page_shells.forget()
    serving.forget_serving_index()
    quality.take_pending()


@pytest.fixture(scope="session", autouse=True)
def _static_files_listed_once():
    """WhiteNoise lists and stats every static file when its middleware is built, which a site does
    once a process but the test client does once a test (a few hundred files: most of a simple
    request's time). The listing is kept per process and reused while the settings it depends on
    are the same; each middleware still serves from its own copy, as on the live site."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.add_files_from_finders
    listings = {}

    def add_files_from_finders(middleware):
        key = repr(
            [
                middleware.static_prefix,
                settings.INSTALLED_APPS,
                settings.STATICFILES_DIRS,
                settings.STATICFILES_FINDERS,
                settings.STORAGES,
                settings.DEBUG,
                [(name, getattr(settings, name)) for name in dir(settings) if name.startswith("WHITENOISE_")],
            ]
        )
        if key not in listings:
            before = dict(middleware.files)
            original(middleware)
            listings[key] = {url: file for url, file in middleware.files.items() if before.get(url) is not file}
        middleware.files.update(listings[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
    yield
    WhiteNoiseMiddleware.add_files_from_finders = original


class GraphQLClient:
    def __init__(self, client):
        self.client = client

    def __call__(self, query: str, variables: dict | None = None, **extra):
        response = self.client.post(
            "/graphql/", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json"
        )
        assert response.status_code in (200, 400), response.content[:500]
        return response.json()

    def login(self, user):
        self.client.force_login(user)
        return self

    def upload(self, query: str, variables: dict, files: dict):
        """A multipart request per the GraphQL multipart spec: files replace `variables.<name>`."""
        file_map = {str(i): [f"variables.{name}"] for i, name in enumerate(files)}
        data = {"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(file_map)}
        for i, upload in enumerate(files.values()):
            data[str(i)] = upload
        response = self.client.post("/graphql/", data)
        assert response.status_code in (200, 400), response.content[:500]
        return response.json()


@pytest.fixture
def gql(client):
    return GraphQLClient(client)


@pytest.fixture(autouse=True)
def _celery_eager_by_default():
    """Tasks run in-process unless a test starts a real worker (see `celery_on_redis`)."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _ledger_balances_after_every_test(request):
    """Every scenario in the suite ends with a ledger whose transactions each sum to zero.

    Runs only for tests that use the database, and checks before the database is rolled back or
    flushed (requesting the db fixture here makes this teardown run first)."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    transactional = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    if connection.needs_rollback:
        return  # the test ended inside a failed transaction: everything it wrote is being discarded
    from payments.ledger import unbalanced_transactions

    unbalanced = list(unbalanced_transactions().values_list("key", flat=True))
    assert not unbalanced, f"ledger transactions that do not balance: {unbalanced}"


@pytest.fixture
def celery_on_redis(require_redis):
    """Eager off, broker on Redis, a queue nobody else listens to; all put back afterwards."""
    import redis

    from config.celery import app
    from tests.celery_worker import drop_broker_connections, forget_queue

    queue = f"test-worker-{uuid.uuid4().hex}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_default_queue")}
    root = logging.getLogger()
    root_handlers, root_level = root.handlers[:], root.level  # the worker's logging setup replaces them

    app.conf.task_always_eager = False  # conftest's autouse fixture puts it back
    app.conf.broker_url = require_redis
    app.conf.task_default_queue = queue
    drop_broker_connections()
    broker = redis.Redis.from_url(require_redis)
    try:
        yield queue, broker
    finally:
        app.conf.update(saved)
        drop_broker_connections()
        root.handlers[:], root.level = root_handlers, root_level
        forget_queue(broker, queue)


# Fixtures that tests in several folders use, registered here only, so each stays one instance per
# session however many folders run: one localstripe (it keeps its state in module globals) and one
# Chromium (Playwright's sync API runs once per thread).
from tests.e2e.fixtures import browser  # noqa: E402, F401
from tests.payments.alipay_fake import alipay, alipay_keys  # noqa: E402, F401
from tests.payments.localstripe_server import localstripe, localstripe_server, localstripe_webhooks  # noqa: E402, F401
from tests.payments.wechatpay_fake import wechatpay_fake, wechatpay_fake_public_key  # noqa: E402, F401
