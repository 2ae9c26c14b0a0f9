"""Where a webhook may go: public addresses only. A subscriber names the URL, and the
server makes the request from inside its own network, so without this check a
subscription could reach the loopback interface, the private network, or a cloud's
metadata service (server-side request forgery). The target is checked when a
subscription is saved, and again just before each delivery, after name resolution:
the delivery then connects to the very address checked, so a name that resolves to a
public address at one lookup and a private one at the next (DNS rebinding) gains
nothing."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
# A host name as DNS writes it (an IPv6 literal, in brackets in the URL, is read apart).
_HOST_NAME = re.compile(r"^[A-Za-z0-9.-]+$")
# Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS over
# IPv6: fd00:ec2::254), named apart so that the refusal says why.
_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"),
                       ipaddress.ip_address("fd00:ec2::254")})


class TargetRefused(ValueError):
    """The webhook's URL, or an address its host resolves to, may not be used."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written, for the Host header and TLS (SNI and certificate)
    port: int
    path: str  # path and query, as sent in the request line


def parse_target(url: str) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"The URL cannot be read: {error}.") from None
    if parts.scheme.lower() not in SCHEMES:
        raise TargetRefused("A webhook's URL must be http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("A webhook's URL may not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise TargetRefused("A webhook's URL must name a host.")
    if not (_HOST_NAME.match(host) or (_literal(host) and "[" in parts.netloc)):
        raise TargetRefused("A webhook's host must be a name of letters, digits, '.' and "
                            "'-' (xn--… for an internationalised one), or an IP address.")
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


# IPv6 forms that carry an IPv4 address the traffic reaches (by the host's own
# translation, a relay or a NAT64 gateway): the IPv4 address is checked too. IPv4-mapped
# (::ffff:0:0/96) is read as the IPv4 address itself.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use: any length, any layout
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT's IPv4-translated
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible (:: and ::1 apart)


def _embedded(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address wraps, with the form's name; None for none."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if ip in _NAT64:
        return "NAT64", low32
    if ip in _TRANSLATED:
        return "IPv4-translated", low32
    if ip in _COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", low32
    return None


def refusal(address: str) -> str | None:
    """Why a delivery may not go to this IP address, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        else:
            embedded = _embedded(ip)
            if embedded is not None and (why := refusal(str(embedded[1]))) is not None:
                return f"{why} wrapped in {embedded[0]} ({embedded[1]})"
            if ip in _NAT64_LOCAL:
                return "a local-use NAT64 address"
            if ip.is_site_local:
                return "a site-local address"  # fec0::/10: deprecated, yet private
    if ip in _METADATA:
        return "a cloud metadata service"
    for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                       ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if test:
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    if not ip.is_global:
        return "not a public address"  # shared address space (100.64/10) and the like
    return None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


# Lookups still running after their caller gave up on them (getaddrinfo cannot be
# interrupted): past this many, new lookups are refused at once rather than piling up
# threads behind a resolver that does not answer.
MOST_STRANDED_LOOKUPS = 8
_stranded = threading.BoundedSemaphore(MOST_STRANDED_LOOKUPS)


def _lookup(host: str, port: int, timeout: float | None) -> list[str]:
    """getaddrinfo's addresses for host, within timeout seconds (None: unbounded). The
    lookup runs in a thread of its own, which is left to finish by itself when the
    time runs out."""
    if timeout is None:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(info[4][0] for info in found))
    if not _stranded.acquire(blocking=False):
        raise OSError("the resolver is not answering (too many lookups still waiting)")
    answer: dict = {}

    def look() -> None:
        try:
            answer["found"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            answer["error"] = error
        finally:
            _stranded.release()

    thread = threading.Thread(target=look, name="dateline-webhook-lookup", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.0))
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:.1f} s")
    if "error" in answer:
        raise answer["error"]
    return list(dict.fromkeys(info[4][0] for info in answer["found"]))


def resolve(target: Target, allow_private: bool, timeout: float | None = None) -> list[str]:
    """The addresses a delivery to target may connect to, in the resolver's order;
    TargetRefused when there is none, or when any is forbidden (a name with one private
    address among public ones is refused whole: which one is used is not ours to say).
    timeout bounds the lookup (seconds); a lookup that takes longer does not resolve."""
    literal = _literal(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = _lookup(target.host, target.port, timeout)
        except (OSError, UnicodeError) as error:
            raise TargetRefused(f"The host {target.host!r} does not resolve: {error}.") from None
    if not allow_private:
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise TargetRefused(f"The host {target.host!r} is {why} ({address}); "
                                    "webhooks go to public addresses only.")
    return addresses


def check_new_target(url: str, allow_private: bool, timeout: float | None = None) -> None:
    """Refuse a subscription's URL when its host is, or resolves to, a forbidden
    address. A name that does not resolve yet (or not within timeout seconds) is
    accepted: its deliveries fail (and are retried) until it does, and each is checked
    again then."""
    target = parse_target(url)
    if allow_private:
        return
    try:
        resolve(target, allow_private, timeout)
    except TargetRefused as refused:
        if _literal(target.host) is not None or "does not resolve" not in str(refused):
            raise
