"""Support staff see orders and their timelines, act on them (hold, refuse, complete, reject,
ship: the admin's actions need ``change_order``), and export order identities for the police
(DS-21, a permission of its own). Dispute admins see orders and their timelines."""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

EXPORT = ("export_order_identity", "Can export IMEI, email and IP of orders")

GRANTS = {
    "Support": [
        ("orders", "view_order"),
        ("orders", "change_order"),
        ("orders", "view_orderevent"),
        ("orders", EXPORT[0]),
    ],
    "Dispute admin": [
        ("orders", "view_order"),
        ("orders", "view_orderevent"),
    ],
}


def _export_permission(apps):
    """orders.models.Order has no Meta.permissions for it, so the permission is made here."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="orders", model="order")
    Permission.objects.get_or_create(
        content_type=content_type, codename=EXPORT[0], defaults={"name": EXPORT[1]}
    )


def grant(apps, schema_editor):
    _export_permission(apps)
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="orders", codename=EXPORT[0]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
