"""Both demos on a 390-px phone (issue 14): every customer page a person walks through fits the
screen (no sideways scrolling, even with a 100-character reference on an order), has one h1 and a
title of its own. A screenshot of each is saved under test-artifacts/phone-*.png."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from billing.models import Payment
from catalog.models import Service
from disputes.demo import DEMO_CODE
from orders.models import Order
from orders.services import order_certificate_token_ensure, order_complete, order_transition
from refunds.services import refund_request_payment_create
from storefronts.demo import DEMO_PASSWORD
from storefronts.models import Storefront
from tests.browser.test_signup_flow import storefront_url
from tests.disputes.clips import evidence_storage  # noqa: F401 - a fixture
from tests.disputes.conftest import deliver, open_dispute
from tests.orders.conftest import place
from tests.orders.test_pages import imei

PHONE = {"width": 390, "height": 844}
BLACKLISTED = {
    "blacklist_status": "blacklisted",
    "reason": "Lost/stolen",
    "carrier": "Vodafone",
    "source": "GSMA",
    "checked_at": "2026-12-01T08:30:00+00:00",
}
LONG_REFERENCE = "REF" + "7" * 97  # 100 characters, no place to break


def _customer_pages(slug: str) -> list[tuple[str, str]]:
    """(name, path) of the pages a customer of this demo walks through, with the rows they need:
    a completed order with a dispute, one without, one with a long reference, a refund request."""
    storefront = Storefront.objects.get(slug=slug)
    customer = User.objects.get(storefront=storefront, email="customer@example.com")
    disputed = Order.objects.filter(user=customer, status=Order.Status.COMPLETED).first()
    dispute = open_dispute(disputed)
    service = Service.objects.get(storefront=storefront, pk=disputed.service_id)
    disputable = deliver(place(customer, service, form_token="disputable", imei=imei(76)))
    long_one = place(
        customer,
        service,
        form_token="long-reference",
        imei=imei(77),
        customer_reference=LONG_REFERENCE,
    )
    check = place(
        customer,
        Service.objects.filter(storefront=storefront, kind=Service.Kind.PHONE_CHECK).first(),
        form_token="check",
        imei=imei(78),
    )
    if check.status == Order.Status.PENDING:
        check = order_transition(order=check, to=Order.Status.QUEUED)
    check = order_complete(order=check, result=BLACKLISTED)
    token = order_certificate_token_ensure(order=check).certificate_token
    payment = Payment.objects.filter(user=customer, status=Payment.Status.SUCCEEDED).first()
    refund = refund_request_payment_create(
        user=customer,
        payment=payment,
        amount=Decimal("5.00"),
        destination="original_payment",
        reason="Bought more than I need.",
    )
    return [
        ("home", "/"),
        ("catalog", "/services/"),
        ("catalog-search", "/services/?q=iphone+13"),
        ("catalog-choices", "/services/?brand=Apple&model=iPhone+13&network=Vodafone"),
        ("service", f"/services/{service.pk}/"),
        ("order-form", f"/orders/new/{service.pk}/"),
        ("bulk-form", f"/orders/new/{service.pk}/bulk/"),
        ("order", f"/orders/{long_one.pk}/"),
        ("order-completed", f"/orders/{disputed.pk}/"),
        ("check", f"/orders/{check.pk}/"),
        ("certificate", f"/orders/{check.pk}/certificate/"),
        ("certificate-verify", f"/checks/{token}/"),
        ("orders", "/orders/"),
        ("statement", "/billing/"),
        ("payments", "/billing/payments/"),
        ("payment-receipt", f"/billing/payments/{payment.pk}/receipt/"),
        ("top-up", "/billing/top-up/"),
        ("refunds", "/refunds/"),
        ("refund", f"/refunds/{refund.pk}/"),
        ("refund-payment-form", f"/refunds/payment/{payment.pk}/"),
        ("dispute-form", f"/orders/{disputable.pk}/dispute/"),
        ("disputes", "/disputes/"),
        ("dispute", f"/disputes/{dispute.pk}/"),
        ("account", "/account/"),
        ("terms", "/terms/"),
    ]


def _look(page, name: str, shot, problems: list[str]) -> str:
    """Screenshot the page and note what is wrong with it: a title of its own, one h1, nothing
    wider than the screen. Returns the title."""
    shot(page, f"phone-{name}")
    title = page.title()
    own = title.rsplit(" · ", 1)[0].strip() if " · " in title else ""
    if not own:
        problems.append(f"{name}: title {title!r} says nothing of its own")
    h1s = page.locator("h1").count()
    if h1s != 1:
        problems.append(f"{name}: {h1s} h1 elements")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if widths[0] > widths[1]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 3).map(e => e.tagName + '.' + e.className)"""
        )
        problems.append(f"{name}: scrolls sideways {widths}: {wide}")
    return title


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("evidence_storage")
@pytest.mark.parametrize(
    ("slug", "host"), [("imeiserver", "imeiserver.localhost"), ("doctorsim", "doctorsim.localhost")]
)
def test_every_customer_page_fits_a_phone_and_has_its_own_title(
    live_server,
    chromium,
    shot,
    slug,
    host,
):
    call_command("demo_seed", verbosity=0)
    pages = _customer_pages(slug)
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        problems = []
        for name, path in (("sign-in", "/accounts/login/"), ("sign-up", "/accounts/signup/")):
            page.goto(storefront_url(live_server, host, path))
            _look(page, f"{slug}-{name}", shot, problems)
        page.goto(storefront_url(live_server, host, "/accounts/login/"))
        page.get_by_label("Email").fill("customer@example.com")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.locator(".balance-pill")).to_be_visible()

        paths = dict(pages)
        titles = {}
        for name, path in pages:
            response = page.goto(storefront_url(live_server, host, path))
            assert response.status == 200, (name, path, response.status)
            titles[name] = _look(page, f"{slug}-{name}", shot, problems)
        # The order form's next page: a review before charging where orders cannot be
        # cancelled (retail), the order itself where they can (reseller).
        page.goto(storefront_url(live_server, host, paths["order-form"]))
        page.get_by_label("IMEI").fill(imei(79))
        page.locator("#order-form button[type=submit]").first.click()
        page.wait_for_load_state()
        titles["after-order-form"] = _look(page, f"{slug}-after-order-form", shot, problems)
        assert not problems, problems
        # Each page says which page it is: no two of these share a title.
        assert len(set(titles.values())) == len(titles), titles

        # The orders list on a phone still shows each order's status and price.
        page.goto(storefront_url(live_server, host, "/orders/"))
        row = page.locator("#orders tbody tr").first
        expect(row.locator("td[data-label=Status] .status")).to_be_visible()
        expect(row.locator("td[data-label=Price]")).to_be_visible()
        expect(page.get_by_text(LONG_REFERENCE)).to_be_visible()
        # The skip link is the first thing a keyboard reaches, and it leads to the content.
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        expect(page.locator(".skip-link")).to_be_in_viewport()

        # A code is copied with one tap (a static script: the CSP allows no inline ones).
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(storefront_url(live_server, host, paths["order-completed"]))
        page.get_by_role("button", name="Copy the code").click()
        expect(page.get_by_role("button", name="Copy the code")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == DEMO_CODE
    finally:
        context.close()
