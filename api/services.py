"""What the reseller API does, over the orders, catalog and billing services.

The protocol modules (``dhru.py``, the JSON API) parse and encode; this module answers with plain
data and raises ``DhruError`` or the lower apps' own errors: all ``UserError``s, whose messages are
safe to show and which each protocol turns into its reply in one place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from billing.display import format_balance_amount
from billing.services import wallet_get_or_create
from catalog.models import DHRU_FIELDS, Service
from catalog.selectors import service_prices_for, services_browse
from orders.fields import field_specs, imei_normalise
from orders.models import Order, Status
from orders.services import PlaceRequest, order_place
from storefronts.numbers import InvalidNumber, parse_id

from .dhru import DhruError, NotFound
from .models import IdempotencyKey

REFERENCE_MAX = 60  # "api:" + reference fits the 64 characters of an order's form token
TOKEN_PREFIX = "api:"
IDEMPOTENCY_MAX = 55  # "api-key:" + the Idempotency-Key header fits the form token
IDEMPOTENCY_PREFIX = "api-key:"
# A request that finds its Idempotency-Key claimed by one still being placed waits this long for
# it (polling), then answers 409; a claim this old with no order is a request that died, and
# the next one takes it over.
IDEMPOTENCY_WAIT = dt.timedelta(seconds=10)
IDEMPOTENCY_POLL_SECONDS = 0.05
IDEMPOTENCY_STALE = dt.timedelta(minutes=1)

# DHRU's names for our order fields, where clients use another spelling.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "MODEL": ("MODEL", "MODELID"),
    "PROVIDER": ("PROVIDER", "PROVIDERID"),
    "NETWORK": ("NETWORK", "NETWORKID"),
}
# The service-list flags of DHRU, per order field.
REQUIRES_FLAGS = {
    "Requires.Network": "NETWORK",
    "Requires.Mobile": "MODEL",
    "Requires.Provider": "PROVIDER",
    "Requires.PIN": "PIN",
    "Requires.KBH": "KBH",
    "Requires.MEP": "MEP",
    "Requires.PRD": "PRD",
    "Requires.Type": "TYPE",
    "Requires.Reference": "REFERENCE",
    "Requires.Locks": "LOCKS",
    "Requires.SN": "SN",
    "Requires.SecRO": "SECRO",
}
# Our custom field types → the ``fieldtype`` words of DHRU's ``Requires.Custom``.
CUSTOM_FIELD_TYPES = {
    "select": "dropdown",
    "radio": "radio",
    "textarea": "textarea",
    "tickbox": "tickbox",
    "date": "datepicker",
    "time": "time",
}

# DHRU order STATUS: 0 new, 1 in process, 3 rejected (refunded), 4 available (success).
STATUS_CODES: dict[str, int] = {
    Status.PENDING: 0,
    Status.QUEUED: 0,
    Status.SUBMITTED: 1,
    Status.IN_PROCESS: 1,
    Status.AWAITING_DEVICE: 1,
    Status.DEVICE_RECEIVED: 1,
    Status.REJECTED: 3,
    Status.CANCELLED: 3,
    Status.REFUSED: 3,
    Status.REFUNDED: 3,  # late, refunded on request (IS-3, DS-9)
    Status.CLOSED_NO_REFUND: 3,  # closed by the shop without a refund (DS-14): final all the same
    Status.DISPUTE_REFUNDED: 3,  # delivered, disputed and refunded (IS-9, DS-13)
    Status.COMPLETED: 4,
    Status.SHIPPED: 4,
}
CHECK_RESULT_LABELS = [
    ("blacklist_status", "Blacklist status"),
    ("reason", "Reason"),
    ("carrier", "Carrier"),
    ("source", "Source"),
    ("checked_at", "Checked at"),
]


# --- account and catalog -------------------------------------------------------------------------


def account_info(*, user: User) -> dict:
    wallet = wallet_get_or_create(user=user)
    return {
        "credit": format_balance_amount(wallet.balance, user.storefront),
        "creditraw": f"{wallet.balance:.2f}",
        "mail": user.email,
        "currency": wallet.currency,
    }


def _requires_custom(service: Service) -> list[dict]:
    """``Requires.Custom`` as the v6.1 standard lists it (``required`` 1 or 0)."""
    out = []
    for custom in service.custom_fields.all():
        out.append(
            {
                "type": "serviceimei",
                "fieldname": custom.name,
                "fieldlabel": custom.label,
                "fieldtype": CUSTOM_FIELD_TYPES.get(custom.type, "text"),
                "description": custom.help_text,
                "fieldoptions": ",".join(str(o) for o in custom.options or []),
                "required": 1 if custom.required else 0,
            }
        )
    return out


def _group_name(service: Service) -> str:
    return service.brand or f"{service.get_kind_display()}s"


def service_list(*, user: User) -> dict:
    """The storefront's active services at this customer's prices, grouped by brand (a fixed
    number of queries whatever the number of services)."""
    services = list(services_browse(storefront=user.storefront).prefetch_related("custom_fields"))
    prices = service_prices_for(services=services, user=user)
    groups: OrderedDict[str, dict] = OrderedDict()
    for service in services:
        name = _group_name(service)
        group = groups.setdefault(
            name, {"GROUPNAME": name, "GROUPTYPE": "IMEI", "SERVICES": OrderedDict()}
        )
        required = set(service.required_fields or [])
        entry = {
            "SERVICEID": service.pk,
            "SERVICETYPE": "IMEI",
            "SERVICENAME": service.name,
            "CREDIT": f"{prices[service.pk]:.2f}",
            "TIME": service.indicated_label.replace("–", "-"),
            "INFO": service.description,
            "KIND": service.kind,
            # One order per IMEI: no quantity (the standard's QNT fields, empty).
            "QNT": 0,
            "QNTOPTIONS": "",
            "MINQNT": "",
            "MAXQNT": "",
        }
        for flag, field_name in REQUIRES_FLAGS.items():
            entry[flag] = "Required" if field_name in required else "None"
        entry["Requires.Custom"] = _requires_custom(service)
        group["SERVICES"][str(service.pk)] = entry
    return groups


# --- placing orders ----------------------------------------------------------------------------


def id_parse(value, *, name: str) -> int:
    """An id sent to the API, read by the one rule for numbers from outside
    (``storefronts.numbers.parse_id``: decimal digits, NFKC, ASCII, 1 … 2**63-1), else a 400.
    "²" is no decimal digit, so a request for "²" never reaches order or service 2."""
    return parse_id(value, name=name)


def _service(user: User, raw_id: str) -> Service:
    raw_id = (raw_id or "").strip()
    if not raw_id:
        raise DhruError("Missing service ID.")
    return _active_service(user, id_parse(raw_id, name="The service ID"))


def _active_service(user: User, service_id: int) -> Service:
    service = (
        Service.objects.filter(storefront_id=user.storefront_id, is_active=True, pk=service_id)
        .select_related("storefront")
        .prefetch_related("custom_fields")
        .first()
    )
    if service is None:
        raise NotFound(f"Unknown service ID {service_id}.")
    return service


def order_values(service: Service, fields: dict) -> dict[str, str]:
    """The values the service's order fields get from a DHRU request: the DHRU fields by name
    (or DHRU's other spelling), custom fields from ``CUSTOMFIELD`` or the request itself, names
    matched without regard to case."""
    custom = {k.lower(): v for k, v in (fields.get("CUSTOMFIELD") or {}).items()}
    values: dict[str, str] = {}
    for spec in field_specs(service):
        if spec.name in DHRU_FIELDS:
            for alias in FIELD_ALIASES.get(spec.name, (spec.name,)):
                if fields.get(alias):
                    values[spec.name] = fields[alias]
                    break
        else:
            value = custom.get(spec.name.lower()) or fields.get(spec.name.upper())
            if value:
                values[spec.name] = value
    return values


def _form_token(*, reference: str, idempotency_key: str) -> str:
    """The order's form token: the ``Idempotency-Key`` header's, else the reference's (the same
    reference over DHRU and the JSON API is the same order), else a fresh one."""
    if len(reference) > REFERENCE_MAX:
        raise DhruError(f"REFERENCE is too long: up to {REFERENCE_MAX} characters.")
    if idempotency_key:
        if len(idempotency_key) > IDEMPOTENCY_MAX:
            raise DhruError(f"Idempotency-Key is too long: up to {IDEMPOTENCY_MAX} characters.")
        return f"{IDEMPOTENCY_PREFIX}{idempotency_key}"
    if reference:
        return f"{TOKEN_PREFIX}{reference}"
    return f"{TOKEN_PREFIX}{uuid.uuid4().hex}"


def _order_place(
    *,
    user: User,
    service: Service,
    values: dict[str, str],
    reference: str,
    idempotency_key: str,
    max_price: Decimal | None,
    ip_address: str | None,
    user_agent: str,
) -> tuple[Order, bool]:
    """Place one API order at the customer's price now; ``(order, created)``. A retry (the same
    ``Idempotency-Key``, or else the same reference) answers with the first order and charges
    once; the same key for another service or IMEI is a 409."""
    reference = (reference or "").strip()
    token = _form_token(reference=reference, idempotency_key=idempotency_key)
    existing = Order.objects.filter(user=user, form_token=token).first()
    if existing is not None:
        same_imei = existing.imei == imei_normalise(values.get("IMEI", ""))
        if existing.service_id != service.pk or not same_imei:
            used = "Idempotency-Key" if idempotency_key else f"REFERENCE {reference}"
            raise DhruError(
                f"{used} was already used for another order.", status=409, code="conflict"
            )
        return existing, False
    request = PlaceRequest(
        service=service,
        form_token=token,
        max_price=max_price,
        values=values,
        customer_reference=reference,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return order_place(user=user, request=request), True


def order_place_dhru(
    *,
    user: User,
    fields: dict,
    ip_address: str | None,
    user_agent: str,
    idempotency_key: str = "",
) -> Order:
    """Place one order from a DHRU request (its field names, ``CUSTOMFIELD``, ``REFERENCE``)."""
    service = _service(user, fields.get("ID", ""))
    order, _created = _order_place(
        user=user,
        service=service,
        values=order_values(service, fields),
        reference=fields.get("REFERENCE", ""),
        idempotency_key=idempotency_key,
        max_price=None,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return order


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """What makes two requests with one ``Idempotency-Key`` the same request: the method, the
    path and the JSON body written canonically (keys sorted, no spaces), hashed."""
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = repr(body)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def _idempotency_claim(*, user: User, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """The key's row, and whether this request has just claimed it (the unique constraint
    lets exactly one of concurrent inserts through)."""
    while True:
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user,
                    storefront_id=user.storefront_id,
                    key=key,
                    fingerprint=fingerprint,
                    claimed_at=timezone.now(),
                )
            return row, True
        except IntegrityError:
            row = IdempotencyKey.objects.filter(user=user, key=key).first()
            if row is not None:  # else its placement failed and it was let go: claim again
                return row, False


def _idempotency_owned(row: IdempotencyKey) -> bool:
    """Take over a claim whose request died before placing (no order after a minute)."""
    now = timezone.now()
    return bool(
        IdempotencyKey.objects.filter(
            pk=row.pk, order__isnull=True, claimed_at__lt=now - IDEMPOTENCY_STALE
        ).update(claimed_at=now)
    )


def _order_place_idempotent(*, user: User, key: str, fingerprint: str, place) -> tuple[Order, bool]:
    """``place()`` once per ``Idempotency-Key``: the request that claims the key places the
    order; a repeat (or a concurrent first request) with the same fingerprint answers with that
    order, ``created`` False, waiting for it while it is being placed; another fingerprint is a
    422. A placement that fails lets the key go, so a retry may succeed."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT.total_seconds()
    while True:
        row, claimed = _idempotency_claim(user=user, key=key, fingerprint=fingerprint)
        if row.fingerprint != fingerprint:
            raise DhruError(
                "This Idempotency-Key was sent before with another request: use a new key "
                "for a new order.",
                status=422,
                code="idempotency_key_reused",
            )
        if claimed or _idempotency_owned(row):
            try:
                order, created = place()
            except BaseException:
                IdempotencyKey.objects.filter(pk=row.pk, order__isnull=True).delete()
                raise
            IdempotencyKey.objects.filter(pk=row.pk).update(order=order)
            return order, created
        while row is not None and row.order_id is None:
            if time.monotonic() >= deadline:
                raise DhruError(
                    "A request with this Idempotency-Key is still being processed: retry in a "
                    "few seconds.",
                    status=409,
                    code="conflict",
                )
            time.sleep(IDEMPOTENCY_POLL_SECONDS)
            row = IdempotencyKey.objects.filter(pk=row.pk).first()
        if row is not None:
            return Order.objects.get(pk=row.order_id), False
        # The first request failed and let the key go: claim it again.


