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


def refusal(address: str) -> str | None:
    """Why a delivery may not go to this IP address, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
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


def resolve(target: Target, allow_private: bool) -> list[str]:
    """The addresses a delivery to target may connect to, in the resolver's order;
    TargetRefused when there is none, or when any is forbidden (a name with one private
    address among public ones is refused whole: which one is used is not ours to say)."""
    literal = _literal(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise TargetRefused(f"The host {target.host!r} does not resolve: {error}.") from None
        addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not allow_private:
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise TargetRefused(f"The host {target.host!r} is {why} ({address}); "
                                    "webhooks go to public addresses only.")
    return addresses


def check_new_target(url: str, allow_private: bool) -> None:
    """Refuse a subscription's URL when its host is, or resolves to, a forbidden
    address. A name that does not resolve yet is accepted: its deliveries fail (and
    are retried) until it does, and each is checked again then."""
    target = parse_target(url)
    if allow_private:
        return
    try:
        resolve(target, allow_private)
    except TargetRefused as refused:
        if _literal(target.host) is not None or "does not resolve" not in str(refused):
            raise
