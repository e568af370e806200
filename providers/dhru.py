"""A client for the DHRU Fusion API, the field's common protocol between unlock sites.

Wire format
-----------
Every call is a form POST to ``<base_url>/api/index.php`` (a base URL that already ends with
``index.php`` is used as it is; one ending with ``/api`` gets ``/index.php``) with ``username``,
``apiaccesskey``, ``action``, ``requestformat=JSON`` and, where the action has any, ``parameters``:

- connection encoding ``xml``: ``<PARAMETERS><ID>…</ID><IMEI>…</IMEI>…</PARAMETERS>``;
- connection encoding ``base64_json``: base64 of ``{"ID": …, "IMEI": …, …}``.

Order fields that are DHRU field names (``catalog.models.DHRU_FIELDS``: IMEI, SN, MODEL, NETWORK,
PROVIDER, MEP, PIN, KBH, PRD) are parameters of their own; every other field goes in one
``CUSTOMFIELD`` parameter, base64 of a JSON object. Our reference for the attempt goes as
``REFERENCE`` (an extension our own server honours for idempotency and ``lookup``; other servers
ignore it). The bulk actions (``placeimeiorderbulk``, ``getimeiorderbulk``) always send base64 of
JSON keyed by a request id (``{"1": {...}, "2": {...}}``) whatever the connection's encoding, as
DHRU's own client does, and read the reply keyed by the same ids.

Every request has the connection's timeout; redirects are not followed (a POST turned into a GET
would lose the form) and nothing is retried here: retrying is the dispatcher's decision.

Replies read
------------
``{"SUCCESS": [...]}`` or ``{"ERROR": [{"MESSAGE": ...}]}`` (keys in any case; ``MESSAGE`` or
``message``, with ``FULL_DESCRIPTION`` appended when present); PHP notices printed before the JSON
are skipped; account info as ``AccountInfo`` or ``AccoutInfo`` with ``creditraw`` preferred over
``credit`` (``"$16.41"``, ``"1,016.41 USD"``); the service list as ``LIST`` → groups → ``SERVICES``
keyed by id (dicts or lists at either level; ``SERVICEID``, ``SERVICENAME``, ``CREDIT``, ``TIME``,
``Requires.*`` flags or ``requires_*``/``custom`` fields); placement ``REFERENCEID``; order
``STATUS`` 0/1/2 (pending), 3 (rejected: ``COMMENTS``, else ``CODE``, is the reason), 4 (success
with ``CODE``), or the same as words. A phone-check result in ``CODE`` (``Blacklist Status: Clean<br>
Carrier: …`` lines, or a JSON object) is also returned as a structured result (DS-3).

How failures are classified
---------------------------
=================================================  ==========================================
what happened                                      outcome
=================================================  ==========================================
read timeout (request sent, no answer in time)     ``ProviderTimeout`` — outcome unknown
connection dropped after the request was sent      ``ProviderTimeout`` — outcome unknown
connect timeout, connection refused, DNS, TLS      ``ProviderFault`` — nothing was sent
HTTP 3xx/4xx/5xx                                   ``ProviderFault`` (status + first bytes)
HTML, empty or malformed JSON body                 ``ProviderFault`` (first bytes)
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
``ERROR`` to a lookup by REFERENCE                 ``None`` (this server does not have it, or
                                                     does not know REFERENCE)
=================================================  ==========================================

``lookup`` cannot tell "no such order" from "REFERENCE not understood", so ``supports_lookup`` is
False: after a timeout an order that is not found stays for a person to check, never resent.
"""

from __future__ import annotations

import base64
import html
import json
import re
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

import requests
from urllib3.exceptions import NewConnectionError

from catalog.models import DHRU_FIELDS

from .base import (
    AccountInfo,
    Completed,
    OrderRequest,
    Pending,
    Provider,
    ProviderFault,
    ProviderTimeout,
    Rejected,
    RemoteService,
    Submitted,
)

