"""Sending one webhook: signed as the Standard Webhooks specification says, to an
address the guard has checked, without following redirects, within bounded time, and
reading only the start of the answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import urllib3

from .guard import Target

USER_AGENT = "Dateline-Webhooks/1"
# Kept of a receiver's answer in the delivery log: enough to see why it refused.
KEPT_RESPONSE_BYTES = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """A signing secret as Standard Webhooks libraries read it: whsec_ and 32 random
    bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (refused, unreachable, timed out)
    error: str | None
    response: str | None  # the start of the answer's body

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def send(target: Target, address: str, message_id: str, secret: str, body: bytes,
         timeout: float) -> Outcome:
    """POST body to target, connecting to address (checked already) rather than
    resolving the host again."""
    stamp = int(time.time())
    headers = {
        "Host": _host_header(target), "Content-Type": "application/json",
        "User-Agent": USER_AGENT, "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(secret, message_id, stamp, body)}
    limits = urllib3.Timeout(connect=timeout, read=timeout, total=2 * timeout)
    if target.scheme == "https":
        # The certificate is checked against the host as written, not the address.
        pool = urllib3.HTTPSConnectionPool(address, target.port, timeout=limits,
                                           retries=False, server_hostname=target.host,
                                           assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=limits, retries=False)
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers,
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        try:
            kept = response.read(KEPT_RESPONSE_BYTES, decode_content=False)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        return Outcome(None, _reason(error), None)
    finally:
        pool.close()
    status = response.status
    error = None
    if 300 <= status < 400:
        error = "redirects are not followed: point the subscription at the new URL"
    elif not 200 <= status < 300:
        error = f"the receiver answered {status}"
    return Outcome(status, error, kept.decode("utf-8", "replace") or None)


def _reason(error: Exception) -> str:
    # NewConnectionError is a ConnectTimeoutError to urllib3, though nothing timed out.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "could not connect"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return "timed out waiting for the answer"
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS failed: {error}"
    return f"{type(error).__name__}: {error}"[:500]
