"""Writes to the catalog. Every row goes through ``full_clean()``, so the model's rules hold
whatever writes it (DS-24: no IMEI-changing service)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from .models import (
    DHRU_FIELDS,
    CustomerGroup,
    CustomerGroupMembership,
    PriceTier,
    Service,
    ServiceField,
)


@transaction.atomic
def service_upsert(*, storefront, slug: str, **fields) -> Service:
    """Create the storefront's service with this slug, or update it with ``fields``.

    Raises ``ValidationError`` (nothing saved) when a field or a rule is broken, e.g. a service
    that would change an IMEI (DS-24).
    """
    service = Service.objects.filter(storefront=storefront, slug=slug).first()
    if service is None:
        service = Service(storefront=storefront, slug=slug)
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def service_field_upsert(*, service: Service, name: str, **fields) -> ServiceField:
    """A custom order field of the service, by its name (created or updated)."""
    field = ServiceField.objects.filter(service=service, name=name).first()
    if field is None:
        field = ServiceField(service=service, name=name)
    for key, value in fields.items():
        setattr(field, key, value)
    field.full_clean()
    field.save()
    return field


# DHRU ``Requires.Custom`` field types → ours.
SUPPLIER_FIELD_TYPES = {
    "text": ServiceField.Type.TEXT,
    "dropdown": ServiceField.Type.SELECT,
    "select": ServiceField.Type.SELECT,
    "radio": ServiceField.Type.RADIO,
    "textarea": ServiceField.Type.TEXTAREA,
    "tickbox": ServiceField.Type.TICKBOX,
    "checkbox": ServiceField.Type.TICKBOX,
    "datepicker": ServiceField.Type.DATE,
    "date": ServiceField.Type.DATE,
    "time": ServiceField.Type.TIME,
}


@transaction.atomic
def service_fields_from_supplier(
    *, service: Service, dhru_fields: list[str], custom_fields: list[dict]
) -> list[str]:
    """Give the service the order fields a supplier asks for, so every order routed there carries
    them: the DHRU fields are added to ``required_fields`` (none is taken away: another route may
    need it); each custom field (``name``, ``type`` as DHRU writes it, ``options``, ``required``,
    ``description``) is created, or its type, options and "required" follow the supplier's list
    (the label and help staff wrote are kept). Returns the names of the fields added."""
    added: list[str] = []
    required = list(service.required_fields or [])
    for name in dhru_fields:
        if name in DHRU_FIELDS and name not in required:
            required.append(name)
            added.append(name)
    if required != list(service.required_fields or []):
        Service.objects.filter(pk=service.pk).update(required_fields=required)
        service.required_fields = required
    existing = {f.name: f for f in ServiceField.objects.filter(service=service)}
    position = max((f.position for f in existing.values()), default=0)
    for custom in custom_fields:
        name = str(custom.get("name") or "").strip()[:100]
        if not name or name in DHRU_FIELDS:
            continue  # a DHRU field is a flag of the service, not a custom field
        kind = SUPPLIER_FIELD_TYPES.get(str(custom.get("type") or "").lower(), "text")
        options = [str(o) for o in custom.get("options") or []]
        if kind in ServiceField.CHOICE_TYPES and not options:
            kind = ServiceField.Type.TEXT  # a choice without choices: let them type it
        wanted = {
            "type": kind,
            "options": options if kind in ServiceField.CHOICE_TYPES else [],
            "required": bool(custom.get("required", True)),
        }
        field = existing.get(name)
        if field is None:
            field = ServiceField(
                service=service,
                name=name,
                label=name,
                help_text=str(custom.get("description") or "").strip()[:200],
                position=position + 1,
                **wanted,
            )
        elif all(getattr(field, k) == v for k, v in wanted.items()):
            continue
        else:
            for key, value in wanted.items():
                setattr(field, key, value)
        try:
            field.full_clean()
        except ValidationError:
            continue  # a name we cannot keep (e.g. control characters): left for staff
        is_new = field.pk is None
        field.save()
        if is_new:
            position += 1
            existing[name] = field
            added.append(name)
    return added


@transaction.atomic
def customer_group_upsert(
    *, storefront, name: str, discount_percent: Decimal = Decimal("0")
) -> CustomerGroup:
    group = CustomerGroup.objects.filter(storefront=storefront, name=name).first()
    if group is None:
        group = CustomerGroup(storefront=storefront, name=name)
    group.discount_percent = Decimal(discount_percent)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def price_tier_set(*, service: Service, group: CustomerGroup, price: Decimal) -> PriceTier:
    """The group's own price for the service (instead of its discount)."""
    if group.storefront_id != service.storefront_id:
        raise ValidationError(
            gettext("The price group and the service belong to different storefronts.")
        )
    tier = PriceTier.objects.filter(service=service, group=group).first()
    if tier is None:
        tier = PriceTier(service=service, group=group)
    tier.price = Decimal(price)
    tier.full_clean()
    tier.save()
    return tier


@transaction.atomic
def customer_group_member_set(
    *, user, group: CustomerGroup | None
) -> CustomerGroupMembership | None:
    """Put the account in this price group (an account is in at most one), or in none."""
    if group is None:
        CustomerGroupMembership.objects.filter(user=user).delete()
        return None
    if group.storefront_id != user.storefront_id:
        raise ValidationError(
            gettext("The account and the price group belong to different storefronts.")
        )
    membership, _ = CustomerGroupMembership.objects.update_or_create(
        user=user, defaults={"group": group}
    )
    return membership


def service_delivery_average_set(*, service_id: int, seconds: int | None, sample: int) -> None:
    """DS-9: record the average delivery time of the service's last ``sample`` completed orders
    (the orders app measures it and calls down here)."""
    Service.objects.filter(pk=service_id).update(
        average_delivery_seconds=seconds, average_delivery_sample=sample
    )
