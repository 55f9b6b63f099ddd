"""The engine down: searches are answered by the database fallback (a warning line, counters an
operator reads, a circuit breaker that stops asking a dead engine), never "search unavailable";
indexing writes every backend on its own and queues what the engine missed, caught up once it
answers again.

"Down" here is real: an Elasticsearch backend at a port of 127.0.0.1 that refuses connections, or
a TCP server that accepts and hangs up or never answers. An engine that comes back is
`MemoryEngine`, a backend of this module (a module and a settings entry, as any engine), because
catching up needs one that answers; tests/search/test_engine_live.py does the same on OpenSearch."""

import io
import logging
import socket
import socketserver
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.operators import ensure_operator_group
from search import fallback, indexing, product_search
from search.backends import RebuildReport, SearchBackend, SearchUnavailable, get_backend
from search.models import PendingSync
from search.query import SearchHit, SearchResults, Suggestion
from search.tasks import catch_up_index
from tests import factories
from tests.search.conftest import DATABASE_ENTRY, engine_at
from tests.search.test_graphql_search import PRODUCTS, SEARCH, SUGGEST
from tests.search.test_search_page import get, product_names

pytestmark = pytest.mark.django_db

HERE = __name__


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks a block registered, as a real commit would. Changes of earlier
    tests (rolled back, their hooks never run) wait on the connection to go with the next sync
    (see `indexing.schedule`): forgotten here, so the queue holds this test's goods only."""
    connection.__dict__.pop("_search_pending", None)

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def in_fallback(*products) -> None:
    """Index goods into the database fallback only, as the sync did while the engine was down."""
    indexing.index_products([p.pk for p in products], backend=get_backend(fallback.FALLBACK))


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "search.fallback" and r.levelno == logging.WARNING]


def pending(backend: str = "default") -> set[int]:
    return set(PendingSync.objects.filter(backend=backend).values_list("product_id", flat=True))


# --- Searching while the engine refuses connections -------------------------------------------


def test_a_search_is_answered_by_the_database_with_one_warning_and_a_count(engine_down, caplog):
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)

    with caplog.at_level(logging.WARNING, logger="search.fallback"):
        found = product_search.search_products("土豆")
        again = product_search.search_products("土豆")

    assert found.products == [potato] and again.products == [potato]
    (line,) = warnings_of(caplog)  # the second search skipped the engine: no second line
    assert "'default'" in line and "elasticsearch" in line and "refused" in line.lower()
    health = fallback.health()
    assert (health.failures, health.fallbacks, health.skipped) == (1, 2, True)
    assert health.last_down_at is not None and "refused" in health.last_reason.lower()


def test_autocomplete_and_matching_ids_fall_back_too(engine_down):
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)

    assert [s.product for s in product_search.suggest("云南")] == [potato]
    assert product_search.matching_product_ids("土豆") == [potato.pk]
    assert fallback.health().fallbacks == 2


@pytest.fixture
def goods_in_fallback(engine_down):
    potato = factories.product(name="云南高原土豆")
    orange = factories.product(name="赣南脐橙")
    in_fallback(potato, orange)
    return {"potato": potato, "orange": orange}


def test_graphql_answers_from_the_database(gql, goods_in_fallback):
    searched = gql(SEARCH, {"query": "土豆"})
    suggested = gql(SUGGEST, {"prefix": "赣南"})
    listed = gql(PRODUCTS, {"search": "脐橙"})

    assert "errors" not in searched and "errors" not in suggested and "errors" not in listed
    assert [e["node"]["name"] for e in searched["data"]["search"]["edges"]] == ["云南高原土豆"]
    assert [s["text"] for s in suggested["data"]["searchSuggest"]] == ["赣南脐橙"]
    assert [e["node"]["name"] for e in listed["data"]["products"]["edges"]] == ["赣南脐橙"]


