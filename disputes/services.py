"""Every write of the disputes app (DESIGN.md "Disputes").

- ``dispute_open``: IS-9 / DS-13. The cheap checks first (the order is the customer's, inside the
  window, no dispute open on it, every requirement ticked), then the video is probed and stored by
  ``disputes.evidence`` (outside any transaction: probing takes a moment), then the rows are
  written in one transaction that checks the order again under its row lock.
- ``dispute_message_post``: the conversation; each message e-mails the other side. Staff asking
  for more evidence stops the resolution clock until the customer answers (the time waited is
  added to the resolution due time), IS-11.
- ``dispute_resolve``: the four outcomes. "Accept with refund" pays through
  ``refunds.services.refund_request_dispute_pay`` inside this transaction, under the dispute's
  row lock: a second admin accepting at the same moment waits, then finds it resolved, so money
  moves once. Refusals (IS-10, DS-14) and entry mistakes (DS-13) move nothing.
- ``dispute_upstream_raise``: staff note that they raised it with the supplier.
- ``disputes_due_digest_send``: the beat task's daily e-mail of what is due (IS-11).

Every step is a ``DisputeEvent``, a line on the order's timeline where the customer should see
it, and an e-mail through the notification log.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from accounts.languages import speaking_to
from accounts.models import User
from accounts.services import notification_queue
from orders.models import Order
from orders.services import order_result_correct, order_timeline_note
from refunds.services import refund_request_dispute_pay
from storefronts.links import storefront_url
from storefronts.models import Storefront

from . import policy
from .evidence import SavedEvidence, evidence_delete, evidence_save
from .exceptions import DisputeError, DisputeForbidden, DisputeNotAllowed, DisputeStateError
from .models import Dispute, DisputeEvent, DisputeMessage, Evidence, Outcome, RefusalReason

# The subject of the e-mail that tells the customer the outcome (in their language).
RESOLVED_SUBJECTS = {
    Outcome.REFUNDED: gettext_lazy("accepted, the price is back in your balance"),
    Outcome.CORRECTED: gettext_lazy("accepted, corrected code or instructions sent"),
    Outcome.REFUSED: gettext_lazy("refused"),
    Outcome.ENTRY_MISTAKE: gettext_lazy("the video shows an entry mistake"),
}

log = logging.getLogger(__name__)

Status = Dispute.Status
DESCRIPTION_MAX = 4000
MESSAGE_MAX = 4000


# --- helpers ---------------------------------------------------------------------------------


def _event(dispute: Dispute, *, kind: str, actor: User | None, note: str = "") -> DisputeEvent:
    return DisputeEvent.objects.create(dispute=dispute, kind=kind, actor=actor, note=note[:4000])


def dispute_url(dispute: Dispute) -> str:
    return storefront_url(dispute.storefront, f"/disputes/{dispute.pk}/")


def dispute_admin_url(dispute: Dispute) -> str:
    return storefront_url(dispute.storefront, f"/admin/disputes/dispute/{dispute.pk}/change/")


def _notify_customer(dispute: Dispute, *, kind: str, subject: str, **context) -> None:
    """The customer hears about every step, through the notification log (after commit)."""
    with speaking_to(storefront=dispute.storefront, user=dispute.user):
        body = render_to_string(
            "disputes/email/customer.txt",
            {
                "dispute": dispute,
                "storefront": dispute.storefront,
                "kind": kind,
                "url": dispute_url(dispute),
                **context,
            },
        )
        subject = gettext("[%(shop)s] Dispute %(id)s: %(subject)s") % {
            "shop": dispute.storefront.display_name,
            "id": dispute.pk,
            "subject": subject,
        }
    notification_queue(
        storefront=dispute.storefront,
        to=dispute.user.email,
        user=dispute.user,
        kind=f"dispute_{kind}",
        subject=subject,
        body=body,
        about=dispute,
    )


def _notify_staff(dispute: Dispute, *, kind: str, subject: str, **context) -> None:
    """The storefront's dispute staff hear about a new dispute and every customer message."""
    from .selectors import dispute_staff_emails

    with translation.override(settings.LANGUAGE_CODE):  # staff work in English, as the admin
        body = render_to_string(
            "disputes/email/staff.txt",
            {
                "dispute": dispute,
                "storefront": dispute.storefront,
                "kind": kind,
                "url": dispute_admin_url(dispute),
                **context,
            },
        )
    for email in dispute_staff_emails(storefront=dispute.storefront):
        notification_queue(
            storefront=dispute.storefront,
            to=email,
            kind=f"dispute_staff_{kind}",
            subject=f"[{dispute.storefront.display_name}] Dispute {dispute.pk}: {subject}",
            body=body,
            about=dispute,
        )


