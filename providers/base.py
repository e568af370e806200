"""The one small interface every upstream provider speaks (DESIGN.md, "Providers").

``place`` answers Submitted or Rejected, or raises: ProviderTimeout when the outcome is unknown
(the order may or may not exist upstream: look it up, never send it again), ProviderFault for
anything else that went wrong on the provider's side (try the next route). ``poll`` answers
Pending, Completed or Rejected. Every call has a timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class OrderRequest:
    """What we ask a provider for: one IMEI (or serial) order of one remote service."""

    remote_service_id: str
    imei: str
    fields: dict = field(default_factory=dict)  # the other DHRU and custom fields
    reference: str = ""  # our own unique reference for this attempt (idempotency upstream)


@dataclass(frozen=True)
class Submitted:
    ref: str  # the provider's order id


@dataclass(frozen=True)
class Rejected:
    reason: str


@dataclass(frozen=True)
class Pending:
    status: str = ""


@dataclass(frozen=True)
class Completed:
    code: str = ""
    result: dict = field(default_factory=dict)  # structured phone-check result (DS-3)


@dataclass(frozen=True)
class RemoteField:
    """A custom order field a remote service asks for (DHRU ``Requires.Custom``)."""

    name: str  # the key the supplier reads in ``customfield``, exactly as it spells it
    type: str = "text"  # text, dropdown, radio, textarea, tickbox, datepicker, time
    options: tuple[str, ...] = ()
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class QuantityRule:
    """How many a remote service sells at once (DHRU ``QNT``, ``MINQNT``, ``MAXQNT``,
    ``QNTOPTIONS``); ``enabled`` False means one per order."""

    enabled: bool = False
    minimum: int | None = None
    maximum: int | None = None
    options: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {
            "enabled": self.enabled,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "options": list(self.options),
        }


@dataclass(frozen=True)
class RemoteService:
    remote_id: str
    name: str
    price: Decimal
    group: str = ""
    delivery_time: str = ""
    # Every required field: the DHRU ones by our name (IMEI, NETWORK, …), then custom ones.
    required_fields: tuple[str, ...] = ()
    dhru_fields: tuple[str, ...] = ()  # the DHRU fields it requires (``Requires.*`` flags)
    custom_fields: tuple[RemoteField, ...] = ()  # ``Requires.Custom``, required or not
    quantity: QuantityRule = field(default_factory=QuantityRule)
    service_type: str = "IMEI"  # IMEI, SERVER or REMOTE


@dataclass(frozen=True)
class AccountInfo:
    credit: Decimal
    currency: str = ""
    email: str = ""
    api_version: str = ""  # the server's ``apiversion`` ("6.1"), when it says


class ProviderError(Exception):
    """Base: something went wrong talking to the provider. The message says what, for logs and
    dispatch attempts; ``public`` says it in fixed words safe for the admin, never the supplier's
    own text (a reply body can be anything the server at the URL wants us to show)."""

    default_public = "the supplier could not be reached or answered with an error"

    def __init__(self, message: str = "", *, public: str | None = None):
        super().__init__(message)
        self.public = public or self.default_public


class ProviderFault(ProviderError):
    """The provider failed (HTTP error, HTML, malformed reply, auth): try the next route."""


class ProviderTimeout(ProviderError):
    """No answer in time: the outcome is unknown."""

    default_public = "the supplier did not answer in time"


class Provider:
    """What a provider client implements.

    ``supports_lookup`` says whether ``lookup`` answering None *proves* the provider never got the
    order (so sending it again cannot double it). Where it is False, None only means "not found
    this way", and an order whose outcome is unknown must be checked by hand.
    """

    supports_lookup: bool = False
    # True when ``place_bulk``/``poll_bulk`` make one call for many orders (the dispatcher then
    # groups orders for them); the defaults below call ``place``/``poll`` once per order.
    supports_bulk: bool = False

    def place(self, request: OrderRequest) -> Submitted | Rejected:
        raise NotImplementedError

    def place_bulk(self, requests: list[OrderRequest]) -> dict[str, Submitted | Rejected]:
        """Answers keyed by each request's reference. A request left out was not placed (the
        provider faulted on it); ProviderTimeout when some outcome is unknown."""
        return {r.reference: self.place(r) for r in requests}

    def poll(self, ref: str) -> Pending | Completed | Rejected:
        raise NotImplementedError

    def poll_bulk(self, refs: list[str]) -> dict[str, Pending | Completed | Rejected]:
        """Answers keyed by ref; a ref left out had no readable answer this time."""
        return {ref: self.poll(ref) for ref in refs}

    def lookup(self, reference: str) -> Submitted | None:
        """The provider's order for our reference (after a timeout or a crash mid-call), or None
        (which proves nothing unless ``supports_lookup``). ProviderError when the call failed."""
        return None

    def account_balance(self) -> AccountInfo:
        raise NotImplementedError

    def list_services(self) -> list[RemoteService]:
        raise NotImplementedError
