"""In a real browser: top up, order an IMEI unlock, see it pending, cancel it, see the refund;
and on the retail demo, order a phone check."""

import pytest
from playwright.sync_api import expect

from billing.demo import demo_packages_seed
from tests.browser.test_signup_flow import storefront_url
from tests.factories import PASSWORD, UserFactory, demo_storefront
from tests.orders.conftest import service_make


def sign_in(page, live_server, host, email):
    page.goto(storefront_url(live_server, host, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".balance-pill")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_top_up_order_cancel_and_see_the_refund(live_server, page, shot):
    reseller = demo_storefront("doctorsim")
    demo_packages_seed(reseller)
    service = service_make(
        reseller, "imei_unlock", "12.00", name="iPhone 13 Vodafone UK", guaranteed_hours=48
    )
    UserFactory(storefront=reseller, email="shop@example.com")
    sign_in(page, live_server, "doctorsim.localhost", "shop@example.com")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    page.locator("label.package", has_text="Pro 100").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay €100.00").click()
    expect(page.locator(".balance-pill")).to_have_text("103.00 credits")

    page.goto(storefront_url(live_server, "doctorsim.localhost", f"/orders/new/{service.pk}/"))
    expect(page.locator("#quote")).to_contain_text("12.00 credits")
    page.get_by_label("IMEI").fill("490154203237519")  # a typo in the check digit
    page.get_by_role("button", name="Order for 12.00 credits").click()
    expect(page.locator(".errorlist")).to_contain_text("check) digit is wrong")
    expect(page.locator(".balance-pill")).to_have_text("103.00 credits")  # nothing charged
    page.get_by_label("IMEI").fill("490154203237518")
    page.get_by_label("Your reference (optional)").fill("Ana's iPhone")
    shot(page, "doctorsim-order-form")
    page.get_by_role("button", name="Order for 12.00 credits").click()

    expect(page.locator("#status-label")).to_have_text("Pending (can be cancelled)")
    expect(page.locator(".balance-pill")).to_have_text("91.00 credits")
    shot(page, "doctorsim-order-pending")
    page.get_by_role("button", name="Cancel and refund").click()
    expect(page.locator("#status-label")).to_have_text("Cancelled (refunded)")
    expect(page.locator(".balance-pill")).to_have_text("103.00 credits")
    expect(page.locator("#timeline")).to_contain_text("Cancelled by you")
    shot(page, "doctorsim-order-cancelled")

    page.get_by_role("link", name="statement").click()
    statement = page.locator("#statement")
    expect(statement).to_contain_text("−12.00 credits")
    expect(statement).to_contain_text("+12.00 credits")
    shot(page, "doctorsim-statement-refund")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_order_a_phone_check_on_the_retail_demo(live_server, page, shot):
    retail = demo_storefront("imeiserver")
    service = service_make(retail, "phone_check", "1.50", name="GSMA blacklist check")
    UserFactory(storefront=retail, email="buyer@example.com")
    sign_in(page, live_server, "imeiserver.localhost", "buyer@example.com")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    page.get_by_label("Amount (USD)").fill("20")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay $20.00").click()
    expect(page.locator(".balance-pill")).to_have_text("$20.00")

    page.goto(storefront_url(live_server, "imeiserver.localhost", f"/orders/new/{service.pk}/"))
    page.get_by_label("IMEI").fill("356938035643809")
    page.get_by_role("button", name="Review the order").click()
    # No cancellation window on the retail demo: a review page before anything is charged.
    expect(page.locator("#review")).to_contain_text("356938035643809")
    expect(page.locator(".balance-pill")).to_have_text("$20.00")
    shot(page, "imeiserver-phone-check-review")
    page.get_by_role("button", name="Confirm and pay $1.50").click()
    expect(page.locator("#status-label")).to_have_text("Queued")
    expect(page.locator(".balance-pill")).to_have_text("$18.50")
    shot(page, "imeiserver-phone-check-queued")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My orders").click()
    expect(page.locator("#orders")).to_contain_text("GSMA blacklist check")
    expect(page.locator("#orders")).to_contain_text("356938035643809")
