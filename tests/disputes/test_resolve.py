"""Resolving a dispute: the four outcomes (IS-9, IS-10, DS-13, DS-14), money moving once through
refunds, the conversation, the upstream note, and who may act."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Notification
from billing.audit import ledger_audit
from billing.models import LedgerEntry
from billing.selectors import wallet_of
from disputes import services
from disputes.exceptions import DisputeError, DisputeForbidden, DisputeStateError
from disputes.models import Dispute, DisputeMessage
from orders.models import Order
from refunds.exceptions import RefundStateError
from refunds.models import RefundRequest
from storefronts.labels import without_rule_ids
from tests.concurrency import race
from tests.disputes.conftest import dispute_staff_of, jpeg_upload, open_dispute, video
from tests.factories import UserFactory

D = Decimal
Kind = LedgerEntry.Kind


def _refunds(order):
    return LedgerEntry.objects.filter(kind=Kind.ORDER_REFUND, reference=f"order:{order.pk}")


def test_accept_with_refund_pays_the_price_back_once_through_refunds(
    delivered_retail, retail_disputes
):
    # IS-9 (retail): the code the device does not accept, proven on video, is refunded.
    order = delivered_retail
    assert wallet_of(order.user).balance == D("90.00")
    dispute = open_dispute(order)
    services.dispute_resolve(dispute_id=dispute.pk, actor=retail_disputes, outcome="refunded")
    with pytest.raises(DisputeStateError, match="already resolved"):
        services.dispute_resolve(dispute_id=dispute.pk, actor=retail_disputes, outcome="refunded")
    dispute.refresh_from_db()
    order.refresh_from_db()
    assert (dispute.status, dispute.outcome) == ("resolved", "refunded")
    assert dispute.refund_request.status == RefundRequest.Status.PAID
    assert dispute.refund_request.target == RefundRequest.For.DISPUTE
    assert order.status == Order.Status.DISPUTE_REFUNDED
    assert wallet_of(order.user).balance == D("100.00")
    assert _refunds(order).count() == 1
    assert ledger_audit().ok
    told = Notification.objects.filter(kind="dispute_resolved_refunded", to=order.user.email)
    assert told.count() == 1
    assert "is back in your balance" in told.get().body


def test_a_won_dispute_on_the_reseller_refunds_in_credits(delivered_reseller, reseller_disputes):
    # DS-13: "refund if the code or instructions were wrong"; DS-17: as credits.
    dispute = open_dispute(delivered_reseller)
    before = wallet_of(delivered_reseller.user).balance
    services.dispute_resolve(dispute_id=dispute.pk, actor=reseller_disputes, outcome="refunded")
    assert wallet_of(delivered_reseller.user).balance == before + D("12.00")
    assert dispute.order.refund_requests.get().destination == "credits"


def test_an_order_already_refunded_elsewhere_is_not_refunded_again(
    delivered_retail, retail_disputes
):
    # An order is refunded at most once, whoever asks: the order's refund key holds.
    from orders.services import order_refund_after_dispute

    dispute = open_dispute(delivered_retail)
    order_refund_after_dispute(order=delivered_retail, actor=retail_disputes, memo="by hand")
    with pytest.raises(RefundStateError, match="Only a delivered order"):
        services.dispute_resolve(dispute_id=dispute.pk, actor=retail_disputes, outcome="refunded")
    assert _refunds(delivered_retail).count() == 1
    assert Dispute.objects.get().is_open


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_accepting_the_same_dispute_at_once_refund_once(
    delivered_retail, retail_disputes, retail
):
    # Money moves exactly once (DESIGN.md "Disputes"): the dispute's row lock serialises them.
    second = dispute_staff_of(retail, email="disputes2@example.com")
    dispute = open_dispute(delivered_retail)
    admins = [retail_disputes, second]

    def accept(i):
        return services.dispute_resolve(dispute_id=dispute.pk, actor=admins[i], outcome="refunded")

    results = race(2, accept)
    accepted = [r for r in results if isinstance(r, Dispute)]
    refused = [r for r in results if isinstance(r, DisputeStateError)]
    assert len(accepted) == 1 and len(refused) == 1, results
    assert _refunds(delivered_retail).count() == 1
    assert RefundRequest.objects.filter(order=delivered_retail).count() == 1
    assert wallet_of(delivered_retail.user).balance == D("100.00")
    assert ledger_audit().ok


def test_accept_with_a_corrected_code_updates_the_order_and_tells_the_customer(
    delivered_retail, retail_disputes
):
    dispute = open_dispute(delivered_retail)
    with pytest.raises(DisputeError, match="corrected code"):
        services.dispute_resolve(dispute_id=dispute.pk, actor=retail_disputes, outcome="corrected")
    services.dispute_resolve(
        dispute_id=dispute.pk,
        actor=retail_disputes,
        outcome="corrected",
        corrected_code="87654321",
        note="Type it after the 'SIM network unlock PIN' prompt.",
    )
    delivered_retail.refresh_from_db()
    assert delivered_retail.result_code == "87654321"
    assert delivered_retail.status == Order.Status.COMPLETED
    assert wallet_of(delivered_retail.user).balance == D("90.00")  # no money moves
    mail = Notification.objects.get(kind="dispute_resolved_corrected")
    assert "87654321" in mail.body


@pytest.mark.parametrize("reason", ["wrong_imei", "attempts_exhausted", "blacklisted"])
def test_a_refusal_with_a_policy_reason_moves_no_money(delivered_retail, retail_disputes, reason):
    # IS-10 / DS-14: reasons staff pick; none of them moves money.
    dispute = open_dispute(delivered_retail)
    services.dispute_resolve(
        dispute_id=dispute.pk, actor=retail_disputes, outcome="refused", refusal_reason=reason
    )
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.refusal_reason) == ("refused", reason)
    assert wallet_of(delivered_retail.user).balance == D("90.00")
    assert not RefundRequest.objects.exists()
    mail = Notification.objects.get(kind="dispute_resolved_refused")
    # The customer reads the reason, never the policy's rule ids.
    assert without_rule_ids(dispute.get_refusal_reason_display()) in mail.body
    assert "(IS-" not in mail.body and "(DS-" not in mail.body


def test_a_refusal_needs_a_policy_reason(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    with pytest.raises(DisputeError, match="IS-10, DS-14"):
        services.dispute_resolve(
            dispute_id=dispute.pk, actor=retail_disputes, outcome="refused", refusal_reason="bored"
        )
    assert Dispute.objects.get().is_open


def test_an_entry_mistake_tells_the_customer_what_was_wrong(delivered_reseller, reseller_disputes):
    # DS-13: the video shows the code typed wrongly: the customer is told; nothing moves.
    dispute = open_dispute(delivered_reseller)
    with pytest.raises(DisputeError, match="what the video shows"):
        services.dispute_resolve(
            dispute_id=dispute.pk, actor=reseller_disputes, outcome="entry_mistake"
        )
    services.dispute_resolve(
        dispute_id=dispute.pk,
        actor=reseller_disputes,
        outcome="entry_mistake",
        note="At 0:42 the code is typed as 1234 5768; it is 1234 5678.",
    )
    mail = Notification.objects.get(kind="dispute_resolved_entry_mistake")
    assert "1234 5768" in mail.body
    assert not RefundRequest.objects.exists()
    timeline = list(delivered_reseller.events.values_list("message", flat=True))
    assert any("entry mistake" in m for m in timeline)


# --- who may act -------------------------------------------------------------------------------


def test_support_and_staff_without_the_group_cannot_act(delivered_retail, retail, retail_support):
    dispute = open_dispute(delivered_retail)
    plain_staff = UserFactory(storefront=retail, email="staff@example.com", is_staff=True)
    for actor in (retail_support, plain_staff, delivered_retail.user):
        with pytest.raises(DisputeForbidden):
            services.dispute_resolve(dispute_id=dispute.pk, actor=actor, outcome="refunded")
    assert Dispute.objects.get().is_open
    assert wallet_of(delivered_retail.user).balance == D("90.00")


def test_another_storefronts_dispute_admin_cannot_act(delivered_retail, reseller_disputes):
    dispute = open_dispute(delivered_retail)
    with pytest.raises(DisputeForbidden):
        services.dispute_resolve(dispute_id=dispute.pk, actor=reseller_disputes, outcome="refunded")


# --- the conversation (IS-11) ------------------------------------------------------------------


def test_messages_go_both_ways_and_each_emails_the_other_side(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    services.dispute_message_post(
        dispute_id=dispute.pk, author=retail_disputes, body="Which iOS version is it?"
    )
    services.dispute_message_post(
        dispute_id=dispute.pk,
        author=delivered_retail.user,
        body="iOS 17.4, screenshot attached",
        upload=jpeg_upload(),
    )
    rows = list(Notification.objects.filter(object_id=dispute.pk).values_list("kind", "to"))
    assert ("dispute_message", delivered_retail.user.email) in rows
    assert ("dispute_staff_message", retail_disputes.email) in rows
    dispute.refresh_from_db()
    assert dispute.first_responded_at is not None  # IS-11: the first response was given
    picture = DisputeMessage.objects.get(from_staff=False).evidence.get()
    assert (picture.kind, picture.content_type) == ("image", "image/jpeg")


def test_asking_for_evidence_waits_for_the_customer(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    services.dispute_message_post(
        dispute_id=dispute.pk,
        author=retail_disputes,
        body="Please film *#06# before typing the code.",
        ask_for_evidence=True,
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.AWAITING_CUSTOMER
    assert dispute.next_due_at is None  # nothing is due from the shop meanwhile
    services.dispute_message_post(
        dispute_id=dispute.pk, author=delivered_retail.user, body="Here it is.", upload=video()
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    assert dispute.evidence.count() == 2


def test_a_customer_cannot_write_on_a_resolved_dispute(delivered_retail, retail_disputes):
    dispute = open_dispute(delivered_retail)
    services.dispute_resolve(
        dispute_id=dispute.pk, actor=retail_disputes, outcome="refused", refusal_reason="wrong_imei"
    )
    with pytest.raises(DisputeStateError):
        services.dispute_message_post(dispute_id=dispute.pk, author=dispute.user, body="But!")


# --- upstream ----------------------------------------------------------------------------------


def test_staff_mark_a_supplier_order_as_raised_with_the_supplier(
    delivered_retail, retail_disputes, retail
):
    from providers.models import ProviderConnection, ServiceRoute

    dispute = open_dispute(delivered_retail)
    with pytest.raises(DisputeStateError, match="not sent to a supplier"):
        services.dispute_upstream_raise(dispute_id=dispute.pk, actor=retail_disputes, note="x")
    connection = ProviderConnection.objects.create(
        storefront=retail, name="Upstream", kind="sandbox"
    )
    route = ServiceRoute.objects.create(
        service=delivered_retail.service, connection=connection, remote_service_id="UNL-1"
    )
    Order.objects.filter(pk=delivered_retail.pk).update(route=route, provider_ref="R-77")
    services.dispute_upstream_raise(
        dispute_id=dispute.pk,
        actor=retail_disputes,
        note="Ticket opened by e-mail",
        reference="T-9",
    )
    dispute.refresh_from_db()
    assert dispute.upstream_raised_at is not None
    assert (dispute.upstream_note, dispute.upstream_reference) == ("Ticket opened by e-mail", "T-9")
    assert Notification.objects.filter(kind="dispute_upstream").count() == 1
