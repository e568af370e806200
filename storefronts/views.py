"""Public pages of a storefront: home, terms, health check."""

from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext

from .selectors import terms_current


def home(request):
    return render(request, "storefronts/home.html", {"terms": terms_current(request.storefront)})


def terms(request):
    current = terms_current(request.storefront)
    if current is None:
        raise Http404(gettext("This storefront has not published its terms yet."))
    language = get_language()
    has_translation = language in current.translations and language in (
        request.storefront.offered_languages
    )
    context = {
        "terms": current,
        # The version in the page's language when there is one, else in the default language.
        "terms_text": current.text_in(language if has_translation else None),
        "terms_language": language if has_translation else request.storefront.default_language,
    }
    return render(request, "storefronts/terms.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
