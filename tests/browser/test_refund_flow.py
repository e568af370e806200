"""In a real browser, on both demos: a customer asks for a payment back, Support approves it in
the admin, the customer sees it paid and the statement shows the money leaving (IS-8, IS-6,
DS-17, DS-18)."""

import pytest
from playwright.sync_api import expect

from billing.demo import demo_packages_seed
from tests.browser.test_order_flow import sign_in
from tests.browser.test_signup_flow import storefront_url
from tests.factories import UserFactory, demo_storefront, staff_group


def support_page(chromium, live_server, host, storefront):
    staff = UserFactory(storefront=storefront, email="support@example.com", is_staff=True)
    staff.groups.add(staff_group("Support"))
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server, host, "support@example.com")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_retail_refund_to_the_card_approved_by_support(live_server, page, chromium, shot):
    retail = demo_storefront("imeiserver")
    host = "imeiserver.localhost"
    UserFactory(storefront=retail, email="buyer@example.com")
    sign_in(page, live_server, host, "buyer@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    page.get_by_label("Amount (USD)").fill("40")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay $40.00").click()
    expect(page.locator(".balance-pill")).to_have_text("$40.00")

    page.goto(storefront_url(live_server, host, "/billing/payments/"))
    page.get_by_role("link", name="Refund a payment").click()
    expect(page.locator("#refundable-amount")).to_contain_text("40.00")
    expect(page.locator("#what-next")).to_contain_text("support decides by")
    page.get_by_label("Amount").fill("25.00")
    page.get_by_label("Why do you want it back? (optional)").fill("Bought too much.")
    shot(page, "imeiserver-refund-form")
    page.get_by_role("button", name="Ask for this refund").click()
    expect(page.locator("#refund-status")).to_have_text("Requested")
    expect(page.locator(".balance-pill")).to_have_text("$40.00")  # nothing moves on asking
    request_url = page.url

    staff = support_page(chromium, live_server, host, retail)
    staff.goto(storefront_url(live_server, host, "/admin/refunds/refundrequest/"))
    expect(staff.locator("#refund-counts")).to_contain_text("Requested: 1")
    staff.locator("#result_list tbody th a").first.click()
    staff.get_by_role("link", name="Approve").click()
    staff.get_by_label("I checked the destination shown above").check()
    shot(staff, "imeiserver-refund-approve")
    staff.get_by_role("button", name="Approve").click()
    expect(staff.locator(".messagelist")).to_contain_text("Approve: done.")

    page.goto(request_url)
    expect(page.locator("#refund-status")).to_have_text("Refunded")
    expect(page.locator(".balance-pill")).to_have_text("$15.00")
    shot(page, "imeiserver-refund-paid")
    page.goto(storefront_url(live_server, host, "/billing/"))
    expect(page.locator("#statement")).to_contain_text("Refund to payment method")
    expect(page.locator("#statement")).to_contain_text("25.00")
    shot(page, "imeiserver-refund-statement")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reseller_refund_by_bank_transfer_paid_by_support(live_server, page, chromium, shot):
    reseller = demo_storefront("doctorsim")
    demo_packages_seed(reseller)
    host = "doctorsim.localhost"
    UserFactory(storefront=reseller, email="shop@example.com")
    sign_in(page, live_server, host, "shop@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Top up").click()
    page.locator("label.package", has_text="Pro 100").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay €100.00").click()
    expect(page.locator(".balance-pill")).to_have_text("103.00 credits")

    page.goto(storefront_url(live_server, host, "/refunds/"))
    page.get_by_role("link", name="Refund this payment").click()
    expect(page.locator("#bonus-share")).to_contain_text("3.00")  # DS-4: the bonus comes back
    page.get_by_label("Amount").fill("50.00")
    page.get_by_label("By bank transfer").check()
    page.get_by_label("Bank country").select_option("ES")
    page.get_by_label("IBAN (Spain) or CLABE (Mexico)").fill("ES91 2100 0418 4502 0005 1333")
    page.get_by_label("Account holder").fill("Ana García")
    page.get_by_role("button", name="Ask for this refund").click()
    expect(page.locator("main")).to_contain_text("not a valid IBAN")  # DS-18
    page.get_by_label("IBAN (Spain) or CLABE (Mexico)").fill("ES91 2100 0418 4502 0005 1332")
    shot(page, "doctorsim-refund-form")
    page.get_by_role("button", name="Ask for this refund").click()
    expect(page.locator("#refund-status")).to_have_text("Requested")
    expect(page.locator("main")).to_contain_text("account ending …1332")
    request_url = page.url

    staff = support_page(chromium, live_server, host, reseller)
    staff.goto(storefront_url(live_server, host, "/admin/refunds/refundrequest/"))
    staff.locator("#result_list tbody th a").first.click()
    expect(staff.locator("body")).not_to_contain_text("ES9121000418450200051332")  # masked
    staff.get_by_role("link", name="Approve").click()
    staff.get_by_label("I checked the destination shown above").check()
    staff.get_by_role("button", name="Approve").click()
    staff.get_by_role("link", name="Mark bank transfer paid").click()
    staff.get_by_label("Transfer reference").fill("TRF-2026-0001")
    staff.get_by_role("button", name="Bank").click()
    expect(staff.locator(".messagelist")).to_contain_text("done")
    shot(staff, "doctorsim-refund-admin")

    page.goto(request_url)
    expect(page.locator("#refund-status")).to_have_text("Refunded")
    expect(page.locator(".balance-pill")).to_have_text("51.50 credits")
    shot(page, "doctorsim-refund-paid")
