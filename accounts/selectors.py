"""Reads about accounts; every lookup is within one storefront."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet
from django.utils import timezone

from storefronts.models import Storefront

from .models import Notification, TermsAcceptance, User


def users_with_email(*, storefront: Storefront, email: str) -> QuerySet[User]:
    """Accounts of ``storefront`` that hold ``email`` (as their login or an added address)."""
    email = email.strip()
    in_addresses = EmailAddress.objects.filter(
        email__iexact=email, user__storefront=storefront
    ).values("user_id")
    return User.objects.filter(storefront=storefront).filter(
        Q(email__iexact=email) | Q(pk__in=in_addresses)
    )


def user_for_login(*, storefront: Storefront, email: str) -> User | None:
    """The account that signs in with ``email`` at ``storefront``: the storefront's own account,
    else a platform operator (superuser without a storefront)."""
    user = users_with_email(storefront=storefront, email=email).order_by("pk").first()
    if user is None:
        user = User.objects.filter(
            storefront__isnull=True, is_superuser=True, email__iexact=email.strip()
        ).first()
    return user


def email_is_taken(*, storefront: Storefront, email: str, exclude_user: User | None = None) -> bool:
    users = users_with_email(storefront=storefront, email=email)
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    operator = User.objects.filter(storefront__isnull=True, email__iexact=email.strip())
    return users.exists() or operator.exists()


def terms_acceptance_latest(user: User) -> TermsAcceptance | None:
    return user.terms_acceptances.select_related("terms_version").first()


def notifications_stuck(*, now=None, quiet_for=dt.timedelta(minutes=15)) -> list[int]:
    """Queued notifications nobody has tried for a while: their task was lost. Longer than the
    task's longest retry countdown, so a notification that is merely waiting is left alone."""
    since = (now or timezone.now()) - quiet_for
    return list(
        Notification.objects.filter(status=Notification.Status.QUEUED, created_at__lt=since)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=since))
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
