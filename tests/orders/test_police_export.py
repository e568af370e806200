"""DS-21 exports for the police: the IMEI asked for is read as ASCII digits, and every export is
logged (who, from where, when, what was asked, how many orders), read-only, per storefront."""

from __future__ import annotations

import csv
import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from orders.models import Order, PoliceExportLog
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory
from tests.orders.conftest import VALID_IMEIS, place, service_make

pytestmark = pytest.mark.django_db

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"
EXPORT = "/admin/orders/order/export/"
LOG_LIST = "/admin/orders/policeexportlog/"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def staff_client(storefront, host, email, group="Support") -> Client:
    staff = UserFactory(storefront=storefront, email=email, is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST=host, REMOTE_ADDR="198.51.100.23")
    client.force_login(staff)
    client.staff = staff
    return client


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def support(retail):
    return staff_client(retail, RETAIL_HOST, "support@example.com")


@pytest.fixture
def orders(retail, retail_customer):
    paid_topup(retail_customer, "100.00")
    unlock = service_make(retail, "imei_unlock", "10.00")
    return [
        place(retail_customer, unlock, form_token="t1", imei=VALID_IMEIS[0]),
        place(retail_customer, unlock, form_token="t2", imei=VALID_IMEIS[1]),
    ]


def test_each_export_is_logged_with_who_when_and_what(support, retail, orders):
    # DS-21: a disclosure of customers' identities is accounted for.
    before = timezone.now()
    rows = csv_rows(support.post(EXPORT, {"imei": VALID_IMEIS[0]}))
    assert [r["order number"] for r in rows] == [str(orders[0].number)]
    rows = csv_rows(support.post(EXPORT, {"email": "Customer@Example.com"}))
    assert len(rows) == 2
    after = timezone.now()

    by_imei, by_email = PoliceExportLog.objects.order_by("pk")
    for log in (by_imei, by_email):
        assert log.storefront == retail
        assert log.actor == support.staff and log.actor_email == "support@example.com"
        assert log.actor_ip == "198.51.100.23"
        assert before <= log.created_at <= after
    assert (by_imei.imei, by_imei.email, by_imei.order_count) == (VALID_IMEIS[0], "", 1)
    assert (by_email.imei, by_email.email, by_email.order_count) == (
        "",
        "Customer@Example.com",
        2,
    )


def test_an_imei_asked_in_fullwidth_digits_finds_the_orders(support, orders):
    typed = VALID_IMEIS[0][:7].translate(FULLWIDTH) + " " + VALID_IMEIS[0][7:].translate(FULLWIDTH)
    rows = csv_rows(support.post(EXPORT, {"imei": typed}))
    assert [r["order number"] for r in rows] == [str(orders[0].number)]
    assert PoliceExportLog.objects.get().imei == VALID_IMEIS[0]


@pytest.mark.parametrize(
    "imei", ["٤٩٠١٥٤٢٠٣٢٣٧٥١٨", "49015420323751x", "4" * 16], ids=["arabic", "letter", "long"]
)
def test_an_imei_that_is_not_ascii_digits_is_refused_and_not_logged(support, orders, imei):
    response = support.post(EXPORT, {"imei": imei})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "An IMEI has" in response.text
    assert not PoliceExportLog.objects.exists()


def test_an_export_that_is_not_allowed_or_not_asked_is_not_logged(retail, support, orders):
    disputes = staff_client(retail, RETAIL_HOST, "disputes@example.com", "Dispute admin")
    assert disputes.post(EXPORT, {"imei": VALID_IMEIS[0]}).status_code == 403
    assert "Enter an IMEI or a customer email" in support.post(EXPORT, {}).text
    assert not PoliceExportLog.objects.exists()


def test_the_log_is_read_only_and_shown_per_storefront(retail, reseller, support, orders):
    support.post(EXPORT, {"imei": VALID_IMEIS[0]})
    reseller_support = staff_client(reseller, RESELLER_HOST, "support@example.com")
    reseller_support.post(EXPORT, {"imei": VALID_IMEIS[0]})
    mine = PoliceExportLog.objects.get(storefront=retail)
    theirs = PoliceExportLog.objects.get(storefront=reseller)

    listing = support.get(LOG_LIST)
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [mine]
    assert support.get(f"{LOG_LIST}{mine.pk}/change/").status_code == 200
    assert support.get(f"{LOG_LIST}{theirs.pk}/change/").status_code == 404
    # Nothing is added, edited or deleted by hand.
    assert support.get(f"{LOG_LIST}add/").status_code == 403
    support.post(f"{LOG_LIST}{mine.pk}/change/", {"imei": "1", "order_count": "9"})
    assert support.post(f"{LOG_LIST}{mine.pk}/delete/", {"post": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert (mine.imei, mine.order_count) == (VALID_IMEIS[0], 1)

    # Staff without the permission do not see it; the platform operator sees every storefront's.
    disputes = staff_client(retail, RETAIL_HOST, "disputes@example.com", "Dispute admin")
    assert disputes.get(LOG_LIST).status_code == 403
    operator = UserFactory(
        storefront=None, email="ops@example.com", is_staff=True, is_superuser=True
    )
    client = Client(HTTP_HOST=RETAIL_HOST)
    client.force_login(operator)
    assert set(client.get(LOG_LIST).context["cl"].result_list) == {mine, theirs}


def test_imeis_stored_in_fullwidth_before_the_fix_are_made_ascii(orders):
    # The data migration: an order placed as typed ("３５６９…") is found by the export and the
    # duplicate check once it holds the ASCII digits.
    fullwidth = VALID_IMEIS[0].translate(FULLWIDTH)
    Order.objects.filter(pk=orders[0].pk).update(imei=fullwidth, fields={"IMEI": fullwidth})
    Order.objects.filter(pk=orders[1].pk).update(imei="٤٩٠١٥٤٢٠٣٢٣٧٥١٨")  # not NFKC-readable
    migration = importlib.import_module(
        "orders.migrations.0005_police_export_access_and_ascii_imeis"
    )
    migration.imeis_to_ascii(django_apps, None)
    orders[0].refresh_from_db()
    orders[1].refresh_from_db()
    assert orders[0].imei == VALID_IMEIS[0] and orders[0].fields["IMEI"] == VALID_IMEIS[0]
    assert orders[1].imei == "٤٩٠١٥٤٢٠٣٢٣٧٥١٨"  # left as sent, for staff to see
