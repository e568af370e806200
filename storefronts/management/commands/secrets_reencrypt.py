"""Encrypt every stored secret again with the newest encryption key (key rotation)."""

from django.core.management.base import BaseCommand

from storefronts.crypto import secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (supplier API keys, bank details, …) with the first key "
        "of FIELD_ENCRYPTION_KEYS. Rotate by putting a new key first, running this, then "
        "dropping the old key."
    )

    def handle(self, *args, **options):
        report = secrets_reencrypt()
        for name, (changed, current) in report.items():
            self.stdout.write(f"  {name}: {changed} re-encrypted, {current} already current")
        total = sum(changed for changed, _ in report.values())
        self.stdout.write(self.style.SUCCESS(f"{total} secrets re-encrypted with the newest key."))
