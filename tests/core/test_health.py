"""/healthz and /readyz, with dependencies really down: each points at a port nobody listens on."""

import json
import socket

import pytest

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago and has no listener: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_without_touching_any_dependency(client, settings, django_assert_num_queries):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_reports_the_database_with_its_latency(client, settings):
    settings.REDIS_URL = None
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.OPENSEARCH_URL = settings.ELASTICSEARCH_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database"}
    database = body["checks"]["database"]
    assert database["status"] == "up" and database["required"] is True
    assert isinstance(database["ms"], float) and database["ms"] >= 0


def test_redis_down_makes_the_process_unready_and_the_body_keeps_the_address_secret(client, settings):
    port = closed_port()
    settings.REDIS_URL = f"redis://:s3cret-password@127.0.0.1:{port}/0"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "up"
    text = response.content.decode()
    assert "s3cret" not in text and str(port) not in text and "127.0.0.1" not in text


def test_broker_down_makes_the_process_unready(client, settings):
    settings.REDIS_URL = None
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/1"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["status"] == "down" and broker["required"] is True


def test_search_engine_down_is_reported_but_the_site_stays_ready(client, settings):
    """Searches fall back to the database backend while the engine is down."""
    settings.REDIS_URL = None
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.ELASTICSEARCH_URL = None
    settings.OPENSEARCH_URL = f"http://admin:s3cret@127.0.0.1:{closed_port()}"
    response = client.get("/readyz")
    assert response.status_code == 200
    search = response.json()["checks"]["search"]
    assert search["status"] == "down" and search["required"] is False
    assert "s3cret" not in response.content.decode()


def test_a_search_engine_that_answers_is_up_and_gets_the_credentials_of_its_url(client, settings):
    import http.server
    import threading

    seen = []

    class Engine(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            body = json.dumps({"version": {"distribution": "opensearch"}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Engine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.REDIS_URL = None
        settings.CELERY_TASK_ALWAYS_EAGER = True
        settings.ELASTICSEARCH_URL = None
        settings.OPENSEARCH_URL = f"http://admin:pw@127.0.0.1:{server.server_address[1]}"
        response = client.get("/readyz")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert response.json()["checks"]["search"]["status"] == "up"
    assert seen == [("/", "Basic YWRtaW46cHc=")]  # admin:pw


@pytest.mark.redis
def test_real_redis_and_broker_are_up(client, settings, require_redis):
    settings.REDIS_URL = require_redis
    settings.CELERY_BROKER_URL = require_redis
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["redis"]["status"] == "up" and checks["broker"]["status"] == "up"


def test_probes_answer_get_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
