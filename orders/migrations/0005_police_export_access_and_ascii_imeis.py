"""Support staff (who export, DS-21) see the export log; and IMEIs stored before IMEIs were
normalised (a fullwidth ``３５６９…`` was accepted as typed) become the ASCII digits they stand for,
so the duplicate check and the DS-21 export find them."""

import unicodedata

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

GRANTS = {"Support": [("orders", "view_policeexportlog")]}


def grant(apps, schema_editor):
    group_permissions_grant(apps, GRANTS)


def revoke(apps, schema_editor):
    group_permissions_grant(apps, GRANTS, revoke=True)


def imeis_to_ascii(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.exclude(imei="").only("pk", "imei", "fields").iterator():
        if order.imei.isascii():
            continue
        ascii_imei = unicodedata.normalize("NFKC", order.imei)
        if not (ascii_imei.isascii() and ascii_imei.isdigit()):
            continue  # not digits NFKC can read: left for staff to see as it was sent
        fields = dict(order.fields or {})
        if isinstance(fields.get("IMEI"), str):
            fields["IMEI"] = ascii_imei
        Order.objects.filter(pk=order.pk).update(imei=ascii_imei, fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_police_export_log"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(imeis_to_ascii, migrations.RunPython.noop),
    ]
