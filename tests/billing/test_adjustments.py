"""Manual adjustments (issue 29, item 3): a named permission, never a staff wallet, and IS-2's
bounds — an adjustment only undoes (part of) a named ledger entry of the same wallet."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from billing.audit import ledger_audit
from billing.exceptions import (
    AdjustmentNotAllowed,
    AdjustmentOutOfBounds,
    IdempotencyConflict,
    InsufficientFunds,
)
from billing.models import Adjustment, LedgerEntry
from billing.services import adjustment_create, wallet_credit, wallet_debit, wallet_get_or_create
from tests.billing.conftest import paid_topup
from tests.factories import UserFactory, staff_group

Kind = LedgerEntry.Kind
ADD_URL = "/admin/billing/adjustment/add/"


def _grant_adjustments(user):
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="billing", codename="make_adjustment")
    )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no cached permissions


def _order_charge(wallet, amount="8.00", number=77) -> LedgerEntry:
    return wallet_debit(
        wallet=wallet,
        amount=amount,
        kind=Kind.ORDER_DEBIT,
        reference=f"order:{number}",
        idempotency_key=f"order:{number}:debit",
    )


def _money(wallet):
    """What a customer and the audit would notice: the balance and every ledger entry."""
    wallet.refresh_from_db()
    return wallet.balance, list(wallet.entries.values_list("pk", "amount"))


@pytest.fixture
def support(retail):
    staff = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    staff.groups.add(staff_group("Support"))
    return staff


@pytest.fixture
def adjuster(retail):
    """A Support member to whom the operator granted ``make_adjustment``."""
    staff = UserFactory(storefront=retail, email="adjuster@example.com", is_staff=True)
    staff.groups.add(staff_group("Support"))
    return _grant_adjustments(staff)


@pytest.fixture
def dispute_admin(retail):
    staff = UserFactory(storefront=retail, email="disputes@example.com", is_staff=True)
    staff.groups.add(staff_group("Dispute admin"))
    return staff


def _client(user):
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(user)
    return client


@pytest.fixture
def charged(retail_customer):
    """A customer who topped up 20 and was charged 8 for an order: 12 left."""
    wallet = paid_topup(retail_customer, "20").wallet
    return wallet, _order_charge(wallet)


def _staff_wallet_with_a_charge(staff):
    wallet = wallet_get_or_create(user=staff)
    wallet_credit(
        wallet=wallet,
        amount="10",
        kind=Kind.DEPOSIT,
        reference="payment:x",
        idempotency_key=f"test:{staff.pk}:deposit",
    )
    return wallet, _order_charge(wallet, "5.00", number=900 + staff.pk)


# --- who may adjust --------------------------------------------------------------------------


@pytest.mark.django_db
def test_support_cannot_credit_its_own_wallet_through_the_admin(support):
    # The probe's attack: Support credits its own wallet and spends the money.
    wallet, charge = _staff_wallet_with_a_charge(support)
    before = _money(wallet)
    client = _client(support)
    response = client.post(
        ADD_URL,
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "5.00",
            "reason": "mine",
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 403
    assert client.get(ADD_URL).status_code == 403
    assert _money(wallet) == before and not Adjustment.objects.exists()


@pytest.mark.django_db
def test_even_with_the_permission_staff_cannot_pick_their_own_wallet(adjuster, retail_customer):
    wallet, charge = _staff_wallet_with_a_charge(adjuster)
    before = _money(wallet)
    response = _client(adjuster).post(
        ADD_URL,
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "5.00",
            "reason": "mine",
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert _money(wallet) == before and not Adjustment.objects.exists()


@pytest.mark.django_db
def test_the_wallet_picker_offers_only_the_storefronts_customer_wallets(
    adjuster, dispute_admin, charged, reseller_customer
):
    customer_wallet, _ = charged
    own, _ = _staff_wallet_with_a_charge(adjuster)
    colleague, _ = _staff_wallet_with_a_charge(dispute_admin)
    other_shop = wallet_get_or_create(user=reseller_customer)
    page = _client(adjuster).get(ADD_URL)
    assert page.status_code == 200
    offered = set(
        page.context["adminform"].form.fields["wallet"].queryset.values_list("pk", flat=True)
    )
    assert offered == {customer_wallet.pk}
    assert {own.pk, colleague.pk, other_shop.pk}.isdisjoint(offered)


@pytest.mark.django_db
def test_the_service_refuses_staff_wallets_other_shops_and_no_permission(
    adjuster, support, dispute_admin, reseller_customer, charged, packages
):
    own, own_charge = _staff_wallet_with_a_charge(adjuster)
    colleague, colleague_charge = _staff_wallet_with_a_charge(dispute_admin)
    other = paid_topup(reseller_customer, package=packages[0]).wallet
    other_charge = _order_charge(other, number=78)
    wallet, charge = charged
    attempts = [
        (own, own_charge, adjuster, "own balance"),
        (colleague, colleague_charge, adjuster, "staff account"),
        (other, other_charge, adjuster, "not one of your storefront"),
        (wallet, charge, support, "permission"),
    ]
    for target, entry, staff, says in attempts:
        before = _money(target)
        with pytest.raises(AdjustmentNotAllowed, match=says):
            adjustment_create(
                wallet=target,
                corrects=entry,
                amount=Decimal("1.00"),
                reason="try",
                staff=staff,
                idempotency_key=f"try-{target.pk}-{staff.pk}",
            )
        assert _money(target) == before
    assert not Adjustment.objects.exists()


# --- IS-2: only undoing a named entry, never a fee ------------------------------------------


@pytest.mark.django_db
def test_a_credit_gives_back_an_order_charge_up_to_its_amount(
    adjuster, charged, retail_client, retail_customer
):
    # IS-2: a pair of entries with a reason, bounded by the entry it undoes.
    wallet, charge = charged
    response = _client(adjuster).post(
        ADD_URL,
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "3.00",
            "reason": "Charged 8 for a 5-credit service",
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 302, response.content
    adjustment = Adjustment.objects.get()
    assert adjustment.corrects == charge and adjustment.entry.actor == adjuster
    assert adjustment.entry.kind == Kind.ADJUSTMENT and adjustment.entry.amount == Decimal("3.00")
    assert _money(wallet)[0] == Decimal("15.00")
    retail_client.force_login(retail_customer)
    assert "Charged 8 for a 5-credit service" in retail_client.get("/billing/").text

    before = _money(wallet)
    too_much = _client(adjuster).post(
        ADD_URL,
        {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "5.01",
            "reason": "again",
            "idempotency_key": "k2",
        },
    )
    assert too_much.status_code == 200 and "at most 5.00 more" in too_much.text
    assert _money(wallet) == before and Adjustment.objects.count() == 1
    assert ledger_audit().ok


@pytest.mark.django_db
def test_a_refunded_order_leaves_nothing_to_give_back(adjuster, charged):
    # IS-2: the order's refund already undid the charge; an adjustment would pay it twice.
    wallet, charge = charged
    wallet_credit(
        wallet=wallet,
        amount="8.00",
        kind=Kind.ORDER_REFUND,
        reference="order:77",
        idempotency_key="order:77:refund",
    )
    before = _money(wallet)
    with pytest.raises(AdjustmentOutOfBounds, match="at most 0.00 more"):
        adjustment_create(
            wallet=wallet,
            corrects=charge,
            amount="1.00",
            reason="again",
            staff=adjuster,
            idempotency_key="k1",
        )
    assert _money(wallet) == before


@pytest.mark.django_db
def test_no_debit_takes_deposited_money(adjuster, charged):
    # IS-2: deposited funds are kept in full; no adjustment is a fee.
    wallet, _charge = charged
    deposit = wallet.entries.get(kind=Kind.DEPOSIT)
    before = _money(wallet)
    for entry, amount in ((deposit, "-2.00"), (_charge, "-2.00"), (deposit, "2.00")):
        with pytest.raises(AdjustmentOutOfBounds):
            adjustment_create(
                wallet=wallet,
                corrects=entry,
                amount=amount,
                reason="Service fee",
                staff=adjuster,
                idempotency_key=f"fee-{entry.pk}-{amount}",
            )
    page = _client(adjuster).post(
        ADD_URL,
        {
            "wallet": wallet.pk,
            "corrects": deposit.pk,
            "amount": "-2.00",
            "reason": "Service fee",
            "idempotency_key": "fee",
        },
    )
    assert page.status_code == 200 and "never taken back by hand" in page.text
    assert _money(wallet) == before and not Adjustment.objects.exists()


@pytest.mark.django_db
def test_a_mistaken_credit_is_taken_back_but_never_beyond_it_or_below_zero(adjuster, charged):
    # IS-2: a debit only undoes a credit adjustment made by mistake.
    wallet, charge = charged
    mistake = adjustment_create(
        wallet=wallet,
        corrects=charge,
        amount="8.00",
        reason="Wrong order",
        staff=adjuster,
        idempotency_key="k1",
    )
    taken = adjustment_create(
        wallet=wallet,
        corrects=mistake.entry,
        amount="-6.00",
        reason="Undo: wrong order",
        staff=adjuster,
        idempotency_key="k2",
    )
    assert taken.entry.amount == Decimal("-6.00") and _money(wallet)[0] == Decimal("14.00")
    before = _money(wallet)
    with pytest.raises(AdjustmentOutOfBounds, match="at most 2.00 more"):
        adjustment_create(
            wallet=wallet,
            corrects=mistake.entry,
            amount="-2.01",
            reason="more",
            staff=adjuster,
            idempotency_key="k3",
        )
    assert _money(wallet) == before

    # The customer spent the money meanwhile: the balance never goes below zero.
    wallet_debit(
        wallet=wallet,
        amount="13.00",
        kind=Kind.ORDER_DEBIT,
        reference="order:79",
        idempotency_key="order:79:debit",
    )
    before = _money(wallet)
    with pytest.raises(InsufficientFunds):
        adjustment_create(
            wallet=wallet,
            corrects=mistake.entry,
            amount="-2.00",
            reason="rest",
            staff=adjuster,
            idempotency_key="k4",
        )
    assert _money(wallet) == before
    assert ledger_audit().ok


@pytest.mark.django_db
def test_the_entry_must_be_of_the_same_wallet(adjuster, charged, retail):
    wallet, _ = charged
    neighbour = paid_topup(UserFactory(storefront=retail), "20").wallet
    neighbours_charge = _order_charge(neighbour, number=80)
    before = _money(wallet)
    with pytest.raises(AdjustmentOutOfBounds, match="not in this customer's balance"):
        adjustment_create(
            wallet=wallet,
            corrects=neighbours_charge,
            amount="1.00",
            reason="x",
            staff=adjuster,
            idempotency_key="k1",
        )
    assert _money(wallet) == before


@pytest.mark.django_db
def test_junk_entry_numbers_and_amounts_are_form_errors(adjuster, charged, reseller, packages):
    wallet, charge = charged
    stranger = UserFactory(storefront=reseller, email="other-shop@example.com")
    foreign = _order_charge(paid_topup(stranger, package=packages[0]).wallet, number=81)
    client = _client(adjuster)
    before = _money(wallet)
    cases = [
        ({"corrects": "99999999999999999999"}, "whole number"),
        ({"corrects": "9223372036854775808"}, "between 1 and"),
        ({"corrects": "x"}, "whole number"),
        ({"corrects": str(foreign.pk)}, f"no ledger entry {foreign.pk} in this customer"),
        ({"amount": "٣"}, "digits 0"),
        ({"idempotency_key": "no spaces here"}, "Enter a valid value"),
    ]
    for change, says in cases:
        data = {
            "wallet": wallet.pk,
            "corrects": charge.pk,
            "amount": "1.00",
            "reason": "x",
            "idempotency_key": "k1",
            **change,
        }
        response = client.post(ADD_URL, data)
        assert response.status_code == 200 and says in response.text, (change, response.text)
        assert stranger.email not in response.text
    assert _money(wallet) == before and not Adjustment.objects.exists()


# --- idempotency --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retried_adjustment_changes_nothing(adjuster, charged):
    # IS-2: a retried call with the same key returns the first adjustment and moves nothing more.
    wallet, charge = charged
    call = {
        "wallet": wallet,
        "corrects": charge,
        "amount": "8.00",
        "reason": "Wrong charge",
        "staff": adjuster,
        "idempotency_key": "retry-me",
    }
    first = adjustment_create(**call)
    after_first = _money(wallet)
    again = adjustment_create(**call)  # the whole bound is used, yet the retry is answered
    assert again.pk == first.pk and _money(wallet) == after_first
    with pytest.raises(IdempotencyConflict):
        adjustment_create(**{**call, "amount": "7.00"})
    assert _money(wallet) == after_first and Adjustment.objects.count() == 1


@pytest.mark.django_db
def test_a_resubmitted_admin_form_adjusts_once(adjuster, charged):
    wallet, charge = charged
    client = _client(adjuster)
    key = client.get(ADD_URL).context["adminform"].form["idempotency_key"].value()
    data = {
        "wallet": wallet.pk,
        "corrects": charge.pk,
        "amount": "2.00",
        "reason": "Wrong price",
        "idempotency_key": key,
    }
    assert client.post(ADD_URL, data).status_code == 302
    after_first = _money(wallet)
    assert client.post(ADD_URL, data).status_code == 302  # the browser's back button and resend
    assert _money(wallet) == after_first and Adjustment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_of_one_entry_never_exceed_it(adjuster, charged):
    # IS-2: the corrected entry's row lock keeps the sum of its adjustments within it.
    from tests.concurrency import race

    wallet, charge = charged
    results = race(
        10,
        lambda i: adjustment_create(
            wallet=wallet,
            corrects=charge,
            amount="3.00",
            reason="race",
            staff=adjuster,
            idempotency_key=f"race-{i}",
        ),
    )
    made = [r for r in results if isinstance(r, Adjustment)]
    refused = [r for r in results if isinstance(r, AdjustmentOutOfBounds)]
    assert len(made) == 2 and len(refused) == 8, results
    assert _money(wallet)[0] == Decimal("18.00")
    assert ledger_audit().ok


@pytest.mark.django_db
def test_an_order_refund_after_an_adjustment_pays_only_the_rest(adjuster, retail_customer, retail):
    # IS-2: staff gave back 3.00 of a 10.00 order's charge; when the supplier then rejects the
    # order, its refund pays the other 7.00, so the charge comes back once, not 13.00 in all.
    from orders.services import order_reject
    from tests.orders.conftest import place, service_make

    wallet = paid_topup(retail_customer, "50").wallet
    order = place(retail_customer, service_make(retail, "imei_unlock", "10.00"))
    charge = wallet.entries.get(kind=Kind.ORDER_DEBIT, reference=f"order:{order.pk}")
    adjustment_create(
        wallet=wallet,
        corrects=charge,
        amount="3.00",
        reason="Part of the charge back: slow supplier",
        staff=adjuster,
        idempotency_key="late-1",
    )
    order_reject(order=order, reason="No code exists.")
    order_reject_retry = wallet.entries.filter(kind=Kind.ORDER_REFUND).count()
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50.00")
    refund = wallet.entries.get(kind=Kind.ORDER_REFUND)
    assert refund.amount == Decimal("7.00") and order_reject_retry == 1
    assert ledger_audit().ok
