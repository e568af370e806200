"""A session belongs to the storefront it was opened on: a session that turns up on another
storefront's host (copied cookie, shared proxy) is ended, never honoured."""

from django.contrib.auth import logout


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
