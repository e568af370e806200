"""The staff dashboard and the order list in a real browser on a 1366-px laptop screen, and
the dashboard on a 390-px phone: the dashboard's charts draw (inline SVG, no script, nothing
against the Content-Security-Policy), its figures are the ones counted from the rows, nothing
scrolls sideways, and the order list's columns all fit beside its filters. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import expect

from tests.accounts.test_dashboard import NOW, Shop
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS, violations
from tests.browser.test_signup_flow import storefront_url
from tests.factories import PASSWORD, UserFactory, demo_storefront

HOST = "doctorsim.localhost"


@pytest.mark.browser
@pytest.mark.dates
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_draws_its_figures_on_a_laptop_screen(live_server, chromium, shot):
    with time_machine.travel(NOW, tick=True):
        reseller = demo_storefront("doctorsim")
        demo_storefront("imeiserver")
        shop = Shop(reseller)
        UserFactory(storefront=None, is_superuser=True, is_staff=True, email="op@example.com")
        context = chromium.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.add_init_script(RECORD_VIOLATIONS)
        page.goto(storefront_url(live_server, HOST, "/accounts/login/"))
        page.get_by_label("Email").fill("op@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.goto(storefront_url(live_server, HOST, "/admin/"))

        expect(page.locator("#staff-dashboard")).to_be_visible()
        for panel in ("orders", "money", "refunds", "disputes", "suppliers", "balances"):
            expect(page.locator(f"#dash-{panel}")).to_be_visible()
        # Each chart is drawn, bars included, and sits beside its table of figures.
        assert page.locator("#dash-orders svg.chart rect.bar").count() > 0
        assert page.locator("#dash-money svg.chart rect.bar").count() > 0
        total = sum(shop.orders_by_day_and_group().values())
        expect(page.locator("#dash-orders-title")).to_contain_text(f"{total} in all")
        money_in, money_out = shop.money()
        expect(page.locator("#dash-money-in")).to_have_text(str(money_in))
        expect(page.locator("#dash-money-out")).to_have_text(str(money_out))
        expect(page.locator("#dash-refunds-overdue")).to_have_text("2")
        expect(page.locator("#dash-disputes-overdue")).to_have_text("1")
        # The bars take their colours from the stylesheet (classes, no style attributes).
        fill = page.evaluate(
            "getComputedStyle(document.querySelector('#dash-orders rect.bar')).fill"
        )
        assert fill not in ("", "none", "rgb(0, 0, 0)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        assert violations(page) == []
        shot(page, "admin-dashboard-1366")
        # On a phone the boxes stack and their tables scroll inside them, never the page.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator("#dash-orders")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "admin-dashboard-390")
        page.set_viewport_size({"width": 1366, "height": 900})

        page.goto(storefront_url(live_server, HOST, "/admin/orders/order/"))
        expect(page.locator("#result_list")).to_be_visible()
        expect(page.locator(".service-filter-form .select2-selection")).to_be_visible()
        fits = page.evaluate(
            "(() => { const r = document.querySelector('#changelist-form .results');"
            " return r.scrollWidth <= r.clientWidth; })()"
        )
        assert fits, "every column of the order list shows beside the filters"
        assert violations(page) == []
        shot(page, "admin-order-list-1366")
        context.close()
