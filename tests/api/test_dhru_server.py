"""Our DHRU Fusion endpoint (/api/index.php) on both demo storefronts: every action in both
parameter encodings, idempotent placement by REFERENCE, bulk replies keyed like the request, and
the protocol's errors (always HTTP 200, never a 500) for bad input."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.api_keys import api_key_authenticate, api_key_create, api_key_revoke
from accounts.models import ApiKey
from billing.models import LedgerEntry
from billing.services import wallet_get_or_create
from catalog.models import ServiceField
from orders.models import Order, Status
from orders.services import order_complete, order_reject
from tests.api.conftest import (
    API_URL,
    ENCODINGS,
    USER_AGENT,
    as_b64json,
    as_xml,
    dhru_call,
    error_of,
)
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, service_make

EMAIL = "customer@example.com"
pytestmark = pytest.mark.django_db


def balance(user) -> Decimal:
    return wallet_get_or_create(user=user).balance


def debits(user) -> int:
    return LedgerEntry.objects.filter(wallet__user=user, kind=LedgerEntry.Kind.ORDER_DEBIT).count()


# --- accountinfo and the service list ----------------------------------------------------------


def test_accountinfo_reseller_credits(reseller_client, funded_reseller, reseller_key):
    body = dhru_call(reseller_client, EMAIL, reseller_key, "accountinfo")
    item = body["SUCCESS"][0]
    assert item["message"] == "Your Accout Info"
    for key in ("AccoutInfo", "AccountInfo"):  # both spellings, for every client
        info = item[key]
        assert info["creditraw"] == "103.00"
        assert info["currency"] == "EUR"
        assert info["mail"] == EMAIL
        assert "103.00" in info["credit"] and "credits" in info["credit"]
    assert body["apiversion"]


def test_accountinfo_retail_money(retail_client, funded_retail, retail_key):
    info = dhru_call(retail_client, EMAIL, retail_key, "accountinfo")["SUCCESS"][0]["AccoutInfo"]
    assert info == {
        "credit": "$100.00",
        "creditraw": "100.00",
        "mail": EMAIL,
        "currency": "USD",
    }


def test_action_name_is_case_insensitive(retail_client, retail_customer, retail_key):
    body = dhru_call(retail_client, EMAIL, retail_key, "AccountInfo")
    assert body["SUCCESS"][0]["AccoutInfo"]["creditraw"] == "0.00"


def test_imeiservicelist_grouped_by_brand_with_customer_prices(
    reseller_client, reseller_customer, reseller_key, reseller, django_assert_max_num_queries
):
    from catalog.models import CustomerGroup, CustomerGroupMembership

    apple = service_make(reseller, "imei_unlock", "12.00", brand="Apple", description="Clean")
    samsung = service_make(
        reseller, "cable_unlock", "39.00", brand="Samsung", required_fields=["IMEI", "MODEL"]
    )
    check = service_make(reseller, "phone_check", "1.50")
    ServiceField.objects.create(service=check, name="icloud_email", label="iCloud email")
    service_make(reseller, "imei_unlock", "5.00", brand="Apple", is_active=False)
    group = CustomerGroup.objects.create(
        storefront=reseller, name="Resellers", discount_percent=Decimal("10")
    )
    CustomerGroupMembership.objects.create(user=reseller_customer, group=group)

    with django_assert_max_num_queries(12):
        body = dhru_call(reseller_client, EMAIL, reseller_key, "imeiservicelist")
    item = body["SUCCESS"][0]
    assert item["MESSAGE"] == "IMEI Service List"
    groups = item["LIST"]
    assert set(groups) == {"Apple", "Samsung", "Phone checks"}
    assert list(groups["Apple"]["SERVICES"]) == [str(apple.pk)]  # the inactive one is not listed
    entry = groups["Apple"]["SERVICES"][str(apple.pk)]
    assert entry["SERVICEID"] == apple.pk
    assert entry["SERVICENAME"] == apple.name
    assert entry["CREDIT"] == "10.80"  # this customer's price: 10 % group discount
    assert entry["TIME"] == "1-3 business days"
    assert entry["INFO"] == "Clean"
    assert entry["Requires.Network"] == "None"
    assert groups["Samsung"]["GROUPNAME"] == "Samsung"
    assert groups["Samsung"]["SERVICES"][str(samsung.pk)]["Requires.Mobile"] == "Required"
    custom = groups["Phone checks"]["SERVICES"][str(check.pk)]["Requires.Custom"]
    # As the v6.1 standard lists custom fields: "required" 1 or 0 (issue 12).
    assert custom[0]["fieldname"] == "icloud_email" and custom[0]["required"] == 1


def test_service_list_is_per_storefront(retail_client, retail_key, unlock_retail, unlock_reseller):
    body = dhru_call(retail_client, EMAIL, retail_key, "imeiservicelist")
    services = body["SUCCESS"][0]["LIST"]["Apple"]["SERVICES"]
    assert list(services) == [str(unlock_retail.pk)]


# --- placing and reading orders ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["xml", "b64json"])
def test_placeimeiorder_charges_and_records_who_sent_it(
    encoding, reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    params = ENCODINGS[encoding]({"ID": unlock_reseller.pk, "IMEI": VALID_IMEIS[0]})
    body = dhru_call(reseller_client, EMAIL, reseller_key, "placeimeiorder", params)
    item = body["SUCCESS"][0]
    assert item["MESSAGE"] == "Order received"
    order = Order.objects.get(pk=int(item["REFERENCEID"]))
    assert order.user == funded_reseller
    assert order.imei == VALID_IMEIS[0]
    assert order.price == Decimal("12.00")
    assert order.status == Status.PENDING  # the reseller's 10-minute window (DS-11)
    assert order.ip_address == "203.0.113.7"
    assert order.user_agent == USER_AGENT
    assert order.form_token.startswith("api:")
    assert balance(funded_reseller) == Decimal("91.00")

    # ...and reading it back, in the same encoding.
    params = ENCODINGS[encoding]({"ID": order.pk})
    status = dhru_call(reseller_client, EMAIL, reseller_key, "getimeiorder", params)
    assert status["SUCCESS"][0]["STATUS"] == 0
    assert status["SUCCESS"][0]["CODE"] == ""


def test_lowercase_xml_tags_and_header_are_accepted(
    retail_client, funded_retail, retail_key, unlock_retail
):
    params = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<PARAMETERS><id>{unlock_retail.pk}</id><imei>{VALID_IMEIS[1]}</imei></PARAMETERS>"
    )
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    assert body["SUCCESS"][0]["REFERENCEID"]
    assert Order.objects.get(user=funded_retail).status == Status.QUEUED


def test_imei_with_spaces_is_normalised(retail_client, funded_retail, retail_key, unlock_retail):
    spaced = "49 015420 323751 8"
    params = as_xml({"ID": unlock_retail.pk, "IMEI": spaced})
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    assert Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"]).imei == VALID_IMEIS[0]


def test_custom_fields_from_customfield(retail_client, funded_retail, retail_key, retail):
    service = service_make(retail, "phone_check", "2.00")
    ServiceField.objects.create(service=service, name="icloud_email", label="iCloud email")
    ServiceField.objects.create(
        service=service, name="colour", label="Colour", type="select", options=["Red", "Blue"]
    )
    custom = base64.b64encode(json.dumps({"icloud_email": "a@b.c", "colour": "Blue"}).encode())
    params = as_xml({"ID": service.pk, "IMEI": VALID_IMEIS[0], "CUSTOMFIELD": custom.decode()})
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    order = Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])
    assert order.fields == {"IMEI": VALID_IMEIS[0], "icloud_email": "a@b.c", "colour": "Blue"}

    bad = base64.b64encode(json.dumps({"icloud_email": "a@b.c", "colour": "Green"}).encode())
    params = as_b64json({"ID": service.pk, "IMEI": VALID_IMEIS[1], "CUSTOMFIELD": bad.decode()})
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert "colour" in message.lower()


@pytest.mark.parametrize("encoding", ["xml", "b64json"])
def test_retried_placement_with_reference_places_once(
    encoding, reseller_client, funded_reseller, reseller_key, unlock_reseller
):
    params = ENCODINGS[encoding](
        {"ID": unlock_reseller.pk, "IMEI": VALID_IMEIS[0], "REFERENCE": "client-42"}
    )
    first = dhru_call(reseller_client, EMAIL, reseller_key, "placeimeiorder", params)
    again = dhru_call(reseller_client, EMAIL, reseller_key, "placeimeiorder", params)
    assert first["SUCCESS"][0]["REFERENCEID"] == again["SUCCESS"][0]["REFERENCEID"]
    assert Order.objects.filter(user=funded_reseller).count() == 1
    assert debits(funded_reseller) == 1
    assert balance(funded_reseller) == Decimal("91.00")
    order = Order.objects.get(user=funded_reseller)
    assert order.customer_reference == "client-42"

    # The reference finds the order too.
    params = ENCODINGS[encoding]({"REFERENCE": "client-42"})
    body = dhru_call(reseller_client, EMAIL, reseller_key, "getimeiorder", params)
    assert body["SUCCESS"][0]["REFERENCEID"] == str(order.pk)


def test_reference_reused_for_another_imei_is_refused(
    retail_client, funded_retail, retail_key, unlock_retail
):
    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0], "REFERENCE": "r1"})
    dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[1], "REFERENCE": "r1"})
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert "already used" in message
    assert debits(funded_retail) == 1


def test_without_reference_each_request_is_a_new_order(
    retail_client, funded_retail, retail_key, unlock_retail
):
    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0]})
    dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[1]})
    dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    assert Order.objects.filter(user=funded_retail).count() == 2
    assert balance(funded_retail) == Decimal("80.00")


@pytest.mark.parametrize("encoding", ["xml", "b64json"])
def test_getimeiorder_statuses(
    encoding, retail_client, funded_retail, retail_key, unlock_retail, check_retail
):
    def place(service, imei):
        params = ENCODINGS[encoding]({"ID": service.pk, "IMEI": imei})
        body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
        return Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])

    def status(order):
        params = ENCODINGS[encoding]({"ID": order.pk})
        return dhru_call(retail_client, EMAIL, retail_key, "getimeiorder", params)["SUCCESS"][0]

    done = place(unlock_retail, VALID_IMEIS[0])
    assert status(done)["STATUS"] == 0  # queued: new
    order_complete(order=done, code="12345678")
    item = status(done)
    assert (item["STATUS"], item["CODE"]) == (4, "12345678")

    rejected = place(unlock_retail, VALID_IMEIS[1])
    order_reject(order=rejected, reason="Code not found in the database.")
    item = status(rejected)
    assert (item["STATUS"], item["CODE"]) == (3, "Code not found in the database.")
    # Issue 12: no ledger memo and no price in a reply a reseller passes on to its customer.
    assert item["COMMENTS"] == "Rejected (refunded)"
    assert f"{rejected.price:.2f}" not in item["CODE"] + item["COMMENTS"]

    check = place(check_retail, VALID_IMEIS[2])
    order_complete(
        order=check, result={"blacklist_status": "clean", "carrier": "AT&T", "source": "GSMA"}
    )
    item = status(check)
    assert item["STATUS"] == 4
    assert item["CODE"] == "Blacklist status: Clean; Carrier: AT&T; Source: GSMA"


def test_in_process_is_status_1(retail_client, funded_retail, retail_key, unlock_retail):
    from orders.services import order_transition

    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0]})
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    order = Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])
    order_transition(order=order, to=Status.SUBMITTED)
    params = as_xml({"ID": order.pk})
    item = dhru_call(retail_client, EMAIL, retail_key, "getimeiorder", params)["SUCCESS"][0]
    assert item["STATUS"] == 1


# --- bulk --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["xml", "b64json"])
def test_placeimeiorderbulk_keyed_reply(
    encoding, retail_client, funded_retail, retail_key, unlock_retail
):
    requests = {
        "a1": {"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0]},
        "a2": {"ID": unlock_retail.pk, "IMEI": "49015420323751"},  # 14 digits
        "a3": {"ID": 999999, "IMEI": VALID_IMEIS[1]},
        "a4": {"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[2], "REFERENCE": "b-4"},
    }
    if encoding == "xml":
        params = (
            "<PARAMETERS>"
            + "".join(as_xml(v).replace("PARAMETERS", k) for k, v in requests.items())
            + "</PARAMETERS>"
        )
    else:
        params = as_b64json(requests)
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorderbulk", params)
    # Keyed by the request's keys, with apiversion beside them, as the v6.1 standard answers.
    assert set(body) == {"a1", "a2", "a3", "a4", "apiversion"}
    assert body["a1"]["SUCCESS"][0]["MESSAGE"] == "Order received"
    assert "exactly 15 digits" in body["a2"]["ERROR"][0]["MESSAGE"]
    assert "Unknown service" in body["a3"]["ERROR"][0]["MESSAGE"]
    assert body["a4"]["SUCCESS"][0]["REFERENCEID"]
    assert Order.objects.filter(user=funded_retail).count() == 2
    assert balance(funded_retail) == Decimal("80.00")

    ids = {k: body[k]["SUCCESS"][0]["REFERENCEID"] for k in ("a1", "a4")}
    query = {"x": {"ID": ids["a1"]}, "y": {"REFERENCE": "b-4"}, "z": {"ID": "123456789"}}
    if encoding == "xml":
        params = (
            "<PARAMETERS>"
            + "".join(as_xml(v).replace("PARAMETERS", k) for k, v in query.items())
            + "</PARAMETERS>"
        )
    else:
        params = as_b64json(query)
    body = dhru_call(retail_client, EMAIL, retail_key, "getimeiorderbulk", params)
    assert body["x"]["SUCCESS"][0]["STATUS"] == 0
    assert body["y"]["SUCCESS"][0]["REFERENCEID"] == ids["a4"]
    assert body["z"]["ERROR"][0]["MESSAGE"] == "Order not found."


def test_bulk_as_a_list_is_keyed_by_position(
    retail_client, funded_retail, retail_key, unlock_retail
):
    params = as_b64json([{"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0]}, {"ID": "x"}])
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorderbulk", params)
    assert "SUCCESS" in body["0"] and "ERROR" in body["1"]


def test_bulk_stops_charging_when_the_balance_runs_out(
    retail_client, retail_customer, retail_key, unlock_retail
):
    from tests.billing.conftest import paid_topup

    paid_topup(retail_customer, "15.00")
    requests = {str(i): {"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[i]} for i in range(2)}
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorderbulk", as_b64json(requests))
    assert "SUCCESS" in body["0"]
    assert "Not enough balance" in body["1"]["ERROR"][0]["MESSAGE"]
    assert balance(retail_customer) == Decimal("5.00")


# --- errors: always the protocol's shape, HTTP 200 ----------------------------------------------


def test_unknown_action(retail_client, retail_customer, retail_key):
    body = dhru_call(retail_client, EMAIL, retail_key, "placefileorder")
    assert "Invalid action" in error_of(body)
    assert "Missing action" in error_of(dhru_call(retail_client, EMAIL, retail_key, ""))


def test_bad_key_and_unknown_user(retail_client, retail_customer, retail_key):
    assert "Authentication failed" in error_of(
        dhru_call(retail_client, EMAIL, retail_key[:-1] + "x", "accountinfo")
    )
    assert "Authentication failed" in error_of(
        dhru_call(retail_client, "nobody@example.com", retail_key, "accountinfo")
    )
    assert "Authentication failed" in error_of(dhru_call(retail_client, EMAIL, "", "accountinfo"))


def test_revoked_key_is_refused(retail_client, retail_customer, retail_key):
    assert "SUCCESS" in dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    key = ApiKey.objects.get(user=retail_customer)
    api_key_revoke(key=key, user=retail_customer)
    assert "Authentication failed" in error_of(
        dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    )


def test_another_storefronts_key_is_refused(
    retail_client, reseller_client, retail_customer, reseller_customer, retail_key
):
    # The same email holds an account at both storefronts; the key is the retail account's.
    assert retail_customer.email == reseller_customer.email
    assert "SUCCESS" in dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    assert "Authentication failed" in error_of(
        dhru_call(reseller_client, EMAIL, retail_key, "accountinfo")
    )


def test_suspended_or_closed_account_is_refused(retail_client, retail_customer, retail_key):
    from django.utils import timezone

    retail_customer.suspended_at = timezone.now()
    retail_customer.save(update_fields=["suspended_at"])
    assert "Authentication failed" in error_of(
        dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    )


@pytest.mark.parametrize(
    "imei, expected",
    [
        ("49015420323751", "exactly 15 digits"),
        ("490154203237519", "check) digit is wrong"),
        ("49015420323751A", "digits only"),
        ("", "IMEI is required"),
    ],
)
def test_bad_imei_is_refused_and_nothing_charged(
    imei, expected, retail_client, funded_retail, retail_key, unlock_retail
):
    params = as_xml({"ID": unlock_retail.pk, "IMEI": imei})
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert expected in message
    assert message.startswith("IMEI: ")
    assert not Order.objects.filter(user=funded_retail).exists()
    assert balance(funded_retail) == Decimal("100.00")


def test_not_enough_credit(reseller_client, reseller_customer, reseller_key, unlock_reseller):
    params = as_b64json({"ID": unlock_reseller.pk, "IMEI": VALID_IMEIS[0]})
    message = error_of(dhru_call(reseller_client, EMAIL, reseller_key, "placeimeiorder", params))
    assert "Not enough balance" in message
    assert not Order.objects.exists()


def test_unknown_or_foreign_service(
    retail_client, funded_retail, retail_key, unlock_reseller, unlock_retail
):
    for raw in (unlock_reseller.pk, 999999, "abc", ""):
        params = as_xml({"ID": raw, "IMEI": VALID_IMEIS[0]})
        message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
        assert "service ID" in message
    assert not Order.objects.exists()


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_fullwidth_imei_is_placed_and_stored_as_ascii(
    retail_client, funded_retail, retail_key, unlock_retail, encoding
):
    fields = {"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0].translate(FULLWIDTH)}
    params = ENCODINGS[encoding](fields)
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    order = Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])
    assert order.service == unlock_retail
    assert order.imei == VALID_IMEIS[0] and order.fields["IMEI"] == VALID_IMEIS[0]
    got = dhru_call(retail_client, EMAIL, retail_key, "getimeiorder", as_xml({"ID": order.pk}))
    assert got["SUCCESS"][0]["IMEI"] == VALID_IMEIS[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("٣", "written with the digits 0-9"),
        ("99999999999999999999", "must be a whole number"),
        ("9999999999999999999", "must be between 1 and"),
        ("-1", "must be a whole number"),
        ("0", "must be between 1 and"),
        ("1e3", "must be a whole number"),
        ("²", "written with the digits 0-9"),
    ],
)
def test_junk_service_id_is_a_protocol_error(
    retail_client, funded_retail, retail_key, unlock_retail, raw, expected
):
    params = as_b64json({"ID": raw, "IMEI": VALID_IMEIS[0]})
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert expected in message
    assert not Order.objects.exists()


def test_a_superscript_id_is_refused_not_guessed(
    retail_client, funded_retail, retail_key, unlock_retail
):
    # NFKC would read "²" as 2, but "²" is no decimal digit: refused, never guessed.
    params = as_b64json(
        {"ID": str(unlock_retail.pk).translate(SUPERSCRIPT), "IMEI": VALID_IMEIS[0]}
    )
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert message == "The service ID must be a whole number written with the digits 0-9."
    assert not Order.objects.exists()


def test_a_fullwidth_id_is_read_as_its_ascii_digits(
    retail_client, funded_retail, retail_key, unlock_retail
):
    # Unicode decimal digits are normalised first (NFKC): "１２" is 12.
    params = as_b64json({"ID": str(unlock_retail.pk).translate(FULLWIDTH), "IMEI": VALID_IMEIS[0]})
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    assert "SUCCESS" in body, body
    assert Order.objects.get().service_id == unlock_retail.pk


def test_nul_characters_are_a_protocol_error(
    retail_client, funded_retail, retail_key, unlock_retail
):
    # PostgreSQL refuses a NUL in text: the protocol's ERROR, never an internal error.
    for params in (
        as_b64json({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0], "REFERENCE": "r\x00"}),
        as_b64json({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0], "CUSTOMFIELD": {"M": "\x00"}}),
    ):
        body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
        assert error_of(body) == "Invalid request: NUL characters are not allowed."
    body = dhru_call(retail_client, EMAIL + "\x00", retail_key, "accountinfo")
    assert error_of(body) == "Invalid request: NUL characters are not allowed."
    assert not Order.objects.exists()


@pytest.mark.parametrize("raw", ["²", "٣", "99999999999999999999", "abc", "-5"])
def test_junk_order_id_is_not_found(retail_client, funded_retail, retail_key, raw):
    for action, params in (
        ("getimeiorder", as_xml({"ID": raw})),
        ("getimeiorderbulk", as_b64json({"a": {"ID": raw}})),
    ):
        body = dhru_call(retail_client, EMAIL, retail_key, action, params)
        item = body if action == "getimeiorder" else body["a"]
        assert error_of(item) == "Order not found."


def test_another_customers_order_is_not_found(
    retail_client, funded_retail, retail_key, unlock_retail, retail
):
    from tests.billing.conftest import paid_topup

    other = UserFactory(storefront=retail, email="other@example.com")
    paid_topup(other, "50.00")
    _key, other_key = api_key_create(user=other)
    params = as_xml({"ID": unlock_retail.pk, "IMEI": VALID_IMEIS[0], "REFERENCE": "mine"})
    body = dhru_call(retail_client, other.email, other_key, "placeimeiorder", params)
    theirs = body["SUCCESS"][0]["REFERENCEID"]

    for params in (as_xml({"ID": theirs}), as_b64json({"REFERENCE": "mine"})):
        body = dhru_call(retail_client, EMAIL, retail_key, "getimeiorder", params)
        assert error_of(body) == "Order not found."


@pytest.mark.parametrize(
    "params, expected",
    [
        ("<PARAMETERS><ID>1</ID><IMEI>", "malformed XML"),
        ("<PARAMETERS><ID>1</PARAMETERS>", "malformed XML"),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><PARAMETERS><ID>&a;</ID></PARAMETERS>',
            "DTD or entities",
        ),
        ("not base64 at all!!", "neither XML nor base64"),
        (base64.b64encode(b"{not json").decode(), "malformed JSON"),
        (base64.b64encode(b"\xff\xfe\x00").decode(), "not UTF-8"),
        (base64.b64encode(b"[1, 2]").decode(), "expected an object"),
        ("<P><A><B><C><D>1</D></C></B></A></P>", "nested too deeply"),
        (as_xml({"ID": 1, "CUSTOMFIELD": "%%%"}), "base64"),
    ],
)
def test_malformed_parameters_are_errors_not_500(
    params, expected, retail_client, funded_retail, retail_key
):
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert expected in message


def test_requests_that_are_not_form_posts(retail_client, retail_customer, retail_key):
    response = retail_client.get(API_URL, {"username": EMAIL, "apiaccesskey": retail_key})
    assert response.status_code == 200
    assert "POST" in error_of(response.json())
    body = dhru_call(retail_client, EMAIL, retail_key, "accountinfo", requestformat="XML")
    assert "requestformat" in error_of(body)


def test_unexpected_failure_is_logged_not_500(
    retail_client, retail_customer, retail_key, monkeypatch, caplog
):
    from api import services

    def boom(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "account_info", boom)
    body = dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    assert "Internal error" in error_of(body)
    assert "database on fire" in caplog.text


def test_missing_parameters(retail_client, retail_customer, retail_key):
    assert "Missing service ID" in error_of(
        dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder")
    )
    assert "Missing order ID" in error_of(
        dhru_call(retail_client, EMAIL, retail_key, "getimeiorder")
    )
    assert "Missing parameters" in error_of(
        dhru_call(retail_client, EMAIL, retail_key, "placeimeiorderbulk")
    )


def test_unknown_host_is_not_served(client):
    response = client.post(API_URL, {"action": "accountinfo"}, HTTP_HOST="nowhere.test")
    assert response.status_code == 400


# --- keys: services, the account page, the management command ----------------------------------


@pytest.mark.dates
def test_key_is_stored_hashed_and_last_used_moves_once_a_minute(retail, retail_customer):
    import time_machine

    from tests import clock

    key, plaintext = api_key_create(user=retail_customer, name="mine")
    assert len(plaintext) >= 40
    assert key.prefix == plaintext[:8]
    assert plaintext not in key.key_hash and len(key.key_hash) == 64
    t0 = clock.days_ahead(1, hour=12)
    with time_machine.travel(t0, tick=False):
        assert api_key_authenticate(storefront=retail, email=EMAIL, key=plaintext)
        key.refresh_from_db()
        first = key.last_used_at
    with time_machine.travel(t0 + dt.timedelta(seconds=30), tick=False):
        api_key_authenticate(storefront=retail, email=EMAIL.upper(), key=plaintext)
        key.refresh_from_db()
        assert key.last_used_at == first
    with time_machine.travel(t0 + dt.timedelta(seconds=90), tick=False):
        api_key_authenticate(storefront=retail, email=EMAIL, key=plaintext)
        key.refresh_from_db()
        assert key.last_used_at > first


def test_account_page_create_shows_key_once_then_revoke(reseller_client, reseller_customer):
    reseller_client.force_login(reseller_customer)
    page = reseller_client.get("/account/")
    assert b"/account/api-keys/" in page.content  # linked from the side navigation

    response = reseller_client.post("/account/api-keys/", {"name": "My DHRU"}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(user=reseller_customer)
    shown = response.context["new_key"]["key"]
    assert shown.encode() in response.content
    assert b"shown only this once" in response.content
    assert key.name == "My DHRU" and key.prefix == shown[:8]

    again = reseller_client.get("/account/api-keys/")
    assert shown.encode() not in again.content  # once only
    assert f"{key.prefix}…".encode() in again.content

    body = dhru_call(reseller_client, EMAIL, shown, "accountinfo")
    assert "SUCCESS" in body

    response = reseller_client.post(f"/account/api-keys/{key.pk}/revoke/", follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Authentication failed" in error_of(
        dhru_call(reseller_client, EMAIL, shown, "accountinfo")
    )


def test_account_page_needs_login_and_own_keys(
    retail_client, retail_customer, retail, reseller_customer
):
    response = retail_client.get("/account/api-keys/")
    assert response.status_code == 302
    other = UserFactory(storefront=retail, email="other@example.com")
    key, _ = api_key_create(user=other)
    retail_client.force_login(retail_customer)
    assert retail_client.post(f"/account/api-keys/{key.pk}/revoke/").status_code == 404
    assert retail_client.get(f"/account/api-keys/{key.pk}/revoke/").status_code == 405
    key.refresh_from_db()
    assert key.revoked_at is None


def test_management_command_prints_a_working_key(reseller_client, reseller_customer):
    out, err = StringIO(), StringIO()
    call_command(
        "api_key_create", "--storefront", "doctorsim", "--email", EMAIL, stdout=out, stderr=err
    )
    plaintext = out.getvalue().strip()
    assert len(plaintext) >= 40 and "\n" not in plaintext
    body = dhru_call(reseller_client, EMAIL, plaintext, "accountinfo")
    assert body["SUCCESS"][0]["AccoutInfo"]["mail"] == EMAIL


def test_management_command_errors(reseller_customer):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No storefront"):
        call_command("api_key_create", "--storefront", "nope", "--email", EMAIL)
    with pytest.raises(CommandError, match="No account"):
        call_command("api_key_create", "--storefront", "doctorsim", "--email", "x@example.com")


def test_oversized_request_is_an_error_not_500(
    retail_client, retail_customer, retail_key, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    params = as_xml({"ID": 1, "IMEI": "1" * 2000})
    message = error_of(dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params))
    assert "too large" in message