def _locked(dispute_id: int) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("storefront", "user", "order")
        .get(pk=dispute_id)
    )


def _check_staff(dispute: Dispute, actor: User) -> None:
    """Only the storefront's dispute staff act (the "Dispute admin" group's change permission);
    Support may look, not act. A platform operator may act anywhere."""
    if actor.is_superuser:
        return
    if not (actor.is_active and actor.is_staff and actor.storefront_id == dispute.storefront_id):
        raise DisputeForbidden(gettext("Only this shop's dispute staff can do that."))
    if not actor.has_perm("disputes.change_dispute"):
        raise DisputeForbidden(gettext("Only the Dispute admin group can act on disputes."))


def _store(*, storefront: Storefront, upload, allow_image: bool) -> SavedEvidence:
    """Probe and store one file (IS-9): ``EvidenceRejected`` says why a file is refused."""
    return evidence_save(
        storefront=storefront,
        upload=upload,
        min_short_side=storefront.evidence_min_video_height,
        min_duration=float(storefront.evidence_min_duration_seconds),
        allow_image=allow_image,
    )


def _discard(saved: SavedEvidence | None) -> None:
    """A stored file whose rows were not written (the transaction failed): delete it."""
    if saved is None:
        return
    try:
        evidence_delete(name=saved.name, poster_name=saved.poster_name)
    except OSError:  # an orphan file is unreachable (no row names it): log and go on
        log.warning("could not delete evidence file %s", saved.name)


def _evidence_row(
    *, dispute: Dispute, saved: SavedEvidence, user: User, upload, message=None
) -> Evidence:
    facts = saved.facts
    return Evidence.objects.create(
        storefront_id=dispute.storefront_id,
        dispute=dispute,
        message=message,
        uploaded_by=user,
        name=saved.name,
        poster_name=saved.poster_name,
        original_filename=str(getattr(upload, "name", "") or "")[:255],
        kind=facts.kind,
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        duration_seconds=facts.duration_seconds,
        codec=facts.codec[:50],
        size_bytes=facts.size_bytes,
        recorded_at=facts.recorded_at,
        distinct_frames=facts.distinct_frames,
    )


def _next_due(dispute: Dispute) -> dt.datetime | None:
    """What the queue sorts by (IS-11): nothing is due from us while we wait for the customer."""
    if dispute.status != Status.OPEN:
        return None
    if dispute.first_responded_at is None:
        return min(dispute.first_response_due_at, dispute.resolution_due_at)
    return dispute.resolution_due_at


# --- opening (IS-9, DS-13) -------------------------------------------------------------------


def dispute_check_can_open(*, user: User, order: Order, now: dt.datetime | None = None) -> None:
    """Raise the reason this customer cannot dispute this order now (nothing is written)."""
    now = now or timezone.now()
    if order.user_id != user.pk or order.storefront_id != user.storefront_id:
        raise DisputeNotAllowed(gettext("That order is not yours."), status=404, code="not_found")
    window = policy.dispute_window(order=order, now=now)
    if not window.open:
        raise DisputeNotAllowed(window.reason)  # IS-9
    if Dispute.objects.filter(order=order, status__in=Dispute.OPEN).exists():
        raise DisputeNotAllowed(gettext("This order already has an open dispute."), code="conflict")


def dispute_open(
    *,
    user: User,
    order: Order,
    problem: str,
    description: str,
    attestations: list[str],
    upload,
    now: dt.datetime | None = None,
) -> Dispute:
    """Open a dispute with the customer's attestations and a video the server probed (IS-9)."""
    now = now or timezone.now()
    dispute_check_can_open(user=user, order=order, now=now)
    storefront = order.storefront
    if problem not in {value for value, _ in policy.problems_for(order)}:
        raise DisputeError(gettext("Pick what went wrong."))
    description = (description or "").strip()
    if len(description) < 10:
        raise DisputeError(gettext("Tell us what you did and what happened (a sentence or two)."))
    requirements = policy.evidence_requirements(storefront)
    missing = [text for text in requirements if text not in set(attestations or [])]
    if missing:
        raise DisputeError(  # IS-9, DS-13
            gettext(
                "The terms ask for a video that shows each of these; tick each one your video shows: %(missing)s."
            )
            % {"missing": "; ".join(gettext(text) for text in missing)}
        )
    if upload is None:
        raise DisputeError(gettext("Upload the video of the code being entered."))
    saved = _store(storefront=storefront, upload=upload, allow_image=False)
    try:
        dispute = _dispute_create(
            user=user,
            order=order,
            problem=problem,
            description=description[:DESCRIPTION_MAX],
            attestations=requirements,
            saved=saved,
            upload=upload,
            now=now,
        )
    except BaseException:
        _discard(saved)
        raise
    return dispute


