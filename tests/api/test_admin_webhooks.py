"""Support staff see webhook endpoints and deliveries of their own storefront only, never the
customer's signing secret."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from api.webhooks import webhook_endpoint_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def staff_client(storefront, host):
    staff = UserFactory(storefront=storefront, email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name="Support"))
    client = Client(HTTP_HOST=host)
    client.force_login(staff)
    return client


def test_support_sees_its_storefronts_endpoints_without_the_secret(
    retail, reseller, retail_customer, settings
):
    settings.DEBUG = True  # an http:// URL is allowed outside production
    endpoint = webhook_endpoint_set(user=retail_customer, url="http://localhost:9/hook")
    own = staff_client(retail, "imeiserver.localhost")
    page = own.get("/admin/api/webhookendpoint/")
    assert page.status_code == 200 and "http://localhost:9/hook" in page.content.decode()
    detail = own.get(f"/admin/api/webhookendpoint/{endpoint.pk}/change/")
    assert detail.status_code == 200 and endpoint.secret not in detail.content.decode()
    assert own.get("/admin/api/webhookdelivery/").status_code == 200

    other = staff_client(reseller, "doctorsim.localhost")
    assert other.get(f"/admin/api/webhookendpoint/{endpoint.pk}/change/").status_code == 404
    assert "localhost:9/hook" not in other.get("/admin/api/webhookendpoint/").content.decode()
