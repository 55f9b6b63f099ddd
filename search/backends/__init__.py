"""The backend is chosen by settings: Elasticsearch when ELASTICSEARCH_URL is set, otherwise the
database backend for the default connection (PostgreSQL or SQLite)."""

import functools

from django.conf import settings
from django.db import connection

from .base import RebuildReport, SearchBackend, SearchUnavailable

__all__ = ["RebuildReport", "SearchBackend", "SearchUnavailable", "backend_for", "get_backend"]


def backend_for(name: str, using: str = "default") -> SearchBackend:
    """A backend by name; database backends keep their index in the database `using`."""
    if name == "elasticsearch":
        from .elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(settings.ELASTICSEARCH_URL, settings.ELASTICSEARCH_INDEX_PREFIX)
    if name == "postgresql":
        from .database import PostgresBackend

        return PostgresBackend(using)
    if name == "sqlite":
        from .database import SqliteBackend

        return SqliteBackend(using)
    raise ValueError(f"no search backend {name!r}")


@functools.cache
def _configured(elasticsearch_url: str | None, index_prefix: str, vendor: str) -> SearchBackend:
    return backend_for("elasticsearch" if elasticsearch_url else vendor)


def get_backend() -> SearchBackend:
    """One instance a process for the current settings (tests that change them get a fresh one)."""
    return _configured(settings.ELASTICSEARCH_URL, settings.ELASTICSEARCH_INDEX_PREFIX, connection.vendor)