@transaction.atomic
def _dispute_create(
    *, user, order, problem, description, attestations, saved, upload, now
) -> Dispute:
    order = Order.objects.select_for_update().select_related("storefront").get(pk=order.pk)
    storefront = order.storefront
    window = policy.dispute_window(order=order, now=now)
    if not window.open:
        raise DisputeNotAllowed(window.reason)  # the order changed while the video uploaded
    first_due = policy.first_response_due(storefront=storefront, opened_at=now)
    resolution_due = policy.resolution_due(storefront=storefront, opened_at=now)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                storefront=storefront,
                order=order,
                user=user,
                problem=problem,
                description=description,
                attestations=list(attestations),
                received_at=window.received_at,
                window_closes_at=window.closes_at,
                opened_at=now,
                first_response_due_at=first_due,
                resolution_due_at=resolution_due,
                next_due_at=min(first_due, resolution_due),
            )
    except IntegrityError as exc:
        raise DisputeNotAllowed(
            gettext("This order already has an open dispute."), code="conflict"
        ) from exc
    _evidence_row(dispute=dispute, saved=saved, user=user, upload=upload)
    _event(dispute, kind=DisputeEvent.Kind.OPENED, actor=user, note=description)
    order_timeline_note(
        order=order,
        message=f"You reported a problem (dispute {dispute.pk}). The shop answers by "
        f"{policy.when_text(first_due)}.",
        actor=user,
    )
    _notify_customer(dispute, kind="opened", subject=gettext_lazy("we received your report"))
    _notify_staff(dispute, kind="opened", subject=f"new dispute on order {order.number}")
    return dispute


# --- the conversation ------------------------------------------------------------------------


def dispute_message_post(
    *,
    dispute_id: int,
    author: User,
    body: str,
    upload=None,
    ask_for_evidence: bool = False,
    now: dt.datetime | None = None,
) -> DisputeMessage:
    """A message from the customer or from staff, with an optional video or image probed like
    the first one. The other side is e-mailed. Staff may ask for more evidence (IS-11: the
    resolution clock stops until the customer answers)."""
    body = (body or "").strip()
    if not body:
        raise DisputeError(gettext("Write a message."))
    dispute = Dispute.objects.select_related("storefront", "user").get(pk=dispute_id)
    from_staff = author.pk != dispute.user_id
    if from_staff:
        _check_staff(dispute, author)
    elif ask_for_evidence:
        raise DisputeForbidden(gettext("Only staff ask for evidence."))
    if not dispute.is_open:
        raise DisputeStateError(
            gettext("This dispute is resolved; write to support for anything new.")
        )
    saved = (
        _store(storefront=dispute.storefront, upload=upload, allow_image=True)
        if upload is not None
        else None
    )
    try:
        return _message_create(
            dispute_id=dispute.pk,
            author=author,
            from_staff=from_staff,
            body=body[:MESSAGE_MAX],
            saved=saved,
            upload=upload,
            ask_for_evidence=ask_for_evidence,
            now=now or timezone.now(),
        )
    except BaseException:
        _discard(saved)
        raise


