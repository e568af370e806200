"""Support sees webhook endpoints and deliveries (read-only), to answer "did you send it?"."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {
    "Support": [("api", "view_webhookendpoint"), ("api", "view_webhookdelivery")],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
