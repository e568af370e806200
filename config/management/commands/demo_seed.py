"""Create (or refresh) the two demo storefronts and their demo accounts and money. Safe to run again.

It lives in ``config`` because it seeds every app; each app keeps its own seeding functions.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import account_create_verified
from billing.demo import demo_packages_seed, demo_rates_load, demo_topup_seed
from catalog.demo import demo_catalog_seed
from storefronts.demo import DEMO_PASSWORD, DEMO_STAFF, DEMO_STOREFRONTS, DEMO_SUPERUSER
from storefronts.services import storefront_upsert, terms_version_publish


class Command(BaseCommand):
    help = "Seed the demo storefronts imeiserver.localhost and doctorsim.localhost (never in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo_seed refuses to run under production settings (DJANGO_ENV=production)."
            )
        demo_rates_load()
        for spec in DEMO_STOREFRONTS:
            storefront = storefront_upsert(
                slug=spec["slug"], host=spec["host"], fields=spec["fields"]
            )
            terms_version_publish(
                storefront=storefront,
                label=spec["terms_label"],
                text=spec["terms_file"].read_text(),
            )
            demo_packages_seed(storefront)
            demo_catalog_seed(storefront)
            for email, group in DEMO_STAFF:
                user = account_create_verified(
                    storefront=storefront,
                    email=email,
                    password=DEMO_PASSWORD,
                    is_staff=group is not None,
                    group_names=(group,) if group else (),
                )
                if group is None:
                    demo_topup_seed(user)
            self.stdout.write(f"  {storefront.display_name}: http://{spec['host']}:8000/")
        account_create_verified(
            storefront=None, email=DEMO_SUPERUSER, password=DEMO_PASSWORD, is_superuser=True
        )
        self.stdout.write(self.style.SUCCESS("Demo storefronts are ready."))
