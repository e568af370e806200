"""Outbound HTTP requests to addresses other people choose: supplier APIs and reseller webhooks.

The policy (DESIGN.md, "Secrets"): the host is resolved ONCE; every address it resolves to must
be a public unicast address (not private, loopback, link-local, unspecified, multicast, reserved,
shared or documentation space), judged on the IPv4 address that an IPv4-mapped
(``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``) or NAT64 (``64:ff9b::/96``) address
carries, and on both halves of a 6to4 or Teredo address. Then the request connects to THAT
address, with the original ``Host`` header and the original name for TLS (SNI and the
certificate check), so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot reach the inside. Redirects are never followed, and no proxy, ``.netrc`` or
other environment setting is used.

Loopback is allowed where ``settings.OUTBOUND_ALLOW_LOOPBACK`` is on and not in production (the
demo chain: the retail demo calls the reseller demo on 127.0.0.1). Names under ``.localhost``
are loopback without asking DNS (RFC 6761), as browsers treat them.

``outbound_post`` raises ``OutboundRefused`` or ``OutboundUnresolved`` (nothing was sent), or the
``requests`` exception of a failed connection; ``outbound_failure`` names any of them in a few
fixed words that are safe to show to whoever set the URL, never the remote text.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError, NewConnectionError
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """Nothing was sent. ``category`` is a few fixed words, safe to show."""

    category = "could not connect"


class OutboundRefused(OutboundError):
    category = "address not allowed"


class OutboundUnresolved(OutboundError):
    category = "host name does not resolve"


class OutboundMalformed(OutboundRefused):
    """The URL itself is refused (before any look-up): it is not one plain http(s) address."""

    category = "URL not allowed"


def loopback_allowed() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False)) and not getattr(
        settings, "PRODUCTION", False
    )


def _carried(ip: IP) -> list[IP]:
    """The addresses a packet to ``ip`` really reaches: the IPv4 one inside a mapped, compatible
    or NAT64 address; the address itself and the IPv4 halves of 6to4 and Teredo."""
    if ip.version == 4:
        return [ip]
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (not :: and ::1, judged as IPv6)
        return [low32]
    if ip in NAT64_PREFIX:
        return [low32]
    carried: list[IP] = [ip]
    if ip.sixtofour is not None:
        carried.append(ip.sixtofour)
    if ip.teredo is not None:
        carried.extend(ip.teredo)
    return carried


def address_refusal(address: str, *, allow_loopback: bool | None = None) -> str | None:
    """None when a connection to ``address`` (an IP literal) is allowed; else why not, in a few
    words for logs."""
    allow = loopback_allowed() if allow_loopback is None else allow_loopback
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    for target in _carried(ip):
        if target.is_loopback:
            if not allow:
                return f"{target} is a loopback address"
            continue
        if (
            target.is_unspecified
            or target.is_multicast
            or target.is_link_local
            or target.is_private
            or target.is_reserved
            or not target.is_global
        ):
            return f"{target} is not a public address"
    return None


def _is_loopback_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _ip_literal(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True)
class Target:
    """Where a request goes: the checked address and the names it must carry."""

    scheme: str
    host: str  # the name (or IP literal) in the URL: Host header and TLS name
    port: int
    address: str  # the checked IP address the connection is made to


def _host_normal(host: str) -> str:
    """A host name as both parsers are compared on: no brackets or final dot, lower case, IDNA."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise OutboundMalformed("the host name is not valid") from exc


def _url_parts(url: str):
    """The URL's scheme, host and port, when every reader of it agrees on them.

    ``urllib.parse`` (which the check reads) and urllib3 (which connects) disagree on some URLs:
    ``http://127.0.0.1:8299\\@8.8.8.8/`` is 8.8.8.8 to the first and 127.0.0.1 to the second,
    since a backslash ends the authority for urllib3 and browsers (WHATWG) but not for RFC 3986.
    So a URL with a backslash, white space, a control character, a user name or password, or a
    percent sign in its authority is refused outright, and the host and port urllib3 reads
    must be the ones checked."""
    raw = (url or "").strip()
    if "\\" in raw or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise OutboundMalformed("a backslash, space or control character in the URL")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:  # a port that is not a number, an unbalanced bracket, NFKC tricks
        raise OutboundMalformed("the URL's address cannot be read") from exc
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise OutboundMalformed("only http and https URLs with a host")
    if "@" in parts.netloc or "%" in parts.netloc:
        raise OutboundMalformed("a user name, password or escape in the URL's address")
    port = port or DEFAULT_PORTS[parts.scheme]
    host = _host_normal(parts.hostname)
    try:
        seen = parse_url(raw)  # what requests and urllib3 will connect to
    except LocationParseError as exc:
        raise OutboundMalformed("the URL's address cannot be read") from exc
    if (
        seen.scheme != parts.scheme
        or _host_normal(seen.host or "") != host
        or (seen.port or DEFAULT_PORTS[parts.scheme]) != port
        or seen.auth
    ):
        raise OutboundMalformed("the URL's address is read two ways")
    return parts, host, port


def outbound_url_parse(url: str) -> tuple[str, str, int]:
    """The URL's scheme, host (lower case, IDNA) and port; OutboundMalformed when it is not one
    plain http(s) address that every parser reads alike. Looks nothing up."""
    parts, host, port = _url_parts(url)
    return parts.scheme, host, port


