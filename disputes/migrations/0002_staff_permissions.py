"""The "Dispute admin" group resolves disputes (acting needs ``change_dispute``); "Support" may
look at them (and play their evidence), never act."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

VIEW = [
    ("disputes", "view_dispute"),
    ("disputes", "view_disputemessage"),
    ("disputes", "view_evidence"),
    ("disputes", "view_disputeevent"),
]
GRANTS = {
    "Dispute admin": [*VIEW, ("disputes", "change_dispute")],
    "Support": VIEW,
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
