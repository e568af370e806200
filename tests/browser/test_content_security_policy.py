"""In a real browser, under the Content-Security-Policy: no page breaks a rule, the storefront's
accent colour (the one inline <style>, with its nonce) applies, htmx keeps refreshing an order,
a click selects a new API key, and the admin works."""

import pytest
from playwright.sync_api import expect

from billing.demo import demo_packages_seed
from tests.billing.conftest import paid_topup
from tests.browser.test_signup_flow import storefront_url
from tests.factories import PASSWORD, UserFactory, demo_storefront
from tests.orders.conftest import VALID_IMEIS, service_make

HOST = "doctorsim.localhost"

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_keep_the_policy_and_still_work(live_server, page):
    reseller = demo_storefront("doctorsim")
    service = service_make(reseller, "imei_unlock", "12.00", name="iPhone 13 Vodafone UK")
    customer = UserFactory(storefront=reseller, email="shop@example.com")
    demo_packages_seed(reseller)
    paid_topup(customer, package=reseller.credit_packages.get(credits=100))
    UserFactory(
        storefront=None, is_superuser=True, is_staff=True, email="op@example.com"
    )  # the platform operator, for the admin
    page.add_init_script(RECORD_VIOLATIONS)
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(storefront_url(live_server, HOST, "/accounts/login/"))
    page.get_by_label("Email").fill("shop@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".balance-pill")).to_be_visible()
    # The accent colour comes from the nonce'd inline <style>.
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent.lower() == reseller.accent_colour.lower()

    page.goto(storefront_url(live_server, HOST, f"/services/{service.pk}/"))
    page.goto(storefront_url(live_server, HOST, f"/orders/new/{service.pk}/"))
    page.get_by_label("IMEI").fill(VALID_IMEIS[0])
    page.get_by_role("button", name="Order for 12.00 credits").click()
    expect(page.locator("#status-label")).to_be_visible()
    # htmx polls the open order's status every 5 s (the reseller's order waits out its window).
    with page.expect_response(lambda r: r.url.endswith("/status/"), timeout=12_000) as polled:
        pass
    assert polled.value.status == 200
    assert violations(page) == []

    page.goto(storefront_url(live_server, HOST, "/account/api-keys/"))
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create a key").click()
    key_field = page.locator("#new-key-value")
    key_field.click()
    selected = page.evaluate(
        "(() => { const f = document.getElementById('new-key-value');"
        " return f.value.substring(f.selectionStart, f.selectionEnd); })()"
    )
    assert selected and selected == key_field.input_value()
    assert violations(page) == []

    page.context.clear_cookies()  # signed out
    page.goto(storefront_url(live_server, HOST, "/accounts/login/"))
    page.get_by_label("Email").fill("op@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(storefront_url(live_server, HOST, "/admin/orders/order/"))
    expect(page.locator("#result_list")).to_be_visible()
    assert violations(page) == []
    assert seen == []