def outbound_resolve(url: str, *, allow_loopback: bool | None = None) -> Target:
    """Resolve the URL's host once and check every address; the first one to connect to.
    Raises OutboundRefused or OutboundUnresolved."""
    parts, host, port = _url_parts(url)
    allow = loopback_allowed() if allow_loopback is None else allow_loopback
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [str(literal)]
    elif _is_loopback_name(host):
        if not allow:
            raise OutboundRefused(f"{host} is a loopback name")
        addresses = ["127.0.0.1"]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise OutboundUnresolved(f"{host} does not resolve") from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise OutboundUnresolved(f"{host} does not resolve")
    for address in addresses:
        refusal = address_refusal(address, allow_loopback=allow)
        if refusal:
            raise OutboundRefused(f"{host}: {refusal}")
    return Target(scheme=parts.scheme, host=host, port=port, address=addresses[0])


def outbound_url_check(url: str, *, resolve: bool = True) -> None:
    """For a URL being saved (a webhook, a supplier's base URL): OutboundRefused when its host is
    an address or a loopback name the policy refuses, or (with ``resolve``) a name resolving to
    one. A name that does not resolve now passes: every connection checks it again."""
    parts, host, _port = _url_parts(url)
    literal = _ip_literal(host)
    if literal is not None:
        refusal = address_refusal(str(literal))
        if refusal:
            raise OutboundRefused(refusal)
    elif _is_loopback_name(host):
        if not loopback_allowed():
            raise OutboundRefused(f"{host} is a loopback name")
    elif resolve:
        with contextlib.suppress(OutboundUnresolved):
            outbound_resolve(url)


class _PinnedAdapter(HTTPAdapter):
    """Connects where the URL says (the checked IP) and speaks TLS to ``tls_name``."""

    def __init__(self, tls_name: str | None):
        self._tls_name = tls_name
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        if self._tls_name:
            kwargs["server_hostname"] = self._tls_name  # SNI
            kwargs["assert_hostname"] = self._tls_name  # the certificate's name
        super().init_poolmanager(*args, **kwargs)


def outbound_post(
    url: str,
    *,
    data=None,
    headers: dict | None = None,
    timeout: float | tuple[float, float],
    host_header: str = "",
    stream: bool = False,
    verify: bool | str = True,
    allow_loopback: bool | None = None,
    method: str = "POST",
) -> requests.Response:
    """POST to ``url`` under the policy above. ``host_header`` names the site when the URL's host
    is an address serving several (it then is also the TLS name). ``verify`` is a CA bundle path
    for a private CA, else True. Redirects are not followed. ``method="GET"`` reads instead
    (a supplier's JSON API, e.g. its dispute requirements), under the same policy."""
    target = outbound_resolve(url, allow_loopback=allow_loopback)
    parts = urlsplit(url.strip())
    host_header = (host_header or "").strip()
    if host_header:
        host_value = host_header
        name = (urlsplit(f"//{host_header}").hostname or "").lower()
    else:
        name = target.host
        host_value = f"[{name}]" if ":" in name else name
        if target.port != DEFAULT_PORTS[target.scheme]:
            host_value = f"{host_value}:{target.port}"
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{address}:{target.port}"  # never userinfo: _url_parts refused it
    pinned = urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))
    tls_name = name if target.scheme == "https" and name and _ip_literal(name) is None else None
    session = requests.Session()
    session.trust_env = False  # no proxy, .netrc or CA bundle from the environment
    session.mount(f"{target.scheme}://", _PinnedAdapter(tls_name))
    try:
        response = session.request(
            method,
            pinned,
            data=data,
            headers={**(headers or {}), "Host": host_value},
            timeout=timeout,
            allow_redirects=False,
            stream=stream,
            verify=verify,
        )
    except BaseException:
        session.close()
        raise
    if not stream:
        session.close()
        return response
    close = response.close

    def close_both():  # a streamed response holds its connection until closed
        close()
        session.close()

    response.close = close_both
    return response


def _chain(exc: BaseException):
    """``exc`` and the errors inside it (urllib3 wraps them in args, reason, cause, context)."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            yield reason
        nested = (
            current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        )
        current = nested or current.__cause__ or current.__context__


def never_connected(exc: BaseException) -> bool:
    """True when a request failed before a connection was made (nothing was sent)."""
    if isinstance(exc, OutboundError | requests.ConnectTimeout):
        return True
    return any(isinstance(e, NewConnectionError | ConnectionRefusedError) for e in _chain(exc))


def _refused(exc: BaseException) -> bool:
    if any(isinstance(e, ConnectionRefusedError) for e in _chain(exc)):
        return True
    return "Connection refused" in str(exc)


def outbound_failure(exc: BaseException) -> str:
    """A failed outbound request in a few fixed words: never the remote text or the address."""
    if isinstance(exc, OutboundError):
        return exc.category
    if isinstance(exc, requests.ConnectTimeout):
        return "could not connect in time"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.ConnectionError):
        if _refused(exc):
            return "connection refused"
        return "could not connect" if never_connected(exc) else "connection dropped"
    return "request failed"
