"""Staff see the notification log (on each order's page and in its own list); Support can also send
a failed notification again (``change``)."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {
    "Support": [
        ("accounts", "view_notification"),
        ("accounts", "change_notification"),
    ],
    "Dispute admin": [
        ("accounts", "view_notification"),
    ],
}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_notification"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
