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

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When
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
    orders_complete,
    orders_transition,
    service_delivery_average_update,
)
from .services.rows import rows_update

log = logging.getLogger(__name__)
State = DispatchAttempt.State
DISPATCHED_KINDS = {Service.Kind.IMEI_UNLOCK, Service.Kind.PHONE_CHECK}


class RetryLater(Exception):
    """Every route faulted, or an outcome is still unknown: try again after a while."""


class InFlight(Exception):
    """Another run is placing this order right now: nothing to do here."""


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


def _submitted_many(
    orders: list[Order], attempts: dict[int, DispatchAttempt], refs: dict[int, str]
) -> list[Order]:
    """``_submitted`` for a batch the supplier took in one call: a few statements in all."""
    if not orders:
        return []
    now = timezone.now()
    next_poll = now + poll_delay(dt.timedelta(0))
    with transaction.atomic():
        moved = orders_transition(
            orders=orders,
            to=Status.SUBMITTED,
            message="Sent to our supplier.",
            updates={
                o.pk: {
                    "route_id": attempts[o.pk].route_id,
                    "provider_ref": refs[o.pk][:100],
                    "next_poll_at": next_poll,
                    "dispatch_note": "",
                }
                for o in orders
            },
        )
        finished = {}
        for order in moved:
            attempt = attempts[order.pk]
            attempt.state, attempt.remote_ref = State.SUBMITTED, refs[order.pk][:100]
            attempt.error, attempt.finished_at = "", now
            finished[attempt.pk] = {
                "state": attempt.state,
                "remote_ref": attempt.remote_ref,
                "error": "",
                "finished_at": now,
            }
        rows_update(DispatchAttempt, finished)
    return moved


def _rejected(order: Order, attempt: DispatchAttempt | None, reason: str) -> Order:
    with transaction.atomic():
        if attempt is not None:
            _attempt_finish(attempt, State.REJECTED, error=reason)
        return order_supplier_rejected(order=order, reason=reason)  # DS-12 (unless DS-14)


def _note(order: Order, note: str) -> None:
    Order.objects.filter(pk=order.pk).update(dispatch_note=note[:300])


# What most runs of a burst's orders need to know, in one query written by hand: the order's
# status, hold and kind, and whether another run is sending it right now (an attempt started
# less than IN_FLIGHT_GRACE ago, as a batch that took it along has). They end here, and the ORM's
# building of this query, or the reads of the full check below, cost more than the query (the
# dispatch rate, issue 13).
# An attempt is in flight for its route's timeout plus this grace; one started less than the
# grace alone ago is in flight whatever its route (the quick check above the full one).
IN_FLIGHT_GRACE = dt.timedelta(seconds=30)
DISPATCH_STATE_SQL = (
    f"SELECT o.status, o.held_at IS NOT NULL, o.kind, EXISTS (SELECT 1 FROM "
    f"{DispatchAttempt._meta.db_table} a WHERE a.order_id = o.id AND a.state = %s "
    f"AND a.created_at > %s) FROM {Order._meta.db_table} o WHERE o.id = %s"
)


def order_dispatch(*, order_id: int) -> str:
    """Send a queued order to its first working route, once. Returns what happened; raises
    RetryLater when it should run again later."""
    with connection.cursor() as cursor:
        since = connection.ops.adapt_datetimefield_value(timezone.now() - IN_FLIGHT_GRACE)
        cursor.execute(DISPATCH_STATE_SQL, [str(State.STARTED), since, order_id])
        row = cursor.fetchone()
    if row is None:
        raise Order.DoesNotExist(f"order {order_id}")
    status, held, kind, sending = row
    if status != Status.QUEUED or held:
        return "not queued"
    if sending:
        return "in flight"  # what _attempt_resolve would say: that run records the outcome
    if kind not in DISPATCHED_KINDS:
        return "handled by staff"
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
    )  # with what earlier runs left: a run that races this one collides on its attempt key
    if order.status != Status.QUEUED or order.held_at is not None:
        return "not queued"
    if order.attempt_open:
        open_attempt = order.attempts.filter(state__in=open_states).last()
        try:
            resolved = open_attempt is None or _attempt_resolve(order, open_attempt)
        except InFlight:
            return "in flight"
        if not resolved:
            order.refresh_from_db()
            return "found upstream" if order.status == Status.SUBMITTED else "unknown"
    routes = list(routes_for(order.service))
    if not routes:
        _note(order, "No supplier route for this service: complete it by hand.")
        return "no route"
    made = order.attempts_made
    if not made:
        batched = _batch_with_others(order, routes[0])
        if batched in ("submitted", "rejected", "busy"):
            return batched
        if batched == "left":
            made = 1  # its first attempt faulted in the batch: on alone, with failover
    for route in routes:  # one round through every route, in priority order
        made += 1
        try:
            attempt = DispatchAttempt.objects.create(
                order=order, route=route, key=f"o{order.pk}-a{made}"
            )  # committed before the call (autocommit): a crash leaves this trace
        except IntegrityError:
            return "busy"  # another run is dispatching this order right now
        if made > 1 and _taken_meanwhile(order, attempt):
            _attempt_finish(attempt, State.FAULT, error="not sent: another run has this order")
            return "busy"
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


