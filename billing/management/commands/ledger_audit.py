"""Check the ledger invariants; print what breaks and exit non-zero on any breach."""

from django.core.management.base import BaseCommand, CommandError

from billing.audit import ledger_audit
from storefronts.models import Storefront


class Command(BaseCommand):
    help = "Check every wallet, payment and storefront total against the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--storefront", help="slug of one storefront (default: all)")

    def handle(self, *args, **options):
        storefronts = Storefront.objects.all()
        if options.get("storefront"):
            storefronts = storefronts.filter(slug=options["storefront"])
            if not storefronts.exists():
                raise CommandError(f"No storefront {options['storefront']!r}.")
        report = ledger_audit(storefronts)
        for breach in report.breaches:
            self.stderr.write(breach)
        summary = f"{report.wallets_checked} wallets, {report.payments_checked} payments checked"
        if not report.ok:
            raise CommandError(f"ledger audit FAILED: {len(report.breaches)} breach(es); {summary}")
        self.stdout.write(self.style.SUCCESS(f"ledger audit OK: {summary}"))
