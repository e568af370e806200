"""Writes about storefronts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Storefront, StorefrontDomain, TermsVersion


@transaction.atomic
def storefront_upsert(*, slug: str, host: str, fields: dict) -> Storefront:
    """Create or update a storefront and its primary host; validates every policy field."""
    storefront = Storefront.objects.filter(slug=slug).first() or Storefront(slug=slug)
    for name, value in fields.items():
        setattr(storefront, name, value)
    storefront.full_clean()
    storefront.save()
    StorefrontDomain.objects.update_or_create(
        host=host.lower(), defaults={"storefront": storefront, "is_primary": True}
    )
    return storefront


@transaction.atomic
def terms_version_publish(
    *, storefront: Storefront, label: str, text: str, translations: dict[str, str] | None = None
) -> TermsVersion:
    """Publish a terms version (once per label); customers accept it with their next order (IS-13).

    ``translations`` holds the same version in the storefront's other languages
    (``{"es": "…"}``); publishing a label again adds or replaces its translations, never its
    text, so what a customer accepted stays what it was."""
    version, created = TermsVersion.objects.get_or_create(
        storefront=storefront,
        label=label,
        defaults={
            "text": text,
            "translations": translations or {},
            "published_at": timezone.now(),
        },
    )
    if created:
        version.full_clean()
    elif translations and version.translations != {**version.translations, **translations}:
        version.translations = {**version.translations, **translations}
        version.full_clean()
        version.save(update_fields=["translations"])
    return version
