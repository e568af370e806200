"""Importing a supplier's service list as routes, route order for failover, and balance checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from catalog.models import Service
from providers.base import ProviderFault
from providers.models import ProviderConnection, ServiceRoute
from providers.selectors import routes_for
from providers.services import connection_balance_check, routes_import_from_supplier
from tests import clock
from tests.factories import UserFactory

T0 = clock.days_ahead(1, hour=10)


def service(storefront, name, kind=Service.Kind.IMEI_UNLOCK, **kw) -> Service:
    return Service.objects.create(
        storefront=storefront,
        kind=kind,
        name=name,
        slug=kw.pop("slug", f"s{Service.objects.count() + 1}"),
        price=Decimal("10.00"),
        required_fields=["IMEI"],
        **kw,
    )


def lab(storefront, name="Lab", **kw) -> ProviderConnection:
    return ProviderConnection.objects.create(storefront=storefront, name=name, kind="sandbox", **kw)


def dhru(storefront, server, name="Supplier", **kw) -> ProviderConnection:
    return ProviderConnection.objects.create(
        storefront=storefront,
        name=name,
        kind="dhru",
        base_url=server.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
        **kw,
    )


# --- import ---------------------------------------------------------------------------------


def test_import_matches_services_by_exact_name_within_the_storefront(retail, reseller):
    check = service(retail, "GSMA blacklist check", kind=Service.Kind.PHONE_CHECK)
    service(retail, "gsma blacklist check (cheap)")  # not the same name
    service(reseller, "Samsung network unlock code (8 digits)")  # another storefront's
    connection = lab(retail)

    report = routes_import_from_supplier(connection=connection)

    assert [r.service for r in report.created] == [check]
    route = report.created[0]
    assert route.remote_service_id == "CHK-GSMA" and route.cost == Decimal("0.50")
    assert route.remote_name == "GSMA blacklist check"
    assert report.remote_count == len(report.unmatched) + 1
    assert "Samsung network unlock code (8 digits)" in {r.name for r in report.unmatched}
    assert ServiceRoute.objects.count() == 1


def test_import_with_a_map_and_again_updates_instead_of_duplicating(retail, reseller):
    unlock = service(retail, "Unlock any Samsung", slug="samsung-any")
    apple = service(retail, "iPhone AT&T")
    foreign = service(reseller, "Theirs")
    connection = lab(retail)
    service_map = {"UNL-SAMSUNG-8": "samsung-any", "UNL-APPLE-ATT": apple.pk, "CHK-GSMA": foreign}

    first = routes_import_from_supplier(connection=connection, service_map=service_map)
    assert {(r.service, r.remote_service_id) for r in first.created} == {
        (unlock, "UNL-SAMSUNG-8"),
        (apple, "UNL-APPLE-ATT"),
    }
    assert "CHK-GSMA" in {r.remote_id for r in first.unmatched}  # not our service: no route

    ServiceRoute.objects.filter(remote_service_id="UNL-SAMSUNG-8").update(cost=Decimal("1.00"))
    again = routes_import_from_supplier(connection=connection, service_map=service_map)
    assert again.created == [] and [r.service for r in again.updated] == [unlock]
    assert [r.service for r in again.unchanged] == [apple]
    assert ServiceRoute.objects.get(remote_service_id="UNL-SAMSUNG-8").cost == Decimal("9.50")
    assert ServiceRoute.objects.count() == 2


def test_import_from_a_dhru_supplier(retail, dhru_server):
    premium = service(retail, "iPhone AT&T USA - Premium")
    dhru_server.reply("imeiservicelist.json")
    report = routes_import_from_supplier(connection=dhru(retail, dhru_server))
    assert [(r.service, r.remote_service_id, r.cost) for r in report.created] == [
        (premium, "1021", Decimal("45.00"))
    ]
    assert dhru_server.last["action"] == "imeiservicelist"


def test_a_failed_import_writes_nothing(retail, dhru_server):
    service(retail, "iPhone AT&T USA - Premium")
    dhru_server.reply("html_error.html")
    with pytest.raises(ProviderFault, match="HTML"):
        routes_import_from_supplier(connection=dhru(retail, dhru_server))
    assert not ServiceRoute.objects.exists()


# --- routes for failover --------------------------------------------------------------------


def test_routes_in_failover_order(retail, reseller):
    unlock = service(retail, "Unlock")
    first, second, off = (
        lab(retail, "A", priority=50),
        lab(retail, "B", priority=10),
        lab(retail, "Off", is_active=False),
    )
    theirs = lab(reseller, "Theirs", priority=1)
    b = ServiceRoute.objects.create(service=unlock, connection=second, remote_service_id="x")
    a = ServiceRoute.objects.create(service=unlock, connection=first, remote_service_id="x")
    top = ServiceRoute.objects.create(
        service=unlock, connection=first, remote_service_id="y", priority=5
    )
    ServiceRoute.objects.create(service=unlock, connection=off, remote_service_id="x")
    ServiceRoute.objects.create(
        service=unlock, connection=first, remote_service_id="z", is_active=False
    )
    ServiceRoute.objects.create(service=unlock, connection=theirs, remote_service_id="x")
    assert routes_for(unlock) == [top, b, a]


# --- balance --------------------------------------------------------------------------------


@pytest.fixture
def staff(retail, reseller):
    UserFactory(storefront=retail, email="ops@imeiserver.test", is_staff=True)
    UserFactory(storefront=retail, email="customer@imeiserver.test")
    UserFactory(storefront=reseller, email="ops@doctorsim.test", is_staff=True)


@pytest.mark.dates
def test_a_healthy_balance_is_stored_and_alerts_nobody(retail, staff):
    connection = lab(retail)
    with time_machine.travel(T0, tick=False):
        check = connection_balance_check(connection=connection)
    assert not check and not check.alerted
    connection.refresh_from_db()
    assert connection.last_balance == Decimal("100000.00") and connection.last_balance_at == T0
    assert mail.outbox == []


@pytest.mark.dates
def test_a_low_balance_alerts_staff_and_admins_once_a_day(
    retail, staff, dhru_server, settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "platform@example.com")]
    connection = dhru(retail, dhru_server, low_balance_alert=Decimal("20.00"))
    dhru_server.reply("accountinfo_accoutinfo.json")  # $16.41
    with time_machine.travel(T0, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):  # mail goes out after commit
            check = connection_balance_check(connection=connection)
        assert check and check.below and check.alerted
        assert check.info.credit == Decimal("16.41")
        assert sorted(m.to[0] for m in mail.outbox) == [
            "ops@imeiserver.test",
            "platform@example.com",
        ]
        assert "Low balance with supplier Supplier" in mail.outbox[0].subject
        assert "16.41 USD" in mail.outbox[0].body

        traveller.shift(dt.timedelta(hours=23))
        connection.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            again = connection_balance_check(connection=connection)
        assert again.below and not again.alerted and len(mail.outbox) == 2

        traveller.shift(dt.timedelta(hours=1))
        connection.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            assert connection_balance_check(connection=connection).alerted
        assert len(mail.outbox) == 4
    connection.refresh_from_db()
    assert connection.last_balance == Decimal("16.41")


def test_a_failed_balance_check_stores_nothing(retail, dhru_server):
    connection = dhru(retail, dhru_server)
    dhru_server.reply("error_auth_lowercase.json")
    with pytest.raises(ProviderFault, match="Authentication Failed"):
        connection_balance_check(connection=connection)
    connection.refresh_from_db()
    assert connection.last_balance is None and connection.last_balance_at is None
