"""A client for the DHRU Fusion API, the field's common protocol between unlock sites.

Wire format
-----------
Every call is a form POST to ``<base_url>/api/index.php`` (a base URL that already ends with
``index.php`` is used as it is; one ending with ``/api`` gets ``/index.php``) with ``username``,
``apiaccesskey``, ``action``, ``requestformat=JSON`` and, where the action has any, ``parameters``:

- connection encoding ``base64_json`` (the default): base64 of ``{"ID": …, "IMEI": …, …}``. This
  is the only form DHRU's "Fusion API standards" v6.1 server (``api/index.php``) reads: it runs
  ``json_decode(base64_decode($parameters), true)`` and reads PHP's case-sensitive keys;
- connection encoding ``xml`` (older servers): ``<PARAMETERS><ID>…</ID><IMEI>…</IMEI></PARAMETERS>``
  with every tag upper-cased, as DHRU's XML client kit writes it (PHP's XML parser folds case).

Order fields that are DHRU field names (``catalog.models.DHRU_FIELDS``) are parameters of their
own, under the keys DHRU Fusion's own supplier module sends (``WIRE_NAMES``: ``MODELID``,
``PROVIDERID``, ``Network``, ``SecRO``, …). Every other (custom) field goes in one ``customfield``
parameter, lower case as the v6.1 server reads it, holding base64 of a JSON object keyed by the
supplier's field names (``CUSTOMFIELD`` in XML). ``REFERENCE`` is sent only when the order has a
Reference field (``Requires.Reference``): it is the supplier's field, never our key.

Our own key for an attempt (idempotency) travels outside the DHRU parameters, in an HTTP
``Idempotency-Key`` header: servers that do not know it ignore it; our own ``/api/index.php``
places one order per key and finds it again (``lookup``: ``getimeiorder`` with the header and no
ID). The bulk actions (``placeimeiorderbulk``, ``getimeiorderbulk``) always send base64 of JSON
keyed by request ids whatever the connection's encoding (the v6.1 server iterates
``foreach ($parameters as $bulkReqId => …)``), and read the reply keyed by the same ids, beside
``apiversion``. A bulk placement's request ids are our attempt keys.

Every request has the connection's timeout; redirects are not followed (a POST turned into a GET
would lose the form) and nothing is retried here: retrying is the dispatcher's decision. Requests go
through ``storefronts.outbound.outbound_post``: the host is resolved once, a private or internal
address is refused, and the connection goes to the checked address (``host_header`` names the site
when the base URL is an address).

Replies read
------------
``{"SUCCESS": [...]}`` or ``{"ERROR": [{"MESSAGE": ...}]}`` (keys in any case; ``MESSAGE`` or
``message``, with ``FULL_DESCRIPTION`` appended when present); PHP notices printed before the JSON
are skipped; the server's ``apiversion``; account info as ``AccountInfo`` or ``AccoutInfo`` with
``creditraw`` preferred over ``credit`` (``"$16.41"``, ``"1,016.41 USD"``); the service list as
``LIST`` → groups → ``SERVICES`` keyed by id (dicts or lists at either level; ``SERVICEID``,
``SERVICENAME``, ``CREDIT``, ``TIME``, ``QNT``/``MINQNT``/``MAXQNT``/``QNTOPTIONS``, every
``Requires.*`` flag of the v6.1 standard — Network, Mobile, Provider, PIN, KBH, MEP, PRD, Type,
Reference, Locks, SN, SecRO — and ``Requires.Custom``: fields with ``fieldname``, ``fieldtype``
text/dropdown/radio/textarea/tickbox/datepicker/time, ``fieldoptions`` and ``required``);
placement ``REFERENCEID``; order ``STATUS`` 0/1/2 (pending), 3 (rejected: ``CODE`` is the reason,
as the standard and DHRU's own module read it; else ``COMMENTS``), 4 (success with ``CODE``), or
the same as words. A phone-check result in ``CODE`` (``Blacklist Status: Clean<br>
Carrier: …`` lines, or a JSON object) is also returned as a structured result (DS-3).

How failures are classified
---------------------------
=================================================  ==========================================
what happened                                      outcome
=================================================  ==========================================
read timeout (request sent, no answer in time)     ``ProviderTimeout`` — outcome unknown
connection dropped after the request was sent      ``ProviderTimeout`` — outcome unknown
connect timeout, connection refused, DNS, TLS      ``ProviderFault`` — nothing was sent
address refused by the outbound policy             ``ProviderFault`` — nothing was sent
HTTP 3xx/4xx/5xx                                   ``ProviderFault`` (status; body to the log)
HTML, empty or malformed JSON body                 ``ProviderFault`` (first bytes to the log)
``ERROR`` about the account or the supplier:       ``ProviderFault`` on every action
  authentication, API key, IP, credit/balance,
  service not active/disabled/unknown, action,
  maintenance, rate limits
any other ``ERROR`` to a placement (invalid        ``Rejected(message)`` — about this order;
  IMEI, not found, unsupported model, ...)           not worth another supplier
``SUCCESS`` to a placement without REFERENCEID     ``ProviderFault``
any other ``ERROR`` to a poll, list, balance       ``ProviderFault``
bulk placement: an item with a fault-type          left out of the answers (not placed)
  error, or SUCCESS without REFERENCEID
bulk placement: an item missing in the reply       ``ProviderTimeout`` (outcome unknown)
bulk status: an item missing, or an ``ERROR``      left out (polled again next time)
``ERROR`` to a lookup by our key                   ``None`` (this server does not have it, or
                                                     does not know the header)
=================================================  ==========================================

``lookup`` cannot tell "no such order" from "header not understood", so ``supports_lookup`` is
False: after a timeout an order that is not found stays for a person to check, never resent.
``supports_bulk`` follows the connection's "bulk actions" setting: the dispatcher then sends a
bulk order's lines in one ``placeimeiorderbulk`` and polls sent orders with ``getimeiorderbulk``.

A ProviderError's message (logs, dispatch attempts) may quote a DHRU ``ERROR`` message; its
``public`` text, which the admin shows, is one of a few fixed phrases ("the supplier refused the
credentials", "answered something that is not a DHRU reply", "could not connect: …").
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

import requests

from catalog.models import DHRU_FIELDS
from storefronts.outbound import OutboundError, never_connected, outbound_failure, outbound_post

from .base import (
    AccountInfo,
    Completed,
    OrderRequest,
    Pending,
    Provider,
    ProviderFault,
    ProviderTimeout,
    QuantityRule,
    Rejected,
    RemoteField,
    RemoteService,
    Submitted,
)

log = logging.getLogger(__name__)

USER_AGENT = "unlock-storefront DHRU client/1.0"
SNIPPET = 120
NOT_DHRU = "answered something that is not a DHRU reply"

# ERROR messages that are about our account or the supplier, not about the order: fail over.
# Each kind has the fixed words the admin shows for it (never the supplier's own text).
FAULT_KINDS = (
    (
        r"auth|api\s*(access\s*)?key|apikey|username|password|login|not\s+authori[sz]ed|"
        r"access\s+denied|\bip\b|suspend",
        "the supplier refused the credentials",
    ),
    (
        r"credit|balance|insufficient|not\s+enough|fund",
        "the supplier reports too little credit on the account",
    ),
    (
        r"service\s*(id\s*)?(is\s+)?(not\s+(active|available|found|exist)|inactive|disabled|invalid|unknown)|"
        r"(invalid|unknown|wrong)\s+service|no\s+such\s+service",
        "the supplier reports the service is not available",
    ),
    (
        r"(invalid|unknown)\s+(action|request\s*format|parameters\s+format)",
        "the supplier does not understand the request",
    ),
    (
        r"maintenance|too\s+many|rate\s+limit|try\s+again\s+later|temporar",
        "the supplier is busy or in maintenance; try again later",
    ),
)
FAULT_MESSAGES = re.compile("|".join(f"(?:{pattern})" for pattern, _ in FAULT_KINDS), re.I)

PENDING_WORDS = {
    "0",
    "1",
    "2",
    "new",
    "pending",
    "waiting",
    "in process",
    "inprocess",
    "processing",
}
REJECTED_WORDS = {"3", "rejected", "reject", "cancelled", "canceled", "refunded", "failed"}
SUCCESS_WORDS = {"4", "success", "completed", "complete", "available", "done"}

# ``Requires.<X>`` flags of the service list (the twelve of the v6.1 standard, and a few
# spellings other servers use) → our DHRU field names (catalog.models.DHRU_FIELDS).
REQUIRES_FIELDS = {
    "network": "NETWORK",
    "mobile": "MODEL",
    "model": "MODEL",
    "provider": "PROVIDER",
    "pin": "PIN",
    "kbh": "KBH",
    "mep": "MEP",
    "prd": "PRD",
    "type": "TYPE",
    "reference": "REFERENCE",
    "locks": "LOCKS",
    "sn": "SN",
    "serial": "SN",
    "secro": "SECRO",
    "imei": "IMEI",
}
# Our DHRU field names → the parameter keys DHRU Fusion's own supplier module sends (base64 JSON;
# PHP reads keys case-sensitively). XML upper-cases every tag, as DHRU's XML kit does.
WIRE_NAMES = {
    "IMEI": "IMEI",
    "SN": "SN",
    "MODEL": "MODELID",
    "NETWORK": "Network",
    "PROVIDER": "PROVIDERID",
    "MEP": "MEP",
    "PIN": "PIN",
    "KBH": "KBH",
    "PRD": "PRD",
    "TYPE": "TYPE",
    "LOCKS": "LOCKS",
    "REFERENCE": "REFERENCE",
    "SECRO": "SecRO",
}
CUSTOM_FIELD_TYPES = {"text", "dropdown", "radio", "textarea", "tickbox", "datepicker", "time"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "₺": "TRY"}


class DhruError(Exception):
    """An ``ERROR`` reply (internal: each action decides what it means)."""

    def __init__(self, message: str, action: str):
        super().__init__(message)
        self.message = message
        self.action = action

    @property
    def is_fault(self) -> bool:
        return bool(FAULT_MESSAGES.search(self.message))

    @property
    def public(self) -> str:
        """The kind of error in fixed words, for the admin."""
        for pattern, words in FAULT_KINDS:
            if re.search(pattern, self.message, re.IGNORECASE):
                return words
        return "the supplier answered with an error"

    def fault(self, prefix: str | None = None) -> ProviderFault:
        return ProviderFault(f"{prefix or self.action}: {self.message}", public=self.public)


def endpoint_for(base_url: str) -> str:
    url = (base_url or "").strip()
    if not url:
        raise ProviderFault(
            "The connection has no base URL.", public="the connection has no base URL"
        )
    if url.rstrip("/").lower().endswith("index.php"):
        return url.rstrip("/")
    url = url.rstrip("/")
    if url.lower().endswith("/api"):
        return f"{url}/index.php"
    return f"{url}/api/index.php"


def b64json(value) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def xml_parameters(params: dict) -> str:
    body = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in params.items())
    return f"<PARAMETERS>{body}</PARAMETERS>"


def _snippet(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")


def _upper_keys(value: dict) -> dict:
    return {str(k).upper(): v for k, v in value.items()}


def _first(entries) -> dict:
    """The first object of a SUCCESS/ERROR value (a list of objects, an object, or a string)."""
    if isinstance(entries, list):
        entries = entries[0] if entries else {}
    if isinstance(entries, str):
        return {"MESSAGE": entries}
    return entries if isinstance(entries, dict) else {}


def _message(entry) -> str:
    entry = _upper_keys(_first(entry))
    message = str(entry.get("MESSAGE") or "").strip()
    full = str(entry.get("FULL_DESCRIPTION") or entry.get("DESCRIPTION") or "").strip()
    text = f"{message}: {full}" if message and full and full != message else message or full
    return _plain(text) or "The provider answered ERROR without a message."


def _plain(text) -> str:
    """CODE/COMMENTS text as plain text: <br> as newlines, other tags dropped, entities decoded."""
    text = "" if text is None else str(text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    return "\n".join(line.strip() for line in html.unescape(text).splitlines()).strip()


def parse_money(value) -> tuple[Decimal | None, str]:
    """``"$16.41"``, ``"1,016.41 USD"``, ``16.41`` → (Decimal, currency code or "")."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)), ""
    text = str(value).strip()
    currency = next((code for sym, code in CURRENCY_SYMBOLS.items() if sym in text), "")
    match = re.search(r"\b([A-Z]{3})\b", text)
    if match:
        currency = match.group(1)
    number = re.sub(r"[^0-9.,\-]", "", text)
    if "," in number and "." in number:
        number = number.replace(",", "")
    elif "," in number:
        # "16,41" (decimal comma) or "1,016" (thousands): a comma followed by exactly 3 digits
        # at the end is a thousands separator.
        number = (
            number.replace(",", "") if re.search(r",\d{3}$", number) else number.replace(",", ".")
        )
    try:
        return Decimal(number), currency
    except InvalidOperation:
        return None, currency


