"""Password reset tokens that work only on the host of the account's own storefront."""

from allauth.core import context
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class StorefrontPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}|{user.storefront_id or 0}"

    def check_token(self, user, token):
        request = context.request
        storefront = getattr(request, "storefront", None) if request is not None else None
        if (
            user is not None
            and user.storefront_id
            and storefront is not None
            and user.storefront_id != storefront.pk
        ):
            return False
        return super().check_token(user, token)
