"""Connections and routes in the admin, scoped to the host's storefront; the supplier's API key is
write-only and encrypted; base URLs follow the outbound policy; the import and balance actions
report through messages in fixed words, never a 500 and never the supplier's reply."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection as db
from django.test import Client

from catalog.models import Service
from providers.models import ProviderConnection, ServiceRoute
from providers.services import connection_api_key_set, connection_edit_finish
from tests.conftest import RESELLER_HOST, RETAIL_HOST
from tests.factories import UserFactory
from tests.providers.dhru_standard import StandardServer

CONNECTIONS = "/admin/providers/providerconnection/"
ROUTES = "/admin/providers/serviceroute/"
SECRET = "s3cr3t-api-key-never-shown-4a1f"


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
        api_key="their-key-0123456789",
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


def raw_api_key(connection) -> str:
    """The key column as a database dump holds it."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM providers_providerconnection WHERE id = %s", [connection.pk]
        )
        return cursor.fetchone()[0]


def change_form(connection, **changes) -> dict:
    """The change form's fields as the admin posts them, with ``changes``."""
    data = {
        "name": connection.name,
        "kind": connection.kind,
        "is_active": "on",
        "priority": str(connection.priority),
        "base_url": connection.base_url,
        "username": connection.username,
        "new_api_key": "",
        "parameter_encoding": connection.parameter_encoding,
        "timeout_seconds": str(connection.timeout_seconds),
        "sandbox_delay_seconds": str(connection.sandbox_delay_seconds),
        "low_balance_alert": str(connection.low_balance_alert),
    }
    data.update(changes)
    return data


@pytest.fixture
def supplier(retail):
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Supplier",
        kind="dhru",
        base_url="https://supplier.example.com/",
        username="shop",
    )
    return connection_api_key_set(connection=connection, api_key=SECRET)


def test_the_admin_shows_when_the_key_was_set_and_its_end_never_the_key(manager, retail, supplier):
    ProviderConnection.objects.create(
        storefront=retail,
        name="Unset",
        kind="dhru",
        base_url="https://other.example.com/",
        username="shop",
    )
    listing = manager.get(CONNECTIONS)
    assert listing.status_code == 200
    assert "ends in …4a1f" in listing.text and "not set" in listing.text
    page = manager.get(f"{CONNECTIONS}{supplier.pk}/change/")
    assert page.status_code == 200 and "ends in …4a1f" in page.text
    assert 'type="password" name="new_api_key"' in page.text  # a field to replace it, empty
    assert SECRET not in listing.text and SECRET not in page.text
    assert "api_key_env" not in page.text  # no field names an environment variable any more


def test_a_pasted_key_is_stored_encrypted_and_kept_when_left_empty(manager, supplier):
    # The database holds a Fernet token, never the key.
    assert SECRET not in raw_api_key(supplier) and raw_api_key(supplier).startswith("gAAAAA")
    new_key = "new-supplier-key-77b2c9d0"
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier, new_api_key=new_key)
    )
    assert response.status_code == 302, response.text
    supplier.refresh_from_db()
    assert supplier.api_key == new_key and supplier.api_key_last4 == "c9d0"
    assert new_key not in raw_api_key(supplier)

    # Saving with the key field left empty keeps the key.
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier, priority="5")
    )
    assert response.status_code == 302, response.text
    supplier.refresh_from_db()
    assert supplier.priority == 5 and supplier.api_key == new_key

    # A DHRU connection whose key is removed is refused; a sandbox one may have none.
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier, forget_api_key="on")
    )
    assert response.status_code == 200 and "A DHRU connection needs: API key." in response.text
    supplier.refresh_from_db()
    assert supplier.api_key == new_key


def test_a_short_key_shows_no_last_characters(supplier):
    connection_api_key_set(connection=supplier, api_key="short-key")
    assert supplier.api_key_last4 == "" and supplier.api_key_set_at is not None
    connection_api_key_set(connection=supplier, api_key="")
    supplier.refresh_from_db()
    assert supplier.api_key == "" and supplier.api_key_set_at is None


