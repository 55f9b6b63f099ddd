import logging
import time
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import HttpError
from graphene_file_upload.django import FileUploadGraphQLView
from graphql import ExecutionResult, GraphQLError, OperationType, execute, get_operation_ast, parse, validate
from graphql.validation import specified_rules

from core import metrics
from core.responses import JsonResponse, utf8_json

from . import jwt_tokens
from .execution import PlainFieldsExecutionContext
from .validation import limit_rules, most_repeated_selection

logger = logging.getLogger(__name__)


# Only short queries are cached (an app's queries are a few hundred bytes to a few KB), so that a
# client sending many large distinct queries cannot grow the cache: 128 x 4 KB of text at most.
CACHED_QUERY_LENGTH = 4096


def nests_deeper_than(value, limit: int) -> bool:
    """Whether decoded JSON nests objects and lists more than `limit` deep. Iterative, so that a
    deep value cannot exhaust the stack here, and linear in the number of objects and lists."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def bad_request(message: str) -> HttpError:
    return HttpError(HttpResponseBadRequest(message))


def check_document(query: str, max_depth: int, max_cost: int, max_tokens: int, max_repeats: int):
    """Parse and validate: the specification's rules first, then our depth and cost limits.

    Before validation, which can be quadratic in a document, two linear checks: the parser stops
    at `max_tokens`, and no selection may be made more than `max_repeats` times in one place."""
    try:
        document = parse(query, max_lexical_tokens=max_tokens)
    except GraphQLError as error:
        if error.message.endswith(f"more than {max_tokens} tokens. Parsing aborted."):
            message = f"The query has more than {max_tokens} tokens (names, values and punctuation)."
            error = GraphQLError(message, extensions={"code": "QUERY_TOO_LARGE", "limit": max_tokens})
        return None, (error,)
    repeated = most_repeated_selection(document)
    if repeated is not None and repeated[1] > max_repeats:
        key, count, node = repeated
        what = "fragments" if key == "..." else f"`{key}`"
        message = f"The query selects {what} {count} times in one place; at most {max_repeats} are allowed."
        extensions = {"code": "QUERY_TOO_REPETITIVE", "measured": count, "limit": max_repeats}
        return document, (GraphQLError(message, node, extensions=extensions),)
    schema = graphene_settings.SCHEMA.graphql_schema
    errors = validate(schema, document, specified_rules, graphene_settings.MAX_VALIDATION_ERRORS)
    if not errors:
        errors = validate(schema, document, limit_rules(max_depth, max_cost))
    return document, tuple(errors)


# Parsing and validating a catalog query costs several milliseconds and depends on its text alone.
_cached_check = lru_cache(maxsize=128)(check_document)


def checked_document(query: str):
    limits = (
        settings.GRAPHQL_MAX_DEPTH,
        settings.GRAPHQL_MAX_COST,
        settings.GRAPHQL_MAX_TOKENS,
        settings.GRAPHQL_MAX_REPEATS,
    )
    if len(query) <= CACHED_QUERY_LENGTH:
        return _cached_check(query, *limits)
    return check_document(query, *limits)


def count_operation(operation, started: float, result: ExecutionResult) -> None:
    """The operation's time and outcome, by its name (bounded: core.metrics.operation_label)."""
    name = metrics.operation_label(operation.name.value if operation is not None and operation.name else None)
    kind = operation.operation.value if operation is not None else "unknown"
    metrics.graphql_seconds.labels(name, kind).observe(time.perf_counter() - started)
    metrics.graphql_operations.labels(name, kind, "error" if result.errors else "ok").inc()


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(FileUploadGraphQLView):
    """GraphQL over HTTP, with multipart uploads, query limits and CSRF only where it matters.

    A request that carries a session cookie is checked for CSRF like any form post (a browser
    sends cookies on its own); a request without one has no ambient authority to abuse.
    """

    # graphene-django's page loads GraphiQL from a CDN; ours serves the same files as static files.
    graphiql_template = "graphql/graphiql.html"

    def dispatch(self, request, *args, **kwargs):
        authorization = request.headers.get("Authorization", "")
        if authorization:
            # An app's token: not sent by browsers on their own, so no CSRF check is needed.
            scheme, _space, token = authorization.partition(" ")
            try:
                if scheme.lower() != "bearer":
                    raise jwt_tokens.TokenError("JWT_INVALID_TOKEN", _("Send the token as `Authorization: Bearer`."))
                request.user = jwt_tokens.bearer_user(token.strip())
            except jwt_tokens.TokenError as error:
                return JsonResponse(
                    {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}, status=401
                )
            request._dont_enforce_csrf_checks = True
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and not getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:
                return reason
        return super().dispatch(request, *args, **kwargs)

    def parse_body(self, request):
        """The body, refused with a 4xx when it is too large or nested too deeply to be a request of
        ours: Python's JSON decoder recurses, and a body nested a thousand deep would otherwise end
        in a RecursionError (a 500). Multipart uploads are bounded by Django's own upload limits."""
        max_bytes = settings.GRAPHQL_MAX_BODY_BYTES
        if self.get_content_type(request) != "multipart/form-data":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > max_bytes or len(request.body) > max_bytes:
                raise HttpError(HttpResponse(f"The request is larger than {max_bytes} bytes.", status=413))
        try:
            data = super().parse_body(request)
        except HttpError:
            raise
        except RecursionError as error:
            raise bad_request(self.too_deep_message()) from error
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            # graphene-file-upload trusts the multipart `operations` and `map` fields.
            raise bad_request(f"Malformed GraphQL request: {error}") from error
        if nests_deeper_than(data, settings.GRAPHQL_MAX_JSON_DEPTH):
            raise bad_request(self.too_deep_message())
        return data

    @staticmethod
    def too_deep_message() -> str:
        return f"The request nests objects and lists more than {settings.GRAPHQL_MAX_JSON_DEPTH} deep."

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        if not query:
            return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
        if not isinstance(query, str):
            raise bad_request("The query must be a string.")
        if variables is not None and nests_deeper_than(variables, settings.GRAPHQL_MAX_JSON_DEPTH):
            raise bad_request(self.too_deep_message())  # variables sent as a JSON string, decoded after the body
        if len(query) > settings.GRAPHQL_MAX_QUERY_LENGTH:
            message = f"The query is longer than {settings.GRAPHQL_MAX_QUERY_LENGTH} characters."
            return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": "QUERY_TOO_LARGE"})])
        document, errors = checked_document(query)
        if errors:
            return ExecutionResult(data=None, errors=list(errors))
        operation = get_operation_ast(document, operation_name)
        if request.method == "GET" and operation is not None and operation.operation != OperationType.QUERY:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseNotAllowed(["POST"], "Send mutations with POST."))
        started = time.perf_counter()
        try:
            result = execute(
                self.schema.graphql_schema,
                document,
                root_value=self.get_root_value(request),
                context_value=self.get_context(request),
                variable_values=variables,
                operation_name=operation_name,
                middleware=self.get_middleware(request),
                execution_context_class=PlainFieldsExecutionContext,
            )
        except Exception as error:  # noqa: BLE001 - reported as a GraphQL error, as graphene-django does
            result = ExecutionResult(errors=[error])
        count_operation(operation, started, result)
        return result

    def json_encode(self, request, d, pretty=False):
        """graphene-django's, with Chinese as UTF-8 rather than `\\uXXXX` escapes."""
        if not (self.pretty or pretty) and not request.GET.get("pretty"):
            return utf8_json(d, separators=(",", ":"))
        return utf8_json(d, sort_keys=True, indent=2, separators=(",", ": "))

    @staticmethod
    def format_error(error):
        # Messages of unexpected exceptions stay in the log: they can carry SQL or personal data.
        if isinstance(error, GraphQLError) and error.original_error is not None:
            original = error.original_error
            if not isinstance(original, (GraphQLError, PermissionDenied)):
                logger.exception("GraphQL resolver failed", exc_info=original)
                error = GraphQLError("Internal error.", error.nodes, error.source, error.positions, error.path)
        return FileUploadGraphQLView.format_error(error)
