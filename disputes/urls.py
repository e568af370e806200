from django.urls import path

from . import views

urlpatterns = [
    path("orders/<str:order_id>/dispute/", views.dispute_new, name="dispute_new"),
    path("orders/<str:order_id>/delivered/", views.order_delivered, name="order_delivered"),
    path("disputes/", views.disputes_list, name="disputes_list"),
    path("disputes/<str:dispute_id>/", views.dispute_detail, name="dispute_detail"),
    path(
        "disputes/<str:dispute_id>/evidence/<str:evidence_id>/",
        views.evidence_file,
        name="dispute_evidence",
    ),
    path(
        "disputes/<str:dispute_id>/evidence/<str:evidence_id>/poster/",
        views.evidence_poster,
        name="dispute_evidence_poster",
    ),
]