def check_result_from(text: str) -> dict:
    """A phone-check result (DS-3) read from a CODE: a JSON object, or "Key: Value" lines with a
    blacklist line. {} when the CODE is not a check result (e.g. an unlock code)."""
    raw = (text or "").strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return {str(k).lower(): v for k, v in data.items()}
    lines: dict[str, str] = {}
    for line in _plain(raw).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            lines[key.strip().lower()] = value.strip()
    status_key = next((k for k in lines if "blacklist" in k or "gsma" in k), None)
    if status_key is None:
        return {}
    word = lines[status_key].lower()
    if any(w in word for w in ("clean", "not blacklisted", "no record")):
        status = "clean"
    elif any(w in word for w in ("blacklist", "lost", "stolen", "blocked", "barred")):
        status = "blacklisted"
    else:
        status = "unknown"

    def pick(*names: str) -> str:
        return next((v for k, v in lines.items() for n in names if n in k), "")

    return {
        "blacklist_status": status,
        "reason": pick("reason"),
        "carrier": pick("carrier", "network", "operator"),
        "source": pick("source") or "GSMA",
        "checked_at": pick("checked", "date", "time"),
    }


class DhruClient(Provider):
    """One DHRU Fusion supplier. ``DhruClient.from_connection(conn)`` for a ProviderConnection."""

    supports_lookup = False

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        api_key: str,
        parameter_encoding: str = "base64_json",
        timeout: float = 20,
        host_header: str = "",
        bulk: bool = False,
        key_elsewhere: bool = False,
    ):
        self.key_elsewhere = key_elsewhere
        self.url = endpoint_for(base_url)
        self.supports_bulk = bulk
        self.host_header = host_header
        self.username = username
        self.api_key = api_key
        self.parameter_encoding = parameter_encoding
        self.timeout = timeout

    @classmethod
    def from_connection(cls, connection) -> DhruClient:
        moved = connection.api_key_moved  # pasted for another address: never sent to this one
        return cls(
            base_url=connection.base_url,
            username=connection.username,
            api_key="" if moved else connection.api_key,
            key_elsewhere=moved,
            parameter_encoding=connection.parameter_encoding,
            timeout=connection.timeout_seconds,
            host_header=connection.host_header,
            bulk=connection.bulk_actions,
        )

    # --- the wire ----------------------------------------------------------------------------

    @property
    def sends_xml(self) -> bool:
        return self.parameter_encoding == "xml"

    def encode(self, params: dict, *, bulk: bool = False) -> str:
        if bulk or not self.sends_xml:
            return b64json(params)
        return xml_parameters({str(k).upper(): v for k, v in params.items()})

    def _headers(self, idempotency_key: str = "") -> dict:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        return headers

    def call(
        self,
        action: str,
        params: dict | None = None,
        *,
        bulk: bool = False,
        idempotency_key: str = "",
    ) -> dict:
        """POST one action; the decoded reply object. Raises ProviderTimeout, ProviderFault,
        or DhruError for an ERROR reply."""
        if self.key_elsewhere:
            raise ProviderFault(
                f"{action} at {self.url}: not sent: the API key was set for another address",
                public="the API key was set for another address: paste it again",
            )
        data = {
            "username": self.username,
            "apiaccesskey": self.api_key,
            "action": action,
            "requestformat": "JSON",
        }
        if params:
            data["parameters"] = self.encode(params, bulk=bulk)
        where = f"{action} at {self.url}"
        try:
            # Only to the address the outbound policy checked (storefronts/outbound.py); a
            # supplier reached by address that serves several sites is named by host_header.
            response = outbound_post(
                self.url,
                data=data,
                timeout=(self.timeout, self.timeout),
                headers=self._headers(idempotency_key),
                host_header=self.host_header,
            )
        except OutboundError as exc:
            log.warning("DHRU %s not sent: %s", where, exc)
            raise ProviderFault(
                f"{where}: not sent: {exc.category}", public=f"could not connect: {exc.category}"
            ) from exc
        except requests.ConnectTimeout as exc:
            raise ProviderFault(
                f"{where}: could not connect within {self.timeout}s (nothing was sent)",
                public="could not connect in time",
            ) from exc
        except requests.Timeout as exc:
            raise ProviderTimeout(f"{where}: no answer within {self.timeout}s") from exc
        except requests.ConnectionError as exc:
            reason = outbound_failure(exc)
            if isinstance(exc, requests.exceptions.SSLError) or never_connected(exc):
                raise ProviderFault(
                    f"{where}: could not connect ({reason})", public=f"could not connect: {reason}"
                ) from exc
            raise ProviderTimeout(
                f"{where}: the connection dropped before an answer ({reason})",
                public="the connection dropped before an answer",
            ) from exc
        except requests.RequestException as exc:
            raise ProviderFault(f"{where}: {outbound_failure(exc)}") from exc
        return self._decode(response, where, action)

    def _decode(self, response: requests.Response, where: str, action: str) -> dict:
        """The reply object. What the supplier sent back goes to the log, never into a message:
        messages are shown in the admin, and a body can be anything the server wants shown."""
        text = response.content.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        status = response.status_code
        if 300 <= status < 400:
            raise ProviderFault(
                f"{where}: HTTP {status} redirect, not followed (fix the base URL)",
                public=f"the supplier answered with a redirect (HTTP {status}): check the base URL",
            )
        if status >= 400:
            log.warning("DHRU %s: HTTP %s: %s", where, status, _snippet(text))
            raise ProviderFault(
                f"{where}: HTTP {status}", public=f"the supplier answered HTTP {status}"
            )
        if not text:
            raise ProviderFault(f"{where}: HTTP {status} with an empty body", public=NOT_DHRU)
        reply = _json_object(text)
        if reply is None:
            kind = "HTML" if text.startswith("<") else "malformed JSON"
            log.warning("DHRU %s: %s instead of a DHRU reply: %s", where, kind, _snippet(text))
            raise ProviderFault(f"{where}: {kind} instead of a DHRU reply", public=NOT_DHRU)
        upper = _upper_keys(reply)
        if "ERROR" in upper and "SUCCESS" not in upper:
            raise DhruError(_message(upper["ERROR"]), action)
        return reply

    # --- the interface -----------------------------------------------------------------------

    def order_parameters(self, request: OrderRequest) -> dict:
        """One order's parameters as the v6.1 standard reads them: ``ID``, ``IMEI``, the DHRU
        fields under DHRU's own keys, the custom fields as base64 JSON in ``customfield``. Our
        attempt key is not among them (see the module docstring)."""
        params: dict = {"ID": request.remote_service_id}
        if request.imei:
            params["IMEI"] = request.imei
        custom: dict = {}
        for name, value in (request.fields or {}).items():
            # Our DHRU fields are named in capitals (catalog.models.DHRU_FIELDS); any other name
            # is a custom field, sent under the supplier's own spelling ("model" stays custom).
            if name in DHRU_FIELDS:
                if name == "IMEI" and "IMEI" in params:
                    continue
                params[WIRE_NAMES.get(name, name)] = value
            else:
                custom[name] = value
        if custom:
            params["customfield"] = b64json(custom)
        return params

    def place(self, request: OrderRequest) -> Submitted | Rejected:
        try:
            reply = self.call(
                "placeimeiorder",
                self.order_parameters(request),
                idempotency_key=request.reference,
            )
        except DhruError as exc:
            return _placement_error(exc)
        return _placement(reply, "placeimeiorder")

    def place_bulk(self, requests_: list[OrderRequest]) -> dict[str, Submitted | Rejected]:
        if not requests_:
            return {}
        references = [r.reference for r in requests_]
        idempotency_key = ""
        if all(references) and len(set(references)) == len(references):
            keys = {r.reference: r for r in requests_}  # our attempt keys, echoed back
            # On our own endpoint this header makes each request key that line's idempotency
            # key (looked up one by one after a timeout); other servers ignore it.
            idempotency_key = f"bulk:{references[0]}"
        else:
            keys = {str(i): r for i, r in enumerate(requests_, start=1)}
        try:
            reply = self.call(
                "placeimeiorderbulk",
                {k: self.order_parameters(r) for k, r in keys.items()},
                bulk=True,
                idempotency_key=idempotency_key,
            )
        except DhruError as exc:
            raise exc.fault() from exc
        items = _keyed(reply)
        if any(not isinstance(items.get(key), dict) for key in keys):
            # Some went through, maybe: an unknown outcome; look each up, never resend blindly.
            missing = [keys[k].reference or k for k in keys if not isinstance(items.get(k), dict)]
            raise ProviderTimeout(f"placeimeiorderbulk: no answer for {', '.join(missing)}")
        answers: dict[str, Submitted | Rejected] = {}
        for key, request in keys.items():
            upper = _upper_keys(items[key])
            try:
                if "ERROR" in upper and "SUCCESS" not in upper:
                    error = DhruError(_message(upper["ERROR"]), "placeimeiorderbulk")
                    answers[request.reference] = _placement_error(error)
                else:
                    answers[request.reference] = _placement(upper, "placeimeiorderbulk")
            except ProviderFault:
                continue  # not placed, for a reason of the supplier's: left out, fail it over
        return answers

    def poll(self, ref: str) -> Pending | Completed | Rejected:
        try:
            reply = self.call("getimeiorder", {"ID": ref})
        except DhruError as exc:
            raise exc.fault(f"getimeiorder {ref}") from exc
        return _status(reply, ref)

    def poll_bulk(self, refs: list[str]) -> dict[str, Pending | Completed | Rejected]:
        if not refs:
            return {}
        keys = {str(i): ref for i, ref in enumerate(refs, start=1)}
        try:
            reply = self.call(
                "getimeiorderbulk", {k: {"ID": r} for k, r in keys.items()}, bulk=True
            )
        except DhruError as exc:
            raise exc.fault() from exc
        items = _keyed(reply)
        answers = {}
        for key, ref in keys.items():
            item = items.get(key)
            upper = _upper_keys(item) if isinstance(item, dict) else {}
            if not upper or ("ERROR" in upper and "SUCCESS" not in upper):
                # No answer, or an error, for this one: left out (polled again next time).
                error = _message(upper["ERROR"]) if upper else "no answer"
                log.warning("DHRU getimeiorderbulk: order %s: %s", ref, _snippet(error))
                continue
            try:
                answers[ref] = _status(item, ref)
            except ProviderFault as exc:
                log.warning("DHRU getimeiorderbulk: order %s: %s", ref, exc)
        return answers

    def lookup(self, reference: str) -> Submitted | None:
        """The order placed with our ``Idempotency-Key`` (a server that knows the header answers
        it with its REFERENCEID; others answer an error, or no REFERENCEID: None)."""
        try:
            reply = self.call("getimeiorder", idempotency_key=reference)
        except DhruError as exc:
            if exc.is_fault:
                raise exc.fault("getimeiorder by REFERENCE") from exc
            return None
        upper = _upper_keys(reply)
        entry = _upper_keys(_first(upper.get("SUCCESS")))
        ref = (
            entry.get("REFERENCEID")
            or entry.get("ID")
            or upper.get("REFERENCEID")
            or upper.get("ID")
        )
        return Submitted(str(ref)) if ref not in (None, "") else None

    def account_balance(self) -> AccountInfo:
        try:
            reply = self.call("accountinfo")
        except DhruError as exc:
            raise exc.fault() from exc
        entry = _upper_keys(_first(_upper_keys(reply).get("SUCCESS")))
        info = entry.get("ACCOUNTINFO") or entry.get("ACCOUTINFO")
        if not isinstance(info, dict):
            log.warning("DHRU accountinfo without AccountInfo: %s", _snippet(json.dumps(reply)))
            raise ProviderFault("accountinfo: no AccountInfo in the reply", public=NOT_DHRU)
        info = {str(k).lower(): v for k, v in info.items()}
        credit, currency = parse_money(info.get("creditraw"))
        shown, shown_currency = parse_money(info.get("credit"))
        if credit is None:
            credit = shown
        if credit is None:
            log.warning("DHRU accountinfo without a credit: %s", _snippet(json.dumps(info)))
            raise ProviderFault("accountinfo: no readable credit in the reply", public=NOT_DHRU)
        return AccountInfo(
            credit=credit,
            currency=str(info.get("currency") or currency or shown_currency or ""),
            email=str(info.get("mail") or info.get("email") or ""),
            api_version=_api_version(reply),
        )

    def list_services(self) -> list[RemoteService]:
        try:
            reply = self.call("imeiservicelist")
        except DhruError as exc:
            raise exc.fault() from exc
        entry = _upper_keys(_first(_upper_keys(reply).get("SUCCESS")))
        groups = entry.get("LIST")
        if groups is None:
            log.warning("DHRU imeiservicelist without LIST: %s", _snippet(json.dumps(reply)))
            raise ProviderFault("imeiservicelist: no LIST in the reply", public=NOT_DHRU)
        services: list[RemoteService] = []
        for group_key, group in _items(groups):
            if not isinstance(group, dict):
                continue
            group_upper = _upper_keys(group)
            group_name = str(group_upper.get("GROUPNAME") or group_key or "")
            for service_key, service in _items(group_upper.get("SERVICES") or {}):
                if isinstance(service, dict):
                    remote = _remote_service(service, service_key, group_name)
                    if remote is not None:
                        services.append(remote)
        return services


