"""A ``UserError`` a page does not catch becomes a page with its message and status (never a 500),
in one place: ``UserErrorMiddleware``. The API and the admin answer their own errors."""

from __future__ import annotations

import pytest
from django.urls import path

from billing.exceptions import InsufficientFunds
from config.urls import urlpatterns as site_urlpatterns
from storefronts.exceptions import Conflict, UserError


def conflict(request):
    raise Conflict("This order changed meanwhile: reload the page.")


def no_money(request):
    raise InsufficientFunds("1.00", "10.00", "USD")


def plain_bug(request):
    raise ValueError("a bug, not a user's mistake")


urlpatterns = [
    path("boom/conflict/", conflict),
    path("boom/funds/", no_money),
    path("boom/bug/", plain_bug),
    path("api/v1/boom/", conflict),
    path("admin/boom/", conflict),
    *site_urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_a_user_error_is_a_page_with_its_message_and_status(retail, retail_client):
    response = retail_client.get("/boom/conflict/")
    assert response.status_code == 409
    assert "This order changed meanwhile: reload the page." in response.text
    assert "<html" in response.text and retail.display_name in response.text  # the shop's layout


def test_each_error_keeps_its_own_status(retail, retail_client):
    response = retail_client.get("/boom/funds/")
    assert response.status_code == 402
    assert "Not enough balance: 1.00 USD available, 10.00 USD needed." in response.text


def test_htmx_gets_a_fragment(retail, retail_client):
    response = retail_client.get("/boom/conflict/", HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "This order changed meanwhile" in response.text and "<html" not in response.text


def test_the_back_link_never_leads_off_site(retail, retail_client):
    response = retail_client.get("/boom/conflict/", HTTP_REFERER="https://evil.example/phish")
    assert 'href="https://evil.example/phish"' not in response.text
    response = retail_client.get(
        "/boom/conflict/", HTTP_REFERER="http://imeiserver.localhost/orders/"
    )
    assert 'href="http://imeiserver.localhost/orders/"' in response.text


def test_the_message_is_escaped(retail, retail_client, monkeypatch):
    monkeypatch.setattr(Conflict, "__str__", lambda self: "<script>alert(1)</script>")
    response = retail_client.get("/boom/conflict/")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


@pytest.mark.parametrize("url", ["/api/v1/boom/", "/admin/boom/"])
def test_the_api_and_the_admin_answer_their_own_errors(retail, retail_client, url):
    # Left to the API's JSON handler and the admin's messages: the middleware does not answer.
    with pytest.raises(UserError):
        retail_client.get(url)


def test_other_exceptions_are_not_dressed_up_as_user_errors(retail, retail_client):
    with pytest.raises(ValueError):
        retail_client.get("/boom/bug/")
