"""Forwarding a dispute to a supplier that is one of our own storefronts (the demo chain: the
retail demo buys from the reseller demo over DHRU), through that storefront's JSON API
(``/api/v1/disputes``) with the API key staff stored on the connection.

Every request goes through ``storefronts.outbound`` (the host resolved once, private addresses
refused, connected to the checked address). The video is sent from storage as a multipart body
spooled to a temporary file first, so it is never held whole in memory and goes with a
Content-Length (the supplier's capped upload handlers refuse an oversize one before reading it).
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from dataclasses import dataclass

from django.core.files.storage import storages

from providers.models import ProviderConnection
from providers.storefront_api import (
    StorefrontApiUnavailable,
    storefront_api_call,
    storefront_api_error,
)
from storefronts.outbound import OutboundError, outbound_failure

from .exceptions import DisputeError

TIMEOUT = (5, 60)  # connect, read: a video takes a moment to probe on the other side


class UpstreamError(DisputeError):
    """The supplier could not be reached or refused the dispute; the message says which."""

    status = 502
    code = "upstream_error"


@dataclass(frozen=True)
class Forwarded:
    remote_id: int
    status: str


def _call(connection: ProviderConnection, path: str, **kwargs) -> dict:
    try:
        response = storefront_api_call(connection, path, timeout=TIMEOUT, **kwargs)
    except StorefrontApiUnavailable as exc:
        raise UpstreamError(str(exc)) from exc
    except OutboundError as exc:
        raise UpstreamError(f"The supplier could not be reached: {exc}") from exc
    except Exception as exc:  # network errors from requests
        raise UpstreamError(f"The supplier could not be reached: {outbound_failure(exc)}") from exc
    if not 200 <= response.status_code < 300:
        message = storefront_api_error(response)
        raise UpstreamError(
            f"The supplier refused it ({response.status_code}): {message or 'no reason given'}"
        )
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        raise UpstreamError("The supplier answered something that is not a JSON object.")
    return body


def supplier_requirements(connection: ProviderConnection) -> list[str]:
    """What the supplier's terms ask a dispute video to show (attested when forwarding)."""
    body = _call(connection, "disputes", method="GET")
    found = body.get("evidence_requirements")
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        raise UpstreamError("The supplier did not list its evidence requirements.")
    return found


def _part(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
    )


def supplier_dispute_open(
    *,
    connection: ProviderConnection,
    order_ref: str,
    problem: str,
    description: str,
    attestations: list[str],
    evidence_name: str,
    content_type: str,
) -> Forwarded:
    """Open the dispute at the supplier on its order ``order_ref``, with our stored video."""
    boundary = secrets.token_hex(16)
    ext = evidence_name.rsplit(".", 1)[-1] if "." in evidence_name else "mp4"
    with tempfile.TemporaryFile() as body:
        body.write(_part(boundary, "order_id", order_ref))
        body.write(_part(boundary, "problem", problem))
        body.write(_part(boundary, "description", description))
        for text in attestations:
            body.write(_part(boundary, "attestations", text))
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; '
            f'filename="evidence.{ext}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        with storages["evidence"].open(evidence_name, "rb") as video:
            shutil.copyfileobj(video, body, 64 * 1024)
        body.write(f"\r\n--{boundary}--\r\n".encode())
        length = body.tell()
        body.seek(0)
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        reply = _call(connection, "disputes", data=body, headers=headers)
    dispute = reply.get("dispute")
    if not isinstance(dispute, dict) or not isinstance(dispute.get("id"), int):
        raise UpstreamError("The supplier did not say which dispute it opened.")
    return Forwarded(remote_id=dispute["id"], status=str(dispute.get("status", "")))
