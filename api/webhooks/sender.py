"""Sending one webhook: signed as the Standard Webhooks specification says, to an
address the guard has checked, without following redirects, within a deadline for the
whole attempt, and reading only the start of the answer."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import os
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import urllib3
import urllib3.connection

from api.webhooks.guard import Target

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


class _Watchdog:
    """Cuts an attempt's connection off at its deadline, whatever it is waiting for: a
    socket timeout bounds each wait, and a receiver trickling a byte at a time would
    otherwise reset it again and again (a read timeout of 1 s kept one attempt busy for
    17.7 s). Shutting the socket down ends the wait at once with an error. The watchdog
    keeps a duplicate of the socket's file descriptor: shutting it down shuts the
    connection, under TLS too (which wraps the same socket), and being the watchdog's
    own until done() closes it, it cannot name another file meanwhile."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False
        self._done = False
        self._descriptors: list[int] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done()

    def done(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            descriptors, self._descriptors = self._descriptors, []
        for descriptor in descriptors:
            os.close(descriptor)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._done:
                return
            descriptor = os.dup(sock.fileno())
            self._descriptors.append(descriptor)
            if self.fired:
                self._cut(descriptor)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if not self._done:
                for descriptor in self._descriptors:
                    self._cut(descriptor)

    @staticmethod
    def _cut(descriptor: int) -> None:
        # The socket's shutdown, under TLS too: the TLS object is left to the thread
        # that is reading, which sees the connection end.
        borrowed = socket.socket(fileno=descriptor)
        try:
            with contextlib.suppress(OSError):
                borrowed.shutdown(socket.SHUT_RDWR)
        finally:
            borrowed.detach()  # closed by done()


def _connection(target: Target, address: str, timeout: float, watchdog: _Watchdog):
    """A connection to address whose socket the watchdog cuts off at the deadline."""
    class Watched(urllib3.connection.HTTPSConnection if target.scheme == "https"
                  else urllib3.connection.HTTPConnection):
        def _new_conn(self):
            sock = super()._new_conn()
            watchdog.watch(sock)
            return sock

    if target.scheme == "https":
        # The certificate is checked against the host as written, not the address.
        return Watched(address, target.port, timeout=timeout, server_hostname=target.host,
                       assert_hostname=target.host, cert_reqs="CERT_REQUIRED")
    return Watched(address, target.port, timeout=timeout)


def send(target: Target, address: str, message_id: str, secret: str, body: bytes,
         timeout: float, deadline: float | None = None) -> Outcome:
    """POST body to target, connecting to address (checked already) rather than
    resolving the host again. timeout bounds each wait (connecting, then each read);
    deadline (time.monotonic()) the whole attempt, by default two timeouts from now.
    Past the deadline the connection is cut off: without a status line that is a
    failure; with one, the status counts and the answer read so far is kept."""
    deadline = time.monotonic() + 2 * timeout if deadline is None else deadline
    stamp = int(time.time())
    headers = {
        "Host": _host_header(target), "Content-Type": "application/json",
        "User-Agent": USER_AGENT, "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(secret, message_id, stamp, body)}
    if deadline - time.monotonic() <= 0:
        return Outcome(None, _CUT_OFF.format(timeout=2 * timeout), None)
    with _Watchdog(deadline) as watchdog:
        connection = _connection(target, address, min(timeout, watchdog.remaining()),
                                 watchdog)
        try:
            try:
                connection.request("POST", target.path, body=body, headers=headers,
                                   preload_content=False, decode_content=False)
                # Kept: the connection lets go of its socket when the answer says close.
                sock = connection.sock
                connection.timeout = max(min(timeout, watchdog.remaining()), 0.001)
                response = connection.getresponse()
            except (urllib3.exceptions.HTTPError, http.client.HTTPException,
                    OSError) as error:
                if watchdog.fired:
                    return Outcome(None, _CUT_OFF.format(timeout=2 * timeout), None)
                return Outcome(None, _reason(error), None)
            kept = b""
            while len(kept) < KEPT_RESPONSE_BYTES and watchdog.remaining() > 0:
                try:
                    sock.settimeout(max(min(timeout, watchdog.remaining()), 0.001))
                    chunk = response.read(min(_CHUNK, KEPT_RESPONSE_BYTES - len(kept)),
                                          decode_content=False)
                except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError):
                    break  # the status came: it counts, with what was read of the answer
                if not chunk:
                    break
                kept += chunk
        finally:
            watchdog.done()
            connection.close()
    status = response.status
    error = None
    if 300 <= status < 400:
        error = "redirects are not followed: point the subscription at the new URL"
    elif not 200 <= status < 300:
        error = f"the receiver answered {status}"
    return Outcome(status, error, kept.decode("utf-8", "replace") or None)


# Read of an answer at a time, so that the deadline is looked at between reads.
_CHUNK = 256
_CUT_OFF = "no answer within {timeout:g} s: cut off"


def _reason(error: Exception) -> str:
    # NewConnectionError is a ConnectTimeoutError to urllib3, though nothing timed out.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "could not connect"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(error, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return "timed out waiting for the answer"
    if isinstance(error, urllib3.exceptions.SSLError | ssl.SSLError):
        return f"TLS failed: {error}"
    return f"{type(error).__name__}: {error}"[:500]
