"""Order e-mails are written in the customer's language (README, "Languages"), whatever language
the request or task that sends them runs in."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def test_order_confirmation_to_a_spanish_customer_is_in_spanish(
    funded_reseller, unlock_reseller, mailoutbox, django_capture_on_commit_callbacks
):
    funded_reseller.language = "es"
    funded_reseller.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        order = place(funded_reseller, unlock_reseller)
    (message,) = [m for m in mailoutbox if m.to == [funded_reseller.email]]
    assert message.subject == f"[DoctorSIM Pro] Pedido #{order.number} confirmado"
    assert f"hemos recibido su pedido n.º {order.number} en DoctorSIM Pro." in message.body
    assert "Cobrado: 12,00 EUR" in message.body  # the amount in the Spanish locale
    assert "Puede cancelarlo con reembolso completo hasta el" in message.body  # DS-11


def test_order_confirmation_to_an_english_customer_stays_english_in_a_spanish_request(
    funded_reseller, unlock_reseller, mailoutbox, django_capture_on_commit_callbacks
):
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        order = place(funded_reseller, unlock_reseller)
    (message,) = [m for m in mailoutbox if m.to == [funded_reseller.email]]
    assert message.subject == f"[DoctorSIM Pro] Order #{order.number} confirmed"
    assert "Charged: 12.00 EUR" in message.body
