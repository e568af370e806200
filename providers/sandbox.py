"""The sandbox lab: a provider that needs no network, for the demo and for tests (DESIGN.md,
"Providers"). Outcomes are decided from the IMEI, so every run is repeatable.

It is stateless: ``place`` answers ``Submitted("SBX-<remote service id>-<IMEI>-<unix time>")`` and
``poll`` reads everything it needs from that ref. Until the connection's ``sandbox_delay_seconds``
have passed since placement (0 = at once) an order is ``Pending("in process")``; then its outcome
is the row of this table for the IMEI's last two digits and the kind of service (the remote id's
prefix: ``UNL-`` IMEI unlock, ``CBL-`` cable unlock, ``CHK-`` phone check; an unknown id counts
as an unlock):

==========  =====================  ==========================================================
IMEI ends   service                outcome
==========  =====================  ==========================================================
``13``      any                    ``Rejected("Invalid IMEI for this network")`` at placement
``77``      any                    ``ProviderFault`` at placement (a simulated outage: failover)
``00``      unlock, cable          ``Rejected("No code found for this IMEI")`` (DS-12)
``66``      phone check            ``Completed``, blacklisted: reason "Lost/stolen", the
                                   service's carrier, source "GSMA (sandbox)", checked_at
``99``      phone check            ``Rejected("Result unavailable")`` (DS-15)
other       phone check            ``Completed``, clean (same fields, reason "")
other       unlock                 ``Completed`` with a code in the service's format: 8 or 16
                                   digits, or an NCK/MEP pair, from a hash of IMEI + service
                                   (the same IMEI and service always give the same code);
                                   Apple services answer a message (they are whitelist unlocks)
other       cable                  ``Completed("Unlocked")``
==========  =====================  ==========================================================

An IMEI that is not 15 digits (nor a serial number: 5-20 letters and digits, at least one
letter) is rejected at placement as "Invalid IMEI"; a serial number follows the table like an IMEI. A ref the sandbox did not make is a ``ProviderFault``.

Like a DHRU supplier with bulk actions on, it answers many orders in one call (``supports_bulk``):
``place_bulk`` leaves out a request that would fault (the dispatcher then sends that one alone and
fails over), and ``poll_bulk`` a ref it did not make.

``lookup`` answers None: placement here changes nothing anywhere, so an order the sandbox
"never got" can be sent again safely (``supports_lookup`` is True for that reason).
``account_balance`` is a large fixed credit; ``list_services`` the fixed list ``SERVICES``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from decimal import Decimal

from .base import (
    AccountInfo,
    Completed,
    OrderRequest,
    Pending,
    Provider,
    ProviderFault,
    Rejected,
    RemoteService,
    Submitted,
)

# remote id, name, price, group, delivery time, code format, carrier
SERVICES: list[dict] = [
    {
        "id": "UNL-APPLE-ATT",
        "name": "Apple iPhone AT&T USA — premium unlock",
        "price": "45.00",
        "group": "Apple",
        "time": "1-3 days",
        "format": "apple",
        "carrier": "AT&T",
    },
    {
        "id": "UNL-APPLE-UK",
        "name": "Apple iPhone UK networks — clean IMEI",
        "price": "30.00",
        "group": "Apple",
        "time": "2-5 days",
        "format": "apple",
        "carrier": "EE",
    },
    {
        "id": "UNL-SAMSUNG-8",
        "name": "Samsung network unlock code (8 digits)",
        "price": "9.50",
        "group": "Samsung",
        "time": "1-24 hours",
        "format": "digits8",
        "carrier": "Vodafone",
    },
    {
        "id": "UNL-SAMSUNG-NCK",
        "name": "Samsung NCK + MCK",
        "price": "12.00",
        "group": "Samsung",
        "time": "1-24 hours",
        "format": "nck",
        "carrier": "T-Mobile",
    },
    {
        "id": "UNL-NOKIA-16",
        "name": "Nokia / HMD unlock code (16 digits)",
        "price": "7.00",
        "group": "Nokia",
        "time": "1-2 days",
        "format": "digits16",
        "carrier": "Orange",
    },
    {
        "id": "UNL-MOTO-8",
        "name": "Motorola network unlock code",
        "price": "8.00",
        "group": "Motorola",
        "time": "1-3 days",
        "format": "digits8",
        "carrier": "Verizon",
    },
    {
        "id": "CBL-SAMSUNG",
        "name": "Samsung cable unlock (send the device)",
        "price": "25.00",
        "group": "Cable",
        "time": "3-5 days",
        "format": "cable",
        "carrier": "",
    },
    {
        "id": "CHK-GSMA",
        "name": "GSMA blacklist check",
        "price": "0.50",
        "group": "Checks",
        "time": "instant",
        "format": "check",
        "carrier": "AT&T",
    },
    {
        "id": "CHK-CARRIER",
        "name": "Carrier + blacklist + SIM-lock check",
        "price": "1.20",
        "group": "Checks",
        "time": "1-5 minutes",
        "format": "check",
        "carrier": "T-Mobile",
    },
]
BY_ID = {s["id"]: s for s in SERVICES}
BALANCE = Decimal("100000.00")
REF = re.compile(r"^SBX-(?P<service>.+)-(?P<imei>[A-Za-z0-9]{5,20})-(?P<ts>\d{9,12})$")
IDENTIFIER = re.compile(r"^(\d{15}|(?=.*[A-Za-z])[A-Za-z0-9]{5,20})$")  # IMEI or serial


def _service(remote_id: str) -> dict:
    if remote_id in BY_ID:
        return BY_ID[remote_id]
    prefix = remote_id.split("-", 1)[0].upper()
    fmt = {"CHK": "check", "CBL": "cable"}.get(prefix, "digits8")
    return {"id": remote_id, "format": fmt, "carrier": ""}


def unlock_code(imei: str, remote_id: str, fmt: str) -> str:
    """The deterministic code for this IMEI and service, in the service's format."""
    digest = hashlib.sha256(f"{imei}:{remote_id}".encode()).hexdigest()
    digits = str(int(digest, 16))
    if fmt == "apple":
        return "Unlocked: connect the iPhone to Wi-Fi with a SIM of another network."
    if fmt == "digits16":
        return digits[:16]
    if fmt == "nck":
        return f"NCK: {digits[:8]}\nMCK: {digits[8:16]}"
    return digits[:8]