def order_place_json(
    *,
    user: User,
    service_id: int,
    imei: str | None,
    fields: dict[str, str],
    reference: str,
    idempotency_key: str = "",
    fingerprint: str = "",
    max_price: Decimal | None = None,
    ip_address: str | None,
    user_agent: str,
) -> tuple[Order, bool]:
    """Place one order from the JSON API: the service's fields by name (any case), the IMEI
    apart; ``(order, created)``. With an ``Idempotency-Key``, once per key and
    ``fingerprint`` (``request_fingerprint``); the same key with another is refused."""

    def place() -> tuple[Order, bool]:
        return _order_place_json(
            user=user,
            service_id=service_id,
            imei=imei,
            fields=fields,
            reference=reference,
            idempotency_key=idempotency_key,
            max_price=max_price,
            ip_address=ip_address,
            user_agent=user_agent,
        )

    if not idempotency_key:
        return place()
    if len(idempotency_key) > IDEMPOTENCY_MAX:
        raise DhruError(f"Idempotency-Key is too long: up to {IDEMPOTENCY_MAX} characters.")
    return _order_place_idempotent(
        user=user, key=idempotency_key, fingerprint=fingerprint, place=place
    )


def _order_place_json(
    *,
    user: User,
    service_id: int,
    imei: str | None,
    fields: dict[str, str],
    reference: str,
    idempotency_key: str,
    max_price: Decimal | None,
    ip_address: str | None,
    user_agent: str,
) -> tuple[Order, bool]:
    service = _active_service(user, service_id)
    given = {str(k).strip().lower(): v.strip() for k, v in fields.items()}
    values = {}
    for spec in field_specs(service):
        value = given.get(spec.name.lower(), "")
        if value:
            values[spec.name] = value
    if imei is not None:
        values["IMEI"] = imei.strip()
    return _order_place(
        user=user,
        service=service,
        values=values,
        reference=reference,
        idempotency_key=idempotency_key,
        max_price=max_price,
        ip_address=ip_address,
        user_agent=user_agent,
    )


