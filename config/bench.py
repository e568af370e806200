"""The baseline that ``make bench`` compares order placement with (DESIGN.md, "Performance habits").

Mounted only when the server runs with ``BENCH_BASELINE=1`` (``settings.BENCH_BASELINE_ENABLED``,
off by default and always off under production settings); ``scripts/bench.py`` starts gunicorn
that way. Nothing else imports this module.
"""

from __future__ import annotations

import functools
import json
import uuid

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.models import LedgerEntry
from orders.models import Order, OrderEvent
from orders.services.placement import order_numbers_take
from storefronts.client_ip import client_ip

QUEUED = "queued"
ORDER_DEBIT = "order_debit"

SERVICE_SQL = """
SELECT price, name, kind FROM catalog_service
WHERE id = %s AND storefront_id = %s AND is_active
"""
DEBIT_SQL = """
UPDATE billing_wallet SET balance = balance - %s, updated_at = now()
WHERE user_id = %s AND balance >= %s
RETURNING id, balance
"""
NOW_COLUMNS = {"quoted_at", "placed_at"}  # besides auto_now / auto_now_add ones


@functools.cache
def insert_statement(model, columns: tuple[str, ...]) -> tuple[str, tuple]:
    """``INSERT INTO <table>``: ``columns`` as parameters, ``now()`` for timestamps, and every
    other NOT NULL column with its model default (a constant, computed once per process), so the
    baseline keeps writing whole rows when the schema grows. Returns (sql, constant params)."""
    names, values, constants = list(columns), ["%s"] * len(columns), []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in columns:
            continue
        if (
            f.attname in NOW_COLUMNS
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            names.append(f.column)
            values.append("now()")
        elif not f.null:
            default = f.get_default()
            if default is None:
                raise ImproperlyConfigured(
                    f"bench baseline: no value for {model.__name__}.{f.name}"
                )
            names.append(f.column)
            values.append("%s")
            constants.append(f.get_db_prep_save(default, connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"VALUES ({', '.join(values)}) RETURNING {model._meta.pk.column}"
    )
    return sql, tuple(constants)


def insert(cursor, model, **values) -> int:
    sql, constants = insert_statement(model, tuple(values))
    cursor.execute(sql, [*values.values(), *constants])
    return cursor.fetchone()[0]


@csrf_exempt
@require_POST
def order_place_baseline(request, service_id: int):
    """Order placement with everything but the database taken away, to measure the real one by.

    It does what ``orders.services.order_place`` does at the database level - read the service,
    then in one transaction a conditional debit of the wallet, the order row, its ledger entry and
    its first event - in raw SQL with no forms, ORM, quote, terms or rate checks, email or
    template. It runs behind the same middleware and session authentication as the real view, so
    ``scripts/bench.py`` can report the real path's throughput and latency as ratios to it: the
    ratio is what the framework and our checks cost on top of the unavoidable writes. (The models
    are read once per process only to spell out each INSERT's columns, see ``insert_statement``;
    no ORM query runs.) CSRF-exempt because it exists only for the benchmark's clients.
    """
    user = request.user
    storefront = request.storefront
    if not user.is_authenticated or user.storefront_id != storefront.pk:
        return HttpResponseForbidden("sign in as a customer of this storefront")
    imei = request.POST.get("IMEI", "")
    if len(imei) != 15 or not imei.isdigit():
        return HttpResponseBadRequest("IMEI: 15 digits")
    form_token = request.POST.get("form_token") or uuid.uuid4().hex
    with connection.cursor() as cursor:
        cursor.execute(SERVICE_SQL, [service_id, storefront.pk])
        row = cursor.fetchone()
        if row is None:
            return HttpResponse("no such service", status=404)
        price, name, kind = row
        # Order numbers run per storefront (issue 14): the same counter upsert as placement,
        # taken the same way, in its own statement before the transaction.
        number = order_numbers_take(storefront_id=storefront.pk)
        with transaction.atomic():
            cursor.execute(DEBIT_SQL, [price, user.pk, price])
            debited = cursor.fetchone()
            if debited is None:
                return HttpResponse("insufficient funds", status=402)
            wallet_id, balance_after = debited
            order_id = insert(
                cursor,
                Order,
                storefront_id=storefront.pk,
                number=number,
                user_id=user.pk,
                service_id=service_id,
                kind=kind,
                service_name=name,
                status=QUEUED,
                price=price,
                currency=storefront.balance_currency,
                quote_id=uuid.uuid4().hex[:16],
                imei=imei,
                fields=json.dumps({"IMEI": imei}),
                email=user.email,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                form_token=form_token[:64],
            )
            insert(
                cursor,
                LedgerEntry,
                storefront_id=storefront.pk,
                wallet_id=wallet_id,
                kind=ORDER_DEBIT,
                amount=-price,
                balance_after=balance_after,
                reference=f"order:{order_id}",
                memo=f"Order {order_id:06d}: {name}"[:300],
                idempotency_key=f"order:{order_id}:debit",
            )
            insert(
                cursor,
                OrderEvent,
                order_id=order_id,
                storefront_id=storefront.pk,
                to_status=QUEUED,
                message="Order placed and queued for processing.",
            )
    return HttpResponseRedirect(f"/orders/{order_id}/")


urlpatterns = [
    path(
        "bench/baseline/orders/new/<int:service_id>/",
        order_place_baseline,
        name="bench_order_place_baseline",
    ),
]
