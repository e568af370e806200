"""Public pages of a storefront: home, terms, health check."""

from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render

from .selectors import terms_current


def home(request):
    return render(request, "storefronts/home.html", {"terms": terms_current(request.storefront)})


def terms(request):
    current = terms_current(request.storefront)
    if current is None:
        raise Http404("This storefront has not published its terms yet.")
    return render(request, "storefronts/terms.html", {"terms": current})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
