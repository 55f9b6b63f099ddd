"""A stand-in for the Elasticsearch server at the network edge, for tests on a machine where no
Elasticsearch can run: an `elastic_transport` node class that records every HTTP request the
official client sends (method, path, query parameters, parsed JSON or NDJSON body, timeout) and
answers with canned responses. Everything above the socket, the client, its serializers,
retries and error mapping and `elasticsearch.dsl`, runs as it does in production.

    recorder = Recorder()
    recorder.respond(search_response(...))           # queued answers, in order, or
    recorder.route = lambda request: {...}            # one function answering every request
    client = recorder.client()                        # an Elasticsearch client over the recorder
"""

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node._base import NodeApiResponse
from elasticsearch import Elasticsearch

URL = "http://es.test:9200"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any  # a dict for JSON, a list of dicts for NDJSON (bulk), None without a body
    headers: dict[str, str]
    timeout: float | None

    @property
    def line(self) -> tuple:
        """What an exact sequence test compares: method, path, parameters and body."""
        return (self.method, self.path, self.params, self.body)


@dataclass
class Response:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, kind: str, reason: str = "") -> Response:
    """An Elasticsearch error response (e.g. 404 index_not_found_exception)."""
    cause = {"type": kind, "reason": reason or kind}
    return Response(status, {"error": {**cause, "root_cause": [cause]}, "status": status})


Answer = Response | dict | list | Exception


class Recorder:
    def __init__(self, route: Callable[[Request], Answer] | None = None):
        self.requests: list[Request] = []
        self.queue: deque[Answer] = deque()
        self.route = route

    def respond(self, *answers: Answer) -> None:
        """Queue answers (a Response, a JSON body for 200, or an exception to raise), one a request."""
        self.queue.extend(answers)

    @property
    def node_class(self) -> type[BaseNode]:
        return type("RecordingNode", (RecordingNode,), {"recorder": self})

    def client(self, **options) -> Elasticsearch:
        return Elasticsearch(URL, node_class=self.node_class, **options)

    @property
    def lines(self) -> list[tuple]:
        return [request.line for request in self.requests]

    def answer(self, request: Request) -> Response:
        self.requests.append(request)
        if self.queue:
            answer = self.queue.popleft()
        elif self.route is not None:
            answer = self.route(request)
        else:
            raise AssertionError(f"unexpected request {request.method} {request.path} {request.body!r}")
        if isinstance(answer, Exception):
            raise answer
        return answer if isinstance(answer, Response) else Response(body=answer)


def _parse(body: bytes | None, content_type: str) -> Any:
    if body is None:
        return None
    text = body.decode("utf-8")
    if "ndjson" in content_type:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


class RecordingNode(BaseNode):
    recorder: Recorder

    def perform_request(self, method, target, body=None, headers=None, request_timeout=None) -> NodeApiResponse:
        headers = dict(headers or {})
        url = urlsplit(target)
        request = Request(
            method=method,
            path=url.path,
            params=dict(parse_qsl(url.query, keep_blank_values=True)),
            body=_parse(body, headers.get("content-type", "")),
            headers=headers,
            timeout=None
            if request_timeout is None or not isinstance(request_timeout, int | float)
            else request_timeout,
        )
        response = self.recorder.answer(request)
        # The 9.x client refuses an answer without this header (it checks it is talking to Elasticsearch).
        response_headers = HttpHeaders(
            {"content-type": "application/json", "x-elastic-product": "Elasticsearch", **response.headers}
        )
        payload = b"" if method == "HEAD" or response.body is None else json.dumps(response.body).encode()
        meta = ApiResponseMeta(
            status=response.status, http_version="1.1", headers=response_headers, duration=0.0, node=self.config
        )
        return NodeApiResponse(meta, payload)


# --- Canned answers ---------------------------------------------------------------------------


def search_response(hits=(), total: int | None = None, aggregations: dict | None = None) -> dict:
    """A `_search` answer. `hits`: (id, source, highlight or None, score) tuples, in ES's order."""
    body = {
        "took": 1,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits) if total is None else total, "relation": "eq"},
            "max_score": None,
            "hits": [],
        },
    }
    for product_id, source, highlight, score in hits:
        hit = {"_index": "test-products-1", "_id": str(product_id), "_score": score, "_source": source}
        if highlight:
            hit["highlight"] = highlight
        body["hits"]["hits"].append(hit)
    if aggregations is not None:
        body["aggregations"] = aggregations
    return body


def bulk_response(*items: tuple[str, str, int]) -> dict:
    """A `_bulk` answer: (operation, id, status) per item; a 404 delete is a not_found result."""
    answered = []
    for operation, product_id, status in items:
        item = {"_index": "test-products-1", "_id": product_id, "status": status}
        if status == 404 and operation == "delete":
            item["result"] = "not_found"
        elif status >= 300:
            item["error"] = {"type": "mapper_parsing_exception", "reason": "failed to parse"}
        else:
            item["result"] = "deleted" if operation == "delete" else "created"
        answered.append({operation: item})
    return {
        "took": 1,
        "errors": any("error" in item for entry in answered for item in entry.values()),
        "items": answered,
    }


ACKNOWLEDGED = {"acknowledged": True}
