from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account_overview, name="account_overview"),
    path("account/close/", views.account_close, name="account_close"),
    path("language/", views.language_set, name="language_set"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]

from . import api_key_views  # noqa: E402

urlpatterns += [
    path("account/api-keys/", api_key_views.api_keys_page, name="account_api_keys"),
    path(
        "account/api-keys/<int:pk>/revoke/",
        api_key_views.api_key_revoke_view,
        name="account_api_key_revoke",
    ),
]
