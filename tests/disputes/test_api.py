"""The JSON API's disputes (IS-9, DS-13): a reseller reports an order it placed through the API,
with a video the server checks, and follows the dispute."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from accounts.api_keys import api_key_create
from disputes import services
from disputes.models import Dispute, Problem
from tests.disputes.conftest import (
    RESELLER_HOST,
    RETAIL_HOST,
    clip_480p,
    clip_720p,
    deliver,
    dispute_staff_of,
    jpeg_upload,
)
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS
from tests.orders.conftest import funded_reseller as funded_reseller  # noqa: F401 - fixture

URL = "/api/v1/disputes"


def _upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="video/mp4")


@pytest.fixture
def key(funded_reseller):  # noqa: F811
    _row, plaintext = api_key_create(user=funded_reseller, name="tests")
    return plaintext


@pytest.fixture
def api(key):
    return Client(HTTP_HOST=RESELLER_HOST, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def api_order(api, unlock_reseller):
    """An order the reseller placed through the JSON API, delivered."""
    response = api.post(
        "/api/v1/orders",
        json.dumps({"service_id": unlock_reseller.pk, "imei": VALID_IMEIS[1], "reference": "EC-1"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    from orders.models import Order

    return deliver(Order.objects.get(pk=response.json()["order"]["id"]))


def _form(api, order, video: bytes = b"", **extra):
    requirements = api.get(URL).json()["evidence_requirements"]
    data = {
        "order_id": str(order.pk),
        "problem": "code_not_accepted",
        "description": "End customer typed the code on a Samsung A52: 'code error'.",
        "attestations": requirements,
        "video": _upload(video or clip_720p(), "evidence.mp4"),
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_a_reseller_opens_a_dispute_with_a_720p_video_through_the_api(api, api_order, reseller):
    # DS-13: the dispute flow of IS-9, for an order placed through the API.
    listed = api.get(URL).json()
    assert listed["window_days"] == 3
    assert "The IMEI shown on screen by dialling *#06#" in listed["evidence_requirements"]
    response = api.post(URL, _form(api, api_order))
    assert response.status_code == 201, response.content
    body = response.json()["dispute"]
    assert (body["order_id"], body["status"]) == (api_order.pk, "open")
    assert body["evidence"][0]["width"] == 1280 and body["evidence"][0]["height"] == 720
    assert body["evidence"][0]["content_type"] == "video/mp4"
    dispute = Dispute.objects.get()
    assert api.get(f"{URL}/{dispute.pk}").json()["dispute"]["id"] == dispute.pk

    staff = dispute_staff_of(reseller)
    services.dispute_message_post(dispute_id=dispute.pk, author=staff, body="Which firmware?")
    reply = api.post(f"{URL}/{dispute.pk}/messages", {"body": "A525FXXU4", "file": jpeg_upload()})
    assert reply.status_code == 201, reply.content
    messages = reply.json()["dispute"]["messages"]
    assert [m["from_staff"] for m in messages] == [True, False]
    assert messages[1]["evidence"][0]["kind"] == "image"
    services.dispute_resolve(
        dispute_id=dispute.pk, actor=staff, outcome="refused", refusal_reason="already_unlocked"
    )
    shown = api.get(f"{URL}/{dispute.pk}").json()["dispute"]
    assert (shown["outcome"], shown["refusal_reason"]) == ("refused", "already_unlocked")  # DS-14


def test_a_480p_video_is_refused_with_its_reason(api, api_order):
    # IS-9 / DS-13: at least 720p, read from the file.
    response = api.post(URL, _form(api, api_order, video=clip_480p()))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()
    assert error["code"] == "evidence_rejected"
    assert "The video is 480p; the terms ask for at least 720p" in error["detail"]
    assert not Dispute.objects.exists()


@pytest.mark.dates
def test_outside_the_window_the_api_says_why(api, api_order):
    # DS-13 with the storefront's 3-day window (IS-9).
    form = _form(api, api_order)
    with time_machine.travel(api_order.completed_at + dt.timedelta(days=3, minutes=1), tick=False):
        response = api.post(URL, form)
    assert response.status_code == 409
    assert "within 3 days" in response.json()["detail"]


def test_bad_requests_are_json_4xx(api, api_order, reseller):
    assert api.post(URL, "{}", content_type="application/json").status_code == 415
    unknown = api.post(URL, _form(api, api_order, extra="x"))
    assert unknown.status_code == 400 and "extra" in unknown.json()["detail"]
    without_video = {k: v for k, v in _form(api, api_order).items() if k != "video"}
    missing = api.post(URL, without_video)
    assert missing.status_code == 400 and "video is required" in missing.json()["detail"]
    not_ticked = api.post(URL, _form(api, api_order, attestations=["One unedited video"]))
    assert not_ticked.status_code == 400
    for junk in ("abc", "²", "99999999999999999999"):
        assert api.post(URL, _form(api, api_order, order_id=junk)).status_code == 400
        assert api.get(f"{URL}/{junk}").status_code == 404
    other = UserFactory(storefront=reseller, email="other@example.com")
    _row, other_key = api_key_create(user=other, name="other")
    stranger = Client(HTTP_HOST=RESELLER_HOST, HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert stranger.post(URL, _form(api, api_order)).status_code == 404
    assert not Dispute.objects.exists()
    assert Client(HTTP_HOST=RESELLER_HOST).get(URL).status_code == 401


def test_another_account_or_storefront_cannot_read_a_dispute(api, api_order, retail):
    response = api.post(URL, _form(api, api_order))
    dispute_id = response.json()["dispute"]["id"]
    other = UserFactory(storefront=api_order.storefront, email="other@example.com")
    _row, other_key = api_key_create(user=other, name="other")
    stranger = Client(HTTP_HOST=RESELLER_HOST, HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert stranger.get(f"{URL}/{dispute_id}").status_code == 404
    assert stranger.post(f"{URL}/{dispute_id}/messages", {"body": "hi"}).status_code == 404
    retail_user = UserFactory(storefront=retail, email="r@example.com")
    _row, retail_key = api_key_create(user=retail_user, name="retail")
    elsewhere = Client(HTTP_HOST=RETAIL_HOST, HTTP_AUTHORIZATION=f"Bearer {retail_key}")
    assert elsewhere.get(f"{URL}/{dispute_id}").status_code == 404


def test_an_upload_over_the_cap_is_refused_before_it_is_read(api, api_order):
    storefront = api_order.storefront
    storefront.evidence_max_upload_mb = 1
    storefront.save(update_fields=["evidence_max_upload_mb"])
    big = clip_720p() + b"\0" * (2 * 1024 * 1024)
    response = api.post(URL, _form(api, api_order, video=big))
    assert response.status_code == 413
    assert response.json()["code"] == "evidence_too_large"


def test_the_schema_lists_the_problems_the_app_knows(reseller, reseller_client):
    schema = reseller_client.get("/api/v1/openapi.json").json()
    form = schema["paths"]["/api/v1/disputes"]["post"]["requestBody"]["content"]
    properties = form["multipart/form-data"]["schema"]["properties"]
    assert sorted(properties["problem"]["enum"]) == sorted(Problem.values)
    assert properties["video"]["format"] == "binary"


def test_the_api_dispute_list_keeps_a_fixed_number_of_queries(
    api, funded_reseller, unlock_reseller
):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.disputes.conftest import open_dispute
    from tests.orders.conftest import place

    def more(n, start):
        for i in range(start, start + n):
            order = place(
                funded_reseller, unlock_reseller, form_token=f"t{i}", imei=VALID_IMEIS[i % 4]
            )
            open_dispute(deliver(order))

    more(1, 0)
    api.get(URL)
    with CaptureQueriesContext(connection) as few:
        api.get(URL)
    more(3, 1)
    with CaptureQueriesContext(connection) as many:
        body = api.get(URL).json()
    assert len(body["disputes"]) == 4
    assert len(many) == len(few)