class SandboxLab(Provider):
    supports_lookup = True
    supports_bulk = True

    def __init__(self, *, delay_seconds: int = 0, email: str = "sandbox@lab.invalid"):
        self.delay_seconds = delay_seconds
        self.email = email

    @classmethod
    def from_connection(cls, connection) -> SandboxLab:
        return cls(delay_seconds=connection.sandbox_delay_seconds)

    def place(self, request: OrderRequest) -> Submitted | Rejected:
        imei = (request.imei or str(request.fields.get("SN", ""))).strip()
        if not IDENTIFIER.match(imei):
            return Rejected("Invalid IMEI")
        if imei.endswith("13"):
            return Rejected("Invalid IMEI for this network")
        if imei.endswith("77"):
            raise ProviderFault("Sandbox lab: simulated outage (IMEI ending 77)")
        remote_id = request.remote_service_id.strip()
        if not remote_id:
            raise ProviderFault("Sandbox lab: no remote service id")
        return Submitted(f"SBX-{remote_id}-{imei}-{int(time.time())}")

    def poll(self, ref: str) -> Pending | Completed | Rejected:
        match = REF.match(ref or "")
        if match is None:
            raise ProviderFault(f"Sandbox lab: {ref!r} is not a sandbox order")
        placed = int(match["ts"])
        if time.time() < placed + self.delay_seconds:
            return Pending("in process")
        imei, service = match["imei"], _service(match["service"])
        ready_at = dt.datetime.fromtimestamp(placed + self.delay_seconds, tz=dt.UTC)
        fmt = service["format"]
        if fmt == "check":
            if imei.endswith("99"):
                return Rejected("Result unavailable")  # DS-15
            blacklisted = imei.endswith("66")
            result = {
                "blacklist_status": "blacklisted" if blacklisted else "clean",
                "reason": "Lost/stolen" if blacklisted else "",
                "carrier": service.get("carrier", ""),
                "source": "GSMA (sandbox)",
                "checked_at": ready_at.isoformat(timespec="seconds"),
            }
            status = "BLACKLISTED (lost/stolen)" if blacklisted else "Clean"
            return Completed(code=f"Blacklist status: {status}", result=result)
        if imei.endswith("00"):
            return Rejected("No code found for this IMEI")  # DS-12
        if fmt == "cable":
            return Completed(code="Unlocked")
        return Completed(code=unlock_code(imei, service["id"], fmt))

    def place_bulk(self, requests: list[OrderRequest]) -> dict[str, Submitted | Rejected]:
        answers = {}
        for request in requests:
            try:
                answers[request.reference] = self.place(request)
            except ProviderFault:
                continue  # left out: not placed
        return answers

    def poll_bulk(self, refs: list[str]) -> dict[str, Pending | Completed | Rejected]:
        return {ref: self.poll(ref) for ref in refs if REF.match(ref or "")}

    def lookup(self, reference: str) -> Submitted | None:
        return None

    def account_balance(self) -> AccountInfo:
        return AccountInfo(credit=BALANCE, currency="USD", email=self.email)

    def list_services(self) -> list[RemoteService]:
        return [
            RemoteService(
                remote_id=s["id"],
                name=s["name"],
                price=Decimal(s["price"]),
                group=s["group"],
                delivery_time=s["time"],
                required_fields=("IMEI",),
            )
            for s in SERVICES
        ]
