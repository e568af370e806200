"""The DHRU client against local servers that behave like the published ones (issue 12): DHRU's
"Fusion API standards" v6.1 ``api/index.php`` (base64 JSON and lower-case ``customfield`` only)
and an older server that reads only XML. A supplier built on the standard must receive every
field of our orders; importing its service list gives our service the fields it asks for."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.forms import CheckboxInput, RadioSelect, Textarea

from catalog.models import DHRU_FIELDS, Service, ServiceField
from orders import dispatch, tasks
from orders.dispatch import order_dispatch, order_poll
from orders.exceptions import OrderFieldsInvalid
from orders.fields import field_specs, order_fields_clean
from orders.forms import OrderForm
from orders.models import DispatchAttempt, Order
from orders.services import PlaceRequest, order_place_bulk, quote_create
from providers.base import Completed, OrderRequest, Pending, Rejected, Submitted
from providers.dhru import DhruClient, encoding_note
from providers.models import ProviderConnection, ServiceRoute
from providers.services import connection_balance_check, routes_import_from_supplier
from tests.billing.conftest import paid_topup
from tests.orders.conftest import place, service_make
from tests.providers.dhru_standard import STANDARD_SERVICE, StandardServer, XmlServer

IMEI = "356938035643809"


@pytest.fixture
def standard():
    with StandardServer() as server:
        yield server


@pytest.fixture
def xml_server():
    with XmlServer() as server:
        yield server


def client(server, encoding=None) -> DhruClient:
    kw = {"parameter_encoding": encoding} if encoding else {}
    return DhruClient(base_url=server.base_url, username="shop", api_key="KEY-1", timeout=5, **kw)


def order(**fields) -> OrderRequest:
    return OrderRequest(remote_service_id="1", imei=IMEI, fields=fields, reference="o7-a1")


ORDER_FIELDS = {
    "MODEL": "iPhone 13",
    "NETWORK": "AT&T USA",
    "PIN": "1234",
    "SECRO": "AB12",
    "USERNAME": "buyer@example.com",
    "USERTYPE": "New",
}


def test_a_v61_standard_server_receives_the_order_and_every_custom_field(standard):
    assert client(standard).place(order(**ORDER_FIELDS)) == Submitted("2323")
    (received,) = standard.orders
    assert received["ID"] == 1
    # The custom fields arrive under the lower-case "customfield" the standard reads.
    assert received["customfield"] == {"USERNAME": "buyer@example.com", "USERTYPE": "New"}
    params = received["parameters"]
    assert params["IMEI"] == IMEI
    # DHRU fields under the keys DHRU Fusion's own supplier module sends.
    assert (params["MODELID"], params["Network"], params["PIN"], params["SecRO"]) == (
        "iPhone 13",
        "AT&T USA",
        "1234",
        "AB12",
    )
    # Our idempotency key is no field of the order: it travels in a header.
    assert "REFERENCE" not in params and "o7-a1" not in json.dumps(params)
    assert standard.headers[-1]["idempotency-key"] == "o7-a1"


def test_an_order_field_named_reference_is_the_suppliers_reference(standard):
    client(standard).place(order(REFERENCE="ticket 55"))
    assert standard.orders[0]["parameters"]["REFERENCE"] == "ticket 55"


def test_base64_json_is_the_default_encoding(retail):
    connection = ProviderConnection.objects.create(storefront=retail, name="S", kind="dhru")
    assert connection.parameter_encoding == ProviderConnection.Encoding.BASE64_JSON
    assert (
        DhruClient(base_url="https://s.example.com", username="u", api_key="k").encode({"ID": "1"})
        == base64.b64encode(b'{"ID":"1"}').decode()
    )


def test_an_xml_connection_to_a_v61_server_would_lose_the_order(standard):
    """Why XML is only for servers that ask for it: the standard reads nothing of it."""
    client(standard, "xml").place(order(USERNAME="buyer@example.com"))
    (received,) = standard.orders
    assert received["ID"] == 0 and received["customfield"] is None


def test_an_xml_server_receives_every_field(xml_server):
    outcome = client(xml_server, "xml").place(order(**ORDER_FIELDS))
    assert outcome == Submitted("2323")
    (received,) = xml_server.orders
    assert received["ID"] == 1
    assert received["customfield"] == {"USERNAME": "buyer@example.com", "USERTYPE": "New"}
    params = received["parameters"]
    assert (params["IMEI"], params["MODELID"], params["NETWORK"], params["SECRO"]) == (
        IMEI,
        "iPhone 13",
        "AT&T USA",
        "AB12",
    )
    assert "REFERENCE" not in params
    assert xml_server.requests[-1]["parameters"].startswith("<PARAMETERS><ID>1</ID>")


def test_polling_reads_the_status_and_the_reason_in_code(standard):
    dhru = client(standard)
    ref = dhru.place(order()).ref
    assert dhru.poll(ref) == Pending("in process")
    standard.statuses[int(ref)] = (4, "NCK: 12345678")
    assert dhru.poll(ref) == Completed(code="NCK: 12345678")
    standard.statuses[int(ref)] = (3, "No code found for this IMEI")
    assert dhru.poll(ref) == Rejected("No code found for this IMEI")


def test_bulk_placement_and_status_are_keyed_by_our_request_keys(standard):
    dhru = client(standard)
    requests = [
        OrderRequest(remote_service_id="1", imei=IMEI, fields={"USERTYPE": "New"}, reference=r)
        for r in ("o1-a1", "o2-a1")
    ]
    answers = dhru.place_bulk(requests)
    assert answers == {"o1-a1": Submitted("2323"), "o2-a1": Submitted("2324")}
    assert len(standard.requests) == 1  # one HTTP call for every line
    assert [o["customfield"] for o in standard.orders] == [{"USERTYPE": "New"}] * 2
    standard.statuses[2324] = (4, "CODE-2")
    assert dhru.poll_bulk(["2323", "2324"]) == {
        "2323": Pending("in process"),
        "2324": Completed(code="CODE-2"),
    }


def test_the_connection_check_reads_apiversion_and_says_the_encoding(standard, retail):
    assert client(standard).account_balance().api_version == "6.1"
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Standard",
        kind="dhru",
        base_url=standard.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
        low_balance_alert=Decimal("5"),
    )
    check = connection_balance_check(connection=connection)
    assert check.info.credit == Decimal("1000")
    connection.refresh_from_db()
    assert connection.api_version == "6.1"
    assert encoding_note(api_version="6.1", sends_xml=False) == (
        "DHRU API version 6.1; orders are sent as base64 JSON with custom fields in customfield."
    )
    assert "reads only base64 JSON" in encoding_note(api_version="6.1", sends_xml=True)


# --- the service list ---------------------------------------------------------------------------


def test_every_requires_flag_and_custom_field_of_the_standard_is_read(standard):
    (remote,) = client(standard).list_services()
    assert remote.dhru_fields == (
        "IMEI",
        "NETWORK",
        "MODEL",
        "PROVIDER",
        "PIN",
        "KBH",
        "MEP",
        "PRD",
        "TYPE",
        "REFERENCE",
        "LOCKS",
        "SN",
        "SECRO",
    )
    assert [(f.name, f.type, f.options, f.required) for f in remote.custom_fields] == [
        ("USERNAME", "text", (), True),
        ("USERTYPE", "dropdown", ("New", "Existing"), True),
    ]
    assert remote.quantity.enabled and remote.quantity.options == (10, 20, 50)


def test_import_gives_our_service_the_fields_the_supplier_asks_for(standard, retail):
    ours = service_make(retail, "imei_unlock", name=STANDARD_SERVICE["SERVICENAME"])
    ServiceField.objects.create(
        service=ours, name="USERTYPE", label="Account type", type="text", position=1
    )
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Standard",
        kind="dhru",
        base_url=standard.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
    )
    report = routes_import_from_supplier(connection=connection)
    (route,) = report.created
    assert route.quantity_rules == {
        "enabled": True,
        "minimum": None,
        "maximum": None,
        "options": [10, 20, 50],
    }
    ours = Service.objects.get(pk=ours.pk)
    assert set(ours.required_fields) == {
        "IMEI",
        "NETWORK",
        "MODEL",
        "PROVIDER",
        "PIN",
        "KBH",
        "MEP",
        "PRD",
        "TYPE",
        "REFERENCE",
        "LOCKS",
        "SN",
        "SECRO",
    }
    fields = {f.name: f for f in ours.custom_fields.all()}
    assert (fields["USERNAME"].type, fields["USERNAME"].required) == ("text", True)
    # The existing field follows the supplier's type and options; staff's label stays.
    assert (fields["USERTYPE"].type, fields["USERTYPE"].options) == ("select", ["New", "Existing"])
    assert fields["USERTYPE"].label == "Account type"
    assert "13 order fields added" in report.summary()  # 12 DHRU fields besides IMEI, USERNAME

    # Importing again changes nothing.
    again = routes_import_from_supplier(connection=connection)
    assert again.fields_added == [] and again.unchanged == [route]


def test_each_custom_field_type_of_the_standard_becomes_an_order_field(standard, retail):
    customs = [
        {"fieldname": "Plan", "fieldtype": "radio", "fieldoptions": "Basic,Pro", "required": 1},
        {"fieldname": "Notes", "fieldtype": "textarea", "required": 0},
        {"fieldname": "Agree", "fieldtype": "tickbox", "required": "on"},
        {"fieldname": "Bought on", "fieldtype": "datepicker", "required": 1},
        {"fieldname": "Call at", "fieldtype": "time", "required": ""},
    ]
    service_make(retail, "imei_unlock", name="Service Name")
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Standard",
        kind="dhru",
        base_url=standard.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
    )
    original = STANDARD_SERVICE["Requires.Custom"]
    STANDARD_SERVICE["Requires.Custom"] = customs
    try:
        routes_import_from_supplier(connection=connection)
    finally:
        STANDARD_SERVICE["Requires.Custom"] = original
    ours = Service.objects.get(name="Service Name")
    fields = {f.name: (f.type, f.options, f.required) for f in ours.custom_fields.all()}
    assert fields == {
        "Plan": ("radio", ["Basic", "Pro"], True),
        "Notes": ("textarea", [], False),
        "Agree": ("tickbox", [], True),
        "Bought on": ("date", [], True),
        "Call at": ("time", [], False),
    }
    specs = {s.name: s for s in field_specs(ours) if s.name not in DHRU_FIELDS}
    assert specs["Plan"].choices == ["Basic", "Pro"]
    values = {name: "x" for name in ours.required_fields}
    values.update({"IMEI": IMEI, "MEP": "MEP-22396-001", "PRD": "PRD-12345-001"})
    values.update({"PIN": "1234", "KBH": "ABCDEF", "SN": "ABC12345", "SECRO": "AB12"})
    values.update({"Plan": "Pro", "Agree": "True", "Bought on": "2026-11-02", "Call at": "09:30"})
    clean = order_fields_clean(ours, values)
    assert (clean["Agree"], clean["Bought on"], clean["Call at"]) == ("on", "2026-11-02", "09:30")
    with pytest.raises(OrderFieldsInvalid) as caught:
        order_fields_clean(ours, {**values, "Agree": "", "Bought on": "02/11/2026"})
    assert set(caught.value.errors) == {"Agree", "Bought on"}

    # The order form asks for each the way its type needs.
    data = {**values, "quote": "q", "form_token": "t", "Agree": "on"}
    form = OrderForm(data, service=ours, ask_terms=False)
    assert form.is_valid(), form.errors
    assert form.order_values["Agree"] == "on" and form.order_values["Plan"] == "Pro"
    assert isinstance(form.fields["Plan"].widget, RadioSelect)
    assert isinstance(form.fields["Agree"].widget, CheckboxInput)
    assert isinstance(form.fields["Notes"].widget, Textarea)
    assert form.fields["Bought on"].widget.input_type == "date"
    assert form.fields["Call at"].widget.input_type == "time"


# --- through dispatch ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dispatched_order_reaches_the_standard_server_with_its_custom_fields(
    standard, retail, retail_customer
):
    paid_topup(retail_customer, "100.00")
    unlock = service_make(retail, "imei_unlock", name="iCloud check")
    ServiceField.objects.create(service=unlock, name="USERNAME", label="Apple ID", position=1)
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Standard",
        kind="dhru",
        base_url=standard.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
    )
    ServiceRoute.objects.create(service=unlock, connection=connection, remote_service_id="1")
    placed = place(retail_customer, unlock, values={"IMEI": IMEI, "USERNAME": "owner@example.com"})
    assert order_dispatch(order_id=placed.pk) == "submitted"
    (received,) = standard.orders
    assert received["ID"] == 1 and received["customfield"] == {"USERNAME": "owner@example.com"}
    attempt = DispatchAttempt.objects.get(order=placed)
    assert standard.headers[-1]["idempotency-key"] == attempt.key
    assert attempt.key not in json.dumps(received["parameters"])

    standard.statuses[received["REFERENCEID"]] = (3, "No code found for this IMEI")
    assert order_poll(order_id=placed.pk) == "rejected"
    placed.refresh_from_db()
    assert placed.status == Order.Status.REJECTED
    assert placed.rejection_reason == "No code found for this IMEI"


# --- bulk orders: one call where the supplier offers the bulk actions ----------------------------


def bulk_supplier(standard, retail, *, bulk=True):
    unlock = service_make(retail, "imei_unlock", name="Bulk unlock")
    ServiceField.objects.create(service=unlock, name="USERTYPE", label="Account", position=1)
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="Standard",
        kind="dhru",
        base_url=standard.base_url,
        username="shop",
        api_key="supplier-test-key-0001",
        bulk_actions=bulk,
    )
    ServiceRoute.objects.create(service=unlock, connection=connection, remote_service_id="1")
    return unlock


def place_bulk(user, service, imeis) -> list[Order]:
    request = PlaceRequest(
        service=service,
        quote_token=quote_create(user=user, service=service).token,
        form_token="bulk-1",
        values={"USERTYPE": "New"},
    )
    report = order_place_bulk(user=user, request=request, imeis_text="\n".join(imeis))
    return [line.order for line in report.placed]


@pytest.mark.django_db
def test_a_bulk_orders_lines_go_in_one_call_and_are_polled_in_one(
    standard, retail, retail_customer, monkeypatch, django_capture_on_commit_callbacks
):
    paid_topup(retail_customer, "100.00")
    unlock = bulk_supplier(standard, retail)
    scheduled = []
    monkeypatch.setattr(
        tasks.orders_dispatch_batch, "apply_async", lambda args, **kw: scheduled.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        orders = place_bulk(retail_customer, unlock, [IMEI, "490154203237518"])
    ids = [o.pk for o in orders]
    assert scheduled == [(ids,)]  # one task for the bulk order's lines

    assert dispatch.orders_dispatch_batch(order_ids=ids) == []
    assert [r["action"] for r in standard.requests] == ["placeimeiorderbulk"]  # one call
    assert [o["customfield"] for o in standard.orders] == [{"USERTYPE": "New"}] * 2
    sent = {k for k in json.loads(base64.b64decode(standard.requests[0]["parameters"]))}
    assert sent == {f"o{pk}-a1" for pk in ids}  # keyed by our attempt keys
    for order in Order.objects.filter(pk__in=ids):
        assert order.status == Order.Status.SUBMITTED
        assert order.provider_ref in {"2323", "2324"}

    Order.objects.filter(pk__in=ids).update(next_poll_at=None)
    singles, groups = dispatch.orders_poll_plan(order_ids=ids)
    assert (singles, groups) == ([], [ids])
    standard.statuses[2323] = (4, "CODE-A")
    standard.statuses[2324] = (3, "No code found for this IMEI")
    results = dispatch.orders_poll_bulk(order_ids=ids)
    assert sorted(results.values()) == ["completed", "rejected"]
    assert standard.requests[-1]["action"] == "getimeiorderbulk"
    assert len(standard.requests) == 2


@pytest.mark.django_db
def test_without_the_bulk_actions_each_line_is_sent_on_its_own(standard, retail, retail_customer):
    paid_topup(retail_customer, "100.00")
    unlock = bulk_supplier(standard, retail, bulk=False)
    ids = [o.pk for o in place_bulk(retail_customer, unlock, [IMEI, "490154203237518"])]
    assert dispatch.orders_dispatch_batch(order_ids=ids) == sorted(ids)  # left to order_dispatch
    assert standard.requests == []
    assert dispatch.orders_poll_plan(order_ids=ids) == (sorted(ids), [])
