"""Support staff work the refund queue (approve, refuse, mark paid need ``change_refundrequest``);
Dispute admins see refund requests, since a won dispute is paid through one."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {
    "Support": [
        ("refunds", "view_refundrequest"),
        ("refunds", "change_refundrequest"),
        ("refunds", "view_refundevent"),
    ],
    "Dispute admin": [
        ("refunds", "view_refundrequest"),
        ("refunds", "view_refundevent"),
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
