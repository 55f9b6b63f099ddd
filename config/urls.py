from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from core.graphql.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(graphiql=True), name="graphql"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("farmers.accounts.urls")),
    path("ngo/", include("farmers.ngo.urls")),
    path("farmer/", include("shop.seller.urls")),
    path("", include("shop.urls")),
]

if settings.SERVE_MEDIA:
    # Embedded mode serves media itself; behind a proxy set SERVE_MEDIA=0 and let the proxy do it.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
