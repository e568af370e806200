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
    translations = {
        code: "Texto de los términos." for code in spec.get("terms_translation_files", {})
    }
    terms_version_publish(
        storefront=storefront,
        label=spec["terms_label"],
        text="Terms text.",
        translations=translations,
    )
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


def staff_group(name: str):
    """The staff group ``name`` with every permission the apps' data migrations grant it.

    A transactional test (live server, threads) empties the tables afterwards, data migrations'
    rows included, so a later test may find no groups or permissions: this puts them back the way
    the migrations made them (each migration's ``GRANTS``), then returns the one asked for.
    """
    import importlib
    from pathlib import Path

    from django.apps import apps as django_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    group = Group.objects.filter(name=name).first()
    if group is not None and group.permissions.exists():
        return group
    for app_config in django_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for app_config in django_apps.get_app_configs():
        folder = Path(app_config.path) / "migrations"
        if not folder.is_dir() or "site-packages" in str(folder):
            continue
        for path in sorted(folder.glob("0*.py")):
            module = importlib.import_module(f"{app_config.name}.migrations.{path.stem}")
            grants = getattr(module, "GRANTS", None)
            if not isinstance(grants, dict):
                continue
            for group_name, perms in grants.items():
                group, _ = Group.objects.get_or_create(name=group_name)
                for app_label, codename in perms:
                    permission = Permission.objects.filter(
                        content_type__app_label=app_label, codename=codename
                    ).first()
                    if permission is None:  # a custom one a migration made by hand
                        model = codename.split("_", 1)[1] if "_" in codename else codename
                        content_type = ContentType.objects.filter(app_label=app_label).first()
                        if content_type is None:
                            continue
                        permission, _ = Permission.objects.get_or_create(
                            content_type=ContentType.objects.filter(
                                app_label=app_label, model=model
                            ).first()
                            or content_type,
                            codename=codename,
                            defaults={"name": codename.replace("_", " ")},
                        )
                    group.permissions.add(permission)
    return Group.objects.get(name=name)