def _taken_meanwhile(order: Order, attempt: DispatchAttempt) -> bool:
    """After a retry's attempt row is committed: did another run send this order (or is it
    sending it) since this run read it? Then this attempt must not go out. A run that starts
    later sees this attempt in flight, so one of any two runs always stands back."""
    others = DispatchAttempt.objects.filter(
        order=OuterRef("pk"), state__in=[State.STARTED, State.SUBMITTED]
    ).exclude(pk=attempt.pk)
    return (
        Order.objects.filter(pk=order.pk).filter(~Q(status=Status.QUEUED) | Exists(others)).exists()
    )


def _batch_with_others(order: Order, route) -> str | None:
    """A supplier that takes many orders in one call gets this order together with the other
    queued orders of its service that no run has tried yet (up to BULK_MAX): a burst of single
    orders costs one upstream call, not one each. Their own tasks then find them sent (or in
    flight). What became of this order, or None to send it alone.

    The orders are claimed under row locks that other claimers skip (PostgreSQL), and their
    attempts committed with the claim, before the call: each order still goes out at most once,
    and one the call left out goes on alone, with failover, in the caller."""
    provider = provider_for(route.connection)
    if not provider.supports_bulk:
        return None
    try:
        with transaction.atomic():
            claimed = list(
                Order.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    service_id=order.service_id,
                    status=Status.QUEUED,
                    held_at__isnull=True,
                    attempts__isnull=True,
                )
                .order_by(Case(When(pk=order.pk, then=0), default=1), "pk")[:BULK_MAX]
            )  # this order first, then the oldest others
            if order.pk not in {o.pk for o in claimed}:
                # It was queued and untried a moment ago: another run's claim holds it now.
                return "busy"
            if len(claimed) < 2:
                return None
            attempts = DispatchAttempt.objects.bulk_create(
                [DispatchAttempt(order=o, route=route, key=f"o{o.pk}-a1") for o in claimed]
            )
    except IntegrityError:
        return None  # another run made one of these attempts meanwhile: this one alone
    for claimed_order in claimed:
        claimed_order.service = order.service
    by_order = {attempt.order_id: attempt for attempt in attempts}
    return _dispatch_chunk(claimed, route, provider, attempts=by_order)[order.pk]


def _attempt_resolve(order: Order, attempt: DispatchAttempt) -> bool:
    """An earlier attempt may have reached the provider: look it up by its key. Returns True
    when it certainly did not (so a new attempt may go out); never places it again itself."""
    if attempt.route is None:
        _attempt_finish(attempt, State.FAULT, error="route deleted")
        return True
    connection = attempt.route.connection
    in_flight = (
        attempt.created_at + dt.timedelta(seconds=connection.timeout_seconds) + IN_FLIGHT_GRACE
    )
    if attempt.state == State.STARTED and timezone.now() < in_flight:
        # Another run is sending it now (a batch that took it along, or a run of its own task
        # that a worker restart delivered twice). That run records the outcome; if it dies
        # instead, the sweeper finds the attempt stale (STALE_STARTED) and this is looked up.
        raise InFlight
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
    completed = {
        o.pk: (outcome.code, outcome.result)
        for o in orders
        if isinstance(outcome := outcomes.get(o.provider_ref), Completed)
    }
    done = orders_complete(results=completed, orders=[o for o in orders if o.pk in completed])
    results: dict[int, str] = {o.pk: "completed" for o in done}
    for order in orders:
        outcome = outcomes.get(order.provider_ref)
        if order.pk in results:
            continue
        if outcome is None:
            results[order.pk] = "no answer"
        else:
            results[order.pk] = _poll_apply(order, outcome, average_update=False)
    for service_id in {o.service_id for o in orders if results[o.pk] == "completed"} - {
        o.service_id for o in done
    }:
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
            results = _dispatch_chunk(chunk, routes[0], provider)
            left += [pk for pk, result in results.items() if result == "left"]
    return sorted(left)