# --- reading orders ----------------------------------------------------------------------------


def _order_lookup(user: User, fields: dict, idempotency_key: str = "") -> Order:
    raw_id = (fields.get("ID") or "").strip()
    reference = (fields.get("REFERENCE") or "").strip()
    orders = Order.objects.filter(user=user, storefront_id=user.storefront_id)
    order = None
    if not raw_id and not reference and idempotency_key:
        # The order placed with this Idempotency-Key (our DHRU client's lookup after a timeout).
        if len(idempotency_key) <= IDEMPOTENCY_MAX:
            order = orders.filter(form_token=f"{IDEMPOTENCY_PREFIX}{idempotency_key}").first()
    elif raw_id:
        try:
            order = orders.filter(pk=id_parse(raw_id, name="The order ID")).first()
        except InvalidNumber:
            order = None  # junk is "not found", like another customer's order
    elif reference and len(reference) <= REFERENCE_MAX:
        order = (
            orders.filter(form_token=f"{TOKEN_PREFIX}{reference}").first()
            or orders.filter(customer_reference=reference).first()
        )
    else:
        raise DhruError("Missing order ID.")
    if order is None:
        raise NotFound("Order not found.")
    return order


def check_result_line(result: dict) -> str:
    """A phone check's structured result as one readable line (DS-3)."""
    parts = []
    seen = set()
    for key, label in CHECK_RESULT_LABELS:
        value = result.get(key)
        if value not in (None, ""):
            text = str(value)
            parts.append(f"{label}: {text[:1].upper() + text[1:]}")
            seen.add(key)
    for key, value in result.items():
        if key not in seen and isinstance(value, (str, int, float, bool)) and value != "":
            parts.append(f"{str(key).replace('_', ' ').capitalize()}: {value}")
    return "; ".join(parts)


