from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account_overview, name="account_overview"),
    path("account/close/", views.account_close, name="account_close"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]
