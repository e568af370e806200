"""Local DHRU servers that behave like the published ones, for the client's fidelity tests.

``StandardServer`` does what DHRU's "Fusion API standards" v6.1 ``api/index.php`` does with a
request (the reference server suppliers build on):

- every POST value goes through ``filter_var(..., FILTER_SANITIZE_STRING)`` (tags stripped);
- ``parameters`` is read only as ``json_decode(base64_decode($parameters), true)``: XML decodes to
  nothing, so such an order arrives without an ID or any field;
- PHP array keys are case-sensitive: it reads ``$parameters['ID']`` and the lower-case
  ``$parameters['customfield']`` (base64 JSON), nothing else of the order;
- ``accountinfo`` answers ``AccoutInfo`` (sic) and every reply carries ``apiversion`` "6.1";
- the bulk actions iterate ``foreach ($parameters as $bulkReqId => ...)`` and answer each request
  under its own key, with ``apiversion`` beside them;
- ``imeiservicelist`` lists the standard's sample service: every ``Requires.*`` flag set,
  ``Requires.Custom`` with a text and a dropdown field, ``QNT`` with ``QNTOPTIONS``.

What the server read of each order (its ``ID`` as PHP's ``(int)`` makes it, the decoded
``customfield``, and the whole decoded ``parameters``) is kept in ``orders``.

``XmlServer`` is an older server that reads only XML ``<PARAMETERS>``, with tag names folded to
upper case as PHP's XML parser does (``xml_parse_into_struct``), ``CUSTOMFIELD`` base64 JSON.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

API_VERSION = "6.1"

# The sample service of the standard's imeiservicelist, as its index.php builds it.
STANDARD_SERVICE = {
    "SERVICEID": 1,
    "SERVICETYPE": "IMEI",
    "SERVICENAME": "Service Name",
    "CREDIT": 1,
    "INFO": "Service Information ",
    "TIME": "1-2 Minutes",
    "QNT": 1,
    "QNTOPTIONS": "10,20,50",
    "MINQNT": "",
    "MAXQNT": "",
    "Requires.Network": "Required",
    "Requires.Mobile": "Required",
    "Requires.Provider": "Required",
    "Requires.PIN": "Required",
    "Requires.KBH": "Required",
    "Requires.MEP": "Required",
    "Requires.PRD": "Required",
    "Requires.Type": "Required",
    "Requires.Reference": "Required",
    "Requires.Locks": "Required",
    "Requires.SN": "Required",
    "Requires.SecRO": "Required",
    "Requires.Custom": [
        {
            "type": "serviceimei",
            "fieldname": "USERNAME",
            "fieldtype": "text",
            "description": "",
            "fieldoptions": "",
            "required": 1,
        },
        {
            "type": "serviceimei",
            "fieldname": "USERTYPE",
            "fieldtype": "dropdown",
            "description": "",
            "fieldoptions": "New,Existing",
            "required": 1,
        },
    ],
}


def sanitize_string(value: str) -> str:
    """PHP's FILTER_SANITIZE_STRING: tags stripped, quotes encoded."""
    value = re.sub(r"<[^>]*>?", "", value)
    return value.replace('"', "&#34;").replace("'", "&#39;")


def php_base64_json(value) -> object:
    """``json_decode(base64_decode($value), true)``: characters outside the base64 alphabet are
    skipped; anything that is not JSON afterwards is null."""
    text = re.sub(r"[^A-Za-z0-9+/]", "", str(value or ""))
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text)
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        return None


def php_int(value) -> int:
    match = re.match(r"\s*([+-]?\d+)", str(value if value is not None else ""))
    return int(match.group(1)) if match else 0


class _Server:
    """The HTTP side shared by both servers: a POST in, a JSON reply out, everything recorded."""

    def __init__(self):
        self.requests: list[dict] = []  # the POST form, after the server's own filtering
        self.headers: list[dict] = []  # the HTTP headers of each request
        self.orders: list[dict] = []  # what the server read of each placed order
        self.statuses: dict[int, tuple[int, str]] = {}  # order id → (STATUS, CODE)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with server.lock:
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    body = json.dumps(server.answer(form))
                data = body.encode()
                self.send_response(200)
                self.send_header("X-Powered-By", "DHRU-FUSION")
                self.send_header("dhru-fusion-api-version", API_VERSION)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- the protocol --------------------------------------------------------------------------

    def decode(self, raw) -> object:
        raise NotImplementedError

    def custom(self, params: dict) -> object:
        raise NotImplementedError

    def answer(self, form: dict) -> dict:
        self.requests.append(form)
        params = self.decode(form.get("parameters")) if form.get("parameters") else None
        action = form.get("action")
        if action == "accountinfo":
            info = {"credit": 1000, "mail": "fusionapistandards@dhrusoft.com", "currency": "USD"}
            results = {"SUCCESS": [{"message": "Your Accout Info", "AccoutInfo": info}]}
        elif action == "imeiservicelist":
            group = {"GROUPNAME": "Service Group", "GROUPTYPE": "IMEI"}
            group["SERVICES"] = {"1": copy.deepcopy(STANDARD_SERVICE)}
            results = {
                "SUCCESS": [{"MESSAGE": "IMEI Service List", "LIST": {"Service Group": group}}]
            }
        elif action == "placeimeiorder":
            results = {"SUCCESS": [self.place(params if isinstance(params, dict) else {})]}
        elif action == "placeimeiorderbulk":
            results = {
                str(key): {"SUCCESS": [self.place(order if isinstance(order, dict) else {})]}
                for key, order in (params or {}).items()
            }
        elif action == "getimeiorder":
            results = {"SUCCESS": [self.status((params or {}).get("ID"))]}
        elif action == "getimeiorderbulk":
            results = {
                str(key): {"SUCCESS": [self.status((order or {}).get("ID"))]}
                for key, order in (params or {}).items()
            }
        else:
            results = {"ERROR": [{"MESSAGE": "Invalid Action"}]}
        results["apiversion"] = API_VERSION
        return results

    def place(self, params: dict) -> dict:
        reference_id = 2323 + len(self.orders)
        self.orders.append(
            {
                "ID": php_int(params.get("ID")),
                "customfield": self.custom(params),
                "parameters": params,
                "REFERENCEID": reference_id,
            }
        )
        self.statuses.setdefault(reference_id, (1, ""))
        return {"MESSAGE": "Order received", "REFERENCEID": reference_id}

    def status(self, order_id) -> dict:
        status, code = self.statuses.get(php_int(order_id), (3, "Invalid Order ID"))
        return {"STATUS": status, "CODE": code}


class StandardServer(_Server):
    """DHRU's v6.1 standard ``api/index.php``: base64 JSON and lower-case ``customfield`` only."""

    def answer(self, form: dict) -> dict:
        return super().answer({k: sanitize_string(v) for k, v in form.items()})

    def decode(self, raw) -> object:
        return php_base64_json(raw)

    def custom(self, params: dict) -> object:
        return php_base64_json(params.get("customfield")) if "customfield" in params else None


class XmlServer(_Server):
    """An older server: XML ``<PARAMETERS>`` only, tag names folded to upper case."""

    def decode(self, raw) -> object:
        text = str(raw or "").strip()
        if not text.startswith("<"):
            return None
        root = ET.fromstring(text)
        return {child.tag.upper(): (child.text or "") for child in root}

    def custom(self, params: dict) -> object:
        return php_base64_json(params["CUSTOMFIELD"]) if "CUSTOMFIELD" in params else None