def test_the_search_page_and_its_suggestions_answer_from_the_database(client, goods_in_fallback):
    page = get(client, q="脐橙")  # 200
    suggestions = client.get(reverse("search:suggest"), {"q": "云南"})

    assert product_names(page) == ["赣南脐橙"]
    assert 'role="alert"' not in page
    assert suggestions.status_code == 200
    assert suggestions.json() == {"suggestions": [{"text": "云南高原土豆"}]}


def test_with_the_cache_down_too_searches_still_answer(engine_down, settings, caplog):
    """The breaker and the counts live in the cache; a cache that refuses costs only them."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        redis_port = held.getsockname()[1]
        potato = factories.product(name="云南高原土豆")
        in_fallback(potato)
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{redis_port}/0",
            }
        }
        with caplog.at_level(logging.WARNING, logger="search.fallback"):
            assert product_search.search_products("土豆").products == [potato]
    assert any("could not reach the cache" in r.getMessage() for r in caplog.records)


# --- The breaker --------------------------------------------------------------------------------


class Server(socketserver.ThreadingTCPServer):
    """A real TCP server on 127.0.0.1 that counts connections and either hangs up at once
    (`hang_up`) or holds them without a word (an engine that stopped answering)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hang_up: bool):
        self.hang_up = hang_up
        self.connections = 0
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.connections += 1
        if not self.server.hang_up:
            self.server.release.wait(10)


@pytest.fixture
def engine_server(request, settings):
    server = Server(hang_up=request.param == "hangs up")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SEARCH_BACKENDS = {"default": engine_at(server.url), "fallback": DATABASE_ENTRY}
    settings.SEARCH_BACKENDS["default"]["OPTIONS"]["timeout"] = 1
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("engine_server", ["hangs up"], indirect=True)
def test_a_failed_engine_is_left_alone_for_a_while_then_asked_again(engine_server, monkeypatch):
    monkeypatch.setattr(fallback, "SKIP_SECONDS", 1)
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)

    assert product_search.search_products("土豆").products == [potato]
    asked = engine_server.connections
    assert asked >= 1
    for _ in range(5):
        assert product_search.search_products("土豆").products == [potato]
    assert engine_server.connections == asked, "the engine was asked while the breaker was open"

    time.sleep(1.2)
    assert product_search.search_products("土豆").products == [potato]
    assert engine_server.connections > asked, "the engine was never asked again"
    assert fallback.health().failures == 2


@pytest.mark.parametrize("engine_server", ["hangs"], indirect=True)
def test_after_a_failure_one_search_at_a_time_waits_on_the_engine(engine_server, monkeypatch):
    """The engine stopped answering (a timeout, not a refusal). Once the breaker closes, one
    search finds out whether it is back; the others meanwhile get the database at once."""
    monkeypatch.setattr(fallback, "SKIP_SECONDS", 1)
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)
    assert product_search.search_products("土豆").products == [potato]  # times out: the breaker opens
    time.sleep(1.2)
    asked = engine_server.connections

    def probe():  # only the engine's side matters here: its fallback answers without the database
        fallback.answer(lambda backend: backend.matching_ids("土豆") if backend.vendor == "elasticsearch" else [])

    prober = threading.Thread(target=probe)
    prober.start()
    deadline = time.monotonic() + 5
    while engine_server.connections == asked and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    assert product_search.search_products("土豆").products == [potato]
    waited = time.monotonic() - started
    prober.join()

    assert waited < 0.5, f"a second search waited {waited:.1f} s on the engine being probed"
    assert engine_server.connections == asked + 1


# --- Indexing while the engine is down --------------------------------------------------------


def test_changes_reach_the_database_and_are_queued_for_the_engine(engine_down, on_commit, caplog):
    with on_commit():
        potato = factories.product(name="云南高原土豆")

    assert product_search.search_products("土豆").products == [potato]
    assert pending("default") == {potato.pk}
    assert pending("fallback") == set()
    with on_commit():
        potato.name = "云南高原洋芋"
        potato.save()
    assert PendingSync.objects.filter(backend="default").count() == 1  # one row, however many misses
    assert [p.pk for p in product_search.search_products("洋芋").products] == [potato.pk]


