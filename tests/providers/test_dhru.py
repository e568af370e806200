"""The DHRU Fusion client against a local server replaying recorded reply variants."""

from __future__ import annotations

import base64
import json
import socket
from decimal import Decimal

import pytest

from providers.base import (
    Completed,
    OrderRequest,
    Pending,
    ProviderFault,
    ProviderTimeout,
    Rejected,
    Submitted,
)
from providers.dhru import DhruClient, endpoint_for, parse_money
from providers.models import ProviderConnection
from providers.registry import provider_for
from tests.providers.conftest import decode_parameters

IMEI = "356938035643809"


def client(server, encoding="xml", timeout=5.0) -> DhruClient:
    return DhruClient(
        base_url=server.base_url,
        username="buyer@example.com",
        api_key="KEY-123",
        parameter_encoding=encoding,
        timeout=timeout,
    )


def order(**kw) -> OrderRequest:
    return OrderRequest(
        remote_service_id=kw.pop("remote_service_id", "2001"),
        imei=kw.pop("imei", IMEI),
        fields=kw.pop("fields", {}),
        reference=kw.pop("reference", "o17-a1"),
    )


# --- what is sent ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "endpoint"),
    [
        ("https://supplier.example.com", "https://supplier.example.com/api/index.php"),
        ("https://supplier.example.com/", "https://supplier.example.com/api/index.php"),
        ("https://supplier.example.com/api/", "https://supplier.example.com/api/index.php"),
        ("https://s.example.com/x/api/index.php", "https://s.example.com/x/api/index.php"),
        ("https://s.example.com/dhru/index.php", "https://s.example.com/dhru/index.php"),
    ],
)
def test_endpoint(base_url, endpoint):
    assert endpoint_for(base_url) == endpoint


def test_placement_sends_xml_parameters_with_custom_fields_as_base64_json(dhru_server):
    dhru_server.reply("placeimeiorder_success.json")
    outcome = client(dhru_server, "xml").place(
        order(fields={"MODEL": "Galaxy S22", "NETWORK": "Vodafone UK", "icloud_email": "a&b@x.com"})
    )
    assert outcome == Submitted("872345")
    sent = dhru_server.last
    assert dhru_server.paths == ["/api/index.php"]
    assert sent["username"] == "buyer@example.com" and sent["apiaccesskey"] == "KEY-123"
    assert sent["action"] == "placeimeiorder" and sent["requestformat"] == "JSON"
    assert sent["parameters"].startswith("<PARAMETERS><ID>2001</ID><IMEI>")
    params = decode_parameters(sent["parameters"])
    assert params["ID"] == "2001" and params["IMEI"] == IMEI
    # Issue 12: DHRU Fusion's own keys, upper-cased in XML as DHRU's XML kit writes them.
    assert params["MODELID"] == "Galaxy S22" and params["NETWORK"] == "Vodafone UK"
    assert "REFERENCE" not in params  # our key is no DHRU field (issue 12)
    assert dhru_server.headers[-1]["idempotency-key"] == "o17-a1"
    assert json.loads(base64.b64decode(params["CUSTOMFIELD"])) == {"icloud_email": "a&b@x.com"}


def test_placement_sends_base64_json_parameters(dhru_server):
    dhru_server.reply("placeimeiorder_success.json")
    client(dhru_server, "base64_json").place(
        order(fields={"MEP": "MEP-22396-001", "colour": "blue"})
    )
    raw = dhru_server.last["parameters"]
    params = json.loads(base64.b64decode(raw))
    assert params["ID"] == "2001" and params["IMEI"] == IMEI and params["MEP"] == "MEP-22396-001"
    assert "REFERENCE" not in params
    # Issue 12: lower-case "customfield", as DHRU's v6.1 standard server reads it.
    assert json.loads(base64.b64decode(params["customfield"])) == {"colour": "blue"}


def test_no_custom_field_and_no_reference_when_there_are_none(dhru_server):
    dhru_server.reply("placeimeiorder_success.json")
    client(dhru_server).place(order(reference=""))
    params = decode_parameters(dhru_server.last["parameters"])
    assert set(params) == {"ID", "IMEI"}
    assert "idempotency-key" not in dhru_server.headers[-1]


