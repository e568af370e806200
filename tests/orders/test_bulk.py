"""Bulk orders: every pasted line is checked and reported; valid lines are placed and charged."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from billing.models import LedgerEntry
from orders.models import Order
from tests.orders.conftest import VALID_IMEIS, place

pytestmark = pytest.mark.django_db


def bulk_form(client, service):
    html = client.get(f"/orders/new/{service.pk}/bulk/").content.decode()
    quote = re.search(r'name="quote" value="([^"]+)"', html).group(1)
    token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    return quote, token


def test_bulk_order_reports_each_line(retail_client, funded_retail, unlock_retail):
    place(funded_retail, unlock_retail, form_token="earlier", imei=VALID_IMEIS[3])
    retail_client.force_login(funded_retail)
    quote, token = bulk_form(retail_client, unlock_retail)
    pasted = "\n".join(
        [
            VALID_IMEIS[0],
            "49015420323751",  # 14 digits
            VALID_IMEIS[0],  # repeated in the batch
            "490154203237519",  # bad check digit
            "",  # blank lines are skipped
            VALID_IMEIS[3],  # already has an open order for this service
            f" {VALID_IMEIS[1][:5]} {VALID_IMEIS[1][5:]} ",  # spaces are fine
        ]
    )
    data = {"quote": quote, "form_token": token, "imeis": pasted}
    response = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 placed</strong>, 4 refused" in body
    assert "Total charged: <strong>$20.00" in body
    assert "exactly 15 digits" in body
    assert "Repeated in this list" in body
    assert "check) digit is wrong" in body
    assert "Already has an open order for this service" in body
    assert Order.objects.filter(batch__gt="").count() == 2
    funded_retail.wallet.refresh_from_db()
    assert funded_retail.wallet.balance == Decimal("70.00")  # 100 − 10 earlier − 2 × 10

    # The same form submitted again places nothing new.
    again = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data)
    assert "2 placed" in again.content.decode()
    assert Order.objects.count() == 3
    assert LedgerEntry.objects.filter(kind="order_debit").count() == 3


def test_bulk_stops_charging_when_the_balance_runs_out(
    retail_client, retail_customer, unlock_retail
):
    from tests.billing.conftest import paid_topup

    paid_topup(retail_customer, "15.00")
    retail_client.force_login(retail_customer)
    quote, token = bulk_form(retail_client, unlock_retail)
    data = {"quote": quote, "form_token": token, "imeis": "\n".join(VALID_IMEIS[:3])}
    body = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data).content.decode()
    assert "1 placed</strong>, 2 refused" in body
    assert body.count("Not enough balance left") == 2
    retail_customer.wallet.refresh_from_db()
    assert retail_customer.wallet.balance == Decimal("5.00")


def test_bulk_refuses_more_than_500_lines(retail_client, funded_retail, unlock_retail):
    retail_client.force_login(funded_retail)
    quote, token = bulk_form(retail_client, unlock_retail)
    data = {"quote": quote, "form_token": token, "imeis": "\n".join([VALID_IMEIS[0]] * 501)}
    response = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data)
    assert response.status_code == 400
    assert "Up to 500 IMEIs at once" in response.content.decode()
    assert Order.objects.count() == 0


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_bulk_reads_fullwidth_imeis_as_ascii_and_sees_both_spellings_as_one(
    retail_client, funded_retail, unlock_retail
):
    place(funded_retail, unlock_retail, form_token="earlier", imei=VALID_IMEIS[3])
    retail_client.force_login(funded_retail)
    quote, token = bulk_form(retail_client, unlock_retail)
    pasted = "\n".join(
        [
            VALID_IMEIS[0].translate(FULLWIDTH),  # placed, as ASCII
            VALID_IMEIS[0],  # the same IMEI spelled in ASCII: a repeat
            VALID_IMEIS[3].translate(FULLWIDTH),  # the open order above, spelled fullwidth
            VALID_IMEIS[1].translate(ARABIC_INDIC),  # digits NFKC does not read as ASCII
        ]
    )
    data = {"quote": quote, "form_token": token, "imeis": pasted}
    body = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data).content.decode()
    assert "1 placed</strong>, 3 refused" in body
    assert "Repeated in this list" in body
    assert "Already has an open order for this service" in body
    assert "An IMEI has digits only (0-9)." in body
    placed = Order.objects.get(batch__gt="")
    assert placed.imei == VALID_IMEIS[0] and placed.fields["IMEI"] == VALID_IMEIS[0]
    assert sorted(Order.objects.values_list("imei", flat=True)) == sorted(
        [VALID_IMEIS[0], VALID_IMEIS[3]]
    )


def _imeis(count: int, start: int = 1) -> list[str]:
    from stdnum import luhn

    bodies = [f"35{n:012d}" for n in range(start, start + count)]
    return [b + luhn.calc_check_digit(b) for b in bodies]


def test_bulk_writes_a_fixed_number_of_statements_whatever_the_lines(
    funded_retail, unlock_retail, django_assert_max_num_queries
):
    """Issue 13: 5 lines and 60 lines cost the same statements (orders, debits, events each
    written in one), and each line still gets its own order, debit and event."""
    from billing.audit import ledger_audit
    from orders.services import PlaceRequest, order_place_bulk
    from storefronts.models import Storefront
    from tests.billing.conftest import paid_topup

    Storefront.objects.filter(pk=unlock_retail.storefront_id).update(orders_per_hour_limit=0)
    unlock_retail.storefront.orders_per_hour_limit = 0
    paid_topup(funded_retail, "600.00")
    counts = []
    # The first bulk warms per-process caches (content types): it is not counted.
    for size, token, start in ((1, "warm", 900), (5, "small", 1), (60, "large", 100)):
        request = PlaceRequest(service=unlock_retail, form_token=token)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            report = order_place_bulk(
                user=funded_retail, request=request, imeis_text="\n".join(_imeis(size, start))
            )
        assert len(report.placed) == size
        counts.append(len(captured.captured_queries))
    from django.db import connection

    if connection.vendor == "postgresql":
        assert counts[1] == counts[2], counts
    else:  # SQLite's 999-variable cap splits a long INSERT in a few, not one per line
        assert counts[2] - counts[1] <= 4, counts
    orders = Order.objects.filter(batch__gt="")
    assert orders.count() == 66
    assert LedgerEntry.objects.filter(kind="order_debit").count() == 66
    assert all(o.events.count() == 1 for o in orders)
    funded_retail.wallet.refresh_from_db()
    assert funded_retail.wallet.balance == Decimal("40.00")  # 700 − 66 × 10
    assert ledger_audit().ok  # every entry's balance_after follows from the one before


def test_bulk_refuses_the_lines_after_the_hourly_limit(retail_client, funded_retail, unlock_retail):
    """The storefront's hourly limit counts a bulk order line by line, in list order."""
    from storefronts.models import Storefront

    Storefront.objects.filter(pk=unlock_retail.storefront_id).update(orders_per_hour_limit=3)
    place(funded_retail, unlock_retail, form_token="earlier", imei=VALID_IMEIS[3])
    retail_client.force_login(funded_retail)
    quote, token = bulk_form(retail_client, unlock_retail)
    data = {"quote": quote, "form_token": token, "imeis": "\n".join(VALID_IMEIS[:3])}
    body = retail_client.post(f"/orders/new/{unlock_retail.pk}/bulk/", data).content.decode()
    assert "2 placed</strong>, 1 refused" in body
    assert "up to 3 orders an hour" in body
    assert Order.objects.count() == 3
