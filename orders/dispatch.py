"""Sending queued orders upstream and following them to their outcome (DESIGN.md, "Orders").

The rules that keep an order from being lost or sent twice:
- an attempt row with a unique key is committed before every upstream call;
- a run that finds an attempt whose outcome is not known (the worker died, or the call timed
  out) looks the order up by that key and never places it again;
- provider faults move to the next route (failover); a rejection of the IMEI does not;
- when every route faulted, the order stays queued and the task retries with backoff; the beat
  sweeper picks up any queued order whose task was lost.
Polling slows down with the order's age.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Service
from providers.base import (
    Completed,
    OrderRequest,
    Pending,
    ProviderError,
    ProviderFault,
    ProviderTimeout,
    Rejected,
    Submitted,
)
from providers.registry import provider_for
from providers.selectors import routes_for
from storefronts.selectors import storefronts_by_id

from .exceptions import IllegalTransition, OrderError
from .models import DispatchAttempt, Order, Status
from .services import (
    order_complete,
    order_reject,
    order_supplier_rejected,
    order_transition,
    service_delivery_average_update,
)

log = logging.getLogger(__name__)
State = DispatchAttempt.State
DISPATCHED_KINDS = {Service.Kind.IMEI_UNLOCK, Service.Kind.PHONE_CHECK}


class RetryLater(Exception):
    """Every route faulted, or an outcome is still unknown: try again after a while."""


def poll_delay(age: dt.timedelta) -> dt.timedelta:
    """Poll often while an order is young and rarely once it is old."""
    if age < dt.timedelta(minutes=10):
        return dt.timedelta(seconds=30)
    if age < dt.timedelta(hours=1):
        return dt.timedelta(minutes=2)
    if age < dt.timedelta(hours=12):
        return dt.timedelta(minutes=10)
    return dt.timedelta(hours=1)


def _request_for(order: Order, route, key: str) -> OrderRequest:
    fields = {k: v for k, v in order.fields.items() if k != "IMEI"}
    return OrderRequest(
        remote_service_id=route.remote_service_id, imei=order.imei, fields=fields, reference=key
    )


def _attempt_finish(attempt: DispatchAttempt, state: str, *, ref: str = "", error: str = ""):
    attempt.state, attempt.remote_ref, attempt.error = state, ref[:100], error[:500]
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["state", "remote_ref", "error", "finished_at"])


def _submitted(order: Order, attempt: DispatchAttempt, ref: str) -> Order:
    now = timezone.now()
    with transaction.atomic():
        _attempt_finish(attempt, State.SUBMITTED, ref=ref)
        return order_transition(
            order=order,
            to=Status.SUBMITTED,
            message="Sent to our supplier.",
            route_id=attempt.route_id,
            provider_ref=ref[:100],
            next_poll_at=now + poll_delay(dt.timedelta(0)),
            dispatch_note="",
        )


def _rejected(order: Order, attempt: DispatchAttempt | None, reason: str) -> Order:
    with transaction.atomic():
        if attempt is not None:
            _attempt_finish(attempt, State.REJECTED, error=reason)
        return order_supplier_rejected(order=order, reason=reason)  # DS-12 (unless DS-14)


def _note(order: Order, note: str) -> None:
    Order.objects.filter(pk=order.pk).update(dispatch_note=note[:300])


def order_dispatch(*, order_id: int) -> str:
    """Send a queued order to its first working route, once. Returns what happened; raises
    RetryLater when it should run again later."""
    attempts = DispatchAttempt.objects.filter(order=OuterRef("pk"))
    open_states = [State.STARTED, State.UNKNOWN]
    order = (
        Order.objects.select_related("service")
        .annotate(
            attempts_made=Coalesce(
                Subquery(attempts.values("order").annotate(n=Count("pk")).values("n")), 0
            ),
            attempt_open=Exists(attempts.filter(state__in=open_states)),
        )
        .get(pk=order_id)
    )  # one query: the order, its service and what earlier runs left
    if order.status != Status.QUEUED or order.held_at is not None:
        return "not queued"
    if order.kind not in DISPATCHED_KINDS:
        return "handled by staff"
    if order.attempt_open:
        open_attempt = order.attempts.filter(state__in=open_states).last()
        if open_attempt is not None and not _attempt_resolve(order, open_attempt):
            order.refresh_from_db()
            return "found upstream" if order.status == Status.SUBMITTED else "unknown"
    routes = list(routes_for(order.service))
    if not routes:
        _note(order, "No supplier route for this service: complete it by hand.")
        return "no route"
    made = order.attempts_made
    for route in routes:  # one round through every route, in priority order
        made += 1
        try:
            attempt = DispatchAttempt.objects.create(
                order=order, route=route, key=f"o{order.pk}-a{made}"
            )  # committed before the call (autocommit): a crash leaves this trace
        except IntegrityError:
            return "busy"  # another run is dispatching this order right now
        provider = provider_for(route.connection)
        try:
            outcome = provider.place(_request_for(order, route, attempt.key))
        except ProviderTimeout as exc:
            _attempt_finish(attempt, State.UNKNOWN, error=str(exc))
            _note(order, "The supplier did not answer in time; looking the order up.")
            raise RetryLater(str(exc)) from exc
        except ProviderFault as exc:
            log.warning("order %s: route %s faulted: %s", order.pk, route.pk, exc)
            _attempt_finish(attempt, State.FAULT, error=str(exc))
            continue  # failover to the next route
        if isinstance(outcome, Submitted):
            _submitted(order, attempt, outcome.ref)
            return "submitted"
        _rejected(order, attempt, outcome.reason)
        return "rejected"
    _note(order, "Every supplier failed; retrying.")
    raise RetryLater("every route faulted")


def _attempt_resolve(order: Order, attempt: DispatchAttempt) -> bool:
    """An earlier attempt may have reached the provider: look it up by its key. Returns True
    when it certainly did not (so a new attempt may go out); never places it again itself."""
    if attempt.route is None:
        _attempt_finish(attempt, State.FAULT, error="route deleted")
        return True
    connection = attempt.route.connection
    in_flight = attempt.created_at + dt.timedelta(seconds=connection.timeout_seconds + 30)
    if attempt.state == State.STARTED and timezone.now() < in_flight:
        raise RetryLater("an attempt is still in flight")
    provider = provider_for(connection)
    try:
        found = provider.lookup(attempt.key)
    except ProviderError as exc:
        if attempt.state == State.STARTED:
            _attempt_finish(attempt, State.UNKNOWN, error=f"worker stopped mid-call; {exc}")
        _note(order, "Outcome unknown at the supplier; still looking it up.")
        raise RetryLater(f"lookup failed: {exc}") from exc
    if isinstance(found, Submitted):
        _submitted(order, attempt, found.ref)
        return False
    if not provider.supports_lookup:
        # "Not found" from this provider does not prove it never got the order: a person
        # checks at the supplier, then completes or rejects it by hand. Never sent twice.
        if attempt.state == State.STARTED:
            _attempt_finish(attempt, State.UNKNOWN, error="worker stopped mid-call")
        _note(order, "Outcome unknown at the supplier: check there, then complete or reject.")
        return False
    _attempt_finish(attempt, State.FAULT, error="never reached the supplier")
    return True


def _poll_record(order: Order, now: dt.datetime) -> None:
    """Count one answered (or failed) poll and set the next one. The counter is incremented in
    the database (F), so two polls of the same order at once both count."""
    Order.objects.filter(pk=order.pk).update(
        next_poll_at=now + poll_delay(now - order.placed_at), polls=F("polls") + 1
    )


def order_poll(*, order_id: int) -> str:
    """Ask the provider how a sent order is doing and apply the outcome once. A held order
    (DS-2) is not asked: it waits, due, and is polled at the first sweep after its release."""
    order = Order.objects.select_related("route__connection", "service").get(pk=order_id)
    if order.status not in (Status.SUBMITTED, Status.IN_PROCESS) or order.route is None:
        return "not polled"
    if order.held_at is not None:
        return "held"
    provider = provider_for(order.route.connection)
    now = timezone.now()
    try:
        outcome = provider.poll(order.provider_ref)
    except ProviderError as exc:
        _poll_record(order, now)
        return f"poll failed: {exc}"
    _poll_record(order, now)
    return _poll_apply(order, outcome)


def _poll_apply(order: Order, outcome, *, average_update: bool = True) -> str:
    """Apply what the provider said about a sent order, once."""
    try:
        if isinstance(outcome, Completed):
            try:
                order_complete(
                    order=order,
                    code=outcome.code,
                    result=outcome.result,
                    average_update=average_update,
                )
            except OrderError:
                # Completed upstream with nothing to deliver: "result unavailable" (DS-15).
                order_reject(order=order, reason="The supplier returned no result.")
                return "rejected"
            return "completed"
        if isinstance(outcome, Rejected):
            order = order_supplier_rejected(order=order, reason=outcome.reason)
            return "rejected" if order.status == Status.REJECTED else "held for review"
    except IllegalTransition:
        return "moved meanwhile"
    if isinstance(outcome, Pending) and order.status == Status.SUBMITTED:
        try:
            order_transition(order=order, to=Status.IN_PROCESS, message="In process.")
        except IllegalTransition:
            return "moved meanwhile"
    return "pending"


BULK_MAX = 100  # orders in one bulk call


def _bulk_capable(connection, known: dict[int, bool]) -> bool:
    if connection.pk not in known:
        known[connection.pk] = connection.is_active and provider_for(connection).supports_bulk
    return known[connection.pk]


def orders_in_batches(*, order_ids: list[int]) -> tuple[list[int], list[list[int]]]:
    """Queued orders split into those sent one by one and the lines of bulk orders (same batch
    and service, two or more) that ``orders_dispatch_batch`` may send in one call."""
    singles: list[int] = []
    batches: dict[tuple[str, int], list[int]] = {}
    rows = Order.objects.filter(pk__in=order_ids).values_list("pk", "batch", "service_id")
    for pk, batch, service_id in rows.order_by("pk"):
        if batch:
            batches.setdefault((batch, service_id), []).append(pk)
        else:
            singles.append(pk)
    for ids in [ids for ids in batches.values() if len(ids) == 1]:
        singles += ids
    return sorted(singles), [ids for ids in batches.values() if len(ids) > 1]


def orders_poll_plan(*, order_ids: list[int]) -> tuple[list[int], list[list[int]]]:
    """Due orders split into those polled one by one and groups (at most BULK_MAX, one supplier
    each) polled in one call, for suppliers that offer ``getimeiorderbulk``."""
    singles: list[int] = []
    groups: dict[int, list[int]] = {}
    known: dict[int, bool] = {}
    orders = Order.objects.filter(pk__in=order_ids).select_related("route__connection")
    for order in orders.order_by("pk"):
        if order.route is not None and _bulk_capable(order.route.connection, known):
            groups.setdefault(order.route.connection_id, []).append(order.pk)
        else:
            singles.append(order.pk)
    batches = [
        ids[i : i + BULK_MAX] for ids in groups.values() for i in range(0, len(ids), BULK_MAX)
    ]
    for batch in [b for b in batches if len(b) == 1]:
        singles += batch
    return singles, [b for b in batches if len(b) > 1]


def orders_poll_bulk(*, order_ids: list[int]) -> dict[int, str]:
    """Poll sent orders of one supplier in one call (``getimeiorderbulk``) and apply each
    outcome as ``order_poll`` does; an order without an answer is polled again next time.
    What every order needs is read once for the batch: its route, service, customer and
    storefront, and each service's average delivery time is updated once at the end (DS-9)."""
    orders = [
        o
        for o in Order.objects.filter(pk__in=order_ids[:BULK_MAX])
        .select_related("route__connection", "service", "user")
        .order_by("pk")
        if o.status in (Status.SUBMITTED, Status.IN_PROCESS)
        and o.route is not None
        and o.held_at is None
    ]
    if not orders:
        return {}
    connection = orders[0].route.connection
    orders = [o for o in orders if o.route.connection_id == connection.pk]
    storefronts = storefronts_by_id(o.storefront_id for o in orders)
    for order in orders:
        order.storefront = storefronts[order.storefront_id]
    now = timezone.now()
    try:
        outcomes = provider_for(connection).poll_bulk([o.provider_ref for o in orders])
    except ProviderError as exc:
        _polls_record(orders, now)
        return {o.pk: f"poll failed: {exc}" for o in orders}
    _polls_record(orders, now)
    results: dict[int, str] = {}
    for order in orders:
        outcome = outcomes.get(order.provider_ref)
        if outcome is None:
            results[order.pk] = "no answer"
        else:
            results[order.pk] = _poll_apply(order, outcome, average_update=False)
    for service_id in {o.service_id for o in orders if results[o.pk] == "completed"}:
        service_delivery_average_update(service_id=service_id)
    return results