def test_accountinfo_sends_no_parameters(dhru_server):
    dhru_server.reply("accountinfo_accoutinfo.json")
    client(dhru_server).account_balance()
    assert dhru_server.last["action"] == "accountinfo" and "parameters" not in dhru_server.last


def test_connection_settings_are_used(dhru_server, retail):
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Supplier",
        kind="dhru",
        base_url=dhru_server.base_url,
        username="shop",
        api_key="from-the-connection",
        parameter_encoding="base64_json",
        timeout_seconds=7,
    )
    provider = provider_for(connection)
    assert isinstance(provider, DhruClient) and provider.timeout == 7
    dhru_server.reply("placeimeiorder_success.json")
    provider.place(order())
    assert dhru_server.last["apiaccesskey"] == "from-the-connection"
    assert json.loads(base64.b64decode(dhru_server.last["parameters"]))["ID"] == "2001"


# --- reply variants -------------------------------------------------------------------------


def test_account_info_with_the_accoutinfo_typo_and_creditraw(dhru_server):
    dhru_server.reply("accountinfo_accoutinfo.json")
    info = client(dhru_server).account_balance()
    assert info.credit == Decimal("16.41") and info.currency == "USD"
    assert info.email == "buyer@example.com"


def test_account_info_with_only_a_formatted_credit(dhru_server):
    dhru_server.reply("accountinfo_accountinfo.json")
    info = client(dhru_server).account_balance()
    assert info.credit == Decimal("1016.41") and info.currency == "EUR"


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("$16.41", "16.41", "USD"),
        ("1,016.41 USD", "1016.41", "USD"),
        ("€16,41", "16.41", "EUR"),
        ("2,500", "2500", ""),
        (12.5, "12.5", ""),
    ],
)
def test_money_formats(text, amount, currency):
    assert parse_money(text) == (Decimal(amount), currency)


def test_service_list_groups_services_and_required_fields(dhru_server):
    dhru_server.reply("imeiservicelist.json")
    services = {s.remote_id: s for s in client(dhru_server).list_services()}
    assert set(services) == {"1021", "1022", "2001", "3001"}
    iphone = services["1021"]
    assert iphone.name == "iPhone AT&T USA - Premium" and iphone.group == "Apple iPhone"
    assert iphone.price == Decimal("45.00") and iphone.delivery_time == "1-3 Days"
    assert iphone.required_fields == ("IMEI",)
    assert services["1022"].price == Decimal("0.5")
    samsung = services["2001"]
    assert samsung.price == Decimal("9.50")
    assert samsung.required_fields == ("IMEI", "NETWORK", "MODEL", "icloud_email")
    assert services["3001"].group == "Servers" and services["3001"].required_fields == ()


def test_order_status_pending_success_rejected(dhru_server):
    dhru_server.reply("getimeiorder_pending.json").reply("getimeiorder_success.json")
    dhru_server.reply("getimeiorder_rejected.json").reply("getimeiorder_rejected_code_only.json")
    dhru = client(dhru_server)
    assert dhru.poll("872345") == Pending("in process")
    assert decode_parameters(dhru_server.last["parameters"]) == {"ID": "872345"}
    done = dhru.poll("872345")
    assert done == Completed(code="NCK: 12345678\nMCK: 87654321", result={})
    assert dhru.poll("872345") == Rejected("No code found in the database for this IMEI")
    assert dhru.poll("872345") == Rejected("Not found")


def test_phone_check_code_becomes_a_structured_result(dhru_server):
    dhru_server.reply("getimeiorder_check.json")
    outcome = client(dhru_server).poll("990001")
    assert isinstance(outcome, Completed) and "BLACKLISTED" in outcome.code
    assert outcome.result == {
        "blacklist_status": "blacklisted",
        "reason": "Lost/Stolen",
        "carrier": "AT&T USA",
        "source": "GSMA",
        "checked_at": "2026-11-20 10:15",
    }


def test_unknown_status_is_a_fault(dhru_server):
    dhru_server.reply('{"SUCCESS":[{"STATUS":"9"}]}')
    with pytest.raises(ProviderFault, match="unknown STATUS"):
        client(dhru_server).poll("1")


