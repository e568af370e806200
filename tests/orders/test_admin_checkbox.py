"""Staff lists draw each row's checkbox as one string (issue 13: Django's widget template,
rendered for each of 100 rows, was a third of a list's time): the markup must stay Django's, in
every language, or the actions' JavaScript and screen readers lose it."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils import translation

from orders.models import Order
from tests.factories import UserFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_rows_checkbox_is_the_markup_django_draws(language, funded_retail, unlock_retail):
    order = place(funded_retail, unlock_retail)
    order_admin = admin.site._registry[Order]
    with translation.override(language):
        ours = order_admin.action_checkbox(order)
        django_s = admin.ModelAdmin.action_checkbox(order_admin, order)
    assert ours == django_s
    assert f'value="{order.pk}"' in ours and 'class="action-select"' in ours


def test_the_order_list_selects_rows_with_it(client, retail, funded_retail, unlock_retail):
    place(funded_retail, unlock_retail)
    staff = UserFactory(storefront=retail, is_staff=True, is_superuser=False)
    staff.groups.add(Group.objects.get(name="Support"))
    client.force_login(staff)
    page = client.get("/admin/orders/order/", HTTP_HOST="imeiserver.localhost").content.decode()
    assert page.count('name="_selected_action"') == 1
    assert 'id="action-toggle"' in page
