import logging
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.settings import graphene_settings
from graphene_django.views import HttpError
from graphene_file_upload.django import FileUploadGraphQLView
from graphql import ExecutionResult, GraphQLError, OperationType, execute, get_operation_ast, parse, validate
from graphql.validation import specified_rules

from core import api_tokens
from core.responses import JsonResponse, utf8_json

from .execution import PlainFieldsExecutionContext
from .validation import limit_rules

logger = logging.getLogger(__name__)


# Only short queries are cached (an app's queries are a few hundred bytes to a few KB), so that a
# client sending many large distinct queries cannot grow the cache: 128 x 4 KB of text at most.
CACHED_QUERY_LENGTH = 4096


def check_document(query: str, max_depth: int, max_cost: int):
    """Parse and validate: the specification's rules first, then our depth and cost limits."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    schema = graphene_settings.SCHEMA.graphql_schema
    errors = validate(schema, document, specified_rules, graphene_settings.MAX_VALIDATION_ERRORS)
    if not errors:
        errors = validate(schema, document, limit_rules(max_depth, max_cost))
    return document, tuple(errors)


# Parsing and validating a catalog query costs several milliseconds and depends on its text alone.
_cached_check = lru_cache(maxsize=128)(check_document)


def checked_document(query: str):
    limits = (settings.GRAPHQL_MAX_DEPTH, settings.GRAPHQL_MAX_COST)
    if len(query) <= CACHED_QUERY_LENGTH:
        return _cached_check(query, *limits)
    return check_document(query, *limits)


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
            user = api_tokens.user_for(token.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                return JsonResponse(
                    {"errors": [{"message": "Invalid or expired token.", "extensions": {"code": "INVALID_TOKEN"}}]},
                    status=401,
                )
            request.user = user
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
        try:
            return super().parse_body(request)
        except HttpError:
            raise
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            # graphene-file-upload trusts the multipart `operations` and `map` fields.
            raise HttpError(HttpResponseBadRequest(f"Malformed GraphQL request: {error}")) from error

    def execute_graphql_request(self, request, data, query, variables, operation_name, show_graphiql=False):
        if not query:
            return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
        if not isinstance(query, str):
            raise HttpError(HttpResponseBadRequest("The query must be a string."))
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
        try:
            return execute(
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
            return ExecutionResult(errors=[error])

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
