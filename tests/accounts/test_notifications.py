"""The notification log: every e-mail is a row written with the change it tells about and sent by
a task after commit; staff see whether it went out, and why not."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts import tasks
from accounts.models import Notification
from accounts.services import account_suspend, notification_queue, notifications_queue_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status
NOTIFICATIONS = "/admin/accounts/notification/"


class DownMailServer(LocmemBackend):
    """A mail server that refuses every connection (the task must retry, then give up)."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class FlakyMailServer(LocmemBackend):
    """Down for the first try only."""

    tries = 0

    def send_messages(self, messages):
        type(self).tries += 1
        if type(self).tries == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().send_messages(messages)


class RefusingMailServer(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"nobody@example.com": (550, b"No such user")})


def queue(storefront, **kw) -> Notification:
    values = {
        "to": "customer@example.com",
        "kind": "test_notice",
        "subject": "Hello",
        "body": "A test notice.",
    }
    return notification_queue(storefront=storefront, **{**values, **kw})


def staff_client(storefront, host, email, group="Support") -> Client:
    staff = UserFactory(storefront=storefront, email=email, is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST=host)
    client.force_login(staff)
    return client


# --- queueing and sending ------------------------------------------------------------------


def test_a_notification_is_sent_after_commit_and_marked_sent(
    retail, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = queue(retail, subject="Line one\nBcc: injected@example.com")
    # Nothing leaves inside the transaction.
    assert mail.outbox == [] and notification.status == Status.QUEUED and len(callbacks) == 1
    callbacks[0]()
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1
    assert notification.sent_at is not None and notification.failure_reason == ""
    [message] = mail.outbox
    assert message.to == ["customer@example.com"]
    # A line break cannot smuggle a header into the subject.
    assert message.subject == "Line one Bcc: injected@example.com"
    assert message.from_email == f"{retail.display_name} <{retail.support_email}>"


def test_a_change_that_rolls_back_sends_nothing(retail, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue(retail)
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_a_redelivered_task_never_sends_twice(retail, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue(retail)
    assert len(mail.outbox) == 1
    # The broker delivers the same task again (acks_late after a worker died): nothing is sent.
    assert tasks.notification_send.apply((notification.pk,)).get() == "skipped"
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_is_retried_then_the_failure_is_recorded(
    retail, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue(retail)
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.attempts == 6  # NOTIFICATION_MAX_ATTEMPTS, then it stops
    assert "Connection unexpectedly closed" in notification.failure_reason
    assert notification.sent_at is None and mail.outbox == []


def test_a_mail_server_that_comes_back_gets_the_mail_on_the_next_try(
    retail, settings, django_capture_on_commit_callbacks
):
    FlakyMailServer.tries = 0
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue(retail)
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    assert len(mail.outbox) == 1


def test_a_refused_address_fails_at_once(retail, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue(retail, to="nobody@example.com")
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 1
    assert "No such user" in notification.failure_reason


def test_the_task_asks_celery_to_retry_with_backoff(retail, settings, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    notification = queue(retail)
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        raise RuntimeError("retry requested")

    monkeypatch.setattr(tasks.notification_send, "retry", retry)
    with pytest.raises(RuntimeError, match="retry requested"):
        tasks.notification_send.run(notification.pk)
    assert 20 <= asked["countdown"] <= 40  # about 30 s, with jitter
    notification.refresh_from_db()
    assert notification.status == Status.QUEUED and notification.attempts == 1


def many(storefront, count: int) -> list[dict]:
    return [
        {
            "storefront": storefront,
            "to": f"customer{n}@example.com",
            "kind": "test_notice",
            "subject": f"Hello {n}",
            "body": "A test notice.",
        }
        for n in range(count)
    ]


def test_notifications_written_together_go_to_the_email_worker_in_one_message(
    retail, monkeypatch, django_capture_on_commit_callbacks
):
    sent_as = []
    monkeypatch.setattr(
        tasks.notifications_send,
        "apply_async",
        lambda args, **kw: sent_as.append(args) or tasks.notifications_send.apply(args),
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        written = notifications_queue_many(many(retail, 3))
    assert sent_as == [([n.pk for n in written],)]  # one message, not one per e-mail
    assert sorted(m.to[0] for m in mail.outbox) == [f"customer{n}@example.com" for n in range(3)]
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    # Redelivered after the worker died: nothing goes out twice.
    again = tasks.notifications_send.apply(([n.pk for n in written],)).get()
    assert again == {"skipped": 3} and len(mail.outbox) == 3


def test_one_of_many_that_meets_a_mail_server_error_is_retried_alone(
    retail, settings, django_capture_on_commit_callbacks
):
    FlakyMailServer.tries = 0
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first, second = notifications_queue_many(many(retail, 2))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == (Status.SENT, 2)  # its own retry sent it
    assert (second.status, second.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 2


def test_a_notification_whose_task_was_lost_is_sent_by_the_sweep(
    retail, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: never scheduled
        notification = queue(retail)
    assert tasks.notifications_send_stuck() == 0  # too recent: its task may still be on its way
    time_machine.shift(dt.timedelta(minutes=16))
    assert tasks.notifications_send_stuck() == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT and len(mail.outbox) == 1
    assert tasks.notifications_send_stuck() == 0


def test_the_sweep_is_in_the_beat_schedule(settings):
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.tasks.notifications_send_stuck" in beat


def test_the_dev_outbox_shows_mail_sent_by_the_task(
    retail, retail_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "accounts.outbox.DevOutboxBackend"
    settings.DEV_OUTBOX_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        queue(retail, subject="Your order is ready", body="See http://imeiserver.localhost/x/")
    page = retail_client.get("/dev/outbox/")
    assert "Your order is ready" in page.text
    assert '<a href="http://imeiserver.localhost/x/"' in page.text


# --- what is recorded ----------------------------------------------------------------------


def test_an_account_suspension_is_recorded_against_the_account(
    retail_customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        account_suspend(user=retail_customer, reason="Chargeback under review", actor=None)
    notification = Notification.objects.get()
    assert notification.kind == "account_suspended" and notification.about == retail_customer
    assert notification.status == Status.SENT
    assert "Chargeback under review" in mail.outbox[0].body


# --- what staff see --------------------------------------------------------------------------


def test_the_log_is_scoped_to_the_storefront_and_read_only(retail, reseller):
    mine = queue(retail, subject="Retail notice")
    theirs = queue(reseller, subject="Reseller notice")
    support = staff_client(retail, "imeiserver.localhost", "support@example.com")
    listing = support.get(NOTIFICATIONS)
    assert listing.status_code == 200
    assert "Retail notice" in listing.text and "Reseller notice" not in listing.text
    assert support.get(f"{NOTIFICATIONS}{mine.pk}/change/").status_code == 200
    assert support.get(f"{NOTIFICATIONS}{theirs.pk}/change/").status_code == 404
    assert support.get(f"{NOTIFICATIONS}add/").status_code == 403
    response = support.post(f"{NOTIFICATIONS}{mine.pk}/change/", {"subject": "edited"})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.subject == "Retail notice"


def test_support_sends_a_failed_notification_again(
    retail, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True):
        failed = queue(retail)
        sent_elsewhere = queue(retail)
    Notification.objects.filter(pk=sent_elsewhere.pk).update(status=Status.SENT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    support = staff_client(retail, "imeiserver.localhost", "support@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            NOTIFICATIONS,
            {"action": "resend_failed", "_selected_action": [failed.pk, sent_elsewhere.pk]},
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.SENT and failed.attempts == 1
    assert len(mail.outbox) == 1  # the one already sent is not sent again


def test_dispute_admins_see_the_log_but_cannot_resend(retail):
    notification = queue(retail)
    dispute_admin = staff_client(
        retail, "imeiserver.localhost", "disputes@example.com", "Dispute admin"
    )
    assert dispute_admin.get(f"{NOTIFICATIONS}{notification.pk}/change/").status_code == 200
    page = dispute_admin.get(NOTIFICATIONS)
    assert "resend_failed" not in page.text


def test_the_log_list_costs_the_same_queries_for_any_number_of_rows(retail, retail_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    support = staff_client(retail, "imeiserver.localhost", "support@example.com")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert support.get(NOTIFICATIONS).status_code == 200
        return len(captured)

    queue(retail, about=retail_customer, user=retail_customer)
    few = queries()
    for _ in range(10):
        queue(retail, about=retail_customer, user=retail_customer)
    assert queries() == few
