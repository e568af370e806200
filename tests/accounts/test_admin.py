"""The admin on a storefront's host shows and changes only that storefront's rows."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts.models import Notification
from tests.factories import UserFactory


@pytest.fixture
def support_at_retail(retail):
    user = UserFactory(storefront=retail, email="support@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def admin_client_retail(support_at_retail):
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(support_at_retail)
    return client


@pytest.mark.django_db
def test_staff_groups_exist_with_permissions():
    support = Group.objects.get(name="Support")
    disputes = Group.objects.get(name="Dispute admin")
    assert support.permissions.filter(codename="change_user").exists()
    assert disputes.permissions.filter(codename="view_user").exists()


@pytest.mark.django_db
def test_staff_see_only_their_storefronts_accounts(
    admin_client_retail, retail, reseller, retail_customer, reseller_customer
):
    UserFactory(storefront=reseller, email="only-reseller@example.com")
    page = admin_client_retail.get("/admin/accounts/user/")
    assert page.status_code == 200
    shown = {u.email for u in page.context["cl"].result_list}
    assert retail_customer.email in shown
    assert "only-reseller@example.com" not in shown
    assert all(u.storefront_id == retail.pk for u in page.context["cl"].result_list)


@pytest.mark.django_db
def test_another_storefronts_account_by_id_is_404(admin_client_retail, reseller_customer):
    url = f"/admin/accounts/user/{reseller_customer.pk}/change/"
    assert admin_client_retail.get(url).status_code == 404
    response = admin_client_retail.post(url, {"first_name": "Hacked"})
    assert response.status_code == 404
    reseller_customer.refresh_from_db()
    assert reseller_customer.first_name != "Hacked"


@pytest.mark.django_db
def test_staff_see_only_their_own_storefront_and_terms(admin_client_retail, retail, reseller):
    storefronts = (
        admin_client_retail.get("/admin/storefronts/storefront/").context["cl"].result_list
    )
    assert list(storefronts) == [retail]
    assert (
        admin_client_retail.get(f"/admin/storefronts/storefront/{reseller.pk}/change/").status_code
        == 404
    )
    terms = admin_client_retail.get("/admin/storefronts/termsversion/").context["cl"].result_list
    assert {t.storefront_id for t in terms} == {retail.pk}


@pytest.mark.django_db
def test_admin_on_the_other_host_refuses_the_staff_session(support_at_retail, reseller):
    client = Client(HTTP_HOST="doctorsim.localhost")
    client.force_login(support_at_retail)
    response = client.get("/admin/accounts/user/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "support@example.com" not in response.text


@pytest.mark.django_db
def test_superuser_sees_all_storefronts(retail, reseller, retail_customer, reseller_customer):
    operator = UserFactory(
        storefront=None, is_superuser=True, is_staff=True, email="admin@example.com"
    )
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(operator)
    shown = {u.pk for u in client.get("/admin/accounts/user/").context["cl"].result_list}
    assert {retail_customer.pk, reseller_customer.pk} <= shown
    assert client.get(f"/admin/accounts/user/{reseller_customer.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_staff_can_neither_see_nor_set_a_password(admin_client_retail, retail_customer):  # IS-14
    page = admin_client_retail.get(f"/admin/accounts/user/{retail_customer.pk}/change/")
    assert page.status_code == 200
    assert "password" not in page.context["adminform"].form.fields
    assert retail_customer.password not in page.text
    pw_url = f"/admin/accounts/user/{retail_customer.pk}/password/"
    assert admin_client_retail.get(pw_url, follow=True).status_code == 404


@pytest.mark.django_db
def test_staff_cannot_grant_staff_rights(admin_client_retail, retail_customer):
    page = admin_client_retail.get(f"/admin/accounts/user/{retail_customer.pk}/change/")
    for field in ("is_staff", "groups", "is_superuser"):
        assert field not in page.context["adminform"].form.fields


@pytest.mark.django_db
def test_staff_send_a_reset_link_to_the_owner(admin_client_retail, retail_customer):  # IS-14
    response = admin_client_retail.post(
        "/admin/accounts/user/",
        {"action": "send_password_reset_link", "_selected_action": [retail_customer.pk]},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [retail_customer.email]
    assert "http://imeiserver.localhost/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_staff_without_mfa_are_sent_to_set_it_up_when_required(settings, admin_client_retail):
    settings.STAFF_MFA_REQUIRED = True
    response = admin_client_retail.get("/admin/")
    assert response.status_code == 302 and response.url == "/accounts/2fa/totp/activate/"


@pytest.mark.django_db
def test_demo_posture_lets_staff_in_without_mfa(settings, admin_client_retail):
    settings.STAFF_MFA_REQUIRED = False
    assert admin_client_retail.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_admin_login_goes_through_the_storefront_sign_in(retail_client, retail):
    response = retail_client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_customers_get_no_admin(retail_client, retail_customer):
    retail_client.force_login(retail_customer)
    assert retail_client.get("/admin/").status_code in (302, 403)
    assert retail_client.get("/admin/accounts/user/").status_code in (302, 403)


@pytest.mark.django_db
def test_admin_greets_staff_by_email_not_internal_username(admin_client_retail, support_at_retail):
    page = admin_client_retail.get("/admin/").text
    assert support_at_retail.email in page
    assert support_at_retail.username not in page


@pytest.mark.django_db
def test_admin_password_change_goes_to_the_account_page(admin_client_retail):
    response = admin_client_retail.get("/admin/password_change/")
    assert response.status_code == 302 and response.url == "/accounts/password/change/"


@pytest.mark.django_db
def test_account_search_is_an_exact_email_in_any_case(
    admin_client_retail, retail, reseller, retail_customer
):
    """Issue 13: the account search is answered by the lower(email) index, never a scan."""
    UserFactory(storefront=reseller, email=retail_customer.email.upper())
    found = admin_client_retail.get("/admin/accounts/user/", {"q": retail_customer.email.upper()})
    assert list(found.context["cl"].result_list) == [retail_customer]
    part = admin_client_retail.get("/admin/accounts/user/", {"q": retail_customer.email[:5]})
    assert list(part.context["cl"].result_list) == []


@pytest.mark.django_db
def test_ledger_search_by_the_customers_email_in_any_case(
    admin_client_retail, retail, retail_customer
):
    from billing.models import LedgerEntry
    from tests.billing.conftest import paid_topup

    paid_topup(retail_customer, "10.00")
    found = admin_client_retail.get(
        "/admin/billing/ledgerentry/", {"q": f"  {retail_customer.email.title()} "}
    )
    assert list(found.context["cl"].result_list) == list(
        LedgerEntry.objects.filter(wallet__user=retail_customer)
    )


# --- staff accounts are managed only by the platform operator (issue 29, item 7) -------------


@pytest.fixture
def dispute_admin_at_retail(retail):
    user = UserFactory(storefront=retail, email="disputes@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Dispute admin"))
    return user


def _act(client, action, *users):
    return client.post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )


@pytest.mark.django_db
def test_support_cannot_suspend_a_dispute_admin(
    admin_client_retail, dispute_admin_at_retail, retail_customer
):
    response = _act(
        admin_client_retail, "suspend_accounts", dispute_admin_at_retail, retail_customer
    )
    assert response.status_code == 200
    assert "Left 1 staff account(s) alone" in response.text
    assert "Suspended 1 active account(s)" in response.text
    dispute_admin_at_retail.refresh_from_db()
    retail_customer.refresh_from_db()
    assert dispute_admin_at_retail.is_active and dispute_admin_at_retail.suspended_at is None
    assert not retail_customer.is_active  # the customer in the same selection was suspended
    told = Notification.objects.filter(kind="account_suspended").values_list("to", flat=True)
    assert list(told) == [retail_customer.email]


@pytest.mark.django_db
def test_support_leaves_staff_accounts_alone_in_every_action(
    admin_client_retail, support_at_retail, dispute_admin_at_retail
):
    from django.utils import timezone

    from accounts.models import User

    User.objects.filter(pk=dispute_admin_at_retail.pk).update(
        is_active=False, suspended_at=timezone.now(), verification_required_at=timezone.now()
    )
    for action in ("reinstate_accounts", "clear_verification", "send_password_reset_link"):
        response = _act(admin_client_retail, action, dispute_admin_at_retail)
        assert "Left 1 staff account(s) alone" in response.text, action
    response = _act(admin_client_retail, "require_verification", support_at_retail)
    assert "Left 1 staff account(s) alone" in response.text
    dispute_admin_at_retail.refresh_from_db()
    support_at_retail.refresh_from_db()
    assert not dispute_admin_at_retail.is_active  # still suspended: reinstating is the operator's
    assert dispute_admin_at_retail.verification_required_at is not None
    assert support_at_retail.verification_required_at is None
    assert mail.outbox == [] and not Notification.objects.exists()


@pytest.mark.django_db
def test_support_cannot_change_a_staff_accounts_page(admin_client_retail, dispute_admin_at_retail):
    url = f"/admin/accounts/user/{dispute_admin_at_retail.pk}/change/"
    page = admin_client_retail.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    response = admin_client_retail.post(
        url, {"email": dispute_admin_at_retail.email, "first_name": "Renamed", "language": ""}
    )
    assert response.status_code == 403
    dispute_admin_at_retail.refresh_from_db()
    assert dispute_admin_at_retail.first_name != "Renamed"


@pytest.mark.django_db
def test_the_services_refuse_a_storefronts_staff_acting_on_staff(
    support_at_retail, dispute_admin_at_retail, reseller_customer
):
    from accounts import services
    from storefronts.exceptions import NotFound

    with pytest.raises(services.StaffAccountProtected):
        services.account_suspend(user=dispute_admin_at_retail, reason="x", actor=support_at_retail)
    with pytest.raises(services.StaffAccountProtected):
        services.account_verification_require(user=support_at_retail, actor=support_at_retail)
    with pytest.raises(NotFound):  # another storefront's customer
        services.account_suspend(user=reseller_customer, reason="x", actor=support_at_retail)
    dispute_admin_at_retail.refresh_from_db()
    reseller_customer.refresh_from_db()
    assert dispute_admin_at_retail.is_active and reseller_customer.is_active


@pytest.mark.django_db
def test_the_operator_manages_staff_accounts(dispute_admin_at_retail):
    operator = UserFactory(
        storefront=None, is_superuser=True, is_staff=True, email="admin@example.com"
    )
    client = Client(HTTP_HOST="imeiserver.localhost")
    client.force_login(operator)
    response = _act(client, "suspend_accounts", dispute_admin_at_retail)
    assert "Suspended 1 active account(s)" in response.text and "alone" not in response.text
    dispute_admin_at_retail.refresh_from_db()
    assert not dispute_admin_at_retail.is_active
