"""The sandbox lab's documented outcome table, its delay, and its code formats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from providers.base import (
    Completed,
    OrderRequest,
    Pending,
    ProviderFault,
    Rejected,
    Submitted,
)
from providers.models import ProviderConnection
from providers.registry import provider_for
from providers.sandbox import SandboxLab
from tests import clock

T0 = clock.days_ahead(1, hour=10)


def imei(ending: str) -> str:
    return "3569380356438" + ending


def place(service: str, ending: str, lab: SandboxLab | None = None):
    lab = lab or SandboxLab()
    return lab.place(OrderRequest(remote_service_id=service, imei=imei(ending), reference="o1-a1"))


def outcome(service: str, ending: str, delay: int = 0):
    lab = SandboxLab(delay_seconds=delay)
    submitted = place(service, ending, lab)
    assert isinstance(submitted, Submitted)
    return lab.poll(submitted.ref)


@pytest.mark.dates
def test_the_ref_encodes_service_imei_and_time():
    with time_machine.travel(T0, tick=False):
        assert place("UNL-APPLE-ATT", "09") == Submitted(
            f"SBX-UNL-APPLE-ATT-{imei('09')}-{int(T0.timestamp())}"
        )


@pytest.mark.dates
def test_pending_until_the_delay_has_passed():
    lab = SandboxLab(delay_seconds=30)
    with time_machine.travel(T0, tick=False) as traveller:
        ref = place("UNL-SAMSUNG-8", "09", lab).ref
        assert lab.poll(ref) == Pending("in process")
        traveller.shift(29)
        assert lab.poll(ref) == Pending("in process")
        traveller.shift(1)
        assert isinstance(lab.poll(ref), Completed)


def test_zero_delay_answers_at_once():
    assert isinstance(outcome("UNL-SAMSUNG-8", "09", delay=0), Completed)


@pytest.mark.parametrize("service", ["UNL-SAMSUNG-8", "CBL-SAMSUNG", "CHK-GSMA"])
def test_ending_13_is_rejected_at_placement(service):
    assert place(service, "13") == Rejected("Invalid IMEI for this network")


def test_ending_77_is_a_simulated_outage():
    with pytest.raises(ProviderFault, match="simulated outage"):
        place("UNL-SAMSUNG-8", "77")


@pytest.mark.parametrize("bad", ["", "12345", "35693803564380", "3569380356438091", "abc-def"])
def test_an_invalid_imei_is_rejected(bad):
    request = OrderRequest(remote_service_id="CHK-GSMA", imei=bad)
    assert SandboxLab().place(request) == Rejected("Invalid IMEI")


def test_a_serial_number_is_accepted():
    request = OrderRequest(remote_service_id="CHK-GSMA", imei="", fields={"SN": "F2LXK0ABHG7F"})
    assert isinstance(SandboxLab().place(request), Submitted)


@pytest.mark.parametrize("service", ["UNL-SAMSUNG-8", "UNL-APPLE-ATT", "CBL-SAMSUNG"])
def test_ending_00_has_no_code(service):
    assert outcome(service, "00") == Rejected("No code found for this IMEI")  # DS-12


@pytest.mark.dates
def test_phone_check_ending_66_is_blacklisted():
    lab = SandboxLab(delay_seconds=60)
    with time_machine.travel(T0, tick=False) as traveller:
        ref = place("CHK-GSMA", "66", lab).ref
        traveller.shift(120)
        done = lab.poll(ref)
    assert isinstance(done, Completed)
    # DS-3: status, reason, carrier, source and time checked.
    assert done.result == {
        "blacklist_status": "blacklisted",
        "reason": "Lost/stolen",
        "carrier": "AT&T",
        "source": "GSMA (sandbox)",
        "checked_at": (T0 + dt.timedelta(seconds=60)).isoformat(),  # placed + the delay
    }


def test_phone_check_ending_99_has_no_result():
    assert outcome("CHK-CARRIER", "99") == Rejected("Result unavailable")  # DS-15


@pytest.mark.parametrize("ending", ["09", "00", "42"])
def test_other_phone_checks_are_clean(ending):
    done = outcome("CHK-GSMA", ending)
    assert isinstance(done, Completed)
    assert done.result["blacklist_status"] == "clean" and done.result["reason"] == ""
    assert done.result["source"] == "GSMA (sandbox)" and done.result["checked_at"]


def test_unlock_codes_follow_the_service_format_and_repeat():
    eight = outcome("UNL-SAMSUNG-8", "09").code
    assert len(eight) == 8 and eight.isdigit()
    assert outcome("UNL-SAMSUNG-8", "09").code == eight
    assert outcome("UNL-MOTO-8", "09").code != eight  # per service
    assert outcome("UNL-SAMSUNG-8", "42").code != eight  # per IMEI
    sixteen = outcome("UNL-NOKIA-16", "09").code
    assert len(sixteen) == 16 and sixteen.isdigit()
    nck = outcome("UNL-SAMSUNG-NCK", "09").code
    assert nck.startswith("NCK: ") and "\nMCK: " in nck
    assert "Unlocked" in outcome("UNL-APPLE-ATT", "09").code


def test_cable_unlock_is_unlocked():
    assert outcome("CBL-SAMSUNG", "09") == Completed(code="Unlocked")


def test_an_unknown_unlock_service_gets_an_8_digit_code():
    code = outcome("SOMETHING-ELSE", "09").code
    assert len(code) == 8 and code.isdigit()


def test_a_foreign_ref_is_a_fault():
    with pytest.raises(ProviderFault):
        SandboxLab().poll("872345")


def test_balance_services_and_lookup():
    lab = SandboxLab()
    assert lab.account_balance().credit >= Decimal("10000")
    ids = {s.remote_id for s in lab.list_services()}
    assert {"UNL-APPLE-ATT", "CHK-GSMA", "CBL-SAMSUNG"} <= ids
    assert lab.lookup("o1-a1") is None and lab.supports_lookup


def test_registry_builds_the_lab_with_the_connection_delay(retail):
    connection = ProviderConnection.objects.create(
        storefront=retail, name="Lab", kind="sandbox", sandbox_delay_seconds=5
    )
    lab = provider_for(connection)
    assert isinstance(lab, SandboxLab) and lab.delay_seconds == 5
