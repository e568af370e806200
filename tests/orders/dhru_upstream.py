"""A DHRU Fusion supplier on a local port that keeps its orders, for the dispatch tests.

It speaks enough of the protocol for ``providers.dhru.DhruClient``: ``placeimeiorder`` answers a
REFERENCEID and remembers our key (the ``Idempotency-Key`` header, which the recorded parameters
show under that name); ``getimeiorder`` by ``ID`` answers STATUS 4 with a code; ``getimeiorder``
with only the header answers the order's REFERENCEID, or "not found". Parameters are read as XML
or base64 of JSON. Modes make it misbehave:

* ``ok``: as above;
* ``http500``: every call answers HTTP 500 with an HTML page (a provider fault);
* ``hang``: a placement is recorded (the supplier has the order) and then answered only after
  ``hang_seconds`` (past the client's timeout: the outcome is unknown to us);
* ``hang_unrecorded``: the same, but the supplier never records it (it lost the order).

``hold_first_placement`` records the first placement, sets ``arrived`` and then waits until
``release`` is set (the crash test kills the worker meanwhile).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

KEY = "Idempotency-Key"


def decode_parameters(value: str) -> dict:
    value = (value or "").strip()
    if not value:
        return {}
    if value.startswith("<"):
        return {child.tag.upper(): child.text or "" for child in ET.fromstring(value)}
    return {str(k).upper(): v for k, v in json.loads(base64.b64decode(value)).items()}


def closed_port() -> int:
    """A local port nothing listens on (a connection to it is refused: nothing was sent)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DhruUpstream:
    def __init__(self, *, mode: str = "ok", hang_seconds: float = 3.0):
        self.mode = mode
        self.hang_seconds = hang_seconds
        self.hold_first_placement = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.requests: list[tuple[str, dict]] = []  # (action, parameters), every call
        self.placements: list[dict] = []  # the orders this supplier has
        self.by_reference: dict[str, str] = {}
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = upstream.answer(form, self.headers.get("Idempotency-Key", ""))
                if status is None:
                    return  # gave up on the client
                data = body.encode()
                try:
                    self.send_response(status)
                    ctype = "application/json" if status == 200 else "text/html; charset=UTF-8"
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped waiting (timed out, or its worker was killed)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> DhruUpstream:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what it saw -------------------------------------------------------------------------

    def actions(self, action: str) -> list[dict]:
        with self.lock:
            return [params for name, params in self.requests if name == action]

    @staticmethod
    def code_for(imei: str) -> str:
        return f"UPC-{imei[-8:]}"

    # --- the protocol ------------------------------------------------------------------------

    def answer(self, form: dict, key: str = "") -> tuple[int | None, str]:
        action = form.get("action", "")
        params = decode_parameters(form.get("parameters", ""))
        if key:
            params[KEY] = key
        with self.lock:
            self.requests.append((action, params))
        if self.mode == "http500":
            return 500, "<html><body><h1>500 Internal Server Error</h1></body></html>"
        if action == "placeimeiorder":
            return self.place(params)
        if action == "getimeiorder":
            return 200, json.dumps(self.status(params))
        if action == "accountinfo":
            info = {"credit": "$500.00", "creditraw": "500.00", "mail": "supplier@example.com"}
            return 200, json.dumps({"SUCCESS": [{"AccountInfo": info}]})
        return 200, json.dumps({"ERROR": [{"MESSAGE": "Invalid Action"}]})

    def place(self, params: dict) -> tuple[int | None, str]:
        hang = self.mode in ("hang", "hang_unrecorded")
        with self.lock:
            first = not self.placements
            remote_id = str(9000 + len(self.placements) + 1)
            if self.mode != "hang_unrecorded":
                self.placements.append({**params, "REFERENCEID": remote_id})
                if params.get(KEY):
                    self.by_reference[params[KEY]] = remote_id
        self.arrived.set()
        if self.hold_first_placement and first:
            self.release.wait(timeout=120)
        elif hang:
            self.release.wait(timeout=self.hang_seconds)
        if self.mode == "hang_unrecorded":
            return None, ""
        reply = {"SUCCESS": [{"MESSAGE": "Order received", "REFERENCEID": remote_id}]}
        return 200, json.dumps(reply)

    def status(self, params: dict) -> dict:
        with self.lock:
            if params.get(KEY) and not params.get("ID"):
                remote_id = self.by_reference.get(params[KEY])
                if remote_id is None:
                    return {"ERROR": [{"MESSAGE": "Order not found"}]}
                return {"SUCCESS": [{"REFERENCEID": remote_id, "STATUS": "1"}]}
            order = next(
                (p for p in self.placements if p["REFERENCEID"] == str(params.get("ID"))), None
            )
        if order is None:
            return {"ERROR": [{"MESSAGE": "Order not found"}]}
        return {"SUCCESS": [{"STATUS": "4", "CODE": self.code_for(order.get("IMEI", ""))}]}
