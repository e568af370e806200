"""Number the orders already placed, per storefront, oldest first (placed_at, then pk), and set
each storefront's counter to its last number."""

from django.db import migrations

BATCH = 2000


def numbers_fill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Counter = apps.get_model("orders", "OrderNumberCounter")
    storefront_ids = Order.objects.values_list("storefront_id", flat=True).distinct()
    for storefront_id in sorted(set(storefront_ids)):
        rows = (
            Order.objects.filter(storefront_id=storefront_id)
            .order_by("placed_at", "pk")
            .values_list("pk", flat=True)
        )
        pending = []
        number = 0
        for pk in rows.iterator(chunk_size=BATCH):
            number += 1
            pending.append(Order(pk=pk, number=number))
            if len(pending) >= BATCH:
                Order.objects.bulk_update(pending, ["number"])
                pending = []
        if pending:
            Order.objects.bulk_update(pending, ["number"])
        Counter.objects.update_or_create(
            storefront_id=storefront_id, defaults={"last_number": number}
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_order_number_counter")]

    operations = [migrations.RunPython(numbers_fill, migrations.RunPython.noop)]