USER_AGENT = "unlock-storefront DHRU client/1.0"
SNIPPET = 120

# ERROR messages that are about our account or the supplier, not about the order: fail over.
FAULT_MESSAGES = re.compile(
    r"auth|api\s*(access\s*)?key|apikey|username|password|login|not\s+authori[sz]ed|"
    r"access\s+denied|\bip\b|suspend|"
    r"credit|balance|insufficient|not\s+enough|fund|"
    r"service\s*(id\s*)?(is\s+)?(not\s+(active|available|found|exist)|inactive|disabled|invalid|unknown)|"
    r"(invalid|unknown|wrong)\s+service|no\s+such\s+service|"
    r"(invalid|unknown)\s+(action|request\s*format|parameters\s+format)|"
    r"maintenance|too\s+many|rate\s+limit|try\s+again\s+later|temporar",
    re.IGNORECASE,
)

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

# ``Requires.<X>`` flags of the service list → DHRU field names.
REQUIRES_FIELDS = {
    "network": "NETWORK",
    "mobile": "MODEL",
    "model": "MODEL",
    "provider": "PROVIDER",
    "pin": "PIN",
    "kbh": "KBH",
    "mep": "MEP",
    "prd": "PRD",
    "sn": "SN",
    "serial": "SN",
    "imei": "IMEI",
}
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


