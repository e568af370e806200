"""Ids in customer URLs beyond what the database holds are a 404, never a 500 (the rule for
numbers from outside: ASCII digits in range)."""

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/orders/{HUGE}/",
        f"/orders/{HUGE}/status/",
        f"/orders/{HUGE}/certificate/",
        f"/orders/new/{HUGE}/",
        f"/orders/new/{HUGE}/bulk/",
        f"/services/{HUGE}/",
        f"/billing/top-up/{HUGE}/done/",
        f"/billing/top-up/{HUGE}/test-card/",
        f"/billing/payments/{HUGE}/receipt/",
        f"/refunds/{HUGE}/",
        f"/refunds/{HUGE}/receipt/",
        f"/disputes/{HUGE}/",
        f"/orders/{HUGE}/dispute/",
    ],
)
def test_a_huge_id_in_a_customer_url_is_a_404(retail_client, retail_customer, path):
    retail_client.force_login(retail_customer)
    assert retail_client.get(path).status_code == 404


# --- the admin (issue 29, item 8) ----------------------------------------------------------------

ADMIN_HOST = "imeiserver.localhost"


def _admins():
    from django.contrib import admin

    return sorted(admin.site._registry.values(), key=lambda a: a.opts.label)


@pytest.fixture
def operator_client(db):
    from django.test import Client

    from tests.factories import UserFactory

    user = UserFactory(storefront=None, email="ops@example.com", is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST=ADMIN_HOST)
    client.force_login(user)
    return client


@pytest.fixture
def some_rows(retail, retail_customer):
    """An order and its payment, so that a filter that matched junk would show a row."""
    from tests.billing.conftest import paid_topup
    from tests.orders.conftest import place, service_make

    paid_topup(retail_customer, "50.00")
    place(retail_customer, service_make(retail, "imei_unlock", "10.00"))


def _admin_url(model_admin, view: str, *args) -> str:
    from django.urls import reverse

    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_a_huge_id_in_an_admin_url_is_a_404(operator_client, retail, model_admin):
    paths = [_admin_url(model_admin, view, HUGE) for view in ("change", "history", "delete")]
    paths += {
        "orders.Order": [f"/admin/orders/order/{HUGE}/act/hold/"],
        "refunds.RefundRequest": [
            f"/admin/refunds/refundrequest/{HUGE}/{step}/"
            for step in ("approve", "refuse", "bank-paid")
        ],
        "disputes.Dispute": [f"/admin/disputes/dispute/{HUGE}/step/refund/"],
    }.get(model_admin.opts.label, [])
    for path in paths:
        expected = (403, 404) if path.endswith("/delete/") else (404,)  # 403: nothing is deleted
        assert operator_client.get(path).status_code in expected, path


def _relations(model) -> list[str]:
    return [
        f.name for f in model._meta.get_fields() if f.is_relation and f.related_model is not None
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model_admin", _admins(), ids=lambda a: a.opts.label)
def test_a_huge_id_in_an_admin_list_filter_is_the_bad_filter_page(
    operator_client, some_rows, model_admin
):
    """``?user=99999999999999999999``: Django's "?e=1" page, as for any bad filter value (an
    OverflowError on SQLite, a 500, on 17 lists before). A lookup the admin does not allow is
    its 400; a filter of ours that reads junk as "no such row" (the order list's service) and a
    key that is text (an exchange backend's name) show an empty list."""
    url = _admin_url(model_admin, "changelist")
    keys = ["id", *_relations(model_admin.model)]
    for key in keys:
        for value in (HUGE, "-" + HUGE):
            response = operator_client.get(url, {key: value})
            assert response.status_code in (200, 302, 400), (url, key, value, response.status_code)
            if response.status_code == 302:
                assert response["Location"].endswith("?e=1"), (url, key, response["Location"])
            if response.status_code == 200:
                assert list(response.context["cl"].result_list) == [], (url, key, value)
