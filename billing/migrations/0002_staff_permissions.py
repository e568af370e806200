"""Support staff see wallets, statements and payments, and make manual adjustments."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {
    "Support": [
        ("billing", "view_wallet"),
        ("billing", "view_ledgerentry"),
        ("billing", "view_payment"),
        ("billing", "view_creditpackage"),
        ("billing", "view_adjustment"),
        ("billing", "add_adjustment"),
    ],
    "Dispute admin": [
        ("billing", "view_wallet"),
        ("billing", "view_ledgerentry"),
        ("billing", "view_payment"),
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