def endpoint_for(base_url: str) -> str:
    url = (base_url or "").strip()
    if not url:
        raise ProviderFault("The connection has no base URL.")
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
        parameter_encoding: str = "xml",
        timeout: float = 20,
        session: requests.Session | None = None,
        host_header: str = "",
    ):
        self.url = endpoint_for(base_url)
        self.host_header = host_header
        self.username = username
        self.api_key = api_key
        self.parameter_encoding = parameter_encoding
        self.timeout = timeout
        self.session = session or requests.Session()

    @classmethod
    def from_connection(cls, connection) -> DhruClient:
        return cls(
            base_url=connection.base_url,
            username=connection.username,
            api_key=connection.api_key,
            parameter_encoding=connection.parameter_encoding,
            timeout=connection.timeout_seconds,
            host_header=connection.host_header,
        )

    # --- the wire ----------------------------------------------------------------------------

    def encode(self, params: dict, *, bulk: bool = False) -> str:
        if bulk or self.parameter_encoding == "base64_json":
            return b64json(params)
        return xml_parameters(params)

    def _headers(self) -> dict:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.host_header:
            headers["Host"] = self.host_header  # a supplier reached by address, named by host
        return headers

    def call(self, action: str, params: dict | None = None, *, bulk: bool = False) -> dict:
        """POST one action; the decoded reply object. Raises ProviderTimeout, ProviderFault,
        or DhruError for an ERROR reply."""
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
            response = self.session.post(
                self.url,
                data=data,
                timeout=(self.timeout, self.timeout),
                allow_redirects=False,
                headers=self._headers(),
            )
        except requests.ConnectTimeout as exc:
            raise ProviderFault(
                f"{where}: could not connect within {self.timeout}s (nothing was sent)"
            ) from exc
        except requests.Timeout as exc:
            raise ProviderTimeout(f"{where}: no answer within {self.timeout}s") from exc
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.exceptions.SSLError) or _never_connected(exc):
                raise ProviderFault(f"{where}: could not connect ({_reason(exc)})") from exc
            raise ProviderTimeout(
                f"{where}: the connection dropped before an answer ({_reason(exc)})"
            ) from exc
        except requests.RequestException as exc:
            raise ProviderFault(f"{where}: {_reason(exc)}") from exc
        return self._decode(response, where, action)

    def _decode(self, response: requests.Response, where: str, action: str) -> dict:
        text = response.content.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        status = response.status_code
        if 300 <= status < 400:
            raise ProviderFault(
                f"{where}: HTTP {status} redirect to {response.headers.get('Location', '?')} "
                "(fix the base URL)"
            )
        if status >= 400:
            raise ProviderFault(f"{where}: HTTP {status}: {_snippet(text) or '(empty body)'}")
        if not text:
            raise ProviderFault(f"{where}: HTTP {status} with an empty body")
        reply = _json_object(text)
        if reply is None:
            kind = "HTML" if text.startswith("<") else "malformed JSON"
            raise ProviderFault(f"{where}: {kind} instead of a DHRU reply: {_snippet(text)}")
        upper = _upper_keys(reply)
        if "ERROR" in upper and "SUCCESS" not in upper:
            raise DhruError(_message(upper["ERROR"]), action)
        return reply

    # --- the interface -----------------------------------------------------------------------

    def order_parameters(self, request: OrderRequest) -> dict:
        params: dict = {"ID": request.remote_service_id}
        if request.imei:
            params["IMEI"] = request.imei
        custom: dict = {}
        for name, value in (request.fields or {}).items():
            key = str(name).upper()
            if key in DHRU_FIELDS:
                if key == "IMEI" and "IMEI" in params:
                    continue
                params[key] = value
            else:
                custom[name] = value
        if custom:
            params["CUSTOMFIELD"] = b64json(custom)
        if request.reference:
            params["REFERENCE"] = request.reference
        return params

    def place(self, request: OrderRequest) -> Submitted | Rejected:
        try:
            reply = self.call("placeimeiorder", self.order_parameters(request))
        except DhruError as exc:
            return _placement_error(exc)
        return _placement(reply, "placeimeiorder")

    def place_bulk(self, requests_: list[OrderRequest]) -> dict[str, Submitted | Rejected]:
        if not requests_:
            return {}
        keys = {str(i): r for i, r in enumerate(requests_, start=1)}
        try:
            reply = self.call(
                "placeimeiorderbulk",
                {k: self.order_parameters(r) for k, r in keys.items()},
                bulk=True,
            )
        except DhruError as exc:
            raise ProviderFault(f"placeimeiorderbulk: {exc.message}") from exc
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
            raise ProviderFault(f"getimeiorder {ref}: {exc.message}") from exc
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
            raise ProviderFault(f"getimeiorderbulk: {exc.message}") from exc
        items = _keyed(reply)
        answers = {}
        for key, ref in keys.items():
            item = items.get(key)
            if not isinstance(item, dict):
                raise ProviderFault(f"getimeiorderbulk: no answer for order {ref}")
            upper = _upper_keys(item)
            if "ERROR" in upper and "SUCCESS" not in upper:
                raise ProviderFault(f"getimeiorderbulk {ref}: {_message(upper['ERROR'])}")
            answers[ref] = _status(item, ref)
        return answers

    def lookup(self, reference: str) -> Submitted | None:
        try:
            reply = self.call("getimeiorder", {"REFERENCE": reference})
        except DhruError as exc:
            if exc.is_fault:
                raise ProviderFault(f"getimeiorder by REFERENCE: {exc.message}") from exc
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
            raise ProviderFault(f"accountinfo: {exc.message}") from exc
        entry = _upper_keys(_first(_upper_keys(reply).get("SUCCESS")))
        info = entry.get("ACCOUNTINFO") or entry.get("ACCOUTINFO")
        if not isinstance(info, dict):
            raise ProviderFault(
                f"accountinfo: no AccountInfo in the reply: {_snippet(json.dumps(reply))}"
            )
        info = {str(k).lower(): v for k, v in info.items()}
        credit, currency = parse_money(info.get("creditraw"))
        shown, shown_currency = parse_money(info.get("credit"))
        if credit is None:
            credit = shown
        if credit is None:
            raise ProviderFault(f"accountinfo: no readable credit in {_snippet(json.dumps(info))}")
        return AccountInfo(
            credit=credit,
            currency=str(info.get("currency") or currency or shown_currency or ""),
            email=str(info.get("mail") or info.get("email") or ""),
        )

    def list_services(self) -> list[RemoteService]:
        try:
            reply = self.call("imeiservicelist")
        except DhruError as exc:
            raise ProviderFault(f"imeiservicelist: {exc.message}") from exc
        entry = _upper_keys(_first(_upper_keys(reply).get("SUCCESS")))
        groups = entry.get("LIST")
        if groups is None:
            raise ProviderFault(
                f"imeiservicelist: no LIST in the reply: {_snippet(json.dumps(reply))}"
            )
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


