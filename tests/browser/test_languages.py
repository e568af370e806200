"""A Spanish-speaking visitor on the reseller demo reads Spanish, and can switch to English; the
retail demo stays English (README, "Languages")."""

import pytest
from playwright.sync_api import expect

from tests.factories import demo_storefront


def storefront_url(live_server, host, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{host}:{port}{path}"


@pytest.fixture
def spanish_page(chromium):
    context = chromium.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reseller_demo_speaks_spanish_to_a_spanish_browser(live_server, spanish_page, shot):
    demo_storefront("doctorsim")
    demo_storefront("imeiserver")
    page = spanish_page

    page.goto(storefront_url(live_server, "doctorsim.localhost"))
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.get_by_role("heading", name="Cómo funciona")).to_be_visible()
    expect(page.get_by_role("link", name="Crear una cuenta", exact=True)).to_be_visible()
    shot(page, "doctorsim-home-es")

    page.goto(storefront_url(live_server, "doctorsim.localhost", "/terms/"))
    expect(page.locator("h1")).to_have_text("Términos del servicio")
    expect(page.locator(".terms-text")).to_contain_text("Texto de los términos.")
    shot(page, "doctorsim-terms-es")

    # The footer switcher: English from now on, for this browser.
    page.locator("footer").get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Terms of service")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto(storefront_url(live_server, "doctorsim.localhost"))
    expect(page.get_by_role("heading", name="How it works")).to_be_visible()

    # The retail demo offers English only.
    page.goto(storefront_url(live_server, "imeiserver.localhost"))
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_role("heading", name="How it works")).to_be_visible()
    expect(page.locator("footer .language-switcher")).to_have_count(0)
