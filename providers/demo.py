"""The demo supply chain (issue: providers): the retail demo buys from the reseller demo over its
DHRU endpoint, and the reseller demo buys from the sandbox lab.

The retail storefront's API key for the reseller is stored on its connection, encrypted, as staff
store any real supplier's key: ``demo_seed`` makes the key at the reseller demo and sets it.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.models import Service

from .models import ProviderConnection, ServiceRoute
from .services import connection_api_key_set

DISPATCHED = (Service.Kind.IMEI_UNLOCK, Service.Kind.PHONE_CHECK)
DEMO_UPSTREAM_EMAIL = "imeiserver-upstream@example.com"
SANDBOX_DELAY_SECONDS = 20


def _sandbox_remote_id(service: Service) -> str:
    """A sandbox service of the same kind (the sandbox decides outcomes by the id's prefix)."""
    if service.kind == Service.Kind.PHONE_CHECK:
        return "CHK-CARRIER" if "carrier" in service.slug else "CHK-GSMA"
    brand = (service.brand or "").lower()
    if brand == "apple":
        return "UNL-APPLE-UK" if service.country == "UK" else "UNL-APPLE-ATT"
    if brand == "samsung":
        return "UNL-SAMSUNG-8"
    if brand == "nokia":
        return "UNL-NOKIA-16"
    return "UNL-MOTO-8"


def demo_sandbox_seed(storefront) -> ProviderConnection:
    """The reseller demo's upstream: the sandbox lab, one route per dispatched service."""
    connection, _ = ProviderConnection.objects.update_or_create(
        storefront=storefront,
        name="Sandbox lab",
        defaults={
            "kind": ProviderConnection.Kind.SANDBOX,
            "sandbox_delay_seconds": SANDBOX_DELAY_SECONDS,
            "priority": 10,
        },
    )
    for service in storefront.services.filter(kind__in=DISPATCHED):
        ServiceRoute.objects.update_or_create(
            service=service,
            connection=connection,
            defaults={
                "remote_service_id": _sandbox_remote_id(service),
                "remote_name": service.name,
                "cost": (service.price * Decimal("0.6")).quantize(Decimal("0.01")),
            },
        )
    return connection


def demo_upstream_key(*, storefront, upstream_storefront) -> str:
    """The API key the retail demo holds for the reseller demo ("" when it has none yet)."""
    connection = ProviderConnection.objects.filter(
        storefront=storefront, name=f"{upstream_storefront.display_name} (DHRU API)"
    ).first()
    return connection.api_key if connection else ""


def demo_dhru_upstream_seed(
    *, storefront, upstream_storefront, upstream_host: str, port: int, api_key: str
):
    """The retail demo's upstream: the reseller demo's DHRU endpoint, over real HTTP on this
    machine, with routes from each retail service to the reseller service of the same slug.
    ``api_key`` (the retail demo's key at the reseller demo) is stored encrypted on the row."""
    connection, _ = ProviderConnection.objects.update_or_create(
        storefront=storefront,
        name=f"{upstream_storefront.display_name} (DHRU API)",
        defaults={
            "kind": ProviderConnection.Kind.DHRU,
            "base_url": f"http://127.0.0.1:{port}/",
            "host_header": upstream_host,
            "username": DEMO_UPSTREAM_EMAIL,
            "parameter_encoding": ProviderConnection.Encoding.BASE64_JSON,
            "bulk_actions": True,  # our /api/index.php offers both bulk actions
            "storefront_api": True,  # and /api/v1/ takes the same key (a cancel, a dispute)
            "timeout_seconds": 20,
            "priority": 10,
        },
    )
    if connection.api_key != api_key or connection.api_key_moved:  # e.g. another PORT
        connection_api_key_set(connection=connection, api_key=api_key)
    upstream = {s.slug: s for s in upstream_storefront.services.filter(kind__in=DISPATCHED)}
    for service in storefront.services.filter(kind__in=DISPATCHED):
        remote = upstream.get(service.slug)
        if remote is None:
            continue
        ServiceRoute.objects.update_or_create(
            service=service,
            connection=connection,
            defaults={
                "remote_service_id": str(remote.pk),
                "remote_name": remote.name,
                "cost": remote.price,
            },
        )
    return connection
