"""Secrets at rest: encrypted with MultiFernet under keys from the environment, unreadable in the
database, and rotated to a new key by `secrets_reencrypt`."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection as db

from providers.models import ProviderConnection
from storefronts.crypto import SecretUnreadable, secret_decrypt, secret_encrypt

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SECRET = "supplier-api-key-0123456789"


def raw_key(connection) -> str:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM providers_providerconnection WHERE id = %s", [connection.pk]
        )
        return cursor.fetchone()[0]


def supplier(storefront, api_key=SECRET, name="Supplier") -> ProviderConnection:
    return ProviderConnection.objects.create(
        storefront=storefront,
        name=name,
        kind="dhru",
        base_url="https://supplier.example.com/",
        username="shop",
        api_key=api_key,
    )


def reencrypt() -> str:
    out = io.StringIO()
    call_command("secrets_reencrypt", stdout=out)
    return out.getvalue()


def test_a_secret_is_a_fresh_token_each_time_and_reads_back(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    first, second = secret_encrypt(SECRET), secret_encrypt(SECRET)
    assert first != second and SECRET not in first
    assert secret_decrypt(first) == secret_decrypt(second) == SECRET
    assert Fernet(NEW_KEY.encode()).decrypt(first.encode()).decode() == SECRET


def test_the_database_holds_a_token_never_the_secret(retail, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    connection = supplier(retail)
    assert SECRET not in raw_key(connection) and raw_key(connection).startswith("gAAAAA")
    assert ProviderConnection.objects.get(pk=connection.pk).api_key == SECRET
    empty = supplier(retail, api_key="", name="No key")
    assert raw_key(empty) == ""  # no secret, nothing to encrypt
    with pytest.raises(FieldError):  # a token never equals a fresh encryption: no lookups
        ProviderConnection.objects.filter(api_key=SECRET).exists()


def test_rotation_with_two_keys(retail, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    connection = supplier(retail)
    supplier(retail, api_key="", name="No key")
    under_old = raw_key(connection)

    # A new key goes first; the old one still decrypts what it encrypted.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert ProviderConnection.objects.get(pk=connection.pk).api_key == SECRET
    output = reencrypt()
    assert "providers.ProviderConnection.api_key: 1 re-encrypted, 0 already current" in output
    under_new = raw_key(connection)
    assert under_new != under_old and SECRET not in under_new
    assert Fernet(NEW_KEY.encode()).decrypt(under_new.encode()).decode() == SECRET
    with pytest.raises(InvalidToken):
        Fernet(OLD_KEY.encode()).decrypt(under_new.encode())
    assert "0 re-encrypted, 1 already current" in reencrypt()  # nothing left to do

    # The old key can go now.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert ProviderConnection.objects.get(pk=connection.pk).api_key == SECRET


def test_dropping_a_key_before_rotating_is_a_clear_error(retail, settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    connection = supplier(retail)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(SecretUnreadable, match="secrets_reencrypt"):
        ProviderConnection.objects.get(pk=connection.pk)
    with pytest.raises(SecretUnreadable):
        reencrypt()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert ProviderConnection.objects.get(pk=connection.pk).api_key == SECRET
