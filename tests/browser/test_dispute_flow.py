"""In a real browser, on both demos: a customer reports a code that does not work on a completed
order, with a video — a 480p one is refused with its reason, a 720p one is taken (IS-9, DS-13);
the dispute admin plays it in the Django admin and accepts with a refund; the customer sees the
outcome on the order and the refund on the statement."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing.demo import demo_packages_seed
from tests.billing.conftest import paid_topup
from tests.browser.test_order_flow import sign_in
from tests.browser.test_signup_flow import storefront_url
from tests.disputes.clips import evidence_storage, video_clip  # noqa: F401 - fixture
from tests.disputes.conftest import deliver
from tests.factories import UserFactory, demo_storefront, staff_group
from tests.orders.conftest import place, service_make

DEMOS = {
    "imeiserver": {
        "host": "imeiserver.localhost",
        "price": "25.00",
        "balance_before": "$75.00",
        "balance_after": "$100.00",
    },
    "doctorsim": {
        "host": "doctorsim.localhost",
        "price": "12.00",
        "balance_before": "91.00 credits",
        "balance_after": "103.00 credits",
    },
}


def _fund(user, storefront):
    if storefront.slug == "doctorsim":
        demo_packages_seed(storefront)
        return paid_topup(user, package=storefront.credit_packages.get(credits=100))
    return paid_topup(user, "100.00")


def _staff_page(chromium, live_server, host, storefront):
    staff = UserFactory(storefront=storefront, email="disputes@example.com", is_staff=True)
    staff.groups.add(staff_group("Dispute admin"))
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server, host, "disputes@example.com")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("evidence_storage")
@pytest.mark.parametrize("slug", ["imeiserver", "doctorsim"])
def test_a_dispute_with_video_is_accepted_with_a_refund(
    live_server,
    page,
    chromium,
    shot,
    tmp_path,
    slug,
):
    demo = DEMOS[slug]
    host = demo["host"]
    storefront = demo_storefront(slug)
    customer = UserFactory(storefront=storefront, email="buyer@example.com")
    _fund(customer, storefront)
    service = service_make(storefront, "imei_unlock", demo["price"], name="iPhone 13 Vodafone UK")
    order = deliver(place(customer, service), code="4815-1623-4200")
    small, good = tmp_path / "phone-480p.mp4", tmp_path / "phone-720p.mp4"
    small.write_bytes(video_clip(854, 480, frames=6, fps=2))
    good.write_bytes(video_clip(1280, 720, frames=6, fps=2))

    # The customer reports it from the order's page.
    sign_in(page, live_server, host, "buyer@example.com")
    expect(page.locator(".balance-pill")).to_have_text(demo["balance_before"])
    page.goto(storefront_url(live_server, host, f"/orders/{order.pk}/"))
    page.locator("#open-dispute").click()
    page.get_by_label("The code is not accepted by the phone").check()
    page.get_by_label("What did you do, and what happened?").fill(
        "Put in a foreign SIM, typed the code at the prompt: the phone says 'code error'."
    )
    for requirement in storefront.evidence_requirements:
        page.get_by_label(requirement, exact=True).check()
    page.get_by_label("Your video").set_input_files(str(small))
    page.locator("#send-dispute").click()
    expect(page.locator("#dispute-errors")).to_contain_text(
        "The video is 480p; the terms ask for at least 720p"
    )  # IS-9
    shot(page, f"{slug}-dispute-480p-refused")
    for requirement in storefront.evidence_requirements:
        expect(page.get_by_label(requirement, exact=True)).to_be_checked()
    page.get_by_label("Your video").set_input_files(str(good))
    page.locator("#send-dispute").click()
    expect(page.locator("#dispute-status")).to_have_text("Open: with the shop")
    expect(page.locator("figure.evidence video")).to_be_visible()
    shot(page, f"{slug}-dispute-opened")

    # The dispute admin plays it in the admin, then accepts with a refund.
    staff = _staff_page(chromium, live_server, host, storefront)
    staff.goto(storefront_url(live_server, host, "/admin/disputes/dispute/"))
    expect(staff.locator("#dispute-counts")).to_contain_text("Waiting for us: 1")
    staff.locator("#result_list tbody th a").first.click()
    player = staff.locator("#dispute-evidence video")
    expect(player).to_have_attribute("src", _evidence_path(order))
    staff.wait_for_function(
        "() => { const v = document.querySelector('#dispute-evidence video');"
        " return v && v.readyState >= 1 && v.duration > 2; }"
    )
    staff.evaluate(
        "() => { const v = document.querySelector('#dispute-evidence video');"
        " v.muted = true; v.currentTime = 1.5; return v.play(); }"
    )
    staff.wait_for_function(
        "() => document.querySelector('#dispute-evidence video').currentTime > 1.5"
    )
    expect(staff.locator("#attestations")).to_contain_text(storefront.evidence_requirements[-1])
    expect(staff.locator("#dispute-evidence")).to_contain_text("1280×720 (720p)")
    shot(staff, f"{slug}-dispute-admin")
    staff.get_by_role("link", name="Accept with refund").click()
    staff.get_by_label("I watched the video: the code or the instructions were wrong").check()
    staff.get_by_label("Note to the customer").fill("Our supplier sent a wrong code; sorry.")
    shot(staff, f"{slug}-dispute-accept")
    staff.get_by_role("button", name="Accept with refund").click()
    expect(staff.locator(".messagelist")).to_contain_text("Accept with refund: done.")

    # The customer sees the outcome on the order and the refund on the statement.
    page.goto(storefront_url(live_server, host, f"/orders/{order.pk}/"))
    expect(page.locator("#dispute-outcome")).to_contain_text("Accepted: the price was refunded")
    expect(page.locator("#status-label")).to_have_text("Refunded after a dispute")
    expect(page.locator(".balance-pill")).to_have_text(demo["balance_after"])
    shot(page, f"{slug}-dispute-refunded")
    page.goto(storefront_url(live_server, host, "/billing/"))
    expect(page.locator("#statement")).to_contain_text("Order refund")
    shot(page, f"{slug}-dispute-statement")


def _evidence_path(order) -> str:
    dispute = order.disputes.get()
    return f"/disputes/{dispute.pk}/evidence/{dispute.evidence.get().pk}/"
