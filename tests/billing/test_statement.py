"""Balance, statement and payment history pages."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.demo import demo_rates_load
from billing.models import LedgerEntry
from billing.services import wallet_debit
from tests import clock
from tests.billing.conftest import paid_topup

Kind = LedgerEntry.Kind


def spend(wallet, n, amount="1.00"):
    for i in range(n):
        wallet_debit(
            wallet=wallet,
            amount=amount,
            kind=Kind.ORDER_DEBIT,
            reference=f"order:{i}",
            idempotency_key=f"o{i}",
        )


@pytest.mark.django_db
def test_statement_shows_every_entry_with_running_balance(
    retail_client, retail_customer, retail_wallet
):
    spend(retail_wallet, 2, "10.00")
    retail_client.force_login(retail_customer)
    page = retail_client.get("/billing/")
    assert page.status_code == 200
    rows = [(e.amount, e.balance_after) for e in page.context["page"]]
    assert rows == [
        (Decimal("-10.00"), Decimal("80.00")),
        (Decimal("-10.00"), Decimal("90.00")),
        (Decimal("100.00"), Decimal("100.00")),
    ]
    assert "$80.00" in page.text and "−$10.00" in page.text


@pytest.mark.django_db
@pytest.mark.dates
def test_statement_filters_by_kind_and_date(
    retail_client, retail_customer, retail_wallet, time_machine
):
    # The deposit of the fixture is from today; the order two days later.
    later_day = clock.days_ahead(2, hour=12)
    time_machine.move_to(later_day, tick=False)
    spend(retail_wallet, 1)
    retail_client.force_login(retail_customer)
    only_orders = retail_client.get("/billing/?kind=order_debit").context["page"]
    assert [e.kind for e in only_orders] == [Kind.ORDER_DEBIT]
    since = later_day.date().isoformat()
    later = retail_client.get(f"/billing/?date_from={since}").context["page"]
    assert [e.kind for e in later] == [Kind.ORDER_DEBIT]
    until = (later_day.date() - dt.timedelta(days=1)).isoformat()
    earlier = retail_client.get(f"/billing/?date_to={until}").context["page"]
    assert [e.kind for e in earlier] == [Kind.DEPOSIT]
    bad = retail_client.get("/billing/?date_from=yesterday&kind=nonsense")
    assert bad.status_code == 200 and "were not understood" in bad.text


@pytest.mark.django_db
def test_statement_csv_export(retail_client, retail_customer, retail_wallet):
    spend(retail_wallet, 3, "2.50")
    retail_client.force_login(retail_customer)
    response = retail_client.get("/billing/?format=csv&kind=order_debit")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["date (UTC)", "kind", "description", "amount", "balance after"]
    assert [r[3] for r in rows[1:]] == ["-2.50", "-2.50", "-2.50"]
    assert rows[1][4] == "92.50"


@pytest.mark.django_db
def test_statement_query_count_does_not_grow_with_rows(
    retail_client, retail_customer, retail_wallet
):
    retail_client.force_login(retail_customer)
    spend(retail_wallet, 2)
    with CaptureQueriesContext(connection) as few:
        assert retail_client.get("/billing/").status_code == 200
    spend_more = [paid_topup(retail_customer, "10.00") for _ in range(5)]
    wallet_debit(
        wallet=retail_wallet, amount="1", kind=Kind.ORDER_DEBIT, reference="x", idempotency_key="x"
    )
    for i in range(40):
        wallet_debit(
            wallet=retail_wallet,
            amount="0.10",
            kind=Kind.ORDER_DEBIT,
            reference="y",
            idempotency_key=f"y{i}",
        )
    assert spend_more
    with CaptureQueriesContext(connection) as many:
        assert retail_client.get("/billing/").status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.django_db
def test_payments_page_query_count_does_not_grow(reseller_client, reseller_customer, packages):
    reseller_client.force_login(reseller_customer)
    paid_topup(reseller_customer, package=packages[0])
    with CaptureQueriesContext(connection) as few:
        page = reseller_client.get("/billing/payments/")
    assert "Starter 50" in page.text
    for package in packages:
        paid_topup(reseller_customer, package=package)
    with CaptureQueriesContext(connection) as many:
        page = reseller_client.get("/billing/payments/")
    assert "Wholesale 500" in page.text and "540.00 credits" in page.text
    assert len(many) == len(few)


@pytest.mark.django_db
def test_amounts_also_in_the_customers_currency_with_the_rate(
    reseller_client, reseller_customer, packages
):  # DS-4 DS-6
    demo_rates_load()
    paid_topup(reseller_customer, package=packages[0])
    reseller_client.force_login(reseller_customer)
    response = reseller_client.post("/billing/display-currency/", {"display_currency": "USD"})
    assert response.status_code == 302
    page = reseller_client.get("/billing/").text
    # 50 EUR at 0.92 EUR per USD -> 54.35 USD
    assert "50.00 credits" in page and "(≈ $54.35)" in page
    assert "EUR→USD" in page and "you are charged in EUR" in page


@pytest.mark.django_db
def test_unknown_display_currency_is_refused(reseller_client, reseller_customer, reseller):
    demo_rates_load()
    reseller_client.force_login(reseller_customer)
    response = reseller_client.post("/billing/display-currency/", {"display_currency": "XXX"})
    assert response.status_code == 400
    reseller_customer.refresh_from_db()
    assert reseller_customer.display_currency == ""


@pytest.mark.django_db
def test_header_shows_the_balance(reseller_client, reseller_customer, packages):
    paid_topup(reseller_customer, package=packages[1])
    reseller_client.force_login(reseller_customer)
    assert "103.00 credits" in reseller_client.get("/").text


@pytest.mark.django_db
def test_statement_never_shows_another_customers_entries(retail, retail_client, retail_wallet):
    from tests.factories import UserFactory

    other = UserFactory(storefront=retail, email="other@example.com")
    retail_client.force_login(other)
    page = retail_client.get("/billing/")
    assert list(page.context["page"]) == []


@pytest.mark.django_db
def test_statement_pages_keep_the_filters(retail_client, retail_customer, retail_wallet):
    """Pages go by position (issue 13: a statement of years costs what a week's does): older,
    newer, oldest and newest links keep the filters, and no entry is skipped or repeated."""
    spend(retail_wallet, 60, "0.50")
    retail_client.force_login(retail_customer)
    first = retail_client.get("/billing/?kind=order_debit")
    newest = list(first.context["page"])
    assert len(newest) == 50
    older_query = first.context["page"].older_query
    assert older_query.startswith("kind=order_debit&before=")
    assert f'href="?{older_query}"' in first.text.replace("&amp;", "&")
    assert "Page 1 of" not in first.text  # nothing is counted
    second = retail_client.get(f"/billing/?{older_query}")
    rest = list(second.context["page"])
    assert len(rest) == 10
    assert {e.pk for e in newest} | {e.pk for e in rest} == set(
        retail_wallet.entries.filter(kind="order_debit").values_list("pk", flat=True)
    )
    assert second.context["page"].older_query is None
    back = retail_client.get(f"/billing/?{second.context['page'].newer_query}")
    assert [e.pk for e in back.context["page"]] == [e.pk for e in newest]
    oldest = retail_client.get("/billing/?kind=order_debit&oldest=1")
    assert [e.pk for e in oldest.context["page"]][-1] == rest[-1].pk
    assert retail_client.get("/billing/?page=999").status_code == 200  # an old link still works


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk", ["abc", "12", "１２.x", "²³.4", "1.0", "99999999999999999999.5", ""]
)
def test_statement_position_junk_is_a_400(retail_client, retail_customer, junk):
    retail_client.force_login(retail_customer)
    response = retail_client.get("/billing/", {"before": junk})
    assert response.status_code == (200 if junk == "" else 400)
