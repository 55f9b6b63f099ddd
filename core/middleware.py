import logging
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.views.defaults import bad_request

from . import metrics, request_ids

request_log = logging.getLogger("shanhuo.requests")


class RequestIdMiddleware:
    """First in MIDDLEWARE: the request id (core.request_ids) is set before anything else logs,
    returned in the response's `X-Request-ID`, and cleared when the response leaves (gthread
    workers reuse threads). One log line a request, by view name, never the path: guests' order
    links and click tokens travel in paths."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_ids.from_header(request.headers.get(request_ids.HEADER))
        token = request_ids.activate(request.request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[request_ids.HEADER] = request.request_id
            request_log.info(
                "%s %s %s %.1f ms",
                request.method,
                view_name(request),
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response
        finally:
            request_ids.deactivate(token)


def view_name(request) -> str:
    """The URL's name (`shop:product`): a bounded label, unlike the path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or "unnamed"


class MetricsMiddleware:
    """Each request's time and status class, by view (core.metrics)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view, method = view_name(request), request.method if request.method in KNOWN_METHODS else "other"
        metrics.http_request_seconds.labels(view, method).observe(time.perf_counter() - started)
        metrics.http_responses.labels(view, method, metrics.status_class(response.status_code)).inc()
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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


# Stripe.js's needs, from Stripe's own list (docs.stripe.com/security/guide#content-security-policy).
STRIPE_SCRIPTS = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_CONNECT = ("https://api.stripe.com",)
# Forms that end at WeChat's OAuth (binding a farmer's WeChat is a POST answered by a redirect
# there; Chromium, WeChat's browser included, applies form-action to that redirect).
FORM_TARGETS = ("https://open.weixin.qq.com",)


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(nonce: str) -> str:
    """The policy of one response. Built per response from the settings, so that the origin of
    STRIPE_JS_URL (and STRIPE_API_BASE) is the one in force, and the nonce is this page's."""
    stripe = [origin for origin in (_origin(settings.STRIPE_JS_URL), _origin(settings.STRIPE_API_BASE)) if origin]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'", *STRIPE_SCRIPTS, *stripe],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *STRIPE_CONNECT, *stripe],
        "frame-src": ["'self'", *STRIPE_FRAMES, *stripe],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *FORM_TARGETS],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(sources))}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sends a Content-Security-Policy on every response that has none yet: an injected script
    cannot run, because inline scripts must carry the page's nonce (`{{ request.csp_nonce }}` in
    a template; a fresh one per request, made only when a page or the header asks for it) and
    inline event handlers (onclick=…) are not allowed at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = SimpleLazyObject(lambda: secrets.token_urlsafe(16))
        response = self.get_response(request)
        header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        if header not in response:
            response[header] = content_security_policy(str(request.csp_nonce))
        return response


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