def test_catching_up_while_the_engine_is_still_down_keeps_the_queue(engine_down, monkeypatch):
    monkeypatch.setattr(fallback, "SKIP_SECONDS", 0)  # no breaker: each run really asks the engine
    potato = factories.product(name="云南高原土豆")
    indexing.queue(get_backend(), [potato.pk])

    assert catch_up_index() == {"default": 0}
    assert pending("default") == {potato.pk}
    assert fallback.health().failures == 1


def test_a_rebuild_rebuilds_the_fallback_and_says_the_engine_was_not(engine_down):
    potato = factories.product(name="云南高原土豆")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="Not rebuilt: default"):
        call_command("search_rebuild", stdout=out, stderr=err)

    assert "fallback: indexed 1 products" in out.getvalue()
    assert "default: not rebuilt" in err.getvalue()
    assert product_search.search_products("土豆").products == [potato]


# --- An engine that comes back ----------------------------------------------------------------


class MemoryEngine(SearchBackend):
    """An engine in this process: documents in a dict, found by a word of their name. Switched
    off (`down`) it refuses every request as an engine that does not answer; `broken` fails
    writes the way a bug would."""

    vendor = "memory"

    def __init__(self, *, name: str):
        super().__init__(name=name)
        self.documents: dict[int, dict] = {}
        self.down = False
        self.broken = False

    def _answer(self):
        if self.down:
            raise SearchUnavailable("the memory engine is switched off")

    def bulk_index(self, documents) -> int:
        self._answer()
        if self.broken:
            raise RuntimeError("a mapping bug")
        documents = list(documents)
        self.documents.update({d["id"]: d for d in documents})
        return len(documents)

    def delete_many(self, product_ids) -> None:
        self._answer()
        for product_id in product_ids:
            self.documents.pop(product_id, None)

    def rebuild(self, documents) -> RebuildReport:
        self._answer()
        self.documents = {d["id"]: d for d in documents}
        return RebuildReport(len(self.documents), 0.0, "memory")

    def clear(self) -> None:
        self.documents = {}

    def found(self, text: str) -> list[int]:
        return sorted(pk for pk, d in self.documents.items() if text in d["name"])

    def _search(self, query, filters, facets, sort, page) -> SearchResults:
        self._answer()
        ids = self.found(query.text)
        return SearchResults(total=len(ids), hits=[SearchHit(product_id=pk) for pk in ids], facets={})

    def _ids(self, query, limit) -> list[int]:
        self._answer()
        return self.found(query.text)[:limit]

    def _autocomplete(self, query, limit) -> list[Suggestion]:
        self._answer()
        return [Suggestion(self.documents[pk]["name"], pk) for pk in self.found(query.text)[:limit]]


@pytest.fixture
def memory_engine(settings, monkeypatch):
    settings.SEARCH_BACKENDS = {"default": {"BACKEND": f"{HERE}.MemoryEngine"}, "fallback": DATABASE_ENTRY}
    monkeypatch.setattr(fallback, "SKIP_SECONDS", 0)  # these tests are not about the breaker
    return get_backend()


def test_the_engine_catches_up_on_what_it_missed_when_it_answers_again(memory_engine, on_commit, caplog):
    with on_commit():
        kept = factories.product(name="云南高原土豆")
    memory_engine.down = True
    with on_commit():
        added = factories.product(name="高原红土豆")
        renamed = kept
        renamed.name = "云南高原洋芋"
        renamed.save()
    with on_commit():
        gone = factories.product(name="高原黄土豆")
    gone_id = gone.pk
    with on_commit():
        gone.delete()
    # Down: the database answers and has every change; the engine has none of them.
    assert {p.name for p in product_search.search_products("高原").products} == {"高原红土豆", "云南高原洋芋"}
    assert memory_engine.found("高原") == [kept.pk] and memory_engine.documents[kept.pk]["name"] == "云南高原土豆"
    assert pending() == {kept.pk, added.pk, gone_id}

    memory_engine.down = False
    with caplog.at_level(logging.WARNING, logger="search.fallback"):
        assert catch_up_index() == {"default": 3}

    assert pending() == set()
    assert memory_engine.found("高原") == [kept.pk, added.pk]
    assert memory_engine.documents[kept.pk]["name"] == "云南高原洋芋"
    assert "answers again" in " ".join(warnings_of(caplog))
    before = fallback.health().fallbacks
    assert sorted(p.pk for p in product_search.search_products("高原").products) == [kept.pk, added.pk]
    assert fallback.health().fallbacks == before, "the engine answers, yet the fallback was asked"


