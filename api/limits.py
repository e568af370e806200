"""The reseller API's request rate, one policy for both protocols (``/api/index.php`` and
``/api/v1/``), counted by ``storefronts.ratelimit`` (atomic on every cache backend).

- Each API key may make ``API_RATE_LIMIT_PER_MINUTE`` requests a minute, over DHRU and the JSON
  API together (it is one key).
- A client address (IPv6 per /64) may fail authentication as many times a minute at a
  storefront; past that its requests are refused before any key is checked, so keys cannot be
  guessed at speed. A legitimate client never comes near it; one that does only slows itself.
"""

from __future__ import annotations

from django.conf import settings

from accounts.api_keys import api_key_hash
from storefronts.client_ip import client_ip
from storefronts.exceptions import UserError
from storefronts.ratelimit import network_of, rate_exceeded, rate_hit

KEY_BUCKET = "api-key"
AUTH_FAILURE_BUCKET = "api-auth-failed"


class ApiRateLimited(UserError):
    """Over a limit: a 429 with ``Retry-After``, in each protocol's own error format."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _limit() -> int:
    return settings.API_RATE_LIMIT_PER_MINUTE


def _address(request) -> str:
    return f"{request.storefront.pk}:{network_of(client_ip(request))}"


def _too_many_failures(retry_after: int) -> ApiRateLimited:
    return ApiRateLimited(
        f"Too many failed authentications from your address: try again in {retry_after} s.",
        retry_after=retry_after,
    )


def api_key_request_count(key: str) -> None:
    """Count one request of an authenticated ``key``; over the limit, ``ApiRateLimited``."""
    retry_after = rate_hit(KEY_BUCKET, api_key_hash(key.strip())[:32], limit=_limit())
    if retry_after is not None:
        raise ApiRateLimited(
            f"Too many requests with this key: try again in {retry_after} s.",
            retry_after=retry_after,
        )


def api_auth_failures_check(request) -> None:
    """Before a key is checked: refuse an address that has failed too often this minute."""
    retry_after = rate_exceeded(AUTH_FAILURE_BUCKET, _address(request), limit=_limit())
    if retry_after is not None:
        raise _too_many_failures(retry_after)


def api_auth_failure_count(request) -> None:
    """Count a failed authentication of the request's address; the one over the limit, and
    every one after it this minute, is ``ApiRateLimited`` instead of an authentication error."""
    retry_after = rate_hit(AUTH_FAILURE_BUCKET, _address(request), limit=_limit())
    if retry_after is not None:
        raise _too_many_failures(retry_after)