# --- reading replies -------------------------------------------------------------------------


def _json_object(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
        # PHP notices or warnings printed before the JSON: read from the reply object on.
        match = re.search(r'\{\s*"(SUCCESS|ERROR|success|error)"', text)
        if match:
            try:
                value, _ = json.JSONDecoder().raw_decode(text[match.start() :])
            except ValueError:
                value = None
    return value if isinstance(value, dict) else None


def _api_version(reply: dict) -> str:
    """The server's ``apiversion`` (top level, as the v6.1 standard writes it), as short text."""
    value = _upper_keys(reply).get("APIVERSION")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _plain(str(value))[:20]
    return ""


def encoding_note(*, api_version: str, sends_xml: bool) -> str:
    """What a connection check tells staff about the server and the encoding we will use."""
    server = f"DHRU API version {api_version}" if api_version else "no DHRU API version given"
    if not sends_xml:
        return f"{server}; orders are sent as base64 JSON with custom fields in customfield."
    note = f"{server}; orders are sent as XML <PARAMETERS>, as this connection is set."
    if api_version:
        note += " A server of DHRU's v6.1 standard reads only base64 JSON: choose that encoding."
    return note


def _placement_error(exc: DhruError) -> Rejected:
    if exc.is_fault:
        raise exc.fault()
    return Rejected(exc.message)


def _placement(reply: dict, action: str) -> Submitted:
    upper = _upper_keys(reply)
    entry = _upper_keys(_first(upper.get("SUCCESS")))
    ref = entry.get("REFERENCEID") or upper.get("REFERENCEID")
    if ref in (None, ""):
        log.warning(
            "DHRU %s: SUCCESS without a REFERENCEID: %s", action, _snippet(json.dumps(reply))
        )
        raise ProviderFault(f"{action}: SUCCESS without a REFERENCEID", public=NOT_DHRU)
    return Submitted(str(ref))


def _status(reply: dict, ref: str) -> Pending | Completed | Rejected:
    upper = _upper_keys(reply)
    entry = _upper_keys(_first(upper.get("SUCCESS")))
    if not entry:
        log.warning("DHRU getimeiorder %s without SUCCESS: %s", ref, _snippet(json.dumps(reply)))
        raise ProviderFault(f"getimeiorder {ref}: no SUCCESS in the reply", public=NOT_DHRU)
    status = str(entry.get("STATUS", "")).strip().lower()
    code = _plain(entry.get("CODE"))
    comments = _plain(entry.get("COMMENTS") or entry.get("COMMENT"))
    if status in PENDING_WORDS:
        return Pending({"0": "new", "1": "in process", "2": "in process"}.get(status, status))
    if status in REJECTED_WORDS:
        # The standard's reject (refund) carries the reason in CODE; COMMENTS when CODE is empty.
        return Rejected(code or comments or "Rejected by the supplier.")
    if status in SUCCESS_WORDS:
        raw_code = str(entry.get("CODE") or "")
        return Completed(code=code, result=check_result_from(raw_code))
    raise ProviderFault(
        f"getimeiorder {ref}: unknown STATUS {_snippet(str(entry.get('STATUS')))[:20]!r}",
        public=NOT_DHRU,
    )


def _keyed(reply: dict) -> dict:
    """A bulk reply's items by request id: top level, or inside SUCCESS (an object or a list)."""
    items = {str(k): v for k, v in reply.items()}
    upper = _upper_keys(reply)
    if "SUCCESS" in upper:
        inner = upper["SUCCESS"]
        if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], dict):
            inner = inner[0]
        if isinstance(inner, dict):
            items.update({str(k): v for k, v in inner.items()})
    return items


