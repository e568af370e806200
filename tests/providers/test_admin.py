"""Connections and routes in the admin, scoped to the host's storefront; the import and balance
actions report through messages, never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from catalog.models import Service
from providers.models import ProviderConnection, ServiceRoute
from tests.conftest import RESELLER_HOST, RETAIL_HOST
from tests.factories import UserFactory

CONNECTIONS = "/admin/providers/providerconnection/"
ROUTES = "/admin/providers/serviceroute/"
SECRET = "s3cr3t-api-key-never-shown"


def staff_client(storefront, host, email, group="Catalog manager") -> Client:
    staff = UserFactory(storefront=storefront, email=email, is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST=host)
    client.force_login(staff)
    return client


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def manager(retail):
    return staff_client(retail, RETAIL_HOST, "catalog@imeiserver.test")


@pytest.fixture
def lab(retail):
    return ProviderConnection.objects.create(storefront=retail, name="Lab", kind="sandbox")


@pytest.fixture
def theirs(reseller):
    return ProviderConnection.objects.create(
        storefront=reseller,
        name="Their supplier",
        kind="dhru",
        base_url="https://supplier.example.com/",
        username="doctorsim",
        api_key_env="THEIR_KEY",
    )


def _service(storefront, name, **kw) -> Service:
    return Service.objects.create(
        storefront=storefront,
        kind=kw.pop("kind", Service.Kind.IMEI_UNLOCK),
        name=name,
        slug=f"s{Service.objects.count() + 1}",
        price=Decimal("10.00"),
        required_fields=["IMEI"],
    )


def test_the_admin_shows_whether_the_key_is_set_never_the_key(manager, retail, monkeypatch):
    monkeypatch.setenv("SUPPLIER_KEY", SECRET)
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Supplier",
        kind="dhru",
        base_url="https://supplier.example.com/",
        username="shop",
        api_key_env="SUPPLIER_KEY",
    )
    ProviderConnection.objects.create(
        storefront=retail,
        name="Unset",
        kind="dhru",
        base_url="https://other.example.com/",
        username="shop",
        api_key_env="NOT_SET_ANYWHERE",
    )
    listing = manager.get(CONNECTIONS)
    assert listing.status_code == 200
    assert "SUPPLIER_KEY is set" in listing.text and "NOT_SET_ANYWHERE is not set" in listing.text
    page = manager.get(f"{CONNECTIONS}{connection.pk}/change/")
    assert page.status_code == 200 and "SUPPLIER_KEY is set" in page.text
    assert SECRET not in listing.text and SECRET not in page.text


def test_staff_see_only_their_storefronts_connections(manager, lab, theirs):
    listing = manager.get(CONNECTIONS)
    assert "Lab" in listing.text and "Their supplier" not in listing.text


def test_another_storefronts_connection_is_a_404(manager, theirs):
    assert manager.get(f"{CONNECTIONS}{theirs.pk}/change/").status_code == 404
    assert manager.post(f"{CONNECTIONS}{theirs.pk}/delete/", {"post": "yes"}).status_code == 404
    assert ProviderConnection.objects.filter(pk=theirs.pk).exists()


def test_another_storefronts_route_is_a_404(manager, reseller, theirs):
    route = ServiceRoute.objects.create(
        service=_service(reseller, "Theirs"), connection=theirs, remote_service_id="1"
    )
    assert manager.get(f"{ROUTES}{route.pk}/change/").status_code == 404
    assert "Theirs" not in manager.get(ROUTES).text


def test_a_connection_added_by_staff_belongs_to_their_storefront(manager, retail):
    response = manager.post(
        f"{CONNECTIONS}add/",
        {
            "name": "New lab",
            "kind": "sandbox",
            "is_active": "on",
            "priority": "10",
            "base_url": "",
            "username": "",
            "api_key_env": "",
            "parameter_encoding": "xml",
            "timeout_seconds": "20",
            "sandbox_delay_seconds": "0",
            "low_balance_alert": "20.00",
        },
    )
    assert response.status_code == 302, response.text
    assert ProviderConnection.objects.get(name="New lab").storefront == retail


def test_a_dhru_connection_needs_its_url_user_and_key_variable(manager):
    response = manager.post(
        f"{CONNECTIONS}add/",
        {
            "name": "Half",
            "kind": "dhru",
            "priority": "10",
            "parameter_encoding": "xml",
            "timeout_seconds": "20",
            "sandbox_delay_seconds": "0",
            "low_balance_alert": "20.00",
        },
    )
    assert response.status_code == 200
    assert "A DHRU connection needs: base_url, username, api_key_env." in response.text


def test_a_route_cannot_use_another_storefronts_service(manager, reseller, lab):
    response = manager.post(
        f"{ROUTES}add/",
        {
            "service": _service(reseller, "Theirs").pk,
            "connection": lab.pk,
            "remote_service_id": "CHK-GSMA",
            "cost": "1.00",
            "priority": "100",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert not ServiceRoute.objects.exists()


def test_import_action_creates_routes_and_reports(manager, retail, lab):
    check = _service(retail, "GSMA blacklist check", kind=Service.Kind.PHONE_CHECK)
    response = manager.post(
        CONNECTIONS, {"action": "import_services", "_selected_action": [lab.pk]}
    )
    assert response.status_code == 302
    texts = dict((level, text) for level, text in messages_of(response))
    assert "1 routes created" in texts["success"]
    assert "GSMA blacklist check" in texts["info"]
    assert "no service of ours is named like" in texts["warning"]
    route = ServiceRoute.objects.get()
    assert route.service == check and route.remote_service_id == "CHK-GSMA"


def test_import_from_a_failing_supplier_is_a_message_not_a_500(manager, retail, dhru_server):
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Broken supplier",
        kind="dhru",
        base_url=dhru_server.base_url,
        username="shop",
        api_key_env="SUPPLIER_KEY",
    )
    dhru_server.reply("server_error_500.html", status=500)
    response = manager.post(
        CONNECTIONS, {"action": "import_services", "_selected_action": [connection.pk]}
    )
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error" and "Broken supplier: could not read the service list" in text
    assert "HTTP 500" in text
    assert not ServiceRoute.objects.exists()


def test_check_balance_action(manager, retail, lab, dhru_server):
    low = ProviderConnection.objects.create(
        storefront=retail,
        name="Low supplier",
        kind="dhru",
        base_url=dhru_server.base_url,
        username="shop",
        api_key_env="SUPPLIER_KEY",
        low_balance_alert=Decimal("50.00"),
    )
    dhru_server.reply("accountinfo_accoutinfo.json")
    response = manager.post(
        CONNECTIONS, {"action": "check_balance", "_selected_action": [lab.pk, low.pk]}
    )
    assert response.status_code == 302
    texts = messages_of(response)
    assert ("success", "Lab: balance 100000.00 USD.") in texts
    assert (
        "warning",
        "Low supplier: balance 16.41 USD, below the alert level 50.00 — staff alerted.",
    ) in texts
    assert [m.to for m in mail.outbox] == [["catalog@imeiserver.test"]]
    lab.refresh_from_db()
    assert lab.last_balance == Decimal("100000.00")


def test_support_sees_connections_but_cannot_run_actions(retail, lab):
    support = staff_client(retail, RETAIL_HOST, "support@imeiserver.test", group="Support")
    assert support.get(CONNECTIONS).status_code == 200
    response = support.post(
        CONNECTIONS, {"action": "import_services", "_selected_action": [lab.pk]}
    )
    assert not ServiceRoute.objects.exists()
    assert response.status_code in (200, 302, 403)


def test_the_reseller_host_shows_the_resellers_connections(reseller, theirs, lab):
    client = staff_client(reseller, RESELLER_HOST, "catalog@doctorsim.test")
    listing = client.get(CONNECTIONS)
    assert "Their supplier" in listing.text and ">Lab<" not in listing.text