def test_the_sync_task_catches_up_too(memory_engine, on_commit):
    memory_engine.down = True
    with on_commit():
        missed = factories.product(name="云南高原土豆")
    memory_engine.down = False
    with on_commit():
        factories.product(name="赣南脐橙")  # any later change: its task catches up on the rest

    assert pending() == set()
    assert missed.pk in memory_engine.documents


def test_a_change_queued_again_while_catching_up_is_kept(memory_engine):
    """A row whose time is after the batch was read (queued again meanwhile) outlives the batch."""
    early, late = factories.product(name="土豆一号"), factories.product(name="土豆二号")
    PendingSync.objects.create(backend="default", product_id=early.pk, queued_at=timezone.now())
    PendingSync.objects.create(backend="default", product_id=late.pk, queued_at=timezone.now() + timedelta(minutes=1))

    assert indexing.catch_up() == {"default": 1}
    assert pending() == {late.pk}


def test_a_backend_that_fails_otherwise_does_not_stop_the_others_and_is_not_hidden(memory_engine, caplog):
    memory_engine.broken = True
    potato = factories.product(name="云南高原土豆")

    with caplog.at_level(logging.ERROR, logger="search.indexing"), pytest.raises(RuntimeError, match="a mapping bug"):
        indexing.index_products([potato.pk])

    assert [hit.product_id for hit in get_backend("fallback").search("土豆").hits] == [potato.pk]
    assert pending() == {potato.pk} and pending("fallback") == set()
    assert any("could not index" in r.getMessage() for r in caplog.records)


def test_a_rebuild_forgets_what_it_covered(memory_engine):
    potato = factories.product(name="云南高原土豆")
    indexing.queue(memory_engine, [potato.pk])

    report = indexing.rebuild()

    assert report.documents == 1 and memory_engine.found("土豆") == [potato.pk]
    assert pending() == set()


def test_backends_no_longer_configured_lose_their_queue(memory_engine):
    PendingSync.objects.create(backend="solr", product_id=1, queued_at=timezone.now())
    assert indexing.catch_up() == {}
    assert not PendingSync.objects.filter(backend="solr").exists()


# --- What operators read ----------------------------------------------------------------------


def test_search_status_tells_the_operator(engine_down):
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)
    indexing.queue(get_backend(), [potato.pk])
    product_search.search_products("土豆")
    out = io.StringIO()

    call_command("search_status", stdout=out)

    said = out.getvalue()
    assert "default: elasticsearch, DOWN:" in said and "pending sync: 1 products" in said
    assert "fallback: " in said and "answers; pending sync: 0 products" in said
    assert "breaker: open" in said and "found down: 1 times" in said
    assert "searches the fallback answered: 1" in said


def test_operators_see_the_engines_health_in_the_admin(engine_down, client):
    potato = factories.product(name="云南高原土豆")
    in_fallback(potato)
    indexing.queue(get_backend(), [potato.pk])
    product_search.search_products("土豆")
    operator = factories.staff_user()
    operator.groups.add(ensure_operator_group())
    client.force_login(operator)

    page = client.get(reverse("admin:search_pendingsync_changelist"), HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert page.status_code == 200
    assert "is down: searches are answered by the database" in html
    assert "1 search was answered by the database" in html
    assert "has 1 product to catch up on" in html
