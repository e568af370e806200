"""Writes about accounts: terms acceptance, closing, suspending, verification requests (DS-20),
staff-sent reset links, and the notification log every app sends its e-mail through."""

from __future__ import annotations

import logging
import smtplib
from email.utils import formataddr
from functools import partial

from allauth.account.forms import ResetPasswordForm
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from storefronts.exceptions import NotFound, UserError
from storefronts.models import Storefront, TermsVersion

from .languages import speaking_to
from .models import Notification, TermsAcceptance, User

log = logging.getLogger(__name__)
NOTIFICATION_MAX_ATTEMPTS = 6  # with the task's backoff: about a quarter of an hour of tries


@transaction.atomic
def terms_acceptance_record(
    *, user: User, terms_version: TermsVersion, ip_address: str | None, user_agent: str = ""
) -> TermsAcceptance:
    """Record that ``user`` accepted ``terms_version`` (IS-1); accepting twice keeps the first."""
    if terms_version.storefront_id != user.storefront_id:
        raise ValueError("terms of another storefront")
    acceptance, _created = TermsAcceptance.objects.get_or_create(
        user=user,
        terms_version=terms_version,
        defaults={
            "storefront_id": user.storefront_id,
            "ip_address": ip_address,
            "user_agent": user_agent[:300],
        },
    )
    return acceptance


@transaction.atomic
def account_close(*, user: User) -> User:
    """The customer ends the agreement (IS-12): the account can no longer sign in.

    Rows that money and orders refer to stay; only access ends.
    """
    User.objects.filter(pk=user.pk).update(is_active=False, closed_at=timezone.now())
    user.refresh_from_db()
    storefront = user.storefront
    if storefront is not None and storefront.support_email:
        wallet = getattr(user, "wallet", None)  # billing's row, read through the relation
        left = f"{wallet.balance} {wallet.currency}" if wallet is not None else "nothing"
        notification_queue(
            storefront=storefront,
            to=storefront.support_email,
            kind="account_closed",
            subject=f"[{storefront.display_name}] {user.email} closed their account",
            body=(
                f"{user.email} closed their account at {user.closed_at:%Y-%m-%d %H:%M} UTC "
                f"(IS-12).\nBalance left: {left}. It stays in the ledger (IS-2); any refund "
                "request they made is in the refund queue.\n"
            ),
            about=user,
        )
    return user


def _notify(user: User, kind: str, subject: str, body: str) -> None:
    """Callers write ``subject`` and ``body`` inside ``speaking_to(…)`` (the user's language)."""
    storefront = user.storefront
    if storefront is not None:
        subject = f"[{storefront.display_name}] {subject}"
    notification_queue(
        storefront=storefront,
        to=user.email,
        kind=kind,
        subject=subject,
        body=body,
        about=user,
        user=user,
    )


class StaffAccountProtected(UserError):
    """A storefront's staff tried to manage a staff account: only the platform operator does."""

    status = 403
    code = "forbidden"


def _account_manageable(*, user: User, actor: User | None) -> None:
    """Staff accounts (``is_staff`` or ``is_superuser``) are managed only by the platform operator
    (a superuser), so Support cannot suspend a Dispute admin or itself; a storefront's staff manage
    only their own storefront's customers. ``actor=None`` is the platform itself (a management
    command, a task). The flags are read afresh: the caller's copy may be stale."""
    if actor is None or actor.is_superuser:
        return
    flags = User.objects.filter(pk=user.pk).values("is_staff", "is_superuser", "storefront_id")
    current = flags.first()
    if current is None or current["storefront_id"] != actor.storefront_id:
        raise NotFound(_("No such account here."))
    if current["is_staff"] or current["is_superuser"]:
        raise StaffAccountProtected(_("Only the platform operator manages staff accounts."))