def test_bulk_placement_reads_replies_keyed_by_request_id(dhru_server):
    dhru_server.reply("placeimeiorderbulk.json")
    requests = [
        order(reference="o1-a1"),
        order(reference="o2-a1", imei="356938035643808"),
        order(reference="o3-a1"),
        order(reference="o4-a1"),  # "Not enough credits": not placed, left out to fail over
    ]
    requests[2] = order(reference="")  # a request without a key of ours: keyed by position
    answers = client(dhru_server, "xml").place_bulk(requests)
    assert answers == {
        "o1-a1": Submitted("9001"),
        "o2-a1": Rejected("Invalid IMEI"),
        "": Rejected("IMEI already in process"),
    }
    sent = json.loads(base64.b64decode(dhru_server.last["parameters"]))  # bulk: always base64 JSON
    assert set(sent) == {"1", "2", "3", "4"}
    assert dhru_server.last["action"] == "placeimeiorderbulk"
    assert sent["2"] == {"ID": "2001", "IMEI": "356938035643808"}  # no REFERENCE (issue 12)


def test_bulk_placement_is_keyed_by_our_attempt_keys(dhru_server):
    dhru_server.reply(
        '{"o1-a1":{"SUCCESS":[{"REFERENCEID":"9001"}]},'
        '"o2-a1":{"ERROR":[{"MESSAGE":"Invalid IMEI"}]},"apiversion":"6.1"}'
    )
    answers = client(dhru_server).place_bulk([order(reference="o1-a1"), order(reference="o2-a1")])
    assert answers == {"o1-a1": Submitted("9001"), "o2-a1": Rejected("Invalid IMEI")}
    sent = json.loads(base64.b64decode(dhru_server.last["parameters"]))
    assert set(sent) == {"o1-a1", "o2-a1"}


def test_bulk_placement_with_an_item_missing_is_an_unknown_outcome(dhru_server):
    dhru_server.reply('{"o1-a1":{"SUCCESS":[{"REFERENCEID":"9001"}]}}')
    with pytest.raises(ProviderTimeout, match="no answer for o2-a1$"):
        client(dhru_server).place_bulk([order(reference="o1-a1"), order(reference="o2-a1")])


def test_bulk_status_reads_replies_keyed_by_request_id(dhru_server):
    dhru_server.reply("getimeiorderbulk.json")
    answers = client(dhru_server).poll_bulk(["a", "b", "c"])
    assert answers == {
        "a": Completed(code="12345678"),
        "b": Pending("new"),
        "c": Rejected("Rejected: wrong network"),
    }
    assert json.loads(base64.b64decode(dhru_server.last["parameters"])) == {
        "1": {"ID": "a"},
        "2": {"ID": "b"},
        "3": {"ID": "c"},
    }


def test_php_notice_before_the_json_is_skipped(dhru_server):
    dhru_server.reply("php_notice.txt")
    assert client(dhru_server).place(order()) == Submitted("55501")


# --- lookup by our key ----------------------------------------------------------------------


def test_lookup_by_idempotency_key(dhru_server):
    dhru_server.reply("getimeiorder_by_reference.json")
    assert client(dhru_server).lookup("o17-a1") == Submitted("872345")
    # Issue 12: the key goes in the Idempotency-Key header, never as a DHRU REFERENCE.
    assert dhru_server.last["action"] == "getimeiorder" and "parameters" not in dhru_server.last
    assert dhru_server.headers[-1]["idempotency-key"] == "o17-a1"


def test_lookup_on_a_server_that_does_not_know_references_is_none(dhru_server):
    dhru_server.reply("error_order_not_found.json")
    assert client(dhru_server).lookup("o17-a1") is None
    assert DhruClient.supports_lookup is False  # None does not prove it never arrived


def test_lookup_with_bad_credentials_is_a_fault(dhru_server):
    dhru_server.reply("error_auth_lowercase.json")
    with pytest.raises(ProviderFault, match="Authentication Failed"):
        client(dhru_server).lookup("o17-a1")


# --- errors ---------------------------------------------------------------------------------


def test_an_error_about_the_imei_rejects_the_placement(dhru_server):
    dhru_server.reply("error_invalid_imei.json")
    assert client(dhru_server).place(order()) == Rejected(
        "Invalid IMEI: IMEI 356938035643808 failed the check digit"
    )


