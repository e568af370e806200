"""A session belongs to the storefront it was opened on: a session that turns up on another
storefront's host (copied cookie, shared proxy) is ended, never honoured. Pages speak the
customer's language (``StorefrontLanguageMiddleware``)."""

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation
from django.utils.cache import patch_vary_headers

from storefronts.languages import language_choose


class StorefrontAccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        storefront = getattr(request, "storefront", None)
        user = getattr(request, "user", None)
        if (
            storefront is not None
            and user is not None
            and user.is_authenticated
            and user.storefront_id is not None
            and user.storefront_id != storefront.pk
        ):
            logout(request)
        elif (
            storefront is not None
            and user is not None
            and user.is_authenticated
            and user.storefront_id == storefront.pk
        ):
            user.storefront = storefront  # already loaded: spare the query
        return self.get_response(request)


# The admin (staff) and the API (machines, DHRU clients) stay in English.
LANGUAGE_EXEMPT_PREFIXES = ("/admin/", "/api/")


class StorefrontLanguageMiddleware:
    """Pages speak the language ``storefronts.languages.language_choose`` picks for this request:
    the signed-in customer's saved choice, the language cookie, the browser's Accept-Language
    or the storefront's default, among the languages the storefront offers.

    The language is active only while this request is answered (then the site's default again),
    and a storefront that offers more than one language says the page varies with
    Accept-Language and Cookie, so no cache hands one customer's language to another."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        storefront = getattr(request, "storefront", None)
        if storefront is None or request.path.startswith(LANGUAGE_EXEMPT_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        language = language_choose(
            storefront,
            saved=user.language if user is not None and user.is_authenticated else "",
            cookie=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            accept_language=request.headers.get("Accept-Language", ""),
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        if len(storefront.offered_languages) > 1:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
