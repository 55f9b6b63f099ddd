"""Settings for the test run: the project's settings, plus a second database of the other kind
(SQLite beside PostgreSQL) so that the search behaviour suite runs against both database backends
in one run. Without PostgreSQL the PostgreSQL backend's tests skip, as every PostgreSQL test does."""

from .settings import *  # noqa: F403
from .settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["search_sqlite"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": None},
    }

# The rest of the suite indexes into the database backend, whose writes roll back with each test;
# the behaviour suite reaches Elasticsearch itself, through this, on indices of its own.
SEARCH_TEST_ELASTICSEARCH_URL = ELASTICSEARCH_URL  # noqa: F405
ELASTICSEARCH_URL = None
OPENSEARCH_URL = None  # the suite's OpenSearch is its own node (tests/engine_node.py)
SEARCH_BACKENDS = {"default": {"BACKEND": "search.backends.database.DatabaseBackend", "OPTIONS": {"using": "default"}}}

# The test client and the browser tests speak plain HTTP to 127.0.0.1; production's HTTPS
# settings are checked by tests/config/test_security_settings.py with production's variables.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
