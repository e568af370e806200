"""Every policy setting is a validated field with the demo defaults of POLICY.md."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from storefronts.models import Storefront


@pytest.mark.django_db
def test_retail_demo_defaults(retail):
    assert retail.balance_currency == "USD"
    assert retail.cancellation_window_minutes == 0
    assert retail.refund_request_window_days == 180  # IS-5
    assert (retail.refund_due_days, retail.refund_due_in_business_days) == (7, False)  # IS-7
    assert retail.refund_to_original_payment and not retail.refund_to_credits  # IS-6
    assert retail.dispute_window_days == 3  # IS-9
    assert retail.evidence_min_video_height == 720  # IS-9
    assert retail.dispute_first_response_hours == 24  # IS-11
    assert retail.dispute_resolution_business_days == 30  # IS-11
    assert retail.completion_overrun_business_days == 10  # IS-3
    assert retail.business_hours_text == "Mon–Fri all day (UTC)"


@pytest.mark.django_db
def test_reseller_demo_defaults(reseller):
    assert reseller.balance_currency == "EUR" and reseller.balance_unit_label == "credits"  # DS-4
    assert reseller.topup_mode == "packages"  # DS-4
    assert reseller.cancellation_window_minutes == 10  # DS-11
    assert (reseller.refund_due_days, reseller.refund_due_in_business_days) == (3, True)  # DS-16
    assert reseller.refund_to_credits and reseller.refund_to_bank_transfer  # DS-17
    assert reseller.allowed_bank_countries == ["ES", "MX"]  # DS-18
    assert reseller.completion_overrun_business_days is None  # DS-9: per-service guarantee
    assert reseller.business_hours_text == (
        "Mon–Fri 10:00–16:00 (GMT+02:00), public holidays in ES excluded"  # DS-10
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("timezone", "Mars/Olympus"),
        ("timezone", "+25:00"),
        ("working_days", "12389"),
        ("working_days", "11"),
        ("accent_colour", "blue"),
        ("bank_transfer_countries", "Spain"),
        ("holiday_country", "XX"),
        ("balance_currency", "ZZZ"),
        ("evidence_min_video_height", 10),
        ("refund_request_window_days", 0),
    ],
)
@pytest.mark.django_db
def test_invalid_settings_are_refused(retail, field, value):
    setattr(retail, field, value)
    with pytest.raises(ValidationError) as excinfo:
        retail.full_clean()
    assert field in excinfo.value.message_dict


@pytest.mark.django_db
def test_closing_before_opening_is_refused(retail):
    retail.opens_at, retail.closes_at = dt.time(16, 0), dt.time(10, 0)
    with pytest.raises(ValidationError):
        retail.full_clean()


@pytest.mark.django_db
def test_bank_refunds_need_countries_and_some_destination_is_required(retail):
    retail.refund_to_bank_transfer, retail.bank_transfer_countries = True, ""
    with pytest.raises(ValidationError):
        retail.full_clean()
    retail.refund_to_bank_transfer = False
    retail.refund_to_original_payment = False
    with pytest.raises(ValidationError):
        retail.full_clean()


@pytest.mark.django_db
def test_iana_zone_is_accepted():
    storefront = Storefront(name="x", slug="x", display_name="X", timezone="Europe/Madrid")
    storefront.full_clean()
    assert storefront.calendar.is_open(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
