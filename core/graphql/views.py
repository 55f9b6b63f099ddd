import logging

from django.core.exceptions import PermissionDenied
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_file_upload.django import FileUploadGraphQLView
from graphql import GraphQLError

from .validation import validation_rules

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(FileUploadGraphQLView):
    """GraphQL over HTTP, with multipart uploads, query limits and CSRF only where it matters.

    A request that carries a session cookie is checked for CSRF like any form post (a browser
    sends cookies on its own); a request without one has no ambient authority to abuse.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("validation_rules", validation_rules())
        super().__init__(**kwargs)

    def dispatch(self, request, *args, **kwargs):
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and not getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if reason is not None:
                return reason
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def format_error(error):
        # Messages of unexpected exceptions stay in the log: they can carry SQL or personal data.
        if isinstance(error, GraphQLError) and error.original_error is not None:
            original = error.original_error
            if not isinstance(original, (GraphQLError, PermissionDenied)):
                logger.exception("GraphQL resolver failed", exc_info=original)
                error = GraphQLError("Internal error.", error.nodes, error.source, error.positions, error.path)
        return FileUploadGraphQLView.format_error(error)
