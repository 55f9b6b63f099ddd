"""Search backends are chosen by settings.SEARCH_BACKENDS, through `core.registry`: each name maps
to `{"BACKEND": "dotted.path.Class", "OPTIONS": {...}}`, built once a process with `name=` and
the options. The shop searches the backend named `default`: Elasticsearch when ELASTICSEARCH_URL
is set, otherwise `database.DatabaseBackend`, which is PostgreSQL or SQLite by the vendor of its
connection. With an engine as `default`, the entry `fallback` is the database backend, kept current
beside it and searched while it is down (`search.fallback`). Another engine is a module here and
an entry in the setting."""

from core.registry import Registry

from .base import RebuildReport, SearchBackend, SearchUnavailable

__all__ = ["RebuildReport", "SearchBackend", "SearchUnavailable", "backends", "get_backend"]

backends = Registry("SEARCH_BACKENDS")


def get_backend(name: str = "default") -> SearchBackend:
    """The backend configured under `name`, one instance a process (tests that change the setting
    get a fresh one). LookupError for a name the setting lacks; ImproperlyConfigured for an entry
    whose BACKEND cannot be imported."""
    return backends.get(name)