@transaction.atomic
def account_suspend(*, user: User, reason: str, actor: User | None) -> User:
    """Staff end the agreement with a customer (IS-12); the customer is told by email."""
    if not reason.strip():
        raise ValueError("a reason is required")
    _account_manageable(user=user, actor=actor)
    User.objects.filter(pk=user.pk).update(
        is_active=False, suspended_at=timezone.now(), suspension_reason=reason.strip()[:300]
    )
    user.refresh_from_db()
    with speaking_to(storefront=user.storefront, user=user):
        _notify(
            user,
            "account_suspended",
            _("Your account has been suspended"),
            _(
                "Your account %(email)s has been suspended.\n\nReason: %(reason)s\n\n"
                "Your balance is kept. Reply to this email or contact support if you think this "
                "is a mistake."
            )
            % {"email": user.email, "reason": user.suspension_reason},
        )
    return user


@transaction.atomic
def account_reinstate(*, user: User, actor: User | None) -> User:
    _account_manageable(user=user, actor=actor)
    User.objects.filter(pk=user.pk).update(is_active=True, suspended_at=None, suspension_reason="")
    user.refresh_from_db()
    with speaking_to(storefront=user.storefront, user=user):
        _notify(
            user,
            "account_reinstated",
            _("Your account is active again"),
            _("Your account %(email)s can sign in again.") % {"email": user.email},
        )
    return user


@transaction.atomic
def account_verification_require(*, user: User, actor: User | None) -> User:
    """DS-20: staff ask for documents; top-ups and orders pause until they clear the flag.

    The customer is told by email. Asking again while the flag is set changes nothing.
    """
    _account_manageable(user=user, actor=actor)
    updated = User.objects.filter(pk=user.pk, verification_required_at__isnull=True).update(
        verification_required_at=timezone.now()
    )
    user.refresh_from_db()
    if updated:
        log.info("verification required for user %s by %s", user.pk, getattr(actor, "pk", None))
        with speaking_to(storefront=user.storefront, user=user):
            _notify(
                user,
                "account_verification_required",
                _("We need to verify your account"),
                _(
                    "To prevent fraud we need to verify your account %(email)s before it can top "
                    "up or place orders again.\n\nPlease reply to this email: our support team "
                    "will tell you which documents we need. Your balance and your open orders are "
                    "kept."
                )
                % {"email": user.email},
            )
    return user


@transaction.atomic
def account_verification_clear(*, user: User, actor: User | None) -> User:
    """DS-20: the documents were approved; top-ups and orders are possible again."""
    _account_manageable(user=user, actor=actor)
    updated = User.objects.filter(pk=user.pk, verification_required_at__isnull=False).update(
        verification_required_at=None
    )
    user.refresh_from_db()
    if updated:
        log.info("verification cleared for user %s by %s", user.pk, getattr(actor, "pk", None))
        with speaking_to(storefront=user.storefront, user=user):
            _notify(
                user,
                "account_verified",
                _("Your account is verified"),
                _("Thank you: your account %(email)s is verified. You can top up and order again.")
                % {"email": user.email},
            )
    return user


def password_reset_link_send(*, request: HttpRequest, user: User, actor: User | None) -> None:
    """Staff cannot read or set a password (IS-14); they can send the owner a reset link (a staff
    account's only from the platform operator)."""
    _account_manageable(user=user, actor=actor)
    form = ResetPasswordForm(data={"email": user.email})
    form.cleaned_data = {"email": user.email}
    form.users = [user]
    with speaking_to(storefront=user.storefront, user=user):  # staff work in English
        form.save(request)


