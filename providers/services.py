"""Writes about providers: a supplier's API key, importing its service list as routes, and
balance checks."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services import notification_queue, notification_queue_admins
from catalog.models import Service
from catalog.services import service_fields_from_supplier

from .base import AccountInfo, RemoteService
from .models import ConnectionAddressChange, ProviderConnection, ServiceRoute
from .registry import provider_for

log = logging.getLogger(__name__)
ALERT_EVERY = dt.timedelta(days=1)


@dataclass
class RouteImportReport:
    created: list[ServiceRoute] = field(default_factory=list)
    updated: list[ServiceRoute] = field(default_factory=list)
    unchanged: list[ServiceRoute] = field(default_factory=list)
    unmatched: list[RemoteService] = field(default_factory=list)
    remote_count: int = 0
    # Order fields the supplier asks for that our services did not have: "service: field".
    fields_added: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.remote_count} remote services: {len(self.created)} routes created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.unmatched)} not matched to a service of ours"
        )
        if self.fields_added:
            text += f"; {len(self.fields_added)} order fields added"
        return text


def _mapped_service(value, services: dict[int, Service], by_slug: dict[str, Service]):
    if isinstance(value, Service):
        return services.get(value.pk)  # another storefront's service is not ours to route
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return services.get(int(value))
    return by_slug.get(str(value))


def routes_import_from_supplier(
    *, connection: ProviderConnection, service_map: dict | None = None
) -> RouteImportReport:
    """Read the supplier's service list and make a route for each remote service that matches a
    service of the connection's storefront: by ``service_map`` (remote id → Service, service pk
    or slug) where given, else by exact name. Existing routes get the remote name and cost
    refreshed; nothing is created for unmatched remote services. Each matched service gets the
    order fields the supplier asks for (its ``Requires.*`` flags and ``Requires.Custom`` fields),
    so orders routed there carry them, and the route keeps the supplier's quantity rules. Raises
    ProviderError when the list cannot be read (nothing is written then)."""
    remote_services = provider_for(connection).list_services()
    ours = list(Service.objects.filter(storefront_id=connection.storefront_id))
    by_pk = {s.pk: s for s in ours}
    by_slug = {s.slug: s for s in ours}
    by_name: dict[str, list[Service]] = {}
    for service in ours:
        by_name.setdefault(service.name.strip(), []).append(service)

    report = RouteImportReport(remote_count=len(remote_services))
    with transaction.atomic():
        existing = {
            (r.service_id, r.remote_service_id): r
            for r in ServiceRoute.objects.select_for_update().filter(connection=connection)
        }
        for remote in remote_services:
            if service_map is not None and remote.remote_id in service_map:
                target = _mapped_service(service_map[remote.remote_id], by_pk, by_slug)
                matches = [target] if target is not None else []
            else:
                matches = by_name.get(remote.name.strip(), [])
            if not matches:
                report.unmatched.append(remote)
                continue
            for service in matches:
                route = existing.get((service.pk, remote.remote_id))
                name, cost = remote.name[:200], Decimal(remote.price).quantize(Decimal("0.01"))
                quantity = remote.quantity.as_dict()
                if route is None:
                    route = ServiceRoute.objects.create(
                        service=service,
                        connection=connection,
                        remote_service_id=remote.remote_id,
                        remote_name=name,
                        cost=cost,
                        quantity_rules=quantity,
                    )
                    existing[(service.pk, remote.remote_id)] = route
                    report.created.append(route)
                elif (route.remote_name, route.cost, route.quantity_rules) != (
                    name,
                    cost,
                    quantity,
                ):
                    route.remote_name, route.cost, route.quantity_rules = name, cost, quantity
                    route.save(update_fields=["remote_name", "cost", "quantity_rules"])
                    report.updated.append(route)
                else:
                    report.unchanged.append(route)
                added = service_fields_from_supplier(
                    service=service,
                    dhru_fields=list(remote.dhru_fields),
                    custom_fields=[
                        {
                            "name": f.name,
                            "type": f.type,
                            "options": list(f.options),
                            "required": f.required,
                            "description": f.description,
                        }
                        for f in remote.custom_fields
                    ],
                )
                report.fields_added += [f"{service.name}: {name}" for name in added]
    return report


LAST4_MIN_LENGTH = 12  # a shorter key would give away too much of itself


def connection_api_key_set(*, connection: ProviderConnection, api_key: str) -> ProviderConnection:
    """Store a supplier's new API key, encrypted, with when it was set, the address it is for
    (it is sent nowhere else) and (for a key long enough) its last four characters; "" forgets
    it. Staff can replace a key, never read it back."""
    api_key = (api_key or "").strip()
    connection.api_key = api_key
    connection.api_key_last4 = api_key[-4:] if len(api_key) >= LAST4_MIN_LENGTH else ""
    connection.api_key_set_at = timezone.now() if api_key else None
    connection.api_key_origin = connection.origin if api_key else ""
    connection.save(update_fields=["api_key", "api_key_last4", "api_key_set_at", "api_key_origin"])
    return connection


@transaction.atomic
def connection_edit_finish(
    *,
    connection: ProviderConnection,
    previous_origin: str,
    new_api_key: str = "",
    forget_api_key: bool = False,
    actor=None,
) -> ConnectionAddressChange | None:
    """After staff saved a connection: store the key they pasted (or forget it), and when the
    address moved (scheme, host or port) without a new key, remove the stored one, so that a
    changed base URL can never carry a key to a listener of someone's choosing (issue 29). A
    move is recorded and e-mailed to the storefront's supplier managers and the platform
    operators. Returns the record of the move, or None when the address stayed."""
    had_key = connection.api_key_set_at is not None
    if new_api_key or forget_api_key:
        connection_api_key_set(connection=connection, api_key=new_api_key or "")
    moved = connection.origin != previous_origin
    if not moved:
        return None
    if new_api_key:
        key = ConnectionAddressChange.Key.ENTERED_AGAIN
    elif had_key and not forget_api_key:
        connection_api_key_set(connection=connection, api_key="")
        key = ConnectionAddressChange.Key.REMOVED
    else:
        key = ConnectionAddressChange.Key.NONE
    change = ConnectionAddressChange.objects.create(
        storefront_id=connection.storefront_id,
        connection=connection,
        previous_origin=previous_origin,
        new_origin=connection.origin,
        key=key,
        changed_by=actor if getattr(actor, "pk", None) else None,
    )
    _address_change_send(change)
    log.warning(
        "supplier connection %s (storefront %s) moved from %s to %s; key %s",
        connection.pk,
        connection.storefront_id,
        previous_origin or "-",
        change.new_origin or "-",
        key,
    )
    return change


def _supplier_managers(storefront):
    """The storefront's active staff who may change its supplier connections."""
    perm = Q(
        groups__permissions__codename="change_providerconnection",
        groups__permissions__content_type__app_label="providers",
    ) | Q(
        user_permissions__codename="change_providerconnection",
        user_permissions__content_type__app_label="providers",
    )
    return (
        get_user_model()
        .objects.filter(storefront=storefront, is_staff=True, is_active=True)
        .filter(perm)
        .exclude(email="")
        .distinct()
        .only("pk", "email")
    )