def order_status_item(order: Order) -> dict:
    status = STATUS_CODES.get(order.status, 0)
    if status == 4:
        if order.kind == Service.Kind.PHONE_CHECK and order.result:
            code = check_result_line(order.result)
        else:
            code = order.result_code
        if order.status == Status.SHIPPED and order.tracking_number:
            code = f"{code}\nShipped back; tracking number {order.tracking_number}".strip()
        comments = "Completed"
    elif status == 3:
        # The standard's reject (refund) gives its reason in CODE: the reason a customer should
        # see (the supplier's, or the one staff picked), never a ledger memo or a price.
        code = order.rejection_reason or order.get_status_display()
        comments = order.get_status_display()
    else:
        code = ""
        comments = order.get_status_display()
        if order.held_at:
            comments += " (on hold for a check by the shop)"
    return {
        "STATUS": status,
        "CODE": code,
        "COMMENTS": comments,
        "IMEI": order.imei,
        "REFERENCEID": str(order.pk),
        "REFERENCE": order.customer_reference,
        "SERVICEID": order.service_id,
        "PRICE": f"{order.price:.2f}",
    }


def order_get(*, user: User, fields: dict, idempotency_key: str = "") -> dict:
    return order_status_item(_order_lookup(user, fields, idempotency_key))