def test_a_catalog_manager_cannot_send_a_server_secret_to_their_listener(
    manager, retail, dhru_server, monkeypatch
):
    """The attack of issue 9: a catalog manager of one storefront pointed "Check balance" at a
    listener of theirs with the key read from another storefront's Stripe webhook secret."""
    stolen = "whsec_the_other_storefronts_stripe_secret"
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_DOCTORSIM", stolen)
    monkeypatch.setenv("LISTENER_KEY", stolen)
    connection = ProviderConnection.objects.create(
        storefront=retail, name="Listener", kind="dhru", base_url=dhru_server.base_url
    )
    # No field names an environment variable: the name is ignored, and without a pasted key a
    # DHRU connection cannot be saved.
    attack = change_form(connection, username="me", api_key_env="STRIPE_WEBHOOK_SECRET_DOCTORSIM")
    response = manager.post(f"{CONNECTIONS}{connection.pk}/change/", attack)
    assert response.status_code == 200 and "A DHRU connection needs: API key." in response.text
    response = manager.post(
        f"{CONNECTIONS}{connection.pk}/change/",
        {**attack, "api_key_env": "LISTENER_KEY", "new_api_key": "what-i-pasted-0001"},
    )
    assert response.status_code == 302, response.text
    connection.refresh_from_db()
    assert not hasattr(connection, "api_key_env") and connection.api_key == "what-i-pasted-0001"

    # The listener answers with whatever it likes; the admin shows none of it.
    dhru_server.reply('{"ERROR":[{"MESSAGE":"Authentication failed: ECHO-OF-YOUR-REQUEST"}]}')
    dhru_server.reply("<html>ECHO-OF-YOUR-REQUEST</html>", content_type="text/html")
    response = manager.post(
        CONNECTIONS, {"action": "check_balance", "_selected_action": [connection.pk]}
    )
    assert response.status_code == 302
    shown = messages_of(response)
    assert (
        "error",
        "Listener: could not read the balance: the supplier refused the credentials.",
    ) in shown
    response = manager.post(
        CONNECTIONS, {"action": "import_services", "_selected_action": [connection.pk]}
    )
    shown += messages_of(response)
    assert (
        "error",
        "Listener: could not read the service list: answered something that is not a DHRU reply.",
    ) in shown
    assert not any("ECHO-OF-YOUR-REQUEST" in text for _level, text in shown)
    # Only ever the pasted key left the server.
    assert [r["apiaccesskey"] for r in dhru_server.requests] == ["what-i-pasted-0001"] * 2
    assert not any(stolen in str(r) for r in dhru_server.requests)


