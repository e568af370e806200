"""Print a new API key for one customer account: ``api_key_create --storefront SLUG --email E``."""

from django.core.management.base import BaseCommand, CommandError

from accounts.api_keys import ApiKeyError, api_key_create
from accounts.models import User
from storefronts.models import Storefront


class Command(BaseCommand):
    help = "Create an API key for the account with EMAIL at storefront SLUG and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--storefront", required=True, help="The storefront's slug")
        parser.add_argument("--email", required=True, help="The account's email")
        parser.add_argument("--name", default="Created from the command line")

    def handle(self, *args, storefront, email, name, **options):
        shop = Storefront.objects.filter(slug=storefront).first()
        if shop is None:
            raise CommandError(f"No storefront with slug {storefront!r}.")
        user = User.objects.filter(storefront=shop, email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with email {email!r} at {shop.slug}.")
        try:
            key, plaintext = api_key_create(user=user, name=name)
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"API key {key.prefix}… for {user.email} at {shop.slug} (shown only now):"
        )
        self.stdout.write(plaintext)
