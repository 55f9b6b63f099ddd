"""SEARCH_BACKENDS: the configured class is what every caller searches through, built with its
name and options, once a process until the setting changes; a wrong entry says what is wrong. And
config.settings fills the setting from ELASTICSEARCH_URL."""

import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import config
from search import indexing, product_search
from search.backends import RebuildReport, SearchBackend, get_backend
from search.backends.elasticsearch import ElasticsearchBackend
from search.backends.opensearch import OpenSearchBackend
from search.query import SearchResults, Suggestion

HERE = __name__


class RecordingBackend(SearchBackend):
    """A backend of the test's own: a module and a settings entry are all it takes. It finds
    nothing but reports `total` matches, and remembers what it was asked."""

    vendor = "recording"

    def __init__(self, *, name: str, total: int = 0, label: str = ""):
        super().__init__(name=name)
        self.total, self.label = total, label
        self.asked: list[str] = []
        self.indexed: list[int] = []

    def bulk_index(self, documents) -> int:
        ids = [document["id"] for document in documents]
        self.indexed += ids
        return len(ids)

    def delete_many(self, product_ids) -> None:
        pass

    def rebuild(self, documents) -> RebuildReport:
        return RebuildReport(self.bulk_index(documents), 0.0, self.label)

    def clear(self) -> None:
        pass

    def _search(self, query, filters, facets, sort, page) -> SearchResults:
        self.asked.append(query.text)
        return SearchResults(total=self.total, hits=[], facets={})

    def _ids(self, query, limit) -> list[int]:
        self.asked.append(query.text)
        return []

    def _autocomplete(self, query, limit) -> list[Suggestion]:
        self.asked.append(query.text)
        return []


def recording(**options) -> dict:
    return {"BACKEND": f"{HERE}.RecordingBackend", "OPTIONS": options}


def test_callers_search_through_the_configured_class_built_with_its_name_and_options():
    with override_settings(SEARCH_BACKENDS={"default": recording(total=7, label="shelf")}):
        backend = get_backend()
        assert type(backend) is RecordingBackend
        assert (backend.name, backend.total, backend.label) == ("default", 7, "shelf")
        assert product_search.search_products("土豆").total == 7
        assert product_search.matching_product_ids("tudou") == []
        assert product_search.suggest("马铃") == []
        assert backend.asked == ["土豆", "tudou", "马铃"]


@pytest.mark.django_db
def test_indexing_writes_to_the_configured_backend():
    from tests import factories

    product = factories.product(name="高山土豆")
    with override_settings(SEARCH_BACKENDS={"default": recording(label="shelf")}):
        indexing.index_products([product.pk])
        assert get_backend().indexed == [product.pk]
        report = indexing.rebuild()
        assert (report.documents, report.index) == (1, "shelf")


def test_each_name_is_built_once_and_a_changed_setting_builds_anew():
    first_setting = {"default": recording(total=1), "other": recording(total=2)}
    with override_settings(SEARCH_BACKENDS=first_setting):
        first = get_backend()
        assert get_backend() is first and get_backend("default") is first
        other = get_backend("other")
        assert other is not first and (other.name, other.total) == ("other", 2)
        with override_settings(SEARCH_BACKENDS={"default": recording(total=3)}):
            changed = get_backend()
            assert changed is not first and changed.total == 3
        again = get_backend()
        assert again is not first and again is not changed and again.total == 1


def test_the_test_run_searches_the_database():
    assert get_backend().vendor in ("sqlite", "postgresql")
    assert get_backend().name == "default"


def test_an_unknown_name_says_which_setting_lacks_it():
    with pytest.raises(LookupError, match=r"SEARCH_BACKENDS has no entry 'solr'"):
        get_backend("solr")
    with (
        override_settings(SEARCH_BACKENDS={"other": recording()}),
        pytest.raises(LookupError, match=r"SEARCH_BACKENDS has no entry 'default'"),
    ):
        get_backend()


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("search.backends.solr.SolrBackend", "No module named 'search.backends.solr'"),
        ("search.backends.database.SolrBackend", 'does not define a "SolrBackend"'),
        ("SolrBackend", "doesn't look like a module path"),
    ],
)
def test_a_backend_that_cannot_be_imported_is_improperly_configured(path, says):
    with (
        override_settings(SEARCH_BACKENDS={"default": {"BACKEND": path}}),
        pytest.raises(ImproperlyConfigured, match=r"^SEARCH_BACKENDS\['default'\]: ") as raised,
    ):
        get_backend()
    assert says in str(raised.value)


