"""Every response carries a Content-Security-Policy, and the site's own pages satisfy it: no
inline script, event handler or style attribute; the one inline <style> carries the nonce."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client, RequestFactory

from storefronts.errors import server_error
from tests.billing.conftest import paid_topup
from tests.conftest import RETAIL_HOST
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, service_make

CSP = "Content-Security-Policy"


def directives(response) -> dict[str, str]:
    header = response[CSP]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


class InlineContent(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, on* handlers, style attributes,
    javascript: URLs; and the nonce of each <style> tag."""

    def __init__(self):
        super().__init__()
        self.refused: list[str] = []
        self.style_nonces: list[str | None] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.refused.append(f"<{tag} {name}=…>")
            if name == "style":
                self.refused.append(f"<{tag} style=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.refused.append(f"<{tag} {name}=javascript:…>")
        # JSON data blocks (allauth's) are not run, so the CSP does not concern them; any other
        # inline script is refused, nonce or not (script-src has no nonce).
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.refused.append("<script> without src")
        if tag == "style":
            self.style_nonces.append(attrs.get("nonce"))


def inline_content(html: str) -> InlineContent:
    parser = InlineContent()
    parser.feed(html)
    return parser


def assert_complies(response):
    assert response.status_code in (200, 400, 404), (response.status_code, response.get("Location"))
    policy = directives(response)
    assert policy["script-src"] == "'self'"
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]+)'", policy["style-src"]).group(1)
    found = inline_content(response.content.decode())
    assert found.refused == []
    assert all(n == nonce for n in found.style_nonces), found.style_nonces


# --- the header ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_get_a_strict_policy(retail, retail_client):
    policy = directives(retail_client.get("/"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    # Forms post here; the top-up form's answer is a redirect to Stripe Checkout.
    assert policy["form-action"] == "'self' https://checkout.stripe.com"
    assert "unsafe-inline" not in retail_client.get("/")[CSP]


@pytest.mark.django_db
def test_each_response_has_its_own_nonce(retail, retail_client):
    first, second = retail_client.get("/"), retail_client.get("/")
    assert directives(first)["style-src"] != directives(second)["style-src"]


@pytest.mark.django_db
def test_every_kind_of_response_has_the_header(retail, retail_client):
    assert CSP in Client(HTTP_HOST="unknown.example").get("/")  # the unknown-host 400
    assert CSP in retail_client.get("/no-such-page/")
    assert CSP in retail_client.get("/api/v1/openapi.json")
    assert CSP in Client().get("/healthz")
    assert CSP in retail_client.get("/static/css/site.css")


@pytest.mark.django_db
def test_admin_scripts_stay_strict_and_its_inline_styles_are_allowed(retail, retail_client):
    staff = UserFactory(storefront=retail, is_staff=True, is_superuser=True, email="op@x.example")
    retail_client.force_login(staff)
    response = retail_client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    found = inline_content(response.content.decode())
    assert [r for r in found.refused if "script" in r or " on" in r] == []


# --- the pages comply ---------------------------------------------------------------------------


@pytest.fixture
def customer_with_an_order(retail, retail_customer, retail_client):
    paid_topup(retail_customer, "100.00")
    service = service_make(retail, "imei_unlock", "10.00")
    retail_client.force_login(retail_customer)
    page = retail_client.get(f"/orders/new/{service.pk}/").content.decode()
    quote = re.search(r'name="quote" value="([^"]+)"', page).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    placed = retail_client.post(
        f"/orders/new/{service.pk}/", {"quote": quote, "form_token": token, "IMEI": VALID_IMEIS[0]}
    )
    return service, placed["Location"]


PUBLIC_PAGES = ["/", "/services/", "/terms/", "/accounts/login/", "/accounts/signup/",
                "/accounts/password/reset/", "/no-such-page/"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_comply(retail, path):
    assert_complies(Client(HTTP_HOST=RETAIL_HOST).get(path))


@pytest.mark.django_db
def test_customer_pages_comply(retail_client, customer_with_an_order):
    service, order_url = customer_with_an_order
    for path in [
        f"/services/{service.pk}/",
        f"/orders/new/{service.pk}/",
        order_url,
        f"{order_url}status/",
        "/orders/",
        "/billing/",
        "/billing/top-up/",
        "/billing/payments/",
        "/account/",
        "/account/api-keys/",
        "/account/webhook/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate",
        "/dev/outbox/",
    ]:
        response = retail_client.get(path, follow=True)
        assert_complies(response)


@pytest.mark.django_db
def test_a_new_api_key_page_complies(retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    response = retail_client.post("/account/api-keys/", {"name": "laptop"}, follow=True)
    assert "data-select-all" in response.content.decode()
    assert_complies(response)


@pytest.mark.django_db
def test_the_test_card_page_complies(retail, retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    response = retail_client.post("/billing/top-up/", {"amount": "25.00"}, follow=True)
    assert "Pay" in response.content.decode()
    assert_complies(response)


def test_the_500_page_has_no_inline_style():
    request = RequestFactory().get("/")
    found = inline_content(server_error(request).content.decode())
    assert found.refused == [] and found.style_nonces == []