def _items(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [("", v) for v in value]
    return []


def _flag_required(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    word = str(value or "").strip().lower()
    return word in {"required", "require", "yes", "true", "1", "on", "mandatory"}


def _options(value) -> tuple[str, ...]:
    """``fieldoptions``: "New,Existing" (the standard), or a list."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(o for o in (_plain(str(i)) for i in items) if o)


def _custom_field(custom: dict) -> RemoteField | None:
    custom = {str(k).lower(): v for k, v in custom.items()}
    name = _plain(custom.get("fieldname") or custom.get("customname") or custom.get("name"))
    if not name:
        return None
    kind = str(custom.get("fieldtype") or "text").strip().lower()
    return RemoteField(
        name=name[:100],
        type=kind if kind in CUSTOM_FIELD_TYPES else "text",
        options=_options(custom.get("fieldoptions")),
        required=_flag_required(custom.get("required", "required")),
        description=_plain(custom.get("description"))[:200],
    )


def _quantity_number(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _quantity(upper: dict) -> QuantityRule:
    options = tuple(
        n for n in (_quantity_number(o) for o in str(upper.get("QNTOPTIONS") or "").split(",")) if n
    )
    minimum, maximum = _quantity_number(upper.get("MINQNT")), _quantity_number(upper.get("MAXQNT"))
    enabled = _flag_required(upper.get("QNT")) or bool(options or minimum or maximum)
    return QuantityRule(enabled=enabled, minimum=minimum, maximum=maximum, options=options)


def _remote_service(service: dict, key: str, group: str) -> RemoteService | None:
    upper = _upper_keys(service)
    remote_id = upper.get("SERVICEID") or upper.get("ID") or key
    if remote_id in (None, ""):
        return None
    price, _ = parse_money(upper.get("CREDIT") or upper.get("PRICE"))
    service_type = str(upper.get("SERVICETYPE") or "IMEI").strip().upper()
    dhru = ["IMEI"] if service_type != "SERVER" else []
    customs: list[RemoteField] = []
    for name, value in service.items():
        flag = re.sub(r"^(requires?[._ ]?)", "", str(name), flags=re.IGNORECASE).lower()
        if flag == str(name).lower():
            continue  # not a Requires.* key
        if flag in REQUIRES_FIELDS and _flag_required(value):
            field = REQUIRES_FIELDS[flag]
            if field not in dhru:
                dhru.append(field)
        elif flag == "custom":
            for custom in value if isinstance(value, list) else _items(value):
                custom = custom[1] if isinstance(custom, tuple) else custom
                remote_field = _custom_field(custom) if isinstance(custom, dict) else None
                if remote_field is not None and remote_field.name not in {c.name for c in customs}:
                    customs.append(remote_field)
    return RemoteService(
        remote_id=str(remote_id),
        name=_plain(upper.get("SERVICENAME") or upper.get("NAME") or remote_id),
        price=price if price is not None else Decimal("0"),
        group=_plain(group),
        delivery_time=_plain(upper.get("TIME") or ""),
        required_fields=tuple(dhru + [c.name for c in customs if c.required]),
        dhru_fields=tuple(dhru),
        custom_fields=tuple(customs),
        quantity=_quantity(upper),
        service_type=service_type,
    )
