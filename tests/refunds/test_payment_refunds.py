"""Payment refunds: window, limits, money at approval, the gateway's answer, refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from billing.audit import ledger_audit
from billing.exceptions import GatewayError
from billing.models import LedgerEntry, Payment
from billing.selectors import wallet_of
from refunds import services
from refunds.exceptions import RefundNotAllowed, RefundStateError
from refunds.models import RefundRequest
from tests.billing.conftest import paid_topup
from tests.refunds.conftest import stripe_topup

D = Decimal
Kind = LedgerEntry.Kind


def ask(user, payment, amount, destination="original_payment", **kw):
    return services.refund_request_payment_create(
        user=user, payment=payment, amount=amount, destination=destination, **kw
    )


def balance(user) -> Decimal:
    return wallet_of(user).balance


# --- IS-5: the window -----------------------------------------------------------------------


@pytest.mark.dates
@pytest.mark.parametrize(("days", "allowed"), [(179, True), (180, True), (181, False)])
def test_payment_refund_window_day_179_180_181(retail_customer, days, allowed):
    # IS-5: "within 180 days from the date of payment": day 180 is inside, day 181 is not.
    payment = paid_topup(retail_customer, "40.00")
    with time_machine.travel(payment.paid_at + dt.timedelta(days=days), tick=False):
        if allowed:
            request = ask(retail_customer, payment, "40.00")
            assert request.status == RefundRequest.Status.REQUESTED
        else:
            with pytest.raises(RefundNotAllowed, match="180 days"):
                ask(retail_customer, payment, "40.00")
            assert not RefundRequest.objects.exists()


# --- limits -----------------------------------------------------------------------------------


def test_refund_over_what_is_left_of_the_payment_is_refused(retail_customer, retail_payment):
    with pytest.raises(RefundNotAllowed, match="At most 100.00"):
        ask(retail_customer, retail_payment, "100.01")


def test_spent_money_cannot_be_refunded(retail_customer, retail_payment):
    # IS-2 / DESIGN "Refunds": at most the balance; money spent on orders is gone.
    from billing.services import wallet_debit

    wallet_debit(
        wallet=wallet_of(retail_customer),
        amount=D("70.00"),
        kind=Kind.ORDER_DEBIT,
        reference="order:x",
        idempotency_key="spend-70",
    )
    with pytest.raises(RefundNotAllowed, match="At most 30.00"):
        ask(retail_customer, retail_payment, "30.01")
    request = ask(retail_customer, retail_payment, "30.00")
    assert request.amount == D("30.00")


def test_package_bonus_comes_back_out_in_proportion(reseller_customer, reseller_package_payment):
    # DS-4: 100 paid → 100 + 3 bonus credited; refunding 50 takes back 50 + 1.50.
    payment = reseller_package_payment
    assert (payment.amount, payment.bonus_amount) == (D("100.00"), D("3.00"))
    request = ask(reseller_customer, payment, "50.00")
    assert request.bonus_amount == D("1.50")
    assert request.credits_removed == D("51.50")


def test_full_package_refund_needs_the_bonus_still_on_the_balance(
    reseller_customer, reseller_package_payment
):
    # DS-4: a full refund of the package takes the whole 103 credits back.
    from billing.services import wallet_debit

    wallet_debit(
        wallet=wallet_of(reseller_customer),
        amount=D("2.00"),
        kind=Kind.ORDER_DEBIT,
        reference="order:x",
        idempotency_key="spend-2",
    )  # 101 credits left: 100 money would need 103
    with pytest.raises(RefundNotAllowed):
        ask(reseller_customer, reseller_package_payment, "100.00")
    ok = ask(reseller_customer, reseller_package_payment, "98.05")
    assert ok.credits_removed <= D("101.00")


# --- approval moves the money once --------------------------------------------------------


def test_approval_debits_once_and_the_local_gateway_pays(
    retail_customer, retail_payment, retail_support, django_capture_on_commit_callbacks
):
    request = ask(retail_customer, retail_payment, "60.00")
    assert balance(retail_customer) == D("100.00")  # nothing moves on asking
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.PAID
    assert request.gateway_reference == f"test-refund-{request.pk}"
    assert balance(retail_customer) == D("40.00")
    entries = LedgerEntry.objects.filter(kind=Kind.REFUND_OUT)
    assert [e.amount for e in entries] == [D("-60.00")]
    retail_payment.refresh_from_db()
    assert retail_payment.amount_refunded == D("60.00")
    # A retried approval changes nothing.
    with pytest.raises(RefundStateError):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    assert LedgerEntry.objects.filter(kind=Kind.REFUND_OUT).count() == 1
    assert list(request.events.values_list("status", flat=True)) == [
        "requested",
        "approved",
        "paid",
    ]
    assert ledger_audit().ok


def test_every_step_emails_the_customer(
    retail_customer, retail_payment, retail_support, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(retail_customer, retail_payment, "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    subjects = [m.subject for m in mailoutbox if m.to == [retail_customer.email]]
    assert any("received your refund request" in s for s in subjects)
    assert any("approved" in s for s in subjects)
    assert any("was paid" in s for s in subjects)


def test_staff_may_approve_less_never_more(retail_customer, retail_payment, retail_support):
    request = ask(retail_customer, retail_payment, "20.00")
    with pytest.raises(RefundNotAllowed, match="never more"):
        services.refund_request_approve(request_id=request.pk, actor=retail_support, amount="25")
    services.refund_request_approve(request_id=request.pk, actor=retail_support, amount="15.00")
    assert balance(retail_customer) == D("85.00")


def test_approval_refused_when_the_money_was_spent_meanwhile(
    retail_customer, retail_payment, retail_support
):
    from billing.services import wallet_debit

    request = ask(retail_customer, retail_payment, "90.00")
    wallet_debit(
        wallet=wallet_of(retail_customer),
        amount=D("50.00"),
        kind=Kind.ORDER_DEBIT,
        reference="order:y",
        idempotency_key="spend-50",
    )
    with pytest.raises(RefundNotAllowed, match="Only 50.00"):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    assert balance(retail_customer) == D("50.00")
    assert not LedgerEntry.objects.filter(kind=Kind.REFUND_OUT).exists()


def test_refusal_moves_no_money(retail_customer, retail_payment, retail_support):
    # IS-4, IS-10, DS-14: a refusal reason never moves money.
    request = ask(retail_customer, retail_payment, "30.00")
    services.refund_request_refuse(
        request_id=request.pk, actor=retail_support, reason="device_relocked"
    )
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.REFUSED
    assert request.get_refusal_reason_display().endswith("(IS-4)")
    assert balance(retail_customer) == D("100.00")
    assert not LedgerEntry.objects.filter(kind__in=[Kind.REFUND_OUT]).exists()
    with pytest.raises(RefundNotAllowed):
        services.refund_request_refuse(request_id=request.pk, actor=retail_support, reason="?")


# --- IS-6: the gateway refuses ------------------------------------------------------------


def test_gateway_refusal_reverses_and_marks_not_processed(
    retail_customer, retail_support, django_capture_on_commit_callbacks
):
    # IS-6: the card cannot take it back → money returns to the balance, "not processed".
    payment = stripe_topup(retail_customer, "50.00")
    request = ask(retail_customer, payment, "50.00")
    with (
        mock.patch(
            "billing.gateways.stripe_gateway.payment_refund",
            side_effect=GatewayError("Your card was closed."),
        ) as refund_call,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    refund_call.assert_called_once()
    assert refund_call.call_args.kwargs["idempotency_key"] == f"refund-request-{request.pk}-0"
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.NOT_PROCESSED
    assert "closed" in request.gateway_error
    assert balance(retail_customer) == D("50.00")
    kinds = list(LedgerEntry.objects.filter(payment=payment).values_list("kind", "amount"))
    assert (Kind.REFUND_OUT, D("-50.00")) in kinds
    assert (Kind.REFUND_REVERSAL, D("50.00")) in kinds
    payment.refresh_from_db()
    assert payment.amount_refunded == D("0.00")
    assert ledger_audit().ok


def test_stripe_refund_events_replayed_and_reordered_end_in_one_outcome(
    retail_customer, retail_support, django_capture_on_commit_callbacks
):
    payment = stripe_topup(retail_customer, "50.00")
    request = ask(retail_customer, payment, "20.00")
    pending = mock.Mock(id="re_123", status="pending", failure_reason=None)
    with (
        mock.patch("billing.gateways.stripe_gateway.payment_refund", return_value=pending),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    request.refresh_from_db()
    assert (request.status, request.gateway_reference) == ("approved", "re_123")

    def event(status):
        return {
            "id": "evt",
            "type": "refund.updated",
            "data": {"object": {"object": "refund", "id": "re_123", "status": status}},
        }

    storefront = request.storefront
    assert (
        services.refund_stripe_event_apply(storefront=storefront, event=event("succeeded"))
        == "paid"
    )
    for late in ("pending", "succeeded", "pending"):  # replayed and out of order
        assert (
            services.refund_stripe_event_apply(storefront=storefront, event=event(late))
            == "unchanged"
        )
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.PAID
    assert LedgerEntry.objects.filter(kind=Kind.REFUND_OUT).count() == 1
    # Stripe can fail a refund after it succeeded: the money comes back once.
    for _ in range(2):
        services.refund_stripe_event_apply(storefront=storefront, event=event("failed"))
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.NOT_PROCESSED
    assert LedgerEntry.objects.filter(kind=Kind.REFUND_REVERSAL).count() == 1
    assert balance(retail_customer) == D("50.00")
    assert ledger_audit().ok


def test_another_storefronts_refund_event_changes_nothing(
    retail_customer, reseller, retail_support, django_capture_on_commit_callbacks
):
    payment = stripe_topup(retail_customer, "50.00")
    request = ask(retail_customer, payment, "20.00")
    pending = mock.Mock(id="re_9", status="pending", failure_reason=None)
    with (
        mock.patch("billing.gateways.stripe_gateway.payment_refund", return_value=pending),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund_request_approve(request_id=request.pk, actor=retail_support)
    event = {
        "id": "evt",
        "type": "refund.updated",
        "data": {"object": {"object": "refund", "id": "re_9", "status": "failed"}},
    }
    assert services.refund_stripe_event_apply(storefront=reseller, event=event) == "unknown refund"
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.APPROVED


def test_not_processed_can_be_retried_only_with_another_destination(
    reseller_customer, reseller, reseller_support, django_capture_on_commit_callbacks
):
    # IS-6: never re-routed unless the customer asks; DS-18: bank transfer to ES or MX only.
    payment = stripe_topup(reseller_customer, package=_package(reseller))
    request = ask(reseller_customer, payment, "10.00")
    with (
        mock.patch(
            "billing.gateways.stripe_gateway.payment_refund",
            side_effect=GatewayError("Your card is blocked."),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.refund_request_approve(request_id=request.pk, actor=reseller_support)
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.NOT_PROCESSED
    with pytest.raises(RefundNotAllowed):
        services.refund_request_reroute(
            request_id=request.pk, user=reseller_customer, destination="original_payment"
        )
    services.refund_request_reroute(
        request_id=request.pk,
        user=reseller_customer,
        destination="bank_transfer",
        bank_country="ES",
        bank_account="ES91 2100 0418 4502 0005 1332",
        bank_holder="Ana García",
    )
    request.refresh_from_db()
    assert (request.status, request.bank_account_last4) == ("requested", "1332")
    services.refund_request_approve(request_id=request.pk, actor=reseller_support)
    services.refund_bank_transfer_paid(
        request_id=request.pk, actor=reseller_support, reference="TRF-1"
    )
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.PAID
    # The retry debited again under a new key: out, reversal, out.
    assert list(
        LedgerEntry.objects.filter(reference=f"refund:{request.pk}")
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [Kind.REFUND_OUT, Kind.REFUND_REVERSAL, Kind.REFUND_OUT]
    assert ledger_audit().ok


def test_audit_sees_a_refund_debited_twice(retail_customer, retail_payment, retail_support):
    # issue 10 item 8: every paid request has exactly one refund_out.
    from billing.services import wallet_debit

    request = ask(retail_customer, retail_payment, "10.00")
    services.refund_request_approve(request_id=request.pk, actor=retail_support)
    wallet_debit(
        wallet=wallet_of(retail_customer),
        amount=D("10.00"),
        kind=Kind.REFUND_OUT,
        reference=f"refund:{request.pk}",
        idempotency_key="tampered",
    )
    report = ledger_audit()
    assert any(f"refund request {request.pk}" in b for b in report.breaches)


# --- DS-18: bank transfers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "account", "message"),
    [
        ("FR", "FR1420041010050500013M02606", "Spain or Mexico|ES, MX"),
        ("ES", "ES9121000418450200051333", "not a valid IBAN"),
        ("ES", "DE89370400440532013000", "must be a ES account"),
        ("MX", "002010077777777772", "not a valid CLABE"),
    ],
)
def test_bank_refund_refused_outside_the_country_list_or_with_a_bad_number(
    reseller_customer, reseller_package_payment, country, account, message
):
    # DS-18
    with pytest.raises(RefundNotAllowed, match=message):
        ask(
            reseller_customer,
            reseller_package_payment,
            "10.00",
            destination="bank_transfer",
            bank_country=country,
            bank_account=account,
            bank_holder="Ana",
        )


def test_bank_account_is_stored_encrypted(reseller_customer, reseller_package_payment):
    # DS-18 with DESIGN "Secrets": the account number never sits in the database in clear.
    request = ask(
        reseller_customer,
        reseller_package_payment,
        "10.00",
        destination="bank_transfer",
        bank_country="MX",
        bank_account="002010077777777771",
        bank_holder="Luis",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account FROM refunds_refundrequest WHERE id = %s", [request.pk])
        (raw,) = cursor.fetchone()
    assert "002010077777777771" not in raw
    request.refresh_from_db()
    assert request.bank_account == "002010077777777771"
    assert request.bank_account_last4 == "7771"


def test_retail_offers_only_the_original_payment(retail_customer, retail_payment):
    # IS-6: retail refunds go back only where the money came from.
    with pytest.raises(RefundNotAllowed, match="not offered"):
        ask(retail_customer, retail_payment, "10.00", destination="bank_transfer")


# --- IS-7 / DS-16: due dates ----------------------------------------------------------------


@pytest.mark.dates
def test_retail_due_date_is_seven_calendar_days(retail_customer, retail_payment):
    # IS-7
    request = ask(retail_customer, retail_payment, "10.00")
    assert request.due_at - request.created_at < dt.timedelta(days=7, seconds=5)
    assert request.due_at - request.created_at > dt.timedelta(days=6, hours=23)


@pytest.mark.dates
def test_reseller_due_date_skips_a_weekend_and_a_spanish_holiday(reseller_customer, reseller):
    # DS-16: 3 business days on the reseller's calendar (Spanish public holidays excluded).
    year = timezone.now().year + 1
    asked = dt.datetime(year, 12, 4, 11, 0, tzinfo=dt.UTC)  # 8 Dec is a national holiday
    while asked.weekday() != 4:  # a Friday in early December, before the 8th
        asked -= dt.timedelta(days=1)
    with time_machine.travel(asked - dt.timedelta(hours=1), tick=False):
        payment = paid_topup(reseller_customer, package=_package(reseller))
    with time_machine.travel(asked, tick=False):
        request = ask(reseller_customer, payment, "10.00")
    calendar = reseller.calendar
    days, day = [], calendar.local(asked).date()
    while len(days) < 3:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and not calendar.is_holiday(day):
            days.append(day)
    assert calendar.local(request.due_at).date() == days[-1]
    assert (days[-1] - calendar.local(asked).date()).days >= 5  # the weekend does not count


def _package(reseller):
    from billing.demo import demo_packages_seed

    demo_packages_seed(reseller)
    return reseller.credit_packages.get(credits=100)


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_once_debit_once(retail, retail_customer):
    from tests.concurrency import race
    from tests.refunds.conftest import support_of

    payment = paid_topup(retail_customer, "100.00")
    request = ask(retail_customer, payment, "100.00")
    staff = [support_of(retail, f"s{i}@example.com") for i in range(2)]

    def approve(i):
        services.refund_request_approve(request_id=request.pk, actor=staff[i % 2])
        return "approved"

    results = race(8, approve)
    assert sum(1 for r in results if r == "approved") == 1
    assert LedgerEntry.objects.filter(kind=Kind.REFUND_OUT).count() == 1
    assert Payment.objects.get(pk=payment.pk).amount_refunded == D("100.00")
    assert ledger_audit().ok


def test_retried_gateway_task_and_bank_step_change_nothing_more(
    retail_customer,
    reseller_customer,
    reseller_package_payment,
    reseller_support,
    retail_support,
    django_capture_on_commit_callbacks,
):
    # Every money path is idempotent: a redelivered gateway task sends the same key and settles
    # nothing twice; a retried "bank transfer paid" with the same reference is the same step.
    payment = stripe_topup(retail_customer, "50.00")
    request = ask(retail_customer, payment, "20.00")
    succeeded = mock.Mock(id="re_once", status="succeeded", failure_reason=None)
    with mock.patch(
        "billing.gateways.stripe_gateway.payment_refund", return_value=succeeded
    ) as call:
        with django_capture_on_commit_callbacks(execute=True):
            services.refund_request_approve(request_id=request.pk, actor=retail_support)
        assert services.refund_gateway_send(request_id=request.pk) == "nothing to do"
    assert call.call_count == 1
    assert (
        LedgerEntry.objects.filter(kind=Kind.REFUND_OUT, reference=f"refund:{request.pk}").count()
        == 1
    )

    bank = ask(
        reseller_customer,
        reseller_package_payment,
        "10.00",
        destination="bank_transfer",
        bank_country="ES",
        bank_account="ES9121000418450200051332",
        bank_holder="Ana",
    )
    services.refund_request_approve(request_id=bank.pk, actor=reseller_support)
    for _ in range(2):
        services.refund_bank_transfer_paid(
            request_id=bank.pk, actor=reseller_support, reference="T-1"
        )
    bank.refresh_from_db()
    assert bank.status == RefundRequest.Status.PAID
    assert bank.events.filter(status="paid").count() == 1
    with pytest.raises(RefundStateError):
        services.refund_bank_transfer_paid(
            request_id=bank.pk, actor=reseller_support, reference="T-2"
        )
    assert ledger_audit().ok
