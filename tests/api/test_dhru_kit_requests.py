"""``/api/index.php`` against requests as DHRU's own software sends them (issue 12), and answered in
the shapes of DHRU's "Fusion API standards" v6.1 ``api/index.php``.

The requests are written out as DHRU Fusion's supplier module ("Other Fusion", bulk support)
builds them: every order field in one PHP array, ``json_encode``d (nulls for empty fields,
``\\/`` for slashes), base64 of it as ``parameters``, the custom fields base64 JSON under the
lower-case ``customfield`` (base64 of ``null`` when there are none), the DHRU fields under its
keys (``MODELID``, ``PROVIDERID``, ``Network``, ``SecRO``, …); and as DHRU's XML client kit writes
them (``<PARAMETERS>`` with upper-cased tags, ``CUSTOMFIELD``)."""

from __future__ import annotations

import base64

import pytest

from catalog.models import ServiceField
from orders.models import Order
from orders.services import order_reject
from tests.api.conftest import API_URL, USER_AGENT, dhru_call
from tests.orders.conftest import VALID_IMEIS, service_make

EMAIL = "customer@example.com"
pytestmark = pytest.mark.django_db


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def fusion_module_order(service_id: int, imei: str, customfield_json: str, **dhru) -> str:
    """One order's ``parameters`` as DHRU Fusion's supplier module sends it (the PHP array in
    its order, json_encode'd: null for what the order does not have)."""
    fields = {
        "MODELID": "null",
        "PROVIDERID": "null",
        "Network": "null",
        "PIN": "null",
        "KBH": "null",
        "MEP": "null",
        "PRD": "null",
        "TYPE": "null",
        "LOCKS": "null",
        "REFERENCE": "null",
        "SN": "null",
        "SecRO": "null",
    }
    fields.update({k: f'"{v}"' for k, v in dhru.items()})
    rest = ",".join(f'"{k}":{v}' for k, v in fields.items())
    return (
        f'{{"customfield":"{b64(customfield_json)}","ID":"{service_id}","IMEI":"{imei}",'
        f'"QNT":null,"SERVER":null,{rest}}}'
    )


@pytest.fixture
def apple_id_unlock(retail):
    service = service_make(
        retail, "imei_unlock", "10.00", name="iCloud unlock", required_fields=["IMEI", "NETWORK"]
    )
    ServiceField.objects.create(service=service, name="USERNAME", label="Apple ID", position=1)
    ServiceField.objects.create(
        service=service,
        name="USERTYPE",
        label="Account",
        type="select",
        options=["New", "Existing"],
        position=2,
    )
    return service


def test_an_order_as_dhru_fusions_supplier_module_sends_it(
    retail_client, funded_retail, retail_key, apple_id_unlock
):
    custom = '{"USERNAME":"owner\\/1@example.com","USERTYPE":"New"}'
    params = b64(
        fusion_module_order(apple_id_unlock.pk, VALID_IMEIS[0], custom, Network="AT&T USA")
    )
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    assert body["apiversion"] == "6.1"
    order = Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])
    assert order.fields == {
        "IMEI": VALID_IMEIS[0],
        "NETWORK": "AT&T USA",
        "USERNAME": "owner/1@example.com",
        "USERTYPE": "New",
    }


def test_no_custom_fields_come_as_base64_of_null(
    retail_client, funded_retail, retail_key, unlock_retail
):
    for n, empty in enumerate(["null", "[]"]):
        params = b64(fusion_module_order(unlock_retail.pk, VALID_IMEIS[n], empty))
        body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
        assert body["SUCCESS"][0]["MESSAGE"] == "Order received", body


def test_an_order_as_dhru_xml_kit_writes_it(
    retail_client, funded_retail, retail_key, apple_id_unlock
):
    custom = b64('{"USERNAME":"owner@example.com","USERTYPE":"Existing"}')
    params = (
        f"<PARAMETERS><ID>{apple_id_unlock.pk}</ID><IMEI>{VALID_IMEIS[1]}</IMEI>"
        f"<NETWORK>Vodafone UK</NETWORK><CUSTOMFIELD>{custom}</CUSTOMFIELD></PARAMETERS>"
    )
    body = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)
    order = Order.objects.get(pk=body["SUCCESS"][0]["REFERENCEID"])
    assert order.fields["USERTYPE"] == "Existing" and order.fields["NETWORK"] == "Vodafone UK"