@transaction.atomic
def account_create_verified(
    *,
    storefront,
    email: str,
    password: str,
    is_staff: bool = False,
    is_superuser: bool = False,
    group_names: tuple[str, ...] = (),
) -> User:
    """An account with a verified primary email, for operators and the demo seed.

    Customers sign up through allauth; this is for accounts an operator creates.
    Existing accounts keep their password.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from .adapter import StorefrontAccountAdapter
    from .selectors import user_for_login

    user = None
    if storefront is not None:
        user = user_for_login(storefront=storefront, email=email)
        if user is not None and user.storefront_id != storefront.pk:
            user = None
    else:
        user = User.objects.filter(storefront__isnull=True, email__iexact=email).first()
    if user is None:
        user = User(storefront=storefront, email=email.lower())
        StorefrontAccountAdapter().populate_username(None, user)
        user.set_password(password)
    user.is_staff = is_staff or is_superuser
    user.is_superuser = is_superuser
    user.is_active = True
    user.save()
    if group_names:
        user.groups.set(Group.objects.filter(name__in=group_names))
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if storefront is not None:
        terms = storefront.current_terms()
        if terms is not None:
            terms_acceptance_record(
                user=user, terms_version=terms, ip_address=None, user_agent="seed"
            )
    return user


@transaction.atomic
def display_currency_set(*, user: User, currency: str) -> User:
    """The currency the customer also sees amounts in ("" = the storefront's own)."""
    User.objects.filter(pk=user.pk).update(display_currency=currency[:3].upper())
    user.display_currency = currency[:3].upper()
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """The language the customer reads pages and e-mails in (one the storefront offers)."""
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


# --- the notification log (DESIGN.md, "Notifications") -------------------------------------------


def storefront_sender(storefront: Storefront | None) -> str:
    """``Shop name <support@…>`` when the storefront has a support address, else the site's."""
    if storefront is not None and storefront.support_email:
        return formataddr((storefront.display_name, storefront.support_email))
    return settings.DEFAULT_FROM_EMAIL


def notification_queue(
    *,
    storefront: Storefront | None,
    to: str,
    kind: str,
    subject: str,
    body: str,
    about: models.Model | None = None,
    user: User | None = None,
    from_email: str | None = None,
) -> Notification:
    """Record an e-mail and have a task send it after commit.

    Call it inside the transaction of the change it tells about: if that change rolls back, no
    mail goes out; if it commits, the row says whether the mail went out or why not. The request
    never waits for a mail server."""
    notification = Notification.objects.create(
        storefront=storefront,
        user=user,
        to=to,
        kind=kind[:50],
        content_type=ContentType.objects.get_for_model(about) if about is not None else None,
        object_id=about.pk if about is not None else None,
        from_email=from_email if from_email is not None else storefront_sender(storefront),
        # A line break in a subject is a header injection; Django would refuse to send it.
        subject=" ".join(subject.split())[:300],
        body=body,
    )
    transaction.on_commit(partial(_notification_schedule, notification.pk))
    return notification


def notifications_queue_many(items: list[dict]) -> list[Notification]:
    """``notification_queue`` for many e-mails written in one transaction (a batch of orders
    completed together): one INSERT for the rows, then one message to the e-mail worker after
    commit for all of them, not one each from the worker that completed the orders.
    Each item holds ``notification_queue``'s arguments."""
    rows = [
        Notification(
            storefront=item["storefront"],
            user=item.get("user"),
            to=item["to"],
            kind=item["kind"][:50],
            content_type=(
                ContentType.objects.get_for_model(item["about"]) if item.get("about") else None
            ),
            object_id=item["about"].pk if item.get("about") else None,
            from_email=storefront_sender(item["storefront"]),
            subject=" ".join(item["subject"].split())[:300],
            body=item["body"],
        )
        for item in items
    ]
    created = Notification.objects.bulk_create(rows)
    if created:
        transaction.on_commit(partial(_notifications_schedule, [n.pk for n in created]))
    return created


def _notification_schedule(notification_id: int) -> None:
    """After commit: hand the notification to a worker. If the broker is down the row stays
    queued and the beat sweep (``notifications_send_stuck``) sends it later."""
    from . import tasks  # tasks import this module

    try:
        tasks.notification_send.apply_async((notification_id,), retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not fail the change that was made
        log.warning("could not schedule notification %s; the sweep will send it", notification_id)


def _notifications_schedule(notification_ids: list[int]) -> None:
    """``_notification_schedule`` for many: one task that sends them all on the e-mail queue."""
    from . import tasks

    try:
        tasks.notifications_send.apply_async((notification_ids,), retry=False)
    except Exception:  # noqa: BLE001 - as above: the sweep sends them later
        log.warning(
            "could not schedule %s notifications; the sweep will send them", len(notification_ids)
        )


def notification_send(*, notification_id: int) -> str:
    """Send one queued notification, at most once: its row is locked and its status checked
    before the mail goes out, so a redelivered or repeated task finds it sent and stops.

    Returns ``"sent"``, ``"failed"`` (recorded with the reason), ``"retry"`` (a mail-server error
    the task should try again later) or ``"skipped"`` (not queued any more)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.QUEUED:
            return "skipped"
        notification.attempts += 1
        notification.last_attempt_at = timezone.now()
        try:
            _notification_deliver(notification)
        except smtplib.SMTPRecipientsRefused as exc:
            # The server refused the address itself: trying again changes nothing.
            outcome = _notification_failed(notification, exc, final=True)
        except (smtplib.SMTPException, OSError) as exc:
            final = notification.attempts >= NOTIFICATION_MAX_ATTEMPTS
            outcome = _notification_failed(notification, exc, final=final)
        except Exception as exc:  # noqa: BLE001 - recorded; retrying a bug would not help
            log.exception("notification %s could not be sent", notification.pk)
            outcome = _notification_failed(notification, exc, final=True)
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = notification.last_attempt_at
            notification.failure_reason = ""
            outcome = "sent"
        notification.save(
            update_fields=["status", "attempts", "last_attempt_at", "sent_at", "failure_reason"]
        )
    return outcome


def _notification_deliver(notification: Notification) -> None:
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30)
    EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=notification.from_email or None,
        to=[notification.to],
        connection=connection,
    ).send()


def _notification_failed(notification: Notification, exc: Exception, *, final: bool) -> str:
    notification.failure_reason = f"{type(exc).__name__}: {exc}"[:500]
    if final:
        notification.status = Notification.Status.FAILED
        log.warning("notification %s failed: %s", notification.pk, notification.failure_reason)
        return "failed"
    return "retry"


def notification_resend(*, notification: Notification) -> bool:
    """Staff send a failed notification again (the same text, to the same address)."""
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.FAILED
        ).update(status=Notification.Status.QUEUED, attempts=0)
        if updated:
            transaction.on_commit(partial(_notification_schedule, notification.pk))
    return bool(updated)


def notification_queue_admins(
    *, kind: str, subject: str, body: str, about: models.Model | None = None
) -> list[Notification]:
    """A platform notice to the operators in ``settings.ADMINS`` (what ``mail_admins`` did), one
    row each, in no storefront's log."""
    addresses = dict.fromkeys(email for _name, email in settings.ADMINS)
    return [
        notification_queue(
            storefront=None,
            to=email,
            kind=kind,
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
            body=body,
            about=about,
            from_email=settings.SERVER_EMAIL,
        )
        for email in addresses
    ]


def staff_due_digest_send(
    *,
    kind: str,
    due_for,
    recipients_for,
    template: str,
    subject_for,
    extra_for=None,
    now=None,
) -> int:
    """E-mail each storefront's staff the work due by the end of their day, or late.

    Refunds (IS-7, DS-16) and disputes (IS-11) both send one: ``due_for(storefront, moment)``
    gives the rows, ``recipients_for(storefront)`` the addresses, ``subject_for(storefront, n)``
    the subject; ``extra_for(storefront)`` adds to the template's context. Returns how many
    storefronts were told.
    """
    from django.template.loader import render_to_string

    now = now or timezone.now()
    told = 0
    for storefront in Storefront.objects.filter(is_active=True):
        end_of_day = storefront.calendar.local(now).replace(hour=23, minute=59, second=59)
        due = list(due_for(storefront, end_of_day))
        recipients = recipients_for(storefront)
        if not due or not recipients:
            continue
        context = {"storefront": storefront, "due": due, "now": now}
        if extra_for is not None:
            context.update(extra_for(storefront))
        body = render_to_string(template, context)
        for email in recipients:
            notification_queue(
                storefront=storefront,
                to=email,
                kind=kind,
                subject=subject_for(storefront, len(due)),
                body=body,
            )
        told += 1
    return told
