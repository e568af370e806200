"""A person signs up on a demo storefront, follows the link from the outbox, signs in and out."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import TermsAcceptance, User
from tests.factories import demo_storefront

PASSWORD = "browser-test-passphrase-7"


def storefront_url(live_server, host, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{host}:{port}{path}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "slug, host, name",
    [
        ("doctorsim", "doctorsim.localhost", "DoctorSIM Pro"),
        ("imeiserver", "imeiserver.localhost", "IMEI Server"),
    ],
)
def test_sign_up_verify_sign_in_and_out(live_server, live_outbox, page, shot, slug, host, name):
    demo_storefront("imeiserver")
    demo_storefront("doctorsim")

    page.goto(storefront_url(live_server, host))
    expect(page.locator(".brand")).to_contain_text(name)
    shot(page, f"{slug}-home")
    page.get_by_role("link", name="Create account").click()

    page.get_by_label("Email").fill("walker@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label(re.compile("accept the")).check()  # IS-1
    shot(page, f"{slug}-signup")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.locator("h1")).to_contain_text("Verify Your Email Address")

    user = User.objects.get(email="walker@example.com")
    assert user.storefront.slug == slug
    assert TermsAcceptance.objects.filter(user=user).exists()  # IS-1

    page.goto(storefront_url(live_server, host, "/dev/outbox/"))
    shot(page, f"{slug}-outbox")
    page.locator("a[href*='/accounts/confirm-email/']").first.click()
    page.get_by_role("button", name="Confirm").click()

    page.goto(storefront_url(live_server, host, "/accounts/login/"))
    page.get_by_label("Email").fill("walker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("h1")).to_have_text("My account")
    expect(page.locator("#account-email")).to_have_text("walker@example.com")
    shot(page, f"{slug}-account")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign in")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_phone_width_layout_keeps_navigation_usable(live_server, page, shot):
    demo_storefront("doctorsim")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(storefront_url(live_server, "doctorsim.localhost"))
    expect(page.get_by_role("link", name="Create account")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways at phone width ({width}px)"
    shot(page, "doctorsim-home-390")
