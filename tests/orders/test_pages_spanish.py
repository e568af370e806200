"""A customer of the reseller demo whose browser asks for Spanish finds a model, orders, follows
the order, reads a check certificate and prints a receipt in Spanish; the retail demo stays
English. Timeline messages are stored in English and read in the page's language."""

from __future__ import annotations

import pytest

from billing.models import Payment
from orders.models import Order
from orders.selectors import event_message_text
from orders.services import order_complete
from tests.orders.conftest import place, service_make

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9,en;q=0.5"}

BLACKLISTED = {
    "blacklist_status": "blacklisted",
    "reason": "Lost/stolen",
    "carrier": "Vodafone ES",
    "source": "GSMA",
    "checked_at": "2026-12-01T08:30:00+00:00",
}


def _spanish(client, path: str) -> str:
    response = client.get(path, **SPANISH)
    assert response.status_code == 200, path
    page = response.content.decode()
    assert '<html lang="es">' in page
    return page


def _absent(page: str, *english: str) -> None:
    for text in english:
        assert text not in page, text


@pytest.fixture
def check_reseller(reseller):
    return service_make(reseller, "phone_check", "1.20", name="GSMA blacklist check")


def test_the_catalog_and_a_service_page_read_in_spanish(
    reseller_client, funded_reseller, unlock_reseller
):
    reseller_client.force_login(funded_reseller)
    catalog = _spanish(reseller_client, "/services/")
    assert "Servicios" in catalog and "Todas las marcas" in catalog
    assert "Liberaciones por IMEI" in catalog and ">Pedir</a>" in catalog
    assert "1 servicio." in catalog
    _absent(catalog, "All brands", "IMEI unlocks", ">Order</a>", "taxes included", "1 service.")

    service = _spanish(reseller_client, f"/services/{unlock_reseller.pk}/")
    assert "Lo que necesitará" in service and "Plazo indicado" in service
    assert "15 dígitos: marque *#06# para verlo" in service
    assert "Entrega garantizada" in service and "en 48 horas (2 días)" in service
    assert "Puede cancelar en los 10 minutos siguientes al pedido" in service
    _absent(service, "What you will need", "Indicated time", "48 hours", "cancel within")


def test_the_order_form_reads_in_spanish(reseller_client, funded_reseller, unlock_reseller):
    reseller_client.force_login(funded_reseller)
    form = _spanish(reseller_client, f"/orders/new/{unlock_reseller.pk}/")
    assert "Pedido: " in form and "Precio garantizado hasta" in form
    assert "Su referencia (opcional)" in form and "Pedir por 12,00 créditos" in form
    assert "¿Muchos IMEI? Haga un pedido múltiple" in form
    _absent(form, "Price guaranteed until", "Your reference", "Order for ", "Many IMEIs")


def test_a_bad_imei_is_refused_in_spanish(reseller_client, funded_reseller, unlock_reseller):
    reseller_client.force_login(funded_reseller)
    form = _spanish(reseller_client, f"/orders/new/{unlock_reseller.pk}/")
    quote = form.split('name="quote" value="', 1)[1].split('"', 1)[0]
    response = reseller_client.post(
        f"/orders/new/{unlock_reseller.pk}/",
        {"quote": quote, "form_token": "es1", "IMEI": "12345"},
        **SPANISH,
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Un IMEI tiene exactamente 15 dígitos; este tiene 5." in page
    assert "exactly 15 digits" not in page


def test_an_order_page_and_its_timeline_read_in_spanish(
    reseller_client, funded_reseller, unlock_reseller
):
    order = place(funded_reseller, unlock_reseller)
    reseller_client.force_login(funded_reseller)
    page = _spanish(reseller_client, f"/orders/{order.pk}/")
    assert f"Pedido n.º {order.number}" in page and "Historial" in page
    assert "Pedido realizado. Puede cancelarlo hasta que se cierre el plazo de cancelación." in page
    assert "Cancelar y reembolsar" in page
    _absent(page, "Order placed", "Timeline", "Cancel and refund", "Charged")

    # The orders list, in Spanish too.
    listing = _spanish(reseller_client, "/orders/")
    assert "Mis pedidos" in listing and "Nuevo pedido" in listing
    assert 'data-label="Realizado (UTC)"' in listing
    assert 'for="id_status">Estado</label>' in listing
    _absent(listing, "My orders", "New order", "Placed (UTC)", ">Status<", ">Service<")


def test_a_check_certificate_reads_in_spanish(reseller_client, funded_reseller, check_reseller):
    # DS-3: the status, the warning and the GSMA caveat in the customer's language.
    order = place(funded_reseller, check_reseller)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.QUEUED)
    order = order_complete(order=Order.objects.get(pk=order.pk), result=BLACKLISTED)
    reseller_client.force_login(funded_reseller)
    page = _spanish(reseller_client, f"/orders/{order.pk}/")
    assert "Completado: su resultado está listo." not in page  # said once: the badge + the rest
    assert "Su resultado está listo." in page
    assert "En la lista negra" in page and "1 diciembre 2026, 10:30" in page
    certificate = _spanish(reseller_client, f"/orders/{order.pk}/certificate/")
    assert "certificado de comprobación de teléfono" in certificate
    assert "Aviso" in certificate and "Red / operador" in certificate
    assert "base de datos de la GSMA, actualizada a diario" in certificate
    assert "Imprimir o guardar como PDF" in certificate
    _absent(certificate, "Warning", "Network / carrier", "GSMA database", "Print or save")


def test_a_payment_receipt_reads_in_spanish(reseller_client, funded_reseller):
    payment = Payment.objects.filter(user=funded_reseller).get()
    reseller_client.force_login(funded_reseller)
    page = _spanish(reseller_client, f"/billing/payments/{payment.pk}/receipt/")
    assert "Recibo" in page and "Importe pagado" in page and "Abonado a su saldo" in page
    _absent(page, "Amount paid", "Credited to your balance", "Paid on")


def test_the_retail_demo_stays_english_for_a_spanish_browser(
    retail_client, funded_retail, unlock_retail
):
    order = place(funded_retail, unlock_retail)
    retail_client.force_login(funded_retail)
    for path in ("/services/", f"/services/{unlock_retail.pk}/", f"/orders/{order.pk}/"):
        page = retail_client.get(path, **SPANISH).content.decode()
        assert '<html lang="en">' in page
        _absent(page, "Servicios", "Pedido", "Historial", "Plazo indicado")
    page = retail_client.get(f"/orders/{order.pk}/", **SPANISH).content.decode()
    assert "Timeline" in page and "Order placed" in page


@pytest.mark.parametrize(
    ("stored", "spanish"),
    [
        (
            "Order placed and queued for processing.",
            "Pedido realizado y en cola para su tramitación.",
        ),
        (
            "Rejected: No code or result is available for this request. The full price is back "
            "in your balance.",
            "Rechazado: No hay código ni resultado disponible para esta solicitud. El precio "
            "completo vuelve a su saldo.",
        ),
        (
            "Shipped back to you. Tracking number: 1Z999.",
            "Se lo hemos devuelto por envío. Número de seguimiento: 1Z999.",
        ),
        (
            "Refunded on request: the order was late.",
            "Reembolsado a petición: el pedido se retrasó.",
        ),
        ("A note staff typed.", "A note staff typed."),
    ],
)
def test_stored_timeline_messages_read_in_the_pages_language(stored, spanish):
    from django.utils import translation

    with translation.override("es"):
        assert event_message_text(stored) == spanish
    with translation.override("en"):
        assert event_message_text(stored) == stored
