"""The development outbox lists sent emails so a person can click their links."""

import pytest
from django.core.mail import send_mail


@pytest.fixture
def outbox_backend(settings, tmp_path):
    settings.EMAIL_BACKEND = "accounts.outbox.DevOutboxBackend"
    settings.DEV_OUTBOX_DIR = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_outbox_lists_sent_mail_with_clickable_links(outbox_backend, retail_client, retail, capsys):
    send_mail(
        "Confirm", "Click http://imeiserver.localhost/accounts/confirm-email/abc/", None, ["a@b.c"]
    )
    page = retail_client.get("/dev/outbox/")
    assert page.status_code == 200
    assert '<a href="http://imeiserver.localhost/accounts/confirm-email/abc/"' in page.text
    assert "a@b.c" in page.text
    assert "Confirm" in capsys.readouterr().out  # also printed on the console


@pytest.mark.django_db
def test_outbox_does_not_exist_without_dev_tools(settings, retail_client, retail):
    settings.DEV_TOOLS_ENABLED = False
    assert retail_client.get("/dev/outbox/").status_code == 404
