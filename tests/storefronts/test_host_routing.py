"""Host routing: each host shows its own storefront; unknown hosts get a plain 400."""

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.mark.django_db
def test_each_demo_host_shows_its_own_storefront(retail, reseller, retail_client, reseller_client):
    retail_page = retail_client.get("/")
    reseller_page = reseller_client.get("/")
    assert retail_page.status_code == reseller_page.status_code == 200
    assert "IMEI Server" in retail_page.text and "DoctorSIM Pro" not in retail_page.text
    assert "DoctorSIM Pro" in reseller_page.text and "IMEI Server" not in reseller_page.text
    assert retail.accent_colour in retail_page.text
    assert reseller.accent_colour in reseller_page.text


@pytest.mark.django_db
def test_port_is_ignored(retail):
    response = Client(HTTP_HOST="imeiserver.localhost:8000").get("/")
    assert response.status_code == 200
    assert response.context["storefront"] == retail


@pytest.mark.django_db
def test_host_is_case_insensitive(retail):
    assert Client(HTTP_HOST="IMEIServer.Localhost").get("/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["unknown.localhost", "evil.example.com", "127.0.0.1"])
def test_unknown_host_gets_a_plain_400(retail, host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 400
    assert "Unknown storefront" in response.text
    assert "IMEI Server" not in response.text


@pytest.mark.django_db
def test_inactive_storefront_is_unknown(retail, retail_client):
    retail.is_active = False
    retail.save()
    assert retail_client.get("/").status_code == 400


@pytest.mark.django_db
def test_responses_vary_by_host(retail, retail_client):
    assert "Host" in retail_client.get("/").headers["Vary"]
    assert "Host" in Client(HTTP_HOST="nobody.test").get("/").headers["Vary"]


@pytest.mark.django_db
def test_cookies_are_host_only(retail, retail_client, retail_customer, password):
    """No Domain attribute: the browser never sends one storefront's cookies to another host."""
    retail_client.get("/accounts/login/")
    response = retail_client.post(
        "/accounts/login/", {"login": retail_customer.email, "password": password}
    )
    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        assert name in retail_client.cookies
        assert not retail_client.cookies[name]["domain"]


@pytest.mark.django_db
def test_a_session_carried_to_another_storefront_is_not_honoured(
    retail, reseller, retail_customer, password
):
    client = Client(HTTP_HOST="imeiserver.localhost")
    assert client.login(username=retail_customer.username, password=password)
    assert client.get("/account/").status_code == 200
    # Same cookie jar, other host: the session is ended there, not honoured.
    response = client.get("/account/", HTTP_HOST="doctorsim.localhost")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.get("/account/", HTTP_HOST="imeiserver.localhost").status_code == 302


@pytest.mark.django_db
def test_platform_operator_session_works_on_every_host(retail, reseller):
    operator = UserFactory(
        storefront=None, is_superuser=True, is_staff=True, email="op@example.com"
    )
    client = Client()
    client.force_login(operator)
    assert client.get("/account/", HTTP_HOST="imeiserver.localhost").status_code == 200
    assert client.get("/account/", HTTP_HOST="doctorsim.localhost").status_code == 200


@pytest.mark.django_db
def test_health_check_needs_no_storefront_host():
    response = Client(HTTP_HOST="10.0.0.5").get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


PRODUCTION_TLS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/index.php", "/static/css/site.css"])
def test_unknown_host_is_a_plain_400_before_the_https_redirect(settings, retail, path):
    # As in production (DJANGO_ENV=production): http requests are redirected to https...
    for name, value in PRODUCTION_TLS.items():
        setattr(settings, name, value)
    known = Client(HTTP_HOST="imeiserver.localhost").get(path)
    assert known.status_code == 301 and known.url == f"https://imeiserver.localhost{path}"
    # ...but only for a host we serve: any other gets the 400, not a redirect to itself.
    unknown = Client(HTTP_HOST="evil.example.com").get(path)
    assert unknown.status_code == 400 and "Location" not in unknown
    assert "Unknown storefront" in unknown.text
    secure = Client(HTTP_HOST="evil.example.com", HTTP_X_FORWARDED_PROTO="https").get(path)
    assert secure.status_code == 400
