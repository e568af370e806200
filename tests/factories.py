"""Factories for tests: storefronts like the two demo ones, and accounts at them."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from storefronts.demo import DEMO_STOREFRONTS
from storefronts.models import Storefront, StorefrontDomain, TermsVersion

PASSWORD = "correct-horse-battery-9"


def demo_storefront(slug: str) -> Storefront:
    """A storefront with the settings, host and terms of one demo storefront of POLICY.md."""
    from storefronts.services import storefront_upsert, terms_version_publish

    spec = next(s for s in DEMO_STOREFRONTS if s["slug"] == slug)
    storefront = storefront_upsert(slug=spec["slug"], host=spec["host"], fields=spec["fields"])
    terms_version_publish(storefront=storefront, label=spec["terms_label"], text="Terms text.")
    return storefront


class StorefrontFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Storefront

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop{n}")
    display_name = factory.LazyAttribute(lambda o: o.name)
    domain = factory.RelatedFactory(
        "tests.factories.StorefrontDomainFactory",
        factory_related_name="storefront",
        host=factory.LazyAttribute(lambda o: f"{o.factory_parent.slug}.test"),
    )
    terms = factory.RelatedFactory(
        "tests.factories.TermsVersionFactory", factory_related_name="storefront"
    )


class StorefrontDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorefrontDomain

    host = factory.Sequence(lambda n: f"host{n}.test")
    is_primary = True


class TermsVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsVersion

    label = factory.Sequence(lambda n: f"v{n}")
    text = "These are the terms."


class UserFactory(factory.django.DjangoModelFactory):
    """A customer with a verified email; ``UserFactory(verified=False)`` for an unverified one."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    storefront = factory.SubFactory(StorefrontFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    username = factory.LazyAttribute(
        lambda o: f"{o.storefront.slug if o.storefront else 'platform'}.{o.email}"
    )

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=obj, email=obj.email, primary=True, verified=extracted is not False
            )

    @factory.post_generation
    def accepted_terms(obj, create, extracted, **kwargs):
        """Like signing up: the account accepted the storefront's current terms (IS-1);
        ``UserFactory(accepted_terms=False)`` for one that has not."""
        if not create or extracted is False or obj.storefront_id is None:
            return
        from accounts.models import TermsAcceptance
        from storefronts.selectors import terms_current

        current = terms_current(obj.storefront)
        if current is not None:
            TermsAcceptance.objects.create(
                user=obj, storefront_id=obj.storefront_id, terms_version=current
            )