def _address_change_send(change: ConnectionAddressChange) -> None:
    connection = change.connection
    storefront = connection.storefront
    who = change.changed_by.email if change.changed_by else "someone without an account"
    subject = f"[{storefront.display_name}] Supplier {connection.name}: address changed"
    body = (
        f"The address of the supplier connection {connection.name} was changed by {who}.\n\n"
        f"Before: {change.previous_origin or '(none)'}\n"
        f"Now:    {change.new_origin or '(none)'}\n"
        f"API key: {change.get_key_display()}.\n\n"
        "Orders, balance checks and imports go to the new address from now on. If you did not "
        "expect this change, set the address back, paste the supplier's key again, and ask "
        "the supplier for a new key.\n"
    )
    for member in _supplier_managers(storefront):
        notification_queue(
            storefront=storefront,
            to=member.email,
            kind="supplier_address_changed",
            subject=subject,
            body=body,
            about=connection,
            user=member,
        )
    notification_queue_admins(
        kind="supplier_address_changed", subject=subject, body=body, about=connection
    )


@dataclass
class BalanceCheck:
    """What a balance check found. Truthy when the balance is below the connection's alert level."""

    info: AccountInfo
    below: bool
    alerted: bool

    def __bool__(self) -> bool:
        return self.below


def connection_balance_check(*, connection: ProviderConnection) -> BalanceCheck:
    """Ask the provider for our balance, keep it on the connection, and when it is below
    ``low_balance_alert`` email the storefront's staff and the site admins — at most once a day
    per connection. Raises ProviderError when the provider cannot answer (nothing is stored)."""
    info = provider_for(connection).account_balance()
    connection.last_balance = Decimal(info.credit).quantize(Decimal("0.01"))
    connection.last_balance_at = timezone.now()
    connection.api_version = info.api_version
    ProviderConnection.objects.filter(pk=connection.pk).update(
        last_balance=connection.last_balance,
        last_balance_at=connection.last_balance_at,
        api_version=connection.api_version,
    )
    below = connection.last_balance < connection.low_balance_alert
    alerted = False
    if below:
        # A conditional update: of two checks at once, one sends the alert; at most once a day.
        now, before = connection.last_balance_at, connection.low_balance_alerted_at
        alerted = bool(
            ProviderConnection.objects.filter(pk=connection.pk)
            .filter(
                Q(low_balance_alerted_at__isnull=True)
                | Q(low_balance_alerted_at__lte=now - ALERT_EVERY)
            )
            .update(low_balance_alerted_at=now)
        )
        if alerted:
            try:
                _low_balance_alert_send(connection, info)
            except Exception:
                # Not sent: let the next check try again.
                ProviderConnection.objects.filter(pk=connection.pk).update(
                    low_balance_alerted_at=before
                )
                raise
            connection.low_balance_alerted_at = now
    return BalanceCheck(info=info, below=below, alerted=alerted)


def _low_balance_alert_send(connection: ProviderConnection, info: AccountInfo) -> None:
    storefront = connection.storefront
    currency = f" {info.currency}" if info.currency else ""
    subject = f"[{storefront.display_name}] Low balance with supplier {connection.name}"
    body = (
        f"Our balance with the supplier {connection.name} is {connection.last_balance}{currency}, "
        f"below the alert level of {connection.low_balance_alert}.\n\n"
        "Orders routed to this supplier fail over to other routes (or wait) once the credit runs "
        "out. Top up the account with the supplier.\n"
    )
    staff = (
        get_user_model()
        .objects.filter(storefront=storefront, is_staff=True, is_active=True)
        .exclude(email="")
        .only("pk", "email")
    )
    for member in staff:  # through the notification log, sent after commit
        notification_queue(
            storefront=storefront,
            to=member.email,
            kind="supplier_low_balance",
            subject=subject,
            body=body,
            about=connection,
            user=member,
        )
    notification_queue_admins(
        kind="supplier_low_balance", subject=subject, body=body, about=connection
    )
    log.warning("low balance with %s (storefront %s): %s", connection, storefront.slug, info.credit)
