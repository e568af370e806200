"""Staff groups and suppliers: the "Catalog manager" group (who runs services and prices) runs
supplier connections and routes too, including the import and balance actions (``change``);
Support sees them, to tell a customer where an order went."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

MANAGE = [
    ("providers", f"{action}_{model}")
    for model in ("providerconnection", "serviceroute")
    for action in ("view", "add", "change", "delete")
]

GRANTS = {
    "Catalog manager": MANAGE,
    "Support": [
        ("providers", "view_providerconnection"),
        ("providers", "view_serviceroute"),
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0001_initial"),
        ("catalog", "0002_staff_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
