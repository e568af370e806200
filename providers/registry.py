"""The provider client for a connection, chosen by its kind."""

from __future__ import annotations

from .base import Provider, ProviderFault


def provider_for(connection) -> Provider:
    """A client for ``connection`` (a ProviderConnection). An unknown kind is a ProviderFault."""
    from .dhru import DhruClient
    from .models import ProviderConnection
    from .sandbox import SandboxLab

    if connection.kind == ProviderConnection.Kind.SANDBOX:
        return SandboxLab.from_connection(connection)
    if connection.kind == ProviderConnection.Kind.DHRU:
        return DhruClient.from_connection(connection)
    raise ProviderFault(f"Connection {connection}: unknown kind {connection.kind!r}")
