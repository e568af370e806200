"""Staff groups and the catalog: Support and Dispute admin look services up (what was ordered, at
which price); Support also sees price groups and their members. A "Catalog manager" group edits
services, their fields and prices, and price groups (give it to the staff who run the catalog)."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

VIEW = [
    ("catalog", "view_service"),
    ("catalog", "view_servicefield"),
    ("catalog", "view_pricetier"),
]
MANAGE = [
    ("catalog", f"{action}_{model}")
    for model in (
        "service",
        "servicefield",
        "pricetier",
        "customergroup",
        "customergroupmembership",
    )
    for action in ("view", "add", "change", "delete")
]

GRANTS = {
    "Support": [
        *VIEW,
        ("catalog", "view_customergroup"),
        ("catalog", "view_customergroupmembership"),
    ],
    "Dispute admin": VIEW,
    "Catalog manager": [*MANAGE, ("storefronts", "view_storefront"), ("accounts", "view_user")],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)
    apps.get_model("auth", "Group").objects.filter(
        name="Catalog manager", permissions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