def resolving(monkeypatch, answers: dict[str, str]):
    """getaddrinfo answering ``answers`` (name → IP); IP literals as the real one does."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/",
        "http://[::ffff:10.0.0.5]/",
        "http://internal.supplier.test/",  # resolves to 10.1.2.3
        "http://127.0.0.1:6379/",  # loopback, refused where loopback is not allowed
        "http://doctorsim.localhost/",
    ],
)
def test_a_base_url_to_an_internal_address_is_refused(
    manager, supplier, base_url, monkeypatch, settings
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolving(monkeypatch, {"internal.supplier.test": "10.1.2.3"})
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier, base_url=base_url)
    )
    assert response.status_code == 200 and "This address is not allowed" in response.text
    supplier.refresh_from_db()
    assert supplier.base_url == "https://supplier.example.com/"


def test_a_name_that_turns_internal_after_saving_is_refused_at_connect_time(
    manager, supplier, monkeypatch, settings
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolving(monkeypatch, {"supplier.example.com": "8.8.8.8"})
    response = manager.post(f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier))
    assert response.status_code == 302, response.text
    resolving(monkeypatch, {"supplier.example.com": "192.168.1.20"})
    sent = []
    monkeypatch.setattr(
        "urllib3.util.connection.create_connection", lambda *a, **kw: sent.append(a)
    )
    response = manager.post(
        CONNECTIONS, {"action": "check_balance", "_selected_action": [supplier.pk]}
    )
    assert (
        "error",
        "Supplier: could not read the balance: could not connect: address not allowed.",
    ) in messages_of(response)
    assert sent == []  # not even a connection


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
            "new_api_key": "",
            "parameter_encoding": "xml",
            "timeout_seconds": "20",
            "sandbox_delay_seconds": "0",
            "low_balance_alert": "20.00",
        },
    )
    assert response.status_code == 302, response.text
    assert ProviderConnection.objects.get(name="New lab").storefront == retail


def test_a_dhru_connection_needs_its_url_user_and_key(manager):
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
    assert "A DHRU connection needs: base URL, username, API key." in response.text


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
        api_key="supplier-key-0001",
    )
    dhru_server.reply("server_error_500.html", status=500)
    response = manager.post(
        CONNECTIONS, {"action": "import_services", "_selected_action": [connection.pk]}
    )
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert (
        text == "Broken supplier: could not read the service list: the supplier answered HTTP 500."
    )
    assert not ServiceRoute.objects.exists()


def test_check_balance_action(
    manager, retail, lab, dhru_server, django_capture_on_commit_callbacks
):
    low = ProviderConnection.objects.create(
        storefront=retail,
        name="Low supplier",
        kind="dhru",
        base_url=dhru_server.base_url,
        username="shop",
        api_key="supplier-key-0001",
        low_balance_alert=Decimal("50.00"),
    )
    dhru_server.reply("accountinfo_accoutinfo.json")
    with django_capture_on_commit_callbacks(execute=True):  # the alert goes out after commit
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


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("base64_json", "orders are sent as base64 JSON with custom fields in customfield"),
        ("xml", "A server of DHRU's v6.1 standard reads only base64 JSON: choose that encoding"),
    ],
)
def test_the_check_says_the_api_version_and_the_encoding(manager, retail, encoding, said):
    """Issue 12: the check reads the supplier's apiversion and says how orders will be sent."""
    with StandardServer() as standard:
        supplier = ProviderConnection.objects.create(
            storefront=retail,
            name="Standard supplier",
            kind="dhru",
            base_url=standard.base_url,
            username="shop",
            api_key="supplier-test-key-0001",
            parameter_encoding=encoding,
            low_balance_alert=Decimal("1"),
        )
        response = manager.post(
            CONNECTIONS, {"action": "check_balance", "_selected_action": [supplier.pk]}
        )
    texts = messages_of(response)
    assert any(
        level == "info"
        and text.startswith("Standard supplier: DHRU API version 6.1;")
        and said in text
        for level, text in texts
    ), texts
    supplier.refresh_from_db()
    assert supplier.api_version == "6.1"
    assert ("success", "Standard supplier: balance 1000.00 USD.") in texts


# --- issue 29: no URL read two ways, and the stored key never follows a new address ----------


def test_a_backslash_base_url_is_refused_and_never_reached(
    manager, supplier, dhru_server, settings
):
    """Item 1: ``http://127.0.0.1:PORT\\@8.8.8.8/`` passed the check as 8.8.8.8 while requests
    connected to 127.0.0.1. Refused in the form; one stored before the fix is refused at the
    connection, and the loopback listener never receives the key."""
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    port = dhru_server.httpd.server_address[1]
    bad = f"http://127.0.0.1:{port}\\@8.8.8.8/"
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/",
        change_form(supplier, base_url=bad, new_api_key="pasted-0123456789"),
    )
    assert response.status_code == 200
    assert "Enter a plain URL" in response.text or "Enter a valid URL" in response.text
    supplier.refresh_from_db()
    assert supplier.base_url == "https://supplier.example.com/"

    ProviderConnection.objects.filter(pk=supplier.pk).update(base_url=bad)
    connection_api_key_set(
        connection=ProviderConnection.objects.get(pk=supplier.pk), api_key=SECRET
    )
    response = manager.post(
        CONNECTIONS, {"action": "check_balance", "_selected_action": [supplier.pk]}
    )
    assert (
        "error",
        "Supplier: could not read the balance: could not connect: URL not allowed.",
    ) in messages_of(response)
    assert dhru_server.requests == []