def _polls_record(orders: list[Order], now: dt.datetime) -> None:
    """``_poll_record`` for many orders: one UPDATE per next-poll delay, not one per order."""
    by_delay: dict[dt.timedelta, list[int]] = {}
    for order in orders:
        by_delay.setdefault(poll_delay(now - order.placed_at), []).append(order.pk)
    for delay, ids in by_delay.items():
        Order.objects.filter(pk__in=ids).update(next_poll_at=now + delay, polls=F("polls") + 1)


def orders_dispatch_batch(*, order_ids: list[int]) -> list[int]:
    """Send queued orders of one service (a bulk order's lines) to its first route in one call
    (``placeimeiorderbulk``) when that supplier offers it. An attempt row per order is committed
    before the call, as for one order. Returns the ids still to dispatch one by one (order_dispatch
    then fails over, or looks up an attempt whose outcome is unknown)."""
    orders = list(
        Order.objects.filter(pk__in=order_ids, status=Status.QUEUED, held_at__isnull=True)
        .filter(kind__in=list(DISPATCHED_KINDS), attempts__isnull=True)
        .select_related("service")
        .order_by("pk")
    )
    left = sorted(set(order_ids) - {o.pk for o in orders})
    by_service: dict[int, list[Order]] = {}
    for order in orders:
        by_service.setdefault(order.service_id, []).append(order)
    for group in by_service.values():
        routes = list(routes_for(group[0].service))
        provider = provider_for(routes[0].connection) if routes else None
        if len(group) < 2 or provider is None or not provider.supports_bulk:
            left += [o.pk for o in group]
            continue
        for chunk in (group[i : i + BULK_MAX] for i in range(0, len(group), BULK_MAX)):
            left += _dispatch_chunk(chunk, routes[0], provider)
    return sorted(left)


