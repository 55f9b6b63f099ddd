from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.views.defaults import bad_request


class RejectNulCharactersMiddleware:
    """A NUL character in a URL or query string is never meaningful, and PostgreSQL refuses it in
    text: answer 400 here rather than a 500 from the first query that uses the value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [value for _, values in request.GET.lists() for value in values]
        if "\x00" in request.path or any("\x00" in value for value in values):
            return bad_request(request, exception=None)
        return self.get_response(request)


class ChineseFirstForFarmerPagesMiddleware:
    """Farmers' and NGO officers' pages open in Chinese, whatever language a (often second-hand or
    English-set) phone's browser asks for; a language the person chose in the menu still wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chose = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        if not chose and request.path_info.startswith(settings.CHINESE_FIRST_PATHS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class CompressApiResponsesMiddleware(GZipMiddleware):
    """gzip for JSON (the GraphQL API, the JSON views) and plain text, CSS, scripts and SVG; never
    for HTML pages (docs/decisions.md, under "catalog").

    A page that holds a secret (the CSRF token in its forms, a farmer's own phone number on their
    pages) beside text an attacker can put in it (a search box echoed back) leaks that secret to
    anyone who can watch compressed sizes over many requests (BREACH). API answers carry no CSRF
    token, and a cross-site page cannot make a browser send authenticated API requests of its
    choosing: a POST with the session cookie needs the CSRF token, a bearer token is never sent on
    its own, and the session cookie (SameSite=Lax) is left off cross-site fetches. Django's own
    random padding of each gzip header (Heal The Breach) is kept as a further guard."""

    compressible_types = frozenset(
        {
            "application/json",
            "application/graphql-response+json",
            "application/javascript",
            "text/javascript",
            "text/css",
            "text/plain",
            "image/svg+xml",
        }
    )

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in self.compressible_types:
            return response
        return super().process_response(request, response)
