from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("billing.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("refunds.urls")),
    path("", include("disputes.urls")),
    path("", include("api.urls")),
    path("", include("storefronts.urls")),
]

if settings.BENCH_BASELINE_ENABLED:  # only under `make bench`, never in production
    from config.bench import urlpatterns as bench_urlpatterns

    urlpatterns += bench_urlpatterns

handler400 = "storefronts.errors.bad_request"
handler403 = "storefronts.errors.permission_denied"
handler404 = "storefronts.errors.page_not_found"
handler500 = "storefronts.errors.server_error"
