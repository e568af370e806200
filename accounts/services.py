"""Writes about accounts: terms acceptance, closing, suspending, verification requests (DS-20),
staff-sent reset links."""

from __future__ import annotations

import logging

from allauth.account.forms import ResetPasswordForm
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from storefronts.models import TermsVersion

from .models import TermsAcceptance, User

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


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
    return user


def _notify(user: User, subject: str, body: str) -> None:
    storefront = user.storefront
    sender = None
    if storefront is not None:
        sender = (
            f"{storefront.display_name} <{storefront.support_email}>"
            if storefront.support_email
            else None
        )
        subject = f"[{storefront.display_name}] {subject}"
    transaction.on_commit(lambda: send_mail(subject, body, sender, [user.email]))


@transaction.atomic
def account_suspend(*, user: User, reason: str) -> User:
    """Staff end the agreement with a customer (IS-12); the customer is told by email."""
    if not reason.strip():
        raise ValueError("a reason is required")
    User.objects.filter(pk=user.pk).update(
        is_active=False, suspended_at=timezone.now(), suspension_reason=reason.strip()[:300]
    )
    user.refresh_from_db()
    _notify(
        user,
        "Your account has been suspended",
        f"Your account {user.email} has been suspended.\n\nReason: {user.suspension_reason}\n\n"
        "Your balance is kept. Reply to this email or contact support if you think this is a mistake.",
    )
    return user


@transaction.atomic
def account_reinstate(*, user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_active=True, suspended_at=None, suspension_reason="")
    user.refresh_from_db()
    _notify(user, "Your account is active again", f"Your account {user.email} can sign in again.")
    return user


@transaction.atomic
def account_verification_require(*, user: User, actor: User | None) -> User:
    """DS-20: staff ask for documents; top-ups and orders pause until they clear the flag.

    The customer is told by email. Asking again while the flag is set changes nothing.
    """
    updated = User.objects.filter(pk=user.pk, verification_required_at__isnull=True).update(
        verification_required_at=timezone.now()
    )
    user.refresh_from_db()
    if updated:
        log.info("verification required for user %s by %s", user.pk, getattr(actor, "pk", None))
        _notify(
            user,
            "We need to verify your account",
            f"To prevent fraud we need to verify your account {user.email} before it can top up "
            "or place orders again.\n\nPlease reply to this email: our support team will tell you "
            "which documents we need. Your balance and your open orders are kept.",
        )
    return user


@transaction.atomic
def account_verification_clear(*, user: User, actor: User | None) -> User:
    """DS-20: the documents were approved; top-ups and orders are possible again."""
    updated = User.objects.filter(pk=user.pk, verification_required_at__isnull=False).update(
        verification_required_at=None
    )
    user.refresh_from_db()
    if updated:
        log.info("verification cleared for user %s by %s", user.pk, getattr(actor, "pk", None))
        _notify(
            user,
            "Your account is verified",
            f"Thank you: your account {user.email} is verified. You can top up and order again.",
        )
    return user


def password_reset_link_send(*, request: HttpRequest, user: User) -> None:
    """Staff cannot read or set a password (IS-14); they can send the owner a reset link."""
    form = ResetPasswordForm(data={"email": user.email})
    form.cleaned_data = {"email": user.email}
    form.users = [user]
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