@pytest.mark.parametrize(
    ("reply", "words", "public"),
    [
        ("error_auth_lowercase.json", "Authentication Failed", "refused the credentials"),
        ("error_credit.json", "Not enough credits", "too little credit"),
        ("error_service_not_active.json", "Service not Active", "service is not available"),
    ],
)
def test_account_and_supplier_errors_are_faults_so_the_next_route_is_tried(
    dhru_server, reply, words, public
):
    dhru_server.reply(reply)
    with pytest.raises(ProviderFault, match=words) as caught:
        client(dhru_server).place(order())
    # What the admin shows: fixed words, not the supplier's message.
    assert public in caught.value.public and words not in caught.value.public


def test_success_without_a_referenceid_is_a_fault(dhru_server):
    dhru_server.reply("placeimeiorder_no_referenceid.json")
    with pytest.raises(ProviderFault, match="without a REFERENCEID"):
        client(dhru_server).place(order())


@pytest.mark.parametrize("action", ["account_balance", "list_services"])
def test_errors_on_other_actions_are_faults(dhru_server, action):
    dhru_server.reply("error_auth_lowercase.json")
    with pytest.raises(ProviderFault, match="Authentication Failed"):
        getattr(client(dhru_server), action)()


def test_poll_of_an_unknown_order_is_a_fault(dhru_server):
    dhru_server.reply("error_order_not_found.json")
    with pytest.raises(ProviderFault, match="Invalid Order ID"):
        client(dhru_server).poll("1")


def test_http_500_is_a_fault_with_the_status_and_the_body_only_in_the_log(dhru_server, caplog):
    dhru_server.reply("server_error_500.html", status=500)
    with pytest.raises(ProviderFault) as caught:
        client(dhru_server).place(order())
    assert "HTTP 500" in str(caught.value) and "Internal Server Error" not in str(caught.value)
    assert caught.value.public == "the supplier answered HTTP 500"
    assert "Internal Server Error" in caplog.text  # for the operator


def test_http_403_is_a_fault(dhru_server):
    dhru_server.reply("Forbidden", status=403, content_type="text/plain")
    with pytest.raises(ProviderFault, match="HTTP 403$"):
        client(dhru_server).account_balance()


def test_html_page_is_a_fault(dhru_server, caplog):
    dhru_server.reply("html_error.html")
    with pytest.raises(ProviderFault, match="HTML instead of a DHRU reply$") as caught:
        client(dhru_server).place(order())
    assert caught.value.public == "answered something that is not a DHRU reply"
    assert "<!DOCTYPE html>" in caplog.text and "<!DOCTYPE" not in str(caught.value)


def test_malformed_json_is_a_fault(dhru_server):
    dhru_server.reply("malformed.txt", content_type="application/json")
    with pytest.raises(ProviderFault, match="malformed JSON instead of a DHRU reply$"):
        client(dhru_server).poll("1")


def test_empty_body_is_a_fault(dhru_server):
    dhru_server.reply("")
    with pytest.raises(ProviderFault, match="empty body"):
        client(dhru_server).account_balance()


def test_redirect_is_a_fault_not_followed(dhru_server):
    dhru_server.reply("", status=301)
    with pytest.raises(ProviderFault, match="HTTP 301 redirect"):
        client(dhru_server).place(order())
    assert len(dhru_server.requests) == 1


def test_a_slow_reply_is_a_timeout(dhru_server):
    dhru_server.reply("placeimeiorder_success.json", delay=1.0)
    with pytest.raises(ProviderTimeout, match="no answer within 0.3s"):
        client(dhru_server, timeout=0.3).place(order())
    assert len(dhru_server.requests) == 1  # sent once, never retried here


def test_a_dropped_connection_after_sending_is_a_timeout(dhru_server):
    dhru_server.reply("", drop=True)
    with pytest.raises(ProviderTimeout, match="connection dropped"):
        client(dhru_server).place(order())


def test_connection_refused_is_a_fault():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dhru = DhruClient(base_url=f"http://127.0.0.1:{port}/", username="u", api_key="k", timeout=2)
    with pytest.raises(ProviderFault, match="connection refused") as caught:
        dhru.place(order())
    assert caught.value.public == "could not connect: connection refused"