@transaction.atomic
def _message_create(
    *, dispute_id, author, from_staff, body, saved, upload, ask_for_evidence, now
) -> DisputeMessage:
    dispute = _locked(dispute_id)
    if not dispute.is_open:
        raise DisputeStateError(
            gettext("This dispute is resolved; write to support for anything new.")
        )
    message = DisputeMessage.objects.create(
        dispute=dispute,
        author=author,
        from_staff=from_staff,
        body=body,
        asks_for_evidence=ask_for_evidence,
    )
    if saved is not None:
        _evidence_row(dispute=dispute, saved=saved, user=author, upload=upload, message=message)
    fields = []
    if from_staff:
        if dispute.first_responded_at is None:
            dispute.first_responded_at = now
            fields.append("first_responded_at")
        if ask_for_evidence and dispute.status == Status.OPEN:
            dispute.status, dispute.waiting_since = Status.AWAITING_CUSTOMER, now
            fields += ["status", "waiting_since"]
    elif dispute.status == Status.AWAITING_CUSTOMER:
        # IS-11: the time spent waiting for the customer does not count against us.
        waited = max(now - (dispute.waiting_since or now), dt.timedelta(0))
        dispute.resolution_due_at += waited
        dispute.status, dispute.waiting_since = Status.OPEN, None
        fields += ["resolution_due_at", "status", "waiting_since"]
    dispute.next_due_at = _next_due(dispute)
    dispute.save(update_fields=[*fields, "next_due_at"])
    kind = DisputeEvent.Kind.EVIDENCE_ASKED if ask_for_evidence else DisputeEvent.Kind.MESSAGE
    note = body if saved is None else f"{body}\n(with a {saved.facts.kind})"
    _event(dispute, kind=kind, actor=author, note=note)
    if from_staff:
        _notify_customer(
            dispute,
            kind="evidence_asked" if ask_for_evidence else "message",
            subject=(
                gettext_lazy("the shop asks for more evidence")
                if ask_for_evidence
                else gettext_lazy("a new message")
            ),
            message=message,
        )
    else:
        _notify_staff(dispute, kind="message", subject="the customer wrote", message=message)
    return message


# --- resolution (IS-9, IS-10, DS-13, DS-14) ----------------------------------------------------


@transaction.atomic
def dispute_resolve(
    *,
    dispute_id: int,
    actor: User,
    outcome: str,
    note: str = "",
    refusal_reason: str = "",
    corrected_code: str = "",
    now: dt.datetime | None = None,
) -> Dispute:
    """Decide a dispute. Exactly one of four outcomes; only "refunded" moves money, once."""
    now = now or timezone.now()
    note = (note or "").strip()
    if outcome not in Outcome.values:
        raise DisputeError(gettext("Pick an outcome."))
    dispute = _locked(dispute_id)
    _check_staff(dispute, actor)
    if not dispute.is_open:
        raise DisputeStateError(
            gettext("This dispute was already resolved: %(status)s.")
            % {"status": dispute.get_outcome_display().lower()}
        )
    order = dispute.order
    summary = ""
    if outcome == Outcome.REFUNDED:
        dispute.refund_request = refund_request_dispute_pay(
            order=order, actor=actor, reason=f"Dispute {dispute.pk} accepted. {note}".strip()
        )
        summary = f"Accepted: {order.price:.2f} {order.currency} refunded to your balance."
    elif outcome == Outcome.CORRECTED:
        corrected_code = (corrected_code or "").strip()
        if not corrected_code:
            raise DisputeError(gettext("Write the corrected code or instructions."))
        order_result_correct(order=order, code=corrected_code, actor=actor, note=note)
        dispute.corrected_code = corrected_code[:4000]
        summary = "Accepted: corrected code or instructions sent."
    elif outcome == Outcome.REFUSED:
        if refusal_reason not in RefusalReason.values:
            raise DisputeError(gettext("Pick the policy reason for refusing (IS-10, DS-14)."))
        dispute.refusal_reason = refusal_reason
        summary = f"Refused: {RefusalReason(refusal_reason).label}."
    else:  # DS-13: the video shows the code was entered wrongly
        if not note:
            raise DisputeError(
                gettext("Tell the customer what the video shows was entered wrongly.")
            )
        summary = "The video shows an entry mistake."
    dispute.status, dispute.outcome = Status.RESOLVED, outcome
    dispute.resolution_note = note[:4000]
    dispute.resolved_by, dispute.resolved_at = actor, now
    dispute.first_responded_at = dispute.first_responded_at or now
    dispute.waiting_since, dispute.next_due_at = None, None
    dispute.save()
    _event(dispute, kind=DisputeEvent.Kind.RESOLVED, actor=actor, note=f"{summary} {note}".strip())
    if outcome in (Outcome.REFUSED, Outcome.ENTRY_MISTAKE):
        # (a refund and a corrected result write their own line on the order's timeline)
        order_timeline_note(order=order, message=f"Dispute {dispute.pk}: {summary}", actor=actor)
    _notify_customer(dispute, kind=f"resolved_{outcome}", subject=RESOLVED_SUBJECTS[outcome])
    return dispute