def _never_connected(exc: BaseException) -> bool:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectionRefusedError):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException) and isinstance(
            reason, NewConnectionError | ConnectionRefusedError
        ):
            return True
        nested = (
            current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        )
        current = nested or current.__cause__ or current.__context__
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    return _snippet(text) or exc.__class__.__name__


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


def _placement_error(exc: DhruError) -> Rejected:
    if exc.is_fault:
        raise ProviderFault(f"{exc.action}: {exc.message}")
    return Rejected(exc.message)


def _placement(reply: dict, action: str) -> Submitted:
    upper = _upper_keys(reply)
    entry = _upper_keys(_first(upper.get("SUCCESS")))
    ref = entry.get("REFERENCEID") or upper.get("REFERENCEID")
    if ref in (None, ""):
        raise ProviderFault(
            f"{action}: SUCCESS without a REFERENCEID: {_snippet(json.dumps(reply))}"
        )
    return Submitted(str(ref))


def _status(reply: dict, ref: str) -> Pending | Completed | Rejected:
    upper = _upper_keys(reply)
    entry = _upper_keys(_first(upper.get("SUCCESS")))
    if not entry:
        raise ProviderFault(
            f"getimeiorder {ref}: no SUCCESS in the reply: {_snippet(json.dumps(reply))}"
        )
    status = str(entry.get("STATUS", "")).strip().lower()
    code = _plain(entry.get("CODE"))
    comments = _plain(entry.get("COMMENTS") or entry.get("COMMENT"))
    if status in PENDING_WORDS:
        return Pending({"0": "new", "1": "in process", "2": "in process"}.get(status, status))
    if status in REJECTED_WORDS:
        return Rejected(comments or code or "Rejected by the supplier.")
    if status in SUCCESS_WORDS:
        raw_code = str(entry.get("CODE") or "")
        return Completed(code=code, result=check_result_from(raw_code))
    raise ProviderFault(f"getimeiorder {ref}: unknown STATUS {entry.get('STATUS')!r}")


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
    return word in {"required", "require", "yes", "true", "1", "mandatory"}


def _remote_service(service: dict, key: str, group: str) -> RemoteService | None:
    upper = _upper_keys(service)
    remote_id = upper.get("SERVICEID") or upper.get("ID") or key
    if remote_id in (None, ""):
        return None
    price, _ = parse_money(upper.get("CREDIT") or upper.get("PRICE"))
    required = ["IMEI"] if str(upper.get("SERVICETYPE", "IMEI")).upper() != "SERVER" else []
    for name, value in service.items():
        flag = re.sub(r"^(requires?[._ ]?)", "", str(name), flags=re.IGNORECASE).lower()
        if flag == str(name).lower():
            continue  # not a Requires.* key
        if flag in REQUIRES_FIELDS and _flag_required(value):
            field = REQUIRES_FIELDS[flag]
            if field not in required:
                required.append(field)
        elif flag == "custom":
            for custom in value if isinstance(value, list) else [value]:
                if isinstance(custom, dict):
                    custom = {str(k).lower(): v for k, v in custom.items()}
                    custom_name = custom.get("fieldname") or custom.get("customname")
                    if custom_name and _flag_required(custom.get("required", "required")):
                        required.append(str(custom_name))
    return RemoteService(
        remote_id=str(remote_id),
        name=_plain(upper.get("SERVICENAME") or upper.get("NAME") or remote_id),
        price=price if price is not None else Decimal("0"),
        group=_plain(group),
        delivery_time=_plain(upper.get("TIME") or ""),
        required_fields=tuple(required),
    )