def test_moving_the_base_url_needs_the_key_again(
    manager, supplier, dhru_server, settings, django_capture_on_commit_callbacks
):
    """Item 2: a catalog manager pointed a connection at their own listener and ran "Check
    balance": the stored key went along. Now a new scheme, host or port needs the key pasted
    again; the stored one is never sent there."""
    settings.ADMINS = [("Operator", "operator@platform.test")]
    for moved in (
        dhru_server.base_url,
        "http://supplier.example.com/",
        "https://supplier.example.com:8443/",
    ):
        response = manager.post(
            f"{CONNECTIONS}{supplier.pk}/change/", change_form(supplier, base_url=moved)
        )
        assert response.status_code == 200
        assert "paste the supplier&#x27;s API key again" in response.text
    supplier.refresh_from_db()
    assert supplier.base_url == "https://supplier.example.com/" and supplier.api_key == SECRET
    assert not supplier.address_changes.exists()

    # The same address with another path keeps the key: nothing moved.
    response = manager.post(
        f"{CONNECTIONS}{supplier.pk}/change/",
        change_form(supplier, base_url="https://supplier.example.com/dhru/"),
    )
    assert response.status_code == 302, response.text
    supplier.refresh_from_db()
    assert supplier.api_key == SECRET and not supplier.address_changes.exists()

    # With a key pasted for it, the move is saved, recorded and e-mailed.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails go out after commit
        response = manager.post(
            f"{CONNECTIONS}{supplier.pk}/change/",
            change_form(supplier, base_url=dhru_server.base_url, new_api_key="listener-key-000111"),
        )
    assert response.status_code == 302, response.text
    supplier.refresh_from_db()
    assert supplier.api_key == "listener-key-000111" and not supplier.api_key_moved
    change = supplier.address_changes.get()
    assert change.previous_origin == "https://supplier.example.com:443"
    assert change.new_origin == f"http://127.0.0.1:{dhru_server.httpd.server_address[1]}"
    assert change.key == "entered_again" and change.changed_by.email == "catalog@imeiserver.test"
    told = sorted(m.to[0] for m in mail.outbox)
    assert told == ["catalog@imeiserver.test", "operator@platform.test"]
    assert all("address changed" in m.subject for m in mail.outbox)
    assert "https://supplier.example.com:443" in mail.outbox[0].body
    page = manager.get(f"{CONNECTIONS}{supplier.pk}/change/").text
    assert "Address changes" in page and "a new key was entered for the new address" in page


def test_moving_without_a_key_removes_the_stored_one(
    supplier, retail, settings, django_capture_on_commit_callbacks
):
    """Item 2, the service: a move that brings no key removes the stored key (so no path —
    admin, shell or a later API — carries it to the new address), records it and tells staff."""
    settings.ADMINS = [("Operator", "operator@platform.test")]
    previous = supplier.origin
    supplier.base_url = "https://listener.example.net/"
    supplier.save(update_fields=["base_url"])
    with django_capture_on_commit_callbacks(execute=True):
        change = connection_edit_finish(connection=supplier, previous_origin=previous)
    supplier.refresh_from_db()
    assert supplier.api_key == "" and supplier.api_key_set_at is None
    assert change.key == "removed" and change.new_origin == "https://listener.example.net:443"
    assert [m.to for m in mail.outbox] == [["operator@platform.test"]]
    # A save that leaves the address alone records nothing.
    assert connection_edit_finish(connection=supplier, previous_origin=supplier.origin) is None
    assert supplier.address_changes.count() == 1


def test_a_key_is_sent_only_to_the_address_it_was_pasted_for(manager, supplier, dhru_server):
    """Item 2, at the connection: a base URL changed around the admin (a shell, an old row) does
    not take the key along: the call is refused before anything is sent."""
    ProviderConnection.objects.filter(pk=supplier.pk).update(base_url=dhru_server.base_url)
    supplier.refresh_from_db()
    assert supplier.api_key_moved
    page = manager.get(f"{CONNECTIONS}{supplier.pk}/change/").text
    assert "set for another address" in page
    for action in ("check_balance", "import_services"):
        response = manager.post(CONNECTIONS, {"action": action, "_selected_action": [supplier.pk]})
        assert any(
            "the API key was set for another address: paste it again" in text
            for _level, text in messages_of(response)
        )
    assert dhru_server.requests == []
