"""API keys for the reseller API: create, revoke, authenticate.

A key is shown once, when it is made; only its SHA-256 hash and its first characters (the
prefix, to tell keys apart) are stored. A key works only at its own storefront, for an active
account that is neither closed nor suspended (IS-12).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from storefronts.models import Storefront

from .models import ApiKey, User

PREFIX_LENGTH = 8
KEY_BYTES = 30  # token_urlsafe(30) is 40 characters
MAX_ACTIVE_KEYS = 20
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiKeyError(Exception):
    """A key cannot be made or revoked; the message is safe to show."""


def api_key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def api_keys_of(*, user: User):
    return ApiKey.objects.filter(user=user, storefront_id=user.storefront_id)


@transaction.atomic
def api_key_create(*, user: User, name: str = "") -> tuple[ApiKey, str]:
    """A new key for ``user``: the row and the key itself, which is never shown again."""
    if user.storefront_id is None:
        raise ApiKeyError(gettext("Platform operators have no API keys; use a customer account."))
    if not user.is_active or user.closed_at or user.suspended_at:
        raise ApiKeyError(gettext("This account cannot use the API."))
    # Lock the account row so two concurrent creates cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    active = api_keys_of(user=user).filter(revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_KEYS:
        raise ApiKeyError(
            gettext(
                "You can have up to %(max_active_keys)s active keys: revoke one you no longer use."
            )
            % {"max_active_keys": MAX_ACTIVE_KEYS}
        )
    plaintext = secrets.token_urlsafe(KEY_BYTES)
    key = ApiKey.objects.create(
        user=user,
        storefront_id=user.storefront_id,
        name=(name or "").strip()[:60],
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=api_key_hash(plaintext),
    )
    return key, plaintext


@transaction.atomic
def api_key_revoke(*, key: ApiKey, user: User) -> ApiKey:
    """Revoke one of ``user``'s keys; revoking twice keeps the first time."""
    if key.user_id != user.pk:
        raise ApiKeyError(gettext("Not your key."))
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def api_key_authenticate(*, storefront: Storefront, email: str, key: str) -> User | None:
    """The account of ``storefront`` whose login is ``email`` and that holds the active ``key``,
    or None. The hash comparison is constant-time; ``last_used_at`` moves at most once a minute."""
    email = (email or "").strip()
    if not email:
        return None
    return _authenticate(storefront, key, user__email__iexact=email)


def api_key_authenticate_bearer(*, storefront: Storefront, key: str) -> User | None:
    """Like ``api_key_authenticate`` for ``Authorization: Bearer <key>``: the key alone."""
    return _authenticate(storefront, key)


def _authenticate(storefront: Storefront, key: str, **lookups) -> User | None:
    key = (key or "").strip()
    if storefront is None or len(key) < PREFIX_LENGTH or len(key) > 200:
        return None
    digest = api_key_hash(key)
    candidates = ApiKey.objects.filter(
        storefront=storefront,
        prefix=key[:PREFIX_LENGTH],
        revoked_at__isnull=True,
        user__storefront=storefront,
        user__is_active=True,
        user__closed_at__isnull=True,
        user__suspended_at__isnull=True,
        **lookups,
    ).select_related("user", "user__storefront")
    match = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.key_hash, digest):
            match = candidate
    if match is None:
        return None
    now = timezone.now()
    if match.last_used_at is None or now - match.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=match.pk).update(last_used_at=now)
    return match.user