def test_a_bulk_order_as_the_module_sends_it_is_answered_keyed_with_apiversion(
    retail_client, funded_retail, retail_key, apple_id_unlock
):
    custom = '{"USERNAME":"a@example.com","USERTYPE":"New"}'
    one = fusion_module_order(apple_id_unlock.pk, VALID_IMEIS[2], custom, Network="O2")
    two = fusion_module_order(apple_id_unlock.pk, "12345", custom, Network="O2")
    params = b64(f'{{"1201":{one},"1202":{two}}}')
    response = retail_client.post(
        API_URL,
        {
            "username": EMAIL,
            "apiaccesskey": retail_key,
            "action": "placeimeiorderbulk",
            "requestformat": "JSON",
            "parameters": params,
        },
        HTTP_USER_AGENT=USER_AGENT,
    )
    # The headers the standard sends with every reply.
    assert response["X-Powered-By"] == "DHRU-FUSION"
    assert response["dhru-fusion-api-version"] == "6.1"
    body = response.json()
    assert set(body) == {"1201", "1202", "apiversion"}
    assert body["1201"]["SUCCESS"][0]["MESSAGE"] == "Order received"
    assert "IMEI" in body["1202"]["ERROR"][0]["MESSAGE"]

    ref = body["1201"]["SUCCESS"][0]["REFERENCEID"]
    query = b64(f'{{"1201":{{"ID":"{ref}"}}}}')
    status = dhru_call(retail_client, EMAIL, retail_key, "getimeiorderbulk", query)
    assert set(status) == {"1201", "apiversion"}
    assert status["1201"]["SUCCESS"][0]["STATUS"] == 0


def test_accountinfo_as_the_module_reads_it(retail_client, funded_retail, retail_key):
    body = dhru_call(retail_client, EMAIL, retail_key, "accountinfo")
    info = body["SUCCESS"][0]["AccoutInfo"]  # sic, as the standard spells it
    assert (info["mail"], info["currency"]) == (EMAIL, "USD")
    assert info["credit"] and body["apiversion"] == "6.1"


def test_the_service_list_has_every_field_of_the_standard(
    retail_client, funded_retail, retail_key, apple_id_unlock
):
    ServiceField.objects.create(
        service=apple_id_unlock, name="Bought on", label="Bought on", type="date", position=3
    )
    body = dhru_call(retail_client, EMAIL, retail_key, "imeiservicelist")
    (group,) = body["SUCCESS"][0]["LIST"].values()
    entry = group["SERVICES"][str(apple_id_unlock.pk)]
    flags = [
        "Network",
        "Mobile",
        "Provider",
        "PIN",
        "KBH",
        "MEP",
        "PRD",
        "Type",
        "Reference",
        "Locks",
        "SN",
        "SecRO",
    ]
    assert {f: entry[f"Requires.{f}"] for f in flags} == {
        f: "Required" if f == "Network" else "None" for f in flags
    }
    assert {k: entry[k] for k in ("QNT", "QNTOPTIONS", "MINQNT", "MAXQNT")} == {
        "QNT": 0,
        "QNTOPTIONS": "",
        "MINQNT": "",
        "MAXQNT": "",
    }
    custom = [(c["fieldname"], c["fieldtype"], c["fieldoptions"]) for c in entry["Requires.Custom"]]
    assert custom == [
        ("USERNAME", "text", ""),
        ("USERTYPE", "dropdown", "New,Existing"),
        ("Bought on", "datepicker", ""),
    ]
    assert {c["required"] for c in entry["Requires.Custom"]} == {1}


def test_a_rejected_order_gives_its_reason_in_code_never_a_price(
    retail_client, funded_retail, retail_key, unlock_retail
):
    params = b64(fusion_module_order(unlock_retail.pk, VALID_IMEIS[3], "null"))
    ref = dhru_call(retail_client, EMAIL, retail_key, "placeimeiorder", params)["SUCCESS"][0][
        "REFERENCEID"
    ]
    order_reject(order=Order.objects.get(pk=ref), reason="No code found for this IMEI")
    body = dhru_call(retail_client, EMAIL, retail_key, "getimeiorder", b64(f'{{"ID":"{ref}"}}'))
    item = body["SUCCESS"][0]
    # What DHRU's module shows its customer for STATUS 3: CODE.
    assert (item["STATUS"], item["CODE"]) == (3, "No code found for this IMEI")
    assert "10.00" not in item["CODE"] + item["COMMENTS"]


def test_the_idempotency_key_header_places_once_and_finds_the_order(
    retail_client, funded_retail, retail_key, unlock_retail
):
    def post(action, parameters=None):
        data = {"username": EMAIL, "apiaccesskey": retail_key, "action": action}
        if parameters is not None:
            data["parameters"] = parameters
        return retail_client.post(API_URL, data, HTTP_IDEMPOTENCY_KEY="o77-a1").json()

    params = b64(f'{{"ID":"{unlock_retail.pk}","IMEI":"{VALID_IMEIS[0]}"}}')
    first = post("placeimeiorder", params)["SUCCESS"][0]["REFERENCEID"]
    assert post("placeimeiorder", params)["SUCCESS"][0]["REFERENCEID"] == first
    assert Order.objects.filter(user=funded_retail).count() == 1
    found = post("getimeiorder")["SUCCESS"][0]
    assert found["REFERENCEID"] == first
    other = b64(f'{{"ID":"{unlock_retail.pk}","IMEI":"{VALID_IMEIS[1]}"}}')
    assert "already used" in post("placeimeiorder", other)["ERROR"][0]["MESSAGE"]
