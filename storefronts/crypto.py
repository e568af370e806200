"""Secrets at rest: values encrypted with ``cryptography``'s MultiFernet (DESIGN.md, "Secrets").

The keys come from the environment, ``FIELD_ENCRYPTION_KEYS`` (comma-separated Fernet keys, read
into ``settings.FIELD_ENCRYPTION_KEYS``): the first one encrypts, every one decrypts. To rotate,
put a new key first and keep the old ones after it, run ``manage.py secrets_reencrypt`` (every
value is encrypted again with the first key), then drop the old keys.

``EncryptedTextField`` is a model field whose Python value is the plain text and whose database
value is the Fernet token, so a dump of the database never holds a secret. Its tokens differ on
every save and cannot be searched or compared in SQL; a form shows them to nobody.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast


class SecretUnreadable(ImproperlyConfigured):
    """A stored secret that none of the configured keys decrypts (a key was dropped too early)."""


def _fernets() -> list[Fernet]:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [])
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: no key to encrypt secrets.")
    return [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]


def secret_encrypt(plaintext: str) -> str:
    """The Fernet token (text) of ``plaintext``, under the newest key."""
    return MultiFernet(_fernets()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def secret_decrypt(token: str) -> str:
    """The plain text of a token made under any of the configured keys."""
    try:
        return MultiFernet(_fernets()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was a key removed "
            "before `manage.py secrets_reencrypt` ran?"
        ) from exc


def secret_is_current(token: str) -> bool:
    """True when the newest key alone decrypts ``token`` (nothing to re-encrypt)."""
    try:
        _fernets()[0].decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def secret_reencrypt(token: str) -> str:
    """The same secret as a token under the newest key (MultiFernet.rotate)."""
    try:
        return MultiFernet(_fernets()).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretUnreadable("A stored secret cannot be decrypted to re-encrypt it.") from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted; "" stays "" (no secret). Never a lookup: tokens are not comparable."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return secret_decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return secret_encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None  # "= token" would never match: a fresh token differs every time
        return super().get_lookup(lookup_name)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) of the project that stores an encrypted value."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def secrets_reencrypt() -> dict[str, tuple[int, int]]:
    """Encrypt every stored secret again under the newest key; per "app.Model.field", (how many
    were re-encrypted, how many were current already). Each row is a compare-and-set on its token,
    so a secret replaced meanwhile (already under the newest key) is left alone. Raises
    SecretUnreadable, before writing that row, for a token no configured key decrypts."""
    report: dict[str, tuple[int, int]] = {}
    for model, field in encrypted_fields():
        manager = model._base_manager
        raw = {"_token": Cast(field.attname, output_field=models.TextField())}
        rows = (
            manager.annotate(**raw)
            .exclude(_token__isnull=True)
            .exclude(_token="")
            .values_list("pk", "_token")
        )
        changed = current = 0
        for pk, token in rows.iterator():
            if secret_is_current(token):
                current += 1
                continue
            fresh = Value(secret_reencrypt(token), output_field=models.TextField())
            changed += (
                manager.annotate(**raw).filter(pk=pk, _token=token).update(**{field.attname: fresh})
            )
        report[f"{model._meta.label}.{field.name}"] = (changed, current)
    return report