# --- the JSON API (/api/v1/) -------------------------------------------------------------------


def order_json(order: Order) -> dict:
    dhru_status = order_status_item(order)
    return {
        "id": order.pk,
        "number": str(order.number),
        "service_id": order.service_id,
        "service_name": order.service_name,
        "status": order.status,
        "status_label": order.get_status_display(),
        "dhru_status": dhru_status["STATUS"],
        "imei": order.imei,
        "fields": order.fields,
        "reference": order.customer_reference,
        "price": f"{order.price:.2f}",
        "currency": order.currency,
        "code": order.result_code if order.status in (Status.COMPLETED, Status.SHIPPED) else "",
        "result": order.result or None,
        "result_text": dhru_status["CODE"] if dhru_status["STATUS"] == 4 else "",
        "rejection_reason": order.rejection_reason,
        "placed_at": order.placed_at.isoformat(),
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
        "cancel_until": order.cancel_until.isoformat() if order.cancel_until else None,
    }


def services_json(*, user: User) -> list[dict]:
    """The active services at this customer's prices (fixed number of queries)."""
    services = list(services_browse(storefront=user.storefront).prefetch_related("custom_fields"))
    prices = service_prices_for(services=services, user=user)
    out = []
    for service in services:
        out.append(
            {
                "id": service.pk,
                "name": service.name,
                "kind": service.kind,
                "brand": service.brand,
                "network": service.network,
                "country": service.country,
                "description": service.description,
                "price": f"{prices[service.pk]:.2f}",
                "currency": user.storefront.balance_currency,
                "delivery_time": service.indicated_label.replace("–", "-"),
                "fields": [
                    {
                        "name": spec.name,
                        "label": spec.label,
                        "required": spec.required,
                        "pattern": spec.pattern,
                        "choices": spec.choices,
                    }
                    for spec in field_specs(service)
                ],
            }
        )
    return out
