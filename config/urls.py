from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("billing.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("storefronts.urls")),
]

handler400 = "storefronts.errors.bad_request"
handler403 = "storefronts.errors.permission_denied"
handler404 = "storefronts.errors.page_not_found"
handler500 = "storefronts.errors.server_error"
