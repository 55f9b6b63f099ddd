"""The OpenSearch backend (opensearch-py): the Elasticsearch backend over OpenSearch's client.

OpenSearch 2.x answers the same request bodies as Elasticsearch for everything we send (the
mapping, `multi_match` phrases, bool filters, terms/range/filter aggregations, highlighting,
bulk, aliases, `_delete_by_query`), so every body is built by `search.backends.elasticsearch`
and only the calls differ: the Elasticsearch 9 client refuses a server that is not Elasticsearch,
and its per-request `options()` and `ApiError`s are its own. Many clouds (in China too) offer
OpenSearch; the test run's engine is OpenSearch (tests/engine)."""

from collections.abc import Iterable

from django.conf import settings
from elasticsearch.dsl import Search
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from .elasticsearch import BULK_CHUNK, WRITE_TIMEOUT, ElasticsearchBackend


def make_client(url: str, timeout: float | None = None, **options) -> OpenSearch:
    """A client whose requests give up after `timeout` seconds (ELASTICSEARCH_TIMEOUT by default);
    one retry, on another connection, as the Elasticsearch backend's."""
    return OpenSearch(
        hosts=[url],
        timeout=settings.ELASTICSEARCH_TIMEOUT if timeout is None else timeout,
        max_retries=1,
        retry_on_timeout=False,
        **options,
    )


def _unavailable(error: Exception) -> bool:
    """Down, overloaded or timing out (as against a request it refused)."""
    if isinstance(error, OpenSearchConnectionError):  # refused, timeouts, TLS
        return True
    status = error.status_code if isinstance(error, TransportError) else None
    return isinstance(status, int) and (status >= 500 or status == 429)


class OpenSearchBackend(ElasticsearchBackend):
    """Options as ElasticsearchBackend's: `url`, `index_prefix`, `timeout`, `client` (an
    `opensearchpy.OpenSearch`)."""

    vendor = "opensearch"
    # ConnectionError (and its timeouts) are TransportErrors in opensearch-py.
    client_errors = (TransportError,)

    def _make_client(self) -> OpenSearch:
        return make_client(self.url, self.timeout)

    @property
    def _write_timeout(self) -> float:
        return max(WRITE_TIMEOUT, self.timeout)

    def _bulk(self, actions: Iterable[dict], **options) -> int:
        written, _ = helpers.bulk(
            self.client, actions, chunk_size=BULK_CHUNK, request_timeout=self._write_timeout, **options
        )
        return written

    def _create_index(self, name: str, body: dict) -> None:
        self.client.indices.create(index=name, body=body, request_timeout=self._write_timeout)

    def _delete_indices(self, names: list[str]) -> None:
        self.client.indices.delete(
            index=",".join(names), ignore_unavailable=True, ignore=404, request_timeout=self._write_timeout
        )

    def _put_settings(self, name: str, index_settings: dict) -> None:
        self.client.indices.put_settings(index=name, body=index_settings, request_timeout=self._write_timeout)

    def _refresh(self, name: str) -> None:
        self.client.indices.refresh(index=name, request_timeout=self._write_timeout)

    def _aliases(self) -> dict | None:
        try:
            return self.client.indices.get_alias(index=self.alias, request_timeout=self._write_timeout)
        except NotFoundError:
            return None

    def _update_aliases(self, actions: list[dict]) -> None:
        self.client.indices.update_aliases(body={"actions": actions}, request_timeout=self._write_timeout)

    def _delete_all(self) -> None:
        self.client.delete_by_query(
            index=self.alias,
            body={"query": {"match_all": {}}},
            refresh=True,
            conflicts="proceed",
            request_timeout=self._write_timeout,
        )

    def _send(self, search: Search) -> dict:
        return self.client.search(index=self.alias, body=search.to_dict())

    def _is_missing_index(self, error: Exception) -> bool:
        return isinstance(error, NotFoundError) and error.error == "index_not_found_exception"

    def _is_unavailable(self, error: Exception) -> bool:
        return _unavailable(error)