def _dispatch_chunk(
    orders: list[Order], route, provider, *, attempts: dict[int, DispatchAttempt] | None = None
) -> dict[int, str]:
    """Send ``orders`` to ``route`` in one call. What became of each: "submitted", "rejected",
    "left" (not placed, or unknown: to dispatch one by one) or "busy" (another run has it).
    ``attempts``: their attempts, committed already by the caller."""
    if attempts is None:
        attempts = {}
        for order in orders:
            try:
                attempts[order.pk] = DispatchAttempt.objects.create(
                    order=order, route=route, key=f"o{order.pk}-a1"
                )  # committed before the call (autocommit): a crash leaves this trace
            except IntegrityError:
                continue  # another run is dispatching this order: leave it to that one
    results = {o.pk: "busy" for o in orders if o.pk not in attempts}
    sent = [o for o in orders if o.pk in attempts]
    if not sent:
        return results
    try:
        answers = provider.place_bulk([_request_for(o, route, attempts[o.pk].key) for o in sent])
    except ProviderTimeout as exc:
        for order in sent:  # unknown: each is looked up by its key, never sent twice
            _attempt_finish(attempts[order.pk], State.UNKNOWN, error=str(exc))
            _note(order, "The supplier did not answer in time; looking the order up.")
        return results | {o.pk: "left" for o in sent}
    except ProviderFault as exc:
        log.warning("bulk dispatch to route %s faulted: %s", route.pk, exc)
        for order in sent:
            _attempt_finish(attempts[order.pk], State.FAULT, error=str(exc))
        return results | {o.pk: "left" for o in sent}  # one by one: the next routes are tried
    submitted = {
        o.pk: answers[attempts[o.pk].key].ref
        for o in sent
        if isinstance(answers.get(attempts[o.pk].key), Submitted)
    }
    for order in _submitted_many([o for o in sent if o.pk in submitted], attempts, submitted):
        results[order.pk] = "submitted"
    for order in sent:
        attempt = attempts[order.pk]
        outcome = answers.get(attempt.key)
        if order.pk in results:
            continue
        if isinstance(outcome, Submitted):
            _submitted(order, attempt, outcome.ref)  # one the batch move left: says why
            results[order.pk] = "submitted"
        elif isinstance(outcome, Rejected):
            _rejected(order, attempt, outcome.reason)
            results[order.pk] = "rejected"
        else:  # left out: not placed, for a reason of the supplier's
            _attempt_finish(attempt, State.FAULT, error="not placed in the bulk call")
            results[order.pk] = "left"
    return results


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
# Longer than any attempt's in-flight window (the longest connection timeout, 120 s, + 30 s): a
# STARTED attempt this old lost the run that made it.
STALE_STARTED = dt.timedelta(minutes=3)


def orders_lost_in_queue(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Queued orders with no dispatch for a while: their task was lost. An order with an attempt
    in the last RETRYING_WINDOW still has its task, retrying with backoff: sweeping it would start
    a second chain of retries on every sweep while its suppliers are down. An attempt still
    STARTED long after its in-flight window is different: the run that made it died mid-call
    (its batch's, or its own task's after a redelivery found it in flight), so it is swept and
    looked up."""
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=2)
    recent = DispatchAttempt.objects.filter(
        order=OuterRef("pk"), created_at__gte=now - RETRYING_WINDOW
    )
    abandoned = DispatchAttempt.objects.filter(
        order=OuterRef("pk"), state=State.STARTED, created_at__lt=now - STALE_STARTED
    )
    return list(
        Order.objects.filter(
            status=Status.QUEUED,
            held_at__isnull=True,
            kind__in=list(DISPATCHED_KINDS),
            updated_at__lt=stale,
        )
        .exclude(dispatch_note__startswith="No supplier route")
        .filter(~Exists(recent) | Exists(abandoned))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
