"""A supplier's API key is bound to the address it was pasted for (issue 29): the keys stored
before keep working at the address they have now; a later change of address removes them unless
a key is entered again. Address changes are recorded."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from providers.models import address_origin


def bind_stored_keys(apps, schema_editor):
    Connection = apps.get_model("providers", "ProviderConnection")
    for connection in Connection.objects.filter(api_key_set_at__isnull=False).only(
        "pk", "base_url", "host_header"
    ):
        Connection.objects.filter(pk=connection.pk).update(
            api_key_origin=address_origin(connection.base_url, connection.host_header)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0007_connection_storefront_api"),
        ("storefronts", "0005_languages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="providerconnection",
            name="api_key_origin",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The address (scheme://host:port) the key was pasted for; it is sent nowhere else",
                max_length=400,
            ),
        ),
        migrations.CreateModel(
            name="ConnectionAddressChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("previous_origin", models.CharField(blank=True, max_length=400)),
                ("new_origin", models.CharField(blank=True, max_length=400)),
                (
                    "key",
                    models.CharField(
                        choices=[
                            ("entered_again", "a new key was entered for the new address"),
                            ("removed", "the stored key was removed"),
                            ("none", "no key was stored"),
                        ],
                        max_length=15,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="address_changes",
                        to="providers.providerconnection",
                    ),
                ),
                (
                    "storefront",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="storefronts.storefront",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["connection", "-created_at"], name="providers_c_connect_8b649f_idx"
                    )
                ],
            },
        ),
        migrations.RunPython(bind_stored_keys, migrations.RunPython.noop),
    ]
