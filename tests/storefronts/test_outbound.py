"""The outbound request policy that supplier calls and webhooks share: resolve once, refuse
internal addresses in every form, connect to the checked address with the original Host and TLS
name. Nothing here sends traffic anywhere but 127.0.0.1: other addresses come from a patched
resolver and connections to them are intercepted before a socket opens."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from urllib3.util import connection as urllib3_connection

from storefronts.outbound import (
    OutboundMalformed,
    OutboundRefused,
    OutboundUnresolved,
    address_refusal,
    outbound_failure,
    outbound_post,
    outbound_url_check,
    outbound_url_parse,
)
from tests import clock

PUBLIC = "93.184.215.14"


class Server:
    """A local HTTP(S) server on 127.0.0.1 that records each request's Host, path and SNI."""

    def __init__(self, status: int = 200, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(
                    {"host": self.headers["Host"], "path": self.path, "body": body}
                )
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    local = Server()
    yield local
    local.close()


class Resolver:
    """socket.getaddrinfo answering from a table (a list of answers is one per call, the last
    repeating); the real resolver for anything else (IP literals)."""

    def __init__(self, monkeypatch, table: dict[str, str | list]):
        self.table = table
        self.asked: list[str] = []
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.table:
            return self.real(host, port, *args, **kwargs)
        self.asked.append(host)
        answer = self.table[host]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        addresses = answer.split(",")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port or 0) if ":" not in a else (a, port or 0, 0, 0),
            )
            for a in addresses
        ]


@pytest.fixture
def connections(monkeypatch):
    """Every connection urllib3 opens, intercepted: (address, port) recorded, then refused."""
    made: list[tuple] = []

    def intercept(address, *args, **kwargs):
        made.append(address)
        raise ConnectionRefusedError(111, "Connection refused (intercepted by the test)")

    monkeypatch.setattr("urllib3.util.connection.create_connection", intercept)
    return made


# --- the policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",  # shared (carrier-grade NAT)
        "169.254.169.254",  # link-local: cloud metadata
        "fe80::1%eth0",
        "fc00::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "198.18.0.1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_internal_addresses_in_every_form_are_refused(address):
    assert address_refusal(address, allow_loopback=False) is not None


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address):
    assert address_refusal(address, allow_loopback=False) is None


def test_loopback_only_where_allowed():
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"):
        assert address_refusal(address, allow_loopback=True) is None
    for address in ("10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1"):
        assert address_refusal(address, allow_loopback=True) is not None


