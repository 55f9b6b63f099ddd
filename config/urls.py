from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from core import views as core_views
from core.graphql.views import GraphQLView
from farmers.accounts.forms import AdminLogInForm
from farmers.accounts.views import admin_login

# The admin's log-in counts attempts like /accounts/login/ (core.ratelimit).
admin.site.login_form = AdminLogInForm

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.prometheus_metrics, name="metrics"),
    path("admin/login/", admin_login),  # before the admin's own URLs, which it wraps
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(graphiql=True), name="graphql"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("farmers.accounts.urls")),
    path("ngo/impact/", include("impact.urls")),
    path("ngo/", include("farmers.ngo.urls")),
    path("sponsor/", include("promotion.sponsor.urls")),
    path("farmer/", include("shop.seller.urls")),
    path("payments/", include("payments.urls")),
    path("search/", include("search.urls")),
    path("", include("promotion.urls")),
    path("", include("shop.urls")),
]


def media(request, path):
    """Embedded mode serves photos itself (behind a proxy, set SERVE_MEDIA=0 and let it do so).
    MEDIA_ROOT is read per request, not frozen when the URLs load."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", media)]