def _dispatch_chunk(orders: list[Order], route, provider) -> list[int]:
    attempts: dict[int, DispatchAttempt] = {}
    for order in orders:
        try:
            attempts[order.pk] = DispatchAttempt.objects.create(
                order=order, route=route, key=f"o{order.pk}-a1"
            )  # committed before the call (autocommit): a crash leaves this trace
        except IntegrityError:
            continue  # another run is dispatching this order: leave it to that one
    sent = [o for o in orders if o.pk in attempts]
    if not sent:
        return []
    try:
        answers = provider.place_bulk([_request_for(o, route, attempts[o.pk].key) for o in sent])
    except ProviderTimeout as exc:
        for order in sent:  # unknown: each is looked up by its key, never sent twice
            _attempt_finish(attempts[order.pk], State.UNKNOWN, error=str(exc))
            _note(order, "The supplier did not answer in time; looking the order up.")
        return [o.pk for o in sent]
    except ProviderFault as exc:
        log.warning("bulk dispatch to route %s faulted: %s", route.pk, exc)
        for order in sent:
            _attempt_finish(attempts[order.pk], State.FAULT, error=str(exc))
        return [o.pk for o in sent]  # one by one: the next routes are tried
    left: list[int] = []
    for order in sent:
        attempt = attempts[order.pk]
        outcome = answers.get(attempt.key)
        if isinstance(outcome, Submitted):
            _submitted(order, attempt, outcome.ref)
        elif isinstance(outcome, Rejected):
            _rejected(order, attempt, outcome.reason)
        else:  # left out: not placed, for a reason of the supplier's
            _attempt_finish(attempt, State.FAULT, error="not placed in the bulk call")
            left.append(order.pk)
    return left


def orders_due_for_poll(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Sent orders whose next poll is due. Held orders (DS-2) are left out, or every beat tick
    would pick them again; once released, their past ``next_poll_at`` makes them due at once."""
    now = now or timezone.now()
    return list(
        Order.objects.filter(
            status__in=[Status.SUBMITTED, Status.IN_PROCESS],
            next_poll_at__lte=now,
            held_at__isnull=True,
        )
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )


# Longer than the longest retry countdown (orders.tasks._backoff: 10 minutes + 25 % jitter).
RETRYING_WINDOW = dt.timedelta(minutes=15)


def orders_lost_in_queue(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Queued orders with no dispatch for a while: their task was lost. An order with an attempt
    in the last RETRYING_WINDOW still has its task, retrying with backoff: sweeping it would start
    a second chain of retries on every sweep while its suppliers are down."""
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=2)
    return list(
        Order.objects.filter(
            status=Status.QUEUED,
            held_at__isnull=True,
            kind__in=list(DISPATCHED_KINDS),
            updated_at__lt=stale,
        )
        .exclude(dispatch_note__startswith="No supplier route")
        .exclude(attempts__created_at__gte=now - RETRYING_WINDOW)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