def test_production_never_allows_loopback(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.PRODUCTION = True
    assert address_refusal("127.0.0.1") is not None
    with pytest.raises(OutboundRefused):
        outbound_url_check("http://127.0.0.1:8000/")


# --- resolving once and connecting to the checked address ------------------------------------


@pytest.mark.parametrize(
    "answer", ["127.0.0.1", "10.1.2.3", "::ffff:127.0.0.1", "64:ff9b::7f00:1", f"{PUBLIC},10.0.0.9"]
)
def test_a_name_resolving_to_an_internal_address_is_refused_before_connecting(
    monkeypatch, settings, connections, answer
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    Resolver(monkeypatch, {"hooks.example.com": answer})
    with pytest.raises(OutboundRefused) as caught:
        outbound_post("https://hooks.example.com/unlock", data=b"{}", timeout=2)
    assert connections == []  # nothing was even connected
    assert outbound_failure(caught.value) == "address not allowed"
    with pytest.raises(OutboundRefused):
        outbound_url_check("https://hooks.example.com/unlock")


def test_dns_rebinding_cannot_move_the_connection_inside(monkeypatch, settings, connections):
    """The resolver answers a public address first and a private one afterwards: the connection
    goes to the public address that was checked, and the name is resolved only once."""
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    resolver = Resolver(monkeypatch, {"rebind.example.com": [PUBLIC, "10.0.0.1"]})
    with pytest.raises(requests.ConnectionError) as caught:
        outbound_post("http://rebind.example.com:8080/hook", data=b"{}", timeout=2)
    assert connections == [(PUBLIC, 8080)]
    assert resolver.asked == ["rebind.example.com"]
    assert outbound_failure(caught.value) == "connection refused"

    connections.clear()
    with pytest.raises(OutboundRefused):
        outbound_post("https://rebind.example.com/hook", data=b"{}", timeout=2)
    assert connections == []  # the next request resolves again, and is refused: 10.0.0.1


def test_the_checked_address_receives_the_original_host_header(monkeypatch, server):
    Resolver(monkeypatch, {"shop.example.test": "127.0.0.1"})
    response = outbound_post(
        f"http://shop.example.test:{server.port}/hooks/unlock?x=1", data=b"hello", timeout=5
    )
    assert response.status_code == 200
    assert server.requests == [
        {"host": f"shop.example.test:{server.port}", "path": "/hooks/unlock?x=1", "body": b"hello"}
    ]
    # A site reached by address and named by host (the demo chain's doctorsim.localhost).
    outbound_post(
        f"http://127.0.0.1:{server.port}/api/index.php",
        data=b"",
        timeout=5,
        host_header="doctorsim.localhost",
    )
    assert server.requests[-1]["host"] == "doctorsim.localhost"
    outbound_post(f"http://shop.localhost:{server.port}/", data=b"", timeout=5)
    assert server.requests[-1]["host"] == f"shop.localhost:{server.port}"


def test_loopback_is_refused_where_not_allowed(monkeypatch, server, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    Resolver(monkeypatch, {"shop.example.test": "127.0.0.1"})
    for url in (
        f"http://shop.example.test:{server.port}/",
        f"http://127.0.0.1:{server.port}/",
        f"http://[::ffff:127.0.0.1]:{server.port}/",
        f"http://shop.localhost:{server.port}/",
    ):
        with pytest.raises(OutboundRefused):
            outbound_post(url, data=b"", timeout=5)
    assert server.requests == []


def test_no_proxy_from_the_environment_and_no_redirect_followed(monkeypatch):
    redirecting = Server(status=302)
    try:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
        response = outbound_post(f"http://127.0.0.1:{redirecting.port}/", data=b"", timeout=5)
        assert response.status_code == 302 and len(redirecting.requests) == 1
    finally:
        redirecting.close()


def test_a_name_that_does_not_resolve(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(OutboundUnresolved) as caught:
        outbound_post("https://nowhere.example.com/", data=b"", timeout=2)
    assert outbound_failure(caught.value) == "host name does not resolve"
    outbound_url_check("https://nowhere.example.com/")  # may resolve later: checked when sent


def test_a_closed_port_is_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(requests.ConnectionError) as caught:
        outbound_post(f"http://127.0.0.1:{port}/", data=b"", timeout=2)
    assert outbound_failure(caught.value) == "connection refused"


# --- TLS: the original name for SNI and the certificate check --------------------------------


def certificate(tmp_path, name: str) -> tuple[ssl.SSLContext, str]:
    """A self-signed certificate for ``name``: the server's TLS context and the CA file path."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = clock.machine_now()  # OpenSSL checks the dates by it, also when the tests travel
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


@pytest.mark.dates  # a certificate's dates
def test_tls_uses_the_original_name_for_sni_and_the_certificate(tmp_path, monkeypatch):
    context, ca_file = certificate(tmp_path, "supplier.example.test")
    tls = Server(tls=context)
    try:
        Resolver(
            monkeypatch, {"supplier.example.test": "127.0.0.1", "other.example.test": "127.0.0.1"}
        )
        response = outbound_post(
            f"https://supplier.example.test:{tls.port}/api/index.php",
            data=b"action=accountinfo",
            timeout=5,
            verify=ca_file,
        )
        assert response.status_code == 200
        assert tls.sni == ["supplier.example.test"]
        assert tls.requests[-1]["host"] == f"supplier.example.test:{tls.port}"

        # The same address under a name the certificate does not carry: refused by TLS.
        with pytest.raises(requests.exceptions.SSLError) as caught:
            outbound_post(
                f"https://other.example.test:{tls.port}/", data=b"", timeout=5, verify=ca_file
            )
        assert outbound_failure(caught.value) == "TLS error"
        assert len(tls.requests) == 1
    finally:
        tls.close()


# --- one reading of the URL: the check's parser and the connector's agree (issue 29, item 1) ---


@pytest.fixture
def loopback_only(monkeypatch):
    """Connections urllib3 opens: 127.0.0.1 goes through (the listener), anything else is
    recorded and refused before a socket opens, so no test sends traffic off this machine."""
    real = urllib3_connection.create_connection
    elsewhere: list[tuple] = []

    def guard(address, *args, **kwargs):
        if address[0] != "127.0.0.1":
            elsewhere.append(address)
            raise ConnectionRefusedError(111, "Connection refused (intercepted by the test)")
        return real(address, *args, **kwargs)

    monkeypatch.setattr("urllib3.util.connection.create_connection", guard)
    return elsewhere


def differential_urls(port: int) -> list[str]:
    """URLs that Python's urlsplit reads as a public host while urllib3 (or a browser) reads
    the loopback listener, or that carry a user name and password to the checked host."""
    return [
        f"http://127.0.0.1:{port}\\@{PUBLIC}/",  # the probe's URL: backslash ends urllib3's host
        f"http://127.0.0.1:{port}\\@{PUBLIC}:80/hook",
        f"http://127.0.0.1:{port}\\\\@{PUBLIC}/",
        f"http://127.0.0.1:{port}\\x@{PUBLIC}/",
        f"http://{PUBLIC}:80\\@127.0.0.1:{port}/",
        f"http://user:pass@{PUBLIC}/",  # userinfo, even to a public host
        f"http://{PUBLIC}@127.0.0.1:{port}/",
        f"http://127.0.0.1:{port}%5C@{PUBLIC}/",
        f"http://127.0.0.1:{port}\t@{PUBLIC}/",
        f"http://127.0.0.1:{port} @{PUBLIC}/",
        f"http://{PUBLIC}/\\@127.0.0.1:{port}/",
    ]


@pytest.mark.parametrize("index", range(11))
def test_a_url_read_two_ways_never_reaches_the_loopback_listener(
    index, server, settings, loopback_only
):
    """The probe's attack: ``http://127.0.0.1:8299\\@8.8.8.8/`` passed the check (urlsplit sees
    8.8.8.8 after the ``@``) while requests connected to 127.0.0.1. Now refused before any
    look-up or connection, by the real HTTP client against a real loopback listener."""
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    url = differential_urls(server.port)[index]
    with pytest.raises(OutboundMalformed) as caught:
        outbound_post(url, data=b"secret=1", timeout=3)
    assert outbound_failure(caught.value) == "URL not allowed"
    with pytest.raises(OutboundRefused):
        outbound_url_check(url)  # refused where a URL is saved, too
    assert server.requests == [] and loopback_only == []


def test_plain_urls_still_parse_alike(monkeypatch, server):
    """The agreement check lets every ordinary URL through: IPv6, a final dot, upper case,
    international names, a default port, a query."""
    assert outbound_url_parse("HTTPS://Supplier.Example.com./api/") == (
        "https",
        "supplier.example.com",
        443,
    )
    assert outbound_url_parse("http://[2606:4700::1111]:8080/x?y=1") == (
        "http",
        "2606:4700::1111",
        8080,
    )
    assert outbound_url_parse("https://bücher.example/") == ("https", "xn--bcher-kva.example", 443)
    Resolver(monkeypatch, {"shop.example.test": "127.0.0.1"})
    response = outbound_post(f"http://shop.example.test:{server.port}/a?b=c", data=b"", timeout=5)
    assert response.status_code == 200 and server.requests[-1]["path"] == "/a?b=c"


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8:99999/", "http://[::1/", "http://8.8.8.8:8o/", "http://%31.0.0.1/"]
)
def test_an_unreadable_address_is_refused(url):
    with pytest.raises(OutboundMalformed):
        outbound_url_parse(url)
