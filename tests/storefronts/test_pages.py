"""Home, terms and error pages in each storefront's branding."""

import datetime as dt

import pytest
from django.utils import timezone

from storefronts.models import TermsVersion


@pytest.mark.django_db
def test_home_tells_what_is_sold_and_how(retail_client, retail):
    page = retail_client.get("/").text
    for text in (
        "Unlock codes by IMEI",
        "Cable unlocks",
        "Phone checks",
        "How it works",
        "/terms/",
    ):
        assert text in page
    assert "Create a free account" in page and "Sign in" in page


@pytest.mark.django_db
def test_home_shows_the_storefronts_own_policy(reseller_client, retail_client, reseller, retail):
    assert "within 10 minutes" in reseller_client.get("/").text  # DS-11
    assert "not possible once placed" in retail_client.get("/").text
    assert "within 180 days" in retail_client.get("/").text  # IS-5


@pytest.mark.django_db
def test_terms_page_shows_the_newest_published_version(retail, retail_client):  # IS-13
    TermsVersion.objects.create(
        storefront=retail, label="2027-01", text="Newer terms.", published_at=timezone.now()
    )
    TermsVersion.objects.create(
        storefront=retail,
        label="2099-01",
        text="Not yet published.",
        published_at=timezone.now() + dt.timedelta(days=30),
    )
    page = retail_client.get("/terms/")
    assert page.status_code == 200
    assert "Version 2027-01" in page.text and "Newer terms." in page.text
    assert "Not yet published" not in page.text


@pytest.mark.django_db
def test_terms_of_one_storefront_never_show_on_another(retail, reseller, reseller_client):
    TermsVersion.objects.create(storefront=retail, label="retail-only", text="Retail words.")
    assert "Retail words." not in reseller_client.get("/terms/").text


@pytest.mark.django_db
def test_404_page_is_branded(retail_client, retail):
    response = retail_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text and "IMEI Server" in response.text


@pytest.mark.django_db
def test_500_page_is_branded_and_plain(retail, rf):
    from storefronts.errors import server_error

    request = rf.get("/")
    request.storefront = retail
    response = server_error(request)
    assert response.status_code == 500
    assert "IMEI Server had a problem" in response.content.decode()


@pytest.mark.django_db
def test_400_and_403_pages_are_branded(retail, rf):
    from storefronts.errors import bad_request, permission_denied

    request = rf.get("/")
    request.storefront = retail
    request.user = None
    assert bad_request(request).status_code == 400
    assert permission_denied(request).status_code == 403


@pytest.mark.django_db
def test_htmx_is_served_without_a_build_step(retail_client, retail):
    page = retail_client.get("/").text
    assert "django_htmx/htmx-2.min.js" in page
    script = retail_client.get("/static/django_htmx/htmx-2.min.js")
    assert script.status_code == 200
    assert b"htmx" in b"".join(script.streaming_content)