def test_an_entry_without_a_backend_is_improperly_configured():
    with (
        override_settings(SEARCH_BACKENDS={"default": {"OPTIONS": {}}}),
        pytest.raises(ImproperlyConfigured, match=r"SEARCH_BACKENDS\['default'\]: 'BACKEND'"),
    ):
        get_backend()


def test_an_option_the_backend_does_not_take_is_named():
    with (
        override_settings(SEARCH_BACKENDS={"default": recording(colour="red")}),
        pytest.raises(TypeError, match="colour"),
    ):
        get_backend()


def test_elasticsearch_takes_its_server_prefix_and_timeout_and_connects_only_when_used():
    entry = {
        "BACKEND": "search.backends.elasticsearch.ElasticsearchBackend",
        "OPTIONS": {"url": "http://127.0.0.1:9", "index_prefix": "test-registry", "timeout": 2},
    }
    with override_settings(SEARCH_BACKENDS={"default": entry}):
        backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)
    assert (backend.url, backend.alias, backend.timeout) == ("http://127.0.0.1:9", "test-registry-products", 2)
    assert backend._client is None


def _settings_with(monkeypatch, **environment) -> dict:
    """config/settings.py run afresh under this environment (the running settings are untouched)."""
    for name in ("ELASTICSEARCH_URL", "OPENSEARCH_URL", "ELASTICSEARCH_INDEX_PREFIX", "ELASTICSEARCH_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    path = Path(config.__file__).with_name("settings.py")
    spec = importlib.util.spec_from_file_location("config.settings_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def test_settings_choose_elasticsearch_when_its_url_is_set(monkeypatch):
    settings = _settings_with(
        monkeypatch,
        ELASTICSEARCH_URL="http://search.example:9200",
        ELASTICSEARCH_INDEX_PREFIX="site",
        ELASTICSEARCH_TIMEOUT="7",
    )
    assert settings["SEARCH_BACKENDS"] == {
        "default": {
            "BACKEND": "search.backends.elasticsearch.ElasticsearchBackend",
            "OPTIONS": {"url": "http://search.example:9200", "index_prefix": "site", "timeout": 7},
        }
    }


def test_settings_choose_opensearch_when_its_url_is_set_even_beside_elasticsearch_s(monkeypatch):
    settings = _settings_with(
        monkeypatch,
        ELASTICSEARCH_URL="http://elasticsearch.example:9200",
        OPENSEARCH_URL="http://opensearch.example:9200",
        ELASTICSEARCH_INDEX_PREFIX="site",
        ELASTICSEARCH_TIMEOUT="7",
    )
    assert settings["SEARCH_BACKENDS"] == {
        "default": {
            "BACKEND": "search.backends.opensearch.OpenSearchBackend",
            "OPTIONS": {"url": "http://opensearch.example:9200", "index_prefix": "site", "timeout": 7},
        }
    }


def test_the_opensearch_entry_builds_an_opensearch_backend_without_connecting():
    entry = {
        "BACKEND": "search.backends.opensearch.OpenSearchBackend",
        "OPTIONS": {"url": "http://127.0.0.1:9", "index_prefix": "test-registry", "timeout": 2},
    }
    with override_settings(SEARCH_BACKENDS={"default": entry}):
        backend = get_backend()
    assert isinstance(backend, OpenSearchBackend)
    assert (backend.vendor, backend.url, backend.alias, backend.timeout) == (
        "opensearch",
        "http://127.0.0.1:9",
        "test-registry-products",
        2,
    )
    assert backend._client is None


def test_settings_choose_the_database_backend_otherwise(monkeypatch):
    settings = _settings_with(monkeypatch)
    assert settings["SEARCH_BACKENDS"] == {
        "default": {"BACKEND": "search.backends.database.DatabaseBackend", "OPTIONS": {"using": "default"}}
    }
