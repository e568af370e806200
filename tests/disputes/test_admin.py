"""The dispute queue and page in the admin (IS-9, IS-10, IS-11, DS-13, DS-14), and the evidence
URLs: who may see what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.selectors import wallet_of
from disputes import services
from disputes.models import Dispute
from tests.disputes.conftest import (
    RESELLER_HOST,
    RETAIL_HOST,
    client_for,
    deliver,
    dispute_staff_of,
    open_dispute,
)
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, place

LIST = reverse("admin:disputes_dispute_changelist")


def change_url(dispute):
    return reverse("admin:disputes_dispute_change", args=[dispute.pk])


def step_url(dispute, step):
    return reverse("admin:disputes_dispute_step", args=[dispute.pk, step])


def evidence_url(dispute):
    return reverse("dispute_evidence", args=[dispute.pk, dispute.evidence.get().pk])


def _disputes(user, service, n, start=0):
    out = []
    for i in range(start, start + n):
        order = deliver(place(user, service, form_token=f"t{i}", imei=VALID_IMEIS[i % 4]))
        out.append(open_dispute(order))
    return out


def test_the_queue_keeps_a_fixed_number_of_queries(funded_retail, unlock_retail, retail_disputes):
    client = client_for(retail_disputes, RETAIL_HOST)
    _disputes(funded_retail, unlock_retail, 2)
    client.get(LIST)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    _disputes(funded_retail, unlock_retail, 4, start=2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(response.context["cl"].result_list) == 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.dates
def test_the_queue_flags_overdue_disputes_and_filters_them(delivered_retail, retail_disputes):
    # IS-11: the first response is due 24 business hours after opening.
    dispute = open_dispute(delivered_retail)
    client = client_for(retail_disputes, RETAIL_HOST)
    with time_machine.travel(dispute.first_response_due_at + dt.timedelta(minutes=1), tick=False):
        page = client.get(LIST)
        assert "overdue: answer by" in page.content.decode()
        assert list(client.get(LIST, {"due": "overdue"}).context["cl"].result_list) == [dispute]
        assert "overdue: <strong>1</strong>" in page.content.decode()
    with time_machine.travel(dispute.first_response_due_at - dt.timedelta(minutes=1), tick=False):
        assert list(client.get(LIST, {"due": "overdue"}).context["cl"].result_list) == []


@pytest.mark.dates
def test_the_queue_shows_the_average_first_response_of_the_last_30_days(
    delivered_retail, retail_disputes
):
    # IS-11: "average first response 24 hours" is reported for the storefront.
    dispute = open_dispute(delivered_retail)
    with time_machine.travel(dispute.opened_at + dt.timedelta(hours=6), tick=False):
        services.dispute_message_post(
            dispute_id=dispute.pk, author=retail_disputes, body="We are looking at it."
        )
        page = client_for(retail_disputes, RETAIL_HOST).get(LIST)
    assert "6.0 h" in page.content.decode()


def test_the_dispute_page_plays_the_video_and_shows_what_staff_need(
    delivered_retail, retail_disputes
):
    dispute = open_dispute(delivered_retail)
    page = client_for(retail_disputes, RETAIL_HOST).get(change_url(dispute))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<video controls preload="metadata" src="{evidence_url(dispute)}"' in html
    assert "poster=" in html
    assert "1280×720 (720p)" in html  # the probe's facts
    assert "The code typed on camera" in html  # the attestation
    assert delivered_retail.result_code in html
    for step in ("refund", "corrected", "refuse", "entry_mistake", "message"):
        assert step_url(dispute, step) in html


def test_the_dispute_admin_accepts_with_a_refund_in_the_admin(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    client = client_for(retail_disputes, RETAIL_HOST)
    assert client.get(step_url(dispute, "refund")).status_code == 200
    response = client.post(step_url(dispute, "refund"), {"confirm": "on", "note": "Sorry!"})
    assert response.status_code == 302
    assert wallet_of(delivered_retail.user).balance == Decimal("100.00")
    again = client.post(step_url(dispute, "refund"), {"confirm": "on"}, follow=True)
    assert "already resolved" in again.content.decode()
    assert wallet_of(delivered_retail.user).balance == Decimal("100.00")


def test_a_refusal_in_the_admin_offers_the_policy_reasons(delivered_retail, retail_disputes):
    # IS-10 / DS-14.
    dispute = open_dispute(delivered_retail)
    client = client_for(retail_disputes, RETAIL_HOST)
    form = client.get(step_url(dispute, "refuse")).content.decode()
    assert "Instructions not followed" in form
    assert "IMEI blocked for loss, theft or unpaid bill" in form
    assert "(IS-10)" not in form and "(DS-14)" not in form  # staff read labels, not rule ids
    client.post(step_url(dispute, "refuse"), {"refusal_reason": "instructions_ignored"})
    assert Dispute.objects.get().refusal_reason == "instructions_ignored"


def test_support_may_look_but_not_act(delivered_retail, retail_support):
    dispute = open_dispute(delivered_retail)
    client = client_for(retail_support, RETAIL_HOST)
    assert client.get(LIST).status_code == 200
    page = client.get(change_url(dispute))
    assert page.status_code == 200
    assert step_url(dispute, "refund") not in page.content.decode()
    assert client.get(step_url(dispute, "refund")).status_code == 403
    assert client.post(step_url(dispute, "refund"), {"confirm": "on"}).status_code == 403
    assert Dispute.objects.get().is_open


def test_staff_without_the_group_cannot_open_or_act(delivered_retail, retail):
    dispute = open_dispute(delivered_retail)
    staff = UserFactory(storefront=retail, email="staff@example.com", is_staff=True)
    client = client_for(staff, RETAIL_HOST)
    assert client.get(LIST).status_code == 403
    assert client.post(step_url(dispute, "refund"), {"confirm": "on"}).status_code == 403
    assert Dispute.objects.get().is_open


def test_another_storefronts_dispute_staff_get_404(delivered_retail, reseller):
    dispute = open_dispute(delivered_retail)
    client = client_for(dispute_staff_of(reseller), RESELLER_HOST)
    assert client.get(change_url(dispute)).status_code == 404
    assert client.get(step_url(dispute, "refund")).status_code == 404
    assert client.post(step_url(dispute, "refund"), {"confirm": "on"}).status_code == 404
    assert client.get(evidence_url(dispute)).status_code == 404


# --- the evidence URLs (IS-9) ------------------------------------------------------------------


def test_the_evidence_is_served_to_its_customer_and_the_storefronts_dispute_staff(
    delivered_retail, retail_disputes, retail_support
):
    dispute = open_dispute(delivered_retail)
    url = evidence_url(dispute)
    for user in (delivered_retail.user, retail_disputes, retail_support):
        response = client_for(user, RETAIL_HOST).get(url, HTTP_RANGE="bytes=0-99")
        assert response.status_code == 206, user
        assert response["Content-Type"] == "video/mp4"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Range"].startswith("bytes 0-99/")
        assert len(b"".join(response.streaming_content)) == 100
    poster = client_for(retail_disputes, RETAIL_HOST).get(f"{url}poster/")
    assert poster["Content-Type"] == "image/jpeg"


def test_the_evidence_is_404_for_anybody_else(delivered_retail, retail, reseller):
    dispute = open_dispute(delivered_retail)
    url = evidence_url(dispute)
    other_customer = UserFactory(storefront=retail, email="other@example.com")
    plain_staff = UserFactory(storefront=retail, email="staff@example.com", is_staff=True)
    other_shop_customer = UserFactory(storefront=reseller, email="customer@example.com")
    from django.test import Client

    assert Client(HTTP_HOST=RETAIL_HOST).get(url).status_code == 404  # signed out
    assert client_for(other_customer, RETAIL_HOST).get(url).status_code == 404
    assert client_for(plain_staff, RETAIL_HOST).get(url).status_code == 404
    assert client_for(other_shop_customer, RESELLER_HOST).get(url).status_code == 404
    other_dispute_id = reverse("dispute_evidence", args=[dispute.pk + 1, dispute.evidence.get().pk])
    assert client_for(delivered_retail.user, RETAIL_HOST).get(other_dispute_id).status_code == 404
    for junk in ("abc", "²", "99999999999999999999"):
        owner = client_for(delivered_retail.user, RETAIL_HOST)
        assert owner.get(f"/disputes/{dispute.pk}/evidence/{junk}/").status_code == 404


def test_a_supplier_order_shows_the_supplier_and_the_upstream_steps(
    delivered_retail, retail_disputes, retail
):
    from orders.models import Order
    from providers.models import ProviderConnection, ServiceRoute

    connection = ProviderConnection.objects.create(
        storefront=retail, name="DoctorSIM Pro (DHRU API)", kind="dhru", base_url="http://x/"
    )
    route = ServiceRoute.objects.create(
        service=delivered_retail.service, connection=connection, remote_service_id="7"
    )
    Order.objects.filter(pk=delivered_retail.pk).update(route=route, provider_ref="4242")
    dispute = open_dispute(delivered_retail)
    client = client_for(retail_disputes, RETAIL_HOST)
    html = client.get(change_url(dispute)).content.decode()
    assert "DoctorSIM Pro (DHRU API), reference <strong>4242</strong>" in html
    assert step_url(dispute, "forward") in html
    assert step_url(dispute, "upstream") in html
    assert list(client.get(LIST, {"provider": str(connection.pk)}).context["cl"].result_list) == [
        dispute
    ]
    assert list(client.get(LIST, {"provider": "abc"}).context["cl"].result_list) == []


def test_the_queue_counts_stop_at_a_cap_in_one_query(
    funded_retail, unlock_retail, retail_disputes, monkeypatch
):
    """Issue 13: the header's counts are capped ("2+" here, "10,000+" for real), so years of
    resolved disputes cost what a week's do; the queue's query count stays the same."""
    client = client_for(retail_disputes, RETAIL_HOST)
    _disputes(funded_retail, unlock_retail, 2)
    assert "Waiting for us: <strong>2</strong>" in client.get(LIST).content.decode()
    monkeypatch.setattr("storefronts.counting.COUNT_CAP", 1)
    assert "Waiting for us: <strong>1+</strong>" in client.get(LIST).content.decode()


def test_the_queue_search_finds_an_imei_or_an_email_exactly(
    funded_retail, unlock_retail, retail_disputes
):
    client = client_for(retail_disputes, RETAIL_HOST)
    first, second = _disputes(funded_retail, unlock_retail, 2)
    other = UserFactory(storefront=funded_retail.storefront, email="Other.Buyer@example.com")
    found = client.get(LIST, {"q": first.order.imei}).context["cl"].result_list
    assert set(found) == {d for d in (first, second) if d.order.imei == first.order.imei}
    found = client.get(LIST, {"q": funded_retail.email.upper()}).context["cl"].result_list
    assert set(found) == {first, second}
    assert list(client.get(LIST, {"q": other.email.lower()}).context["cl"].result_list) == []
    # A fragment is not a search that an index answers: it finds nothing, quickly.
    assert list(client.get(LIST, {"q": funded_retail.email[:4]}).context["cl"].result_list) == []


# --- the evidence URLs behind the admin's staff MFA gate (issue 29, item 6) --------------------


def _with_totp(user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.parametrize("staff", ["retail_disputes", "retail_support"])
def test_staff_without_mfa_get_the_admins_answer_not_the_evidence(
    settings, request, staff, delivered_retail
):
    # The probe: STAFF_MFA_REQUIRED on, the admin refused this account, the file came anyway.
    settings.STAFF_MFA_REQUIRED = True
    client = client_for(request.getfixturevalue(staff), RETAIL_HOST)
    dispute = open_dispute(delivered_retail)
    url = evidence_url(dispute)
    admin_answer = client.get(change_url(dispute))
    assert admin_answer.status_code == 302

    for path in (url, f"{url}poster/"):
        for headers in ({}, {"HTTP_RANGE": "bytes=0-99"}):
            response = client.get(path, **headers)
            assert (response.status_code, response.url) == (302, admin_answer.url), path
            assert response.url == "/accounts/2fa/totp/activate/"
            assert not getattr(response, "streaming", False)
            assert b"ftyp" not in response.content and b"\xff\xd8\xff" not in response.content
        assert client.head(path).status_code == 302


def test_staff_with_mfa_get_the_evidence_when_it_is_required(
    settings, delivered_retail, retail_disputes
):
    settings.STAFF_MFA_REQUIRED = True
    client = client_for(_with_totp(retail_disputes), RETAIL_HOST)
    dispute = open_dispute(delivered_retail)
    url = evidence_url(dispute)

    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content)[4:8] == b"ftyp"
    assert client.get(f"{url}poster/")["Content-Type"] == "image/jpeg"


def test_the_disputes_customer_needs_no_mfa_for_their_own_evidence(settings, delivered_retail):
    settings.STAFF_MFA_REQUIRED = True
    dispute = open_dispute(delivered_retail)
    client = client_for(delivered_retail.user, RETAIL_HOST)

    response = client.get(evidence_url(dispute), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert len(b"".join(response.streaming_content)) == 100


def test_with_mfa_required_anybody_elses_evidence_is_still_404(
    settings, delivered_retail, retail, reseller
):
    settings.STAFF_MFA_REQUIRED = True
    dispute = open_dispute(delivered_retail)
    url = evidence_url(dispute)
    other_customer = UserFactory(storefront=retail, email="other@example.com")
    other_shop_staff = _with_totp(dispute_staff_of(reseller))

    assert client_for(other_customer, RETAIL_HOST).get(url).status_code == 404
    assert client_for(other_shop_staff, RESELLER_HOST).get(url).status_code == 404
    assert client_for(other_shop_staff, RETAIL_HOST).get(url).status_code == 404
