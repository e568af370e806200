"""Create (or refresh) the two demo storefronts and their demo accounts and money. Safe to run again.

It lives in ``config`` because it seeds every app; each app keeps its own seeding functions.
"""

from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.api_keys import api_key_authenticate, api_key_create
from accounts.services import account_create_verified, terms_acceptance_record
from billing.demo import demo_credit_seed, demo_packages_seed, demo_rates_load, demo_topup_seed
from catalog.demo import demo_catalog_seed
from disputes.demo import demo_disputable_order_seed
from providers.demo import (
    DEMO_UPSTREAM_EMAIL,
    demo_dhru_upstream_seed,
    demo_sandbox_seed,
    demo_upstream_key,
)
from storefronts.demo import DEMO_PASSWORD, DEMO_STAFF, DEMO_STOREFRONTS, DEMO_SUPERUSER
from storefronts.links import site_url
from storefronts.models import Storefront
from storefronts.selectors import terms_current
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
                translations={
                    code: path.read_text()
                    for code, path in spec.get("terms_translation_files", {}).items()
                },
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
                    demo_disputable_order_seed(user)
            self.stdout.write(f"  {storefront.display_name}: {site_url(spec['host'])}")
        account_create_verified(
            storefront=None, email=DEMO_SUPERUSER, password=DEMO_PASSWORD, is_superuser=True
        )
        self._supply_chain()
        self.stdout.write(self.style.SUCCESS("Demo storefronts are ready."))

    def _supply_chain(self):
        """Retail buys from the reseller over its DHRU endpoint; the reseller from the sandbox."""
        retail = Storefront.objects.get(slug="imeiserver")
        reseller = Storefront.objects.get(slug="doctorsim")
        demo_sandbox_seed(reseller)
        upstream = account_create_verified(
            storefront=reseller, email=DEMO_UPSTREAM_EMAIL, password=DEMO_PASSWORD
        )
        terms_acceptance_record(
            user=upstream, terms_version=terms_current(reseller), ip_address=None
        )
        demo_credit_seed(upstream, minimum=Decimal("1000"))
        # The key is stored encrypted on the retail demo's connection, as staff store any.
        key = demo_upstream_key(storefront=retail, upstream_storefront=reseller)
        if api_key_authenticate(storefront=reseller, email=DEMO_UPSTREAM_EMAIL, key=key) is None:
            _row, key = api_key_create(user=upstream, name="imeiserver.localhost upstream (demo)")
        demo_dhru_upstream_seed(
            storefront=retail,
            upstream_storefront=reseller,
            upstream_host="doctorsim.localhost",
            api_key=key,
            # The reseller demo answers on this machine, on the port `make run` serves (SITE_PORT).
            port=int(settings.SITE_PORT or 80),
        )
        self.stdout.write(
            "  Supply chain: imeiserver → doctorsim (DHRU API, key stored encrypted) → sandbox lab"
        )