# --- upstream --------------------------------------------------------------------------------


@transaction.atomic
def dispute_upstream_raise(
    *, dispute_id: int, actor: User, note: str, reference: str = "", now=None
) -> Dispute:
    """Staff raised the dispute with the supplier the order came from (with a note)."""
    note = (note or "").strip()
    if not note:
        raise DisputeError(gettext("Note how and when it was raised with the supplier."))
    dispute = _locked(dispute_id)
    _check_staff(dispute, actor)
    if dispute.order.route_id is None:
        raise DisputeStateError(gettext("This order was not sent to a supplier."))
    if not dispute.is_open:
        raise DisputeStateError(gettext("This dispute is resolved."))
    dispute.upstream_raised_at = now or timezone.now()
    dispute.upstream_raised_by = actor
    dispute.upstream_note = note[:4000]
    if reference.strip():
        dispute.upstream_reference = reference.strip()[:100]
    if dispute.first_responded_at is None:
        dispute.first_responded_at = dispute.upstream_raised_at
        dispute.next_due_at = _next_due(dispute)
    dispute.save()
    _event(dispute, kind=DisputeEvent.Kind.UPSTREAM, actor=actor, note=note)
    _notify_customer(
        dispute, kind="upstream", subject=gettext_lazy("we raised it with our supplier")
    )
    return dispute


def dispute_upstream_forward(*, dispute_id: int, actor: User, note: str = "") -> Dispute:
    """Forward the dispute to the supplier the order came from, when that supplier is one of our
    own storefronts (the demo chain): its JSON API opens a dispute on its order with our video,
    attesting the supplier's own requirements (the staff member watched the video). The network
    calls run outside any transaction; the note is then written like ``dispute_upstream_raise``."""
    from . import upstream

    dispute = Dispute.objects.select_related("storefront", "order", "order__route__connection").get(
        pk=dispute_id
    )
    _check_staff(dispute, actor)
    if not dispute.is_open:
        raise DisputeStateError(gettext("This dispute is resolved."))
    if dispute.upstream_reference:
        raise DisputeStateError(
            gettext(
                "This dispute was already raised with the supplier (their reference %(upstream_reference)s)."
            )
            % {"upstream_reference": dispute.upstream_reference}
        )
    order = dispute.order
    route = order.route
    if route is None or route.connection.kind != route.connection.Kind.DHRU:
        raise DisputeStateError(
            gettext(
                "This order's supplier has no API to take a dispute: raise it with them by hand."
            )
        )
    if not order.provider_ref:
        raise DisputeStateError(gettext("The supplier's order reference is not known."))
    evidence = dispute.primary_evidence
    if evidence is None:  # pragma: no cover - every dispute opens with its video
        raise DisputeStateError(gettext("This dispute has no video to forward."))
    connection = route.connection
    requirements = upstream.supplier_requirements(connection)
    forwarded = upstream.supplier_dispute_open(
        connection=connection,
        order_ref=order.provider_ref,
        problem=dispute.problem,
        description=f"{dispute.description}\n\n(Forwarded by {dispute.storefront.display_name}, "
        f"dispute {dispute.pk}, for its customer.)",
        attestations=requirements,
        evidence_name=evidence.name,
        content_type=evidence.content_type,
    )
    return dispute_upstream_raise(
        dispute_id=dispute.pk,
        actor=actor,
        note=(note or "").strip()
        or f"Forwarded through {connection.name}'s API: their dispute {forwarded.remote_id}.",
        reference=str(forwarded.remote_id),
    )


# --- the queue (IS-11) -----------------------------------------------------------------------


def disputes_due_digest_send(*, now: dt.datetime | None = None) -> int:
    """E-mail each storefront's dispute staff the disputes due by the end of their day, or late."""
    from accounts.services import staff_due_digest_send

    from .selectors import dispute_staff_emails, disputes_due_by

    return staff_due_digest_send(
        kind="disputes_due_digest",
        due_for=lambda storefront, moment: disputes_due_by(storefront=storefront, moment=moment),
        recipients_for=lambda storefront: dispute_staff_emails(storefront=storefront),
        template="disputes/email/due_digest.txt",
        subject_for=lambda storefront, n: f"[{storefront.display_name}] {n} dispute(s) due today",
        extra_for=lambda storefront: {
            "queue_url": storefront_url(storefront, "/admin/disputes/dispute/")
        },
        now=now,
    )
