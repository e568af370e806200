"""The DHRU Fusion protocol on the wire: reading ``parameters`` and writing replies.

Requests are form POSTs to ``/api/index.php`` with ``username``, ``apiaccesskey``, ``action``,
``requestformat=JSON`` and ``parameters``. ``parameters`` comes in the variants clients send:

- XML, as DHRU's own PHP client writes it: ``<PARAMETERS><ID>12</ID><IMEI>…</IMEI></PARAMETERS>``
  (tag names in any case; a ``<?xml …?>`` header is fine; DTDs and entities are refused);
- base64 of JSON: ``{"ID": "12", "IMEI": "…"}``; also plain JSON, and base64 of the XML form.

Field names are read in any case. ``customfield`` inside it (lower case as DHRU's v6.1 standard
and its own supplier module write it; ``CUSTOMFIELD`` as the XML kit does) is base64 of a JSON
object of custom field values; base64 of ``null`` or ``[]`` (what PHP's ``json_encode`` makes of
no fields) is no fields.

The bulk actions take a map (or a list) of requests keyed by the client's own ids, e.g. base64 of
``{"a1": {"ID": "12", "IMEI": "…"}, "a2": {…}}``; in XML, one child element per request, keyed by
its ``id`` attribute or else its tag: ``<PARAMETERS><R1><ID>12</ID>…</R1></PARAMETERS>``. The
reply is keyed the same way, each value a complete ``{"SUCCESS": […]}`` or ``{"ERROR": […]}``,
with ``apiversion`` beside them, as the v6.1 standard answers.

Every reply, errors included, is HTTP 200 (DHRU clients expect it), except the ``ERROR`` of a
request over the rate limit (429 with ``Retry-After``, ``api/limits.py``); each is JSON with
``apiversion``, and carries the standard's ``X-Powered-By: DHRU-FUSION`` and ``dhru-fusion-api-version`` headers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from xml.etree import ElementTree

from django.http import JsonResponse

from storefronts.exceptions import UserError

API_VERSION = "6.1"
MAX_PARAMETERS_BYTES = 512 * 1024
MAX_BULK = 500
_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class DhruError(UserError):
    """A request the reseller API cannot serve; the message goes back in ``{"ERROR": …}`` (DHRU)
    or ``{"error": …}`` with ``status`` (the JSON API)."""

    status = 400
    code = "bad_request"


class NotFound(DhruError):
    """No such service or order for this customer (another customer's is not found either)."""

    status = 404
    code = "not_found"


# --- replies -----------------------------------------------------------------------------------


def error_body(message: str, **extra) -> dict:
    return {"ERROR": [{"MESSAGE": message, **extra}], "apiversion": API_VERSION}


def success_body(*items: dict) -> dict:
    return {"SUCCESS": list(items), "apiversion": API_VERSION}


def item_error(message: str) -> dict:
    """One request's error inside a bulk reply."""
    return {"ERROR": [{"MESSAGE": message}]}


def item_success(item: dict) -> dict:
    return {"SUCCESS": [item]}


def bulk_body(items: dict[str, dict]) -> dict:
    """A bulk reply: each request's own reply under its key, and ``apiversion`` beside them."""
    return {**{k: v for k, v in items.items() if k != "apiversion"}, "apiversion": API_VERSION}


def reply(body: dict, *, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["X-Powered-By"] = "DHRU-FUSION"
    response["dhru-fusion-api-version"] = API_VERSION
    return response


# --- parameters --------------------------------------------------------------------------------


def text_checked(value: str) -> str:
    """``value``, unless it holds a NUL: no field of an order can, and PostgreSQL refuses one in
    any text it is asked to store or compare."""
    if "\x00" in value:
        raise DhruError("Invalid request: NUL characters are not allowed.")
    return value


def _b64decode(text: str) -> bytes:
    compact = re.sub(r"\s+", "", text)
    compact += "=" * (-len(compact) % 4)
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact)
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DhruError("Invalid parameters: neither XML nor base64-encoded JSON.") from exc


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DhruError("Invalid parameters: not UTF-8 text.") from exc


def _xml_value(element, depth: int = 0) -> str | dict:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if depth >= 3:  # PARAMETERS > request > field is as deep as the protocol goes
        raise DhruError("Invalid parameters: XML nested too deeply.")
    out: dict = {}
    for child in children:
        key = child.attrib.get("id") or child.attrib.get("key") or child.tag
        out[str(key)] = _xml_value(child, depth + 1)
    return out


def _parse_xml(text: str) -> dict:
    if _DTD.search(text):
        raise DhruError("Invalid parameters: XML with a DTD or entities is not accepted.")
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, RecursionError) as exc:
        raise DhruError(f"Invalid parameters: malformed XML ({exc}).") from exc
    value = _xml_value(root)
    return value if isinstance(value, dict) else {}


def _parse_json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DhruError("Invalid parameters: malformed JSON.") from exc


def parameters_parse(raw: str | None, *, bulk: bool = False):
    """The request's parameters: a dict (one request) or, for bulk, a dict of dicts keyed by the
    client's ids. Empty parameters are an empty dict."""
    text = text_checked((raw or "").strip())
    if not text:
        return {}
    if len(text) > MAX_PARAMETERS_BYTES:
        raise DhruError("Invalid parameters: too large.")
    if text.startswith("<"):
        data = _parse_xml(text)
    elif text[0] in "{[":
        data = _parse_json(text)
    else:
        decoded = text_checked(_decode_text(_b64decode(text)).strip())
        data = _parse_xml(decoded) if decoded.startswith("<") else _parse_json(decoded)
    if bulk:
        return _bulk_shape(data)
    if not isinstance(data, dict):
        raise DhruError("Invalid parameters: expected an object of fields.")
    return fields_normalise(data)


def _bulk_shape(data) -> dict[str, dict]:
    if isinstance(data, list):
        data = {str(i): v for i, v in enumerate(data)}
    if not isinstance(data, dict):
        raise DhruError("Invalid parameters: expected a map of requests keyed by your ids.")
    if len(data) > MAX_BULK:
        raise DhruError(f"Up to {MAX_BULK} requests at once; this has {len(data)}.")
    out: dict[str, dict] = {}
    for key, value in data.items():
        out[str(key)[:100]] = fields_normalise(value) if isinstance(value, dict) else {}
    return out


def fields_normalise(data: dict) -> dict:
    """Upper-case the field names (clients send ``imei`` or ``IMEI``); values become strings,
    except ``CUSTOMFIELD``, which is decoded into a dict."""
    out: dict = {}
    for key, value in data.items():
        name = text_checked(str(key).strip().upper())
        if name == "CUSTOMFIELD":
            out[name] = custom_fields_parse(value)
        elif isinstance(value, (dict, list)):
            continue  # nested values are not fields of one order
        elif value is None:
            out[name] = ""
        else:
            out[name] = text_checked(str(value).strip())
    return out


def custom_fields_parse(value) -> dict[str, str]:
    """``customfield``: base64 of a JSON object (or, leniently, the object itself). PHP clients
    send base64 of ``null`` or ``[]`` for an order without custom fields."""
    if isinstance(value, dict):
        data = value
    else:
        text = str(value or "").strip()
        if not text:
            return {}
        if not text.startswith(("{", "[")) and text != "null":
            text = _decode_text(_b64decode(text))
        data = _parse_json(text_checked(text))
    if data is None or data == []:
        return {}
    if not isinstance(data, dict):
        raise DhruError("Invalid CUSTOMFIELD: expected base64 of a JSON object.")
    return {
        text_checked(str(k).strip()): "" if v is None else text_checked(str(v).strip())
        for k, v in data.items()
    }
