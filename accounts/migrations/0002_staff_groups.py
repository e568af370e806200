"""Staff groups: Support (refund work) and Dispute admin (disputes).

Later apps add their own permissions to these groups in their migrations.
"""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {
    "Support": [
        ("accounts", "view_user"),
        ("accounts", "change_user"),
        ("accounts", "view_termsacceptance"),
        ("storefronts", "view_storefront"),
        ("storefronts", "view_termsversion"),
    ],
    "Dispute admin": [
        ("accounts", "view_user"),
        ("storefronts", "view_storefront"),
        ("storefronts", "view_termsversion"),
    ],
}


def create_groups(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GRANTS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("storefronts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
