"""A reseller's developer reads the JSON API's docs page in a real browser: Swagger UI from our
own static files draws every operation under the Content-Security-Policy, and a call made from
the page with their key answers with their balance."""

import pytest
from playwright.sync_api import expect

from accounts.api_keys import api_key_create
from billing.demo import demo_packages_seed
from tests.billing.conftest import paid_topup
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS, violations
from tests.browser.test_signup_flow import storefront_url
from tests.factories import UserFactory, demo_storefront

HOST = "doctorsim.localhost"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_page_draws_the_api_and_calls_it_with_a_key(live_server, page, shot):
    reseller = demo_storefront("doctorsim")
    customer = UserFactory(storefront=reseller, email="dev@example.com")
    demo_packages_seed(reseller)
    paid_topup(customer, package=reseller.credit_packages.get(credits=100))
    _row, key = api_key_create(user=customer, name="docs")
    page.add_init_script(RECORD_VIOLATIONS)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if "localhost" not in r.url.split("/")[2] else None,
    )

    page.goto(storefront_url(live_server, HOST, "/api/v1/docs"))
    expect(page.get_by_text("Reseller API").first).to_be_visible()
    for path in ("/api/v1/orders", "/api/v1/orders/{id}/cancel", "/api/v1/disputes"):
        expect(page.locator(".opblock-summary-path", has_text=path).first).to_be_visible()

    page.locator(".auth-wrapper .authorize").click()
    page.locator(".auth-container input").first.fill(key)
    page.locator(".auth-btn-wrapper .modal-btn.authorize").click()
    page.locator(".auth-btn-wrapper .btn-done").click()
    balance = page.locator("#operations-Account-getBalance")
    balance.locator(".opblock-summary").click()
    balance.get_by_role("button", name="Try it out").click()
    balance.get_by_role("button", name="Execute").click()
    live = balance.locator(".live-responses-table")
    expect(live.locator("td.response-col_status").last).to_have_text("200")
    expect(live.locator(".response-col_description").last).to_contain_text('"balance": "103.00"')
    shot(page, "api-docs")
    assert violations(page) == []
    assert outside == []  # no CDN: every file came from the storefront itself
