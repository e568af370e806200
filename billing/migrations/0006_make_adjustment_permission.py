"""Manual adjustments need their own permission, ``billing.make_adjustment``; no demo group holds it.

Before this, Support's ``add_adjustment`` was enough to credit any wallet, their own included
(issue 29). The admin and ``billing.services.adjustment_create`` now ask for ``make_adjustment``
only, so ``add_adjustment`` is taken back from Support: left in place it would read as a power it
no longer gives.

Who holds ``make_adjustment``: nobody by default. An adjustment now only undoes a named ledger
entry (IS-2): an order charged by the storefront's mistake, or an earlier adjustment made in
error. Late or failed orders are refunded by the orders and refunds apps, which Support already
works through, so Support's daily work needs no adjustments. The platform operator (a superuser,
who holds every permission) makes them, or grants ``make_adjustment`` to a named staff member
or group when a storefront needs it. Support keeps ``view_adjustment``.
"""

from django.db import migrations

from accounts.group_permissions import group_permissions_grant

TAKEN_BACK = {"Support": [("billing", "add_adjustment")]}


def forwards(apps, schema_editor):
    group_permissions_grant(apps, TAKEN_BACK, revoke=True)


def backwards(apps, schema_editor):
    group_permissions_grant(apps, TAKEN_BACK)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_adjustment_corrects_and_permission"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
