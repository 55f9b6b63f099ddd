"""Pages of the site as a whole, not of one app."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health, metrics


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: in practice a page left open so long that its token
    or the session behind it expired (a farmer's cheap phone keeps tabs for days), or a browser
    that refuses cookies. Django's own page explains CSRF to developers; this one tells the person,
    in the site's layout and language, to go back, refresh and send again (settings.CSRF_FAILURE_VIEW).
    `reason` (Django's technical cause) is not shown."""
    referer = request.headers.get("Referer", "")
    back = (
        referer
        if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure())
        else None
    )
    return render(request, "csrf_failure.html", {"back": back}, status=403)


# --- Probes and metrics, for the orchestrator and the operator -----------------------------------


@never_cache
@require_safe
def healthz(request):
    """The process is up and answers: no database, no Redis, nothing that could be slow. A
    liveness probe restarts the process when this stops answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Whether this process can serve: each dependency, up or down and its latency (core.health).
    503 when a required one is down, so a load balancer stops sending traffic here."""
    results = health.checks()
    ok = health.ready(results)
    body = {"status": "ready" if ok else "unready", "checks": {check.name: check.as_json() for check in results}}
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_safe
def prometheus_metrics(request):
    """Prometheus's scrape, for holders of METRICS_TOKEN only (`Authorization: Bearer <token>`):
    the figures show the shop's sales and traffic. Without a token configured there is no such
    page (404), rather than an open one."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return HttpResponse("A metrics token is needed.", status=401, content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
