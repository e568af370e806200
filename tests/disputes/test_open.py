"""Opening a dispute: the window (IS-9, DS-13), the attestations, one open dispute per order, the
video checked by the server, and the pages around it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Notification
from disputes.evidence import EvidenceRejected
from disputes.exceptions import DisputeError, DisputeNotAllowed
from disputes.models import Dispute, Evidence
from disputes.services import dispute_open
from orders.models import Order
from orders.services import order_delivery_confirm
from tests.disputes.clips import jpeg_image
from tests.disputes.conftest import (
    RESELLER_HOST,
    RETAIL_HOST,
    client_for,
    clip_480p,
    deliver,
    open_dispute,
    requirements,
    ship_cable,
    video,
)
from tests.orders.conftest import place


def place_cable(user, service):
    return place(
        user,
        service,
        values={"IMEI": "490154203237518", "MODEL": "S21"},
        shipping_address="Calle Mayor 1, 28013 Madrid",
    )


def _after(order: Order, **delta) -> dt.datetime:
    return order.completed_at + dt.timedelta(**delta)


# --- the window (IS-9, DS-13) ------------------------------------------------------------------


@pytest.mark.dates
def test_a_dispute_opened_2_days_23_59_after_completion_is_inside_the_window(delivered_retail):
    # IS-9: "within 3 days of receiving it": 2 days 23:59 after completion is in.
    with time_machine.travel(_after(delivered_retail, days=2, hours=23, minutes=59), tick=False):
        dispute = open_dispute(delivered_retail)
    assert dispute.status == Dispute.Status.OPEN
    assert dispute.received_at == delivered_retail.completed_at
    assert dispute.window_closes_at == _after(delivered_retail, days=3)


@pytest.mark.dates
def test_a_dispute_3_days_00_01_after_completion_is_refused_with_the_reason(delivered_retail):
    # IS-9: 3 days and a minute after completion is out; the customer is told until when.
    with (
        time_machine.travel(_after(delivered_retail, days=3, minutes=1), tick=False),
        pytest.raises(DisputeNotAllowed, match="within 3 days"),
    ):
        open_dispute(delivered_retail)
    assert not Dispute.objects.exists()
    assert not Evidence.objects.exists()


@pytest.mark.dates
def test_the_reseller_window_is_3_days_too(delivered_reseller):
    # DS-13 uses the same dispute flow, with the reseller's own window setting.
    with time_machine.travel(_after(delivered_reseller, days=2, hours=23, minutes=59), tick=False):
        assert open_dispute(delivered_reseller).is_open


@pytest.mark.dates
def test_after_the_window_the_button_is_gone_and_the_form_says_why(delivered_retail):
    # IS-9: the order page offers "Report a problem" inside the window only.
    client = client_for(delivered_retail.user, RETAIL_HOST)
    url = reverse("order_detail", args=[delivered_retail.pk])
    with time_machine.travel(_after(delivered_retail, days=2), tick=False):
        page = client.get(url)
        assert b'id="open-dispute"' in page.content
    with time_machine.travel(_after(delivered_retail, days=3, minutes=1), tick=False):
        page = client.get(url)
        assert b'id="open-dispute"' not in page.content
        form = client.get(reverse("dispute_new", args=[delivered_retail.pk]))
        assert b'id="dispute-blocked"' in form.content
        assert b"within 3 days" in form.content
        posted = client.post(
            reverse("dispute_new", args=[delivered_retail.pk]),
            _form_data(delivered_retail, video=video()),
        )
    assert posted.status_code == 409
    assert not Dispute.objects.exists()


def test_an_order_that_is_not_delivered_cannot_be_disputed(funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    with pytest.raises(DisputeNotAllowed, match="delivered"):
        open_dispute(order)


@pytest.mark.dates
def test_a_cable_unlock_counts_from_shipping_plus_transit_or_the_confirmed_delivery(
    funded_reseller, cable_reseller, reseller_disputes
):
    # IS-9: for a cable unlock, "receiving it" is the delivery the customer confirms, or shipping
    # plus the storefront's transit allowance (5 days on the demo).
    order = place_cable(funded_reseller, cable_reseller)
    order = ship_cable(order, reseller_disputes)
    shipped = order.events.get(to_status=Order.Status.SHIPPED).created_at
    transit = order.storefront.dispute_transit_days
    with (
        time_machine.travel(shipped + dt.timedelta(days=transit + 3, minutes=1), tick=False),
        pytest.raises(DisputeNotAllowed, match="within 3 days"),
    ):
        open_dispute(order, problem="still_locked")
    # Confirming the delivery later starts the 3 days from that moment instead.
    with time_machine.travel(shipped + dt.timedelta(days=transit + 3, minutes=2), tick=False):
        order_delivery_confirm(order=order, user=order.user)
    order.refresh_from_db()
    with time_machine.travel(
        order.delivery_confirmed_at + dt.timedelta(days=2, hours=23, minutes=59), tick=False
    ):
        dispute = open_dispute(order, problem="still_locked")
    assert dispute.received_at == order.delivery_confirmed_at


def test_a_cable_unlock_not_yet_shipped_back_cannot_be_disputed(funded_reseller, cable_reseller):
    order = place_cable(funded_reseller, cable_reseller)
    with pytest.raises(DisputeNotAllowed):
        open_dispute(order, problem="still_locked")


# --- what the customer must give (IS-9, DS-13) -------------------------------------------------


def test_every_evidence_requirement_must_be_ticked(delivered_retail):
    # IS-9: continuous video, device in view, light, *#06#, every step, the code typed.
    ticked = requirements(delivered_retail.storefront)[:-1]
    with pytest.raises(DisputeError, match="The code typed on camera"):
        open_dispute(delivered_retail, attestations=ticked)
    assert not Dispute.objects.exists()


def test_the_attestations_are_kept_as_worded_in_the_terms(delivered_reseller):
    # DS-13: the reseller's terms word their own requirements.
    dispute = open_dispute(delivered_reseller)
    assert dispute.attestations == requirements(delivered_reseller.storefront)
    assert "The IMEI shown on screen by dialling *#06#" in dispute.attestations


def test_one_open_dispute_per_order(delivered_retail):
    open_dispute(delivered_retail)
    with pytest.raises(DisputeNotAllowed, match="already has an open dispute"):
        open_dispute(delivered_retail)
    assert Dispute.objects.count() == 1


def test_somebody_elses_order_cannot_be_disputed(delivered_retail, retail):
    from tests.factories import UserFactory

    other = UserFactory(storefront=retail, email="other@example.com")
    with pytest.raises(DisputeNotAllowed) as caught:
        dispute_open(
            user=other,
            order=delivered_retail,
            problem="code_not_accepted",
            description="Not my order at all, really.",
            attestations=requirements(retail),
            upload=video(),
        )
    assert caught.value.status == 404


def test_a_480p_video_is_refused_and_nothing_is_kept(delivered_retail, evidence_storage):
    # IS-9: at least 720p, read from the file itself.
    with pytest.raises(EvidenceRejected, match="480p; the terms ask for at least 720p"):
        open_dispute(delivered_retail, upload=video(clip_480p()))
    assert not Dispute.objects.exists()
    assert not any(p.is_file() for p in evidence_storage.rglob("*"))


def test_a_jpeg_renamed_mp4_is_refused_as_a_dispute_video(delivered_retail):
    # IS-9: a real video container, not a picture with a video's name.
    with pytest.raises(EvidenceRejected):
        open_dispute(delivered_retail, upload=video(jpeg_image(), "proof.mp4"))
    assert not Dispute.objects.exists()


def test_opening_stores_the_probe_facts_and_tells_both_sides(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    evidence = dispute.evidence.get()
    assert (evidence.kind, evidence.width, evidence.height) == ("video", 1280, 720)
    assert evidence.content_type == "video/mp4"
    assert evidence.duration_seconds == pytest.approx(3.0, abs=0.6)
    assert evidence.poster_name.endswith(".jpg")
    assert evidence.name.startswith(f"{delivered_retail.storefront.slug}/")
    kinds = set(Notification.objects.filter(object_id=dispute.pk).values_list("kind", "to"))
    assert ("dispute_opened", delivered_retail.user.email) in kinds
    assert ("dispute_staff_opened", retail_disputes.email) in kinds
    timeline = delivered_retail.events.values_list("message", flat=True)
    assert any(f"dispute {dispute.pk}" in message for message in timeline)


# --- the pages ---------------------------------------------------------------------------------


def _form_data(order, **extra):
    return {
        "problem": "code_not_accepted",
        "description": "Typed the code twice; the phone says 'code error'.",
        "attestations": requirements(order.storefront),
        **extra,
    }


def test_the_customer_opens_a_dispute_through_the_form(delivered_retail):
    client = client_for(delivered_retail.user, RETAIL_HOST)
    url = reverse("dispute_new", args=[delivered_retail.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert b"The code typed on camera" in form.content
    response = client.post(url, _form_data(delivered_retail, video=video()))
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dispute_detail", args=[dispute.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"<video" in page.content
    assert reverse("dispute_evidence", args=[dispute.pk, dispute.evidence.get().pk]).encode() in (
        page.content
    )
    order_page = client.get(reverse("order_detail", args=[delivered_retail.pk]))
    assert b'id="dispute-panel"' in order_page.content
    assert b'id="open-dispute"' not in order_page.content  # one open dispute per order


def test_the_form_shows_why_a_480p_video_is_refused(delivered_retail):
    # IS-9: the customer gets the reason, in plain words.
    client = client_for(delivered_retail.user, RETAIL_HOST)
    response = client.post(
        reverse("dispute_new", args=[delivered_retail.pk]),
        _form_data(delivered_retail, video=video(clip_480p())),
    )
    assert response.status_code == 400
    assert "The video is 480p; the terms ask for at least 720p" in response.content.decode()
    assert not Dispute.objects.exists()


def test_an_upload_over_the_storefront_cap_is_refused_with_the_form_again(delivered_retail):
    storefront = delivered_retail.storefront
    storefront.evidence_max_upload_mb = 1
    storefront.save(update_fields=["evidence_max_upload_mb"])
    client = client_for(delivered_retail.user, RETAIL_HOST)
    big = video(clip_720p_padded(2 * 1024 * 1024))
    response = client.post(
        reverse("dispute_new", args=[delivered_retail.pk]), _form_data(delivered_retail, video=big)
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert b'id="dispute-form"' in response.content
    assert not Dispute.objects.exists()


def clip_720p_padded(size: int) -> bytes:
    from tests.disputes.conftest import clip_720p

    data = clip_720p()
    return data + b"\0" * max(0, size - len(data))


def test_the_form_refuses_a_post_without_the_csrf_token(delivered_retail):
    from django.test import Client

    client = Client(HTTP_HOST=RETAIL_HOST, enforce_csrf_checks=True)
    client.force_login(delivered_retail.user)
    response = client.post(
        reverse("dispute_new", args=[delivered_retail.pk]),
        _form_data(delivered_retail, video=video()),
    )
    assert response.status_code == 403
    assert not Dispute.objects.exists()


def test_another_customer_or_storefront_gets_404_for_the_dispute_pages(
    delivered_retail, retail, reseller
):
    from tests.factories import UserFactory

    dispute = open_dispute(delivered_retail)
    stranger = client_for(UserFactory(storefront=retail, email="x@example.com"), RETAIL_HOST)
    elsewhere = client_for(UserFactory(storefront=reseller, email="y@example.com"), RESELLER_HOST)
    owner_elsewhere = client_for(delivered_retail.user, RESELLER_HOST)
    for client in (stranger, elsewhere):
        assert client.get(reverse("dispute_detail", args=[dispute.pk])).status_code == 404
        assert client.get(reverse("dispute_new", args=[delivered_retail.pk])).status_code == 404
    # The owner's session does not travel to another storefront's host: it is ended there.
    assert owner_elsewhere.get(reverse("dispute_detail", args=[dispute.pk])).status_code == 302
    for junk in ("abc", "²", "99999999999999999999"):
        owner = client_for(delivered_retail.user, RETAIL_HOST)
        assert owner.get(f"/disputes/{junk}/").status_code == 404
        assert owner.get(f"/orders/{junk}/dispute/").status_code == 404


def test_the_customer_lists_their_disputes(delivered_retail):
    dispute = open_dispute(delivered_retail)
    client = client_for(delivered_retail.user, RETAIL_HOST)
    page = client.get(reverse("disputes_list"))
    assert reverse("dispute_detail", args=[dispute.pk]).encode() in page.content


def test_the_customers_dispute_list_keeps_a_fixed_number_of_queries(funded_retail, unlock_retail):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.orders.conftest import VALID_IMEIS

    def more(n, start):
        for i in range(start, start + n):
            order = deliver(
                place(funded_retail, unlock_retail, form_token=f"t{i}", imei=VALID_IMEIS[i % 4])
            )
            open_dispute(order)

    client = client_for(funded_retail, RETAIL_HOST)
    more(1, 0)
    client.get(reverse("disputes_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("disputes_list"))
    more(3, 1)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("disputes_list"))
    assert len(re.findall(rb'href="/disputes/\d+/"', page.content)) == 4
    assert len(many) == len(few)


def test_the_dispute_page_reads_the_attestations_in_the_customers_language(delivered_reseller):
    """Issue 14: what the customer confirmed is stored as the terms wrote it and shown in the
    page's language."""
    dispute = open_dispute(delivered_reseller)
    client = client_for(delivered_reseller.user, RESELLER_HOST)
    page = client.get(f"/disputes/{dispute.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in page
    assert "One unedited video" not in page and "Un vídeo sin editar" in page
