"""The gunicorn worker `dateline serve` runs: threads that each accept a connection and
serve it themselves, keeping it alive only while no other client is waiting.

gunicorn's gthread worker hands every request from a polling thread to a pool and
back (a pipe write, a future and a poller registration per request), and a worker
keeps every keep-alive connection it once accepted: under sixteen clients one worker
often served most of them on one core while the other idled. Here a thread takes the
listening socket only when it is free (one thread per process at a time polls it), so
connections go to whichever process has a free thread, and a response closes its
connection when another client is already waiting, so that client gets a turn.
"""

from __future__ import annotations

import errno
import os
import select
import selectors
import ssl
import sys
import threading
import time
from datetime import datetime

from gunicorn import http, sock, util
from gunicorn.http import wsgi
from gunicorn.workers import base

# How long the thread holding the listeners waits before checking the worker is alive.
_POLL_SECONDS = 1.0
# A request's bytes must keep arriving: a client silent this long mid-request is dropped.
_READ_TIMEOUT_SECONDS = 30.0


class Worker(base.Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._accepting = threading.Lock()
        self._count = threading.Lock()
        self._free = 0
        self._busy = 0
        self._selector = None

    def run(self):
        self._selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            self._selector.register(listener, selectors.EVENT_READ)
        for number in range(self.cfg.threads):
            threading.Thread(target=self._serve_forever, name=f"dateline-{number}",
                             daemon=True).start()
        while self.alive:
            self.notify()
            if not self.is_parent_alive():
                self.alive = False
                break
            time.sleep(_POLL_SECONDS)
        # Graceful stop: requests under way may finish within the arbiter's grace period.
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while self._busy and time.monotonic() < deadline:
            self.notify()
            time.sleep(0.05)

    def is_parent_alive(self):
        return self.ppid == os.getppid()

    def _serve_forever(self):
        while self.alive:
            with self._count:
                self._free += 1
            try:
                with self._accepting:
                    accepted = self._accept()
            finally:
                with self._count:
                    self._free -= 1
            if accepted is None:
                continue
            with self._count:
                self._busy += 1
            try:
                self._serve(*accepted)
            finally:
                with self._count:
                    self._busy -= 1

    def _accept(self):
        """A new connection, or None when none came within the poll (or another worker
        took it first: every worker's free thread polls the same socket)."""
        if not self.alive:
            return None
        for key, _ in self._selector.select(_POLL_SECONDS):
            try:
                client, address = key.fileobj.accept()
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                    continue
                raise
            return key.fileobj, client, address
        return None

    def _someone_waiting(self) -> bool:
        """Whether a client waits to be accepted, or no other thread here could take one."""
        if self._free == 0:
            return True
        return any(_readable(listener, 0) for listener in self.sockets)

    def _serve(self, listener, client, address):
        client.setblocking(True)
        client.settimeout(_READ_TIMEOUT_SECONDS)
        req, clean = None, False
        try:
            if self.cfg.is_ssl:
                client = sock.ssl_wrap_socket(client, self.cfg)
            parser = http.get_parser(self.cfg, client, address)
            server = listener.getsockname()
            while True:
                req = next(parser)
                again = self._handle_request(req, client, address, server)
                deadline = time.monotonic() + self.cfg.keepalive
                if not parser.finish_body(deadline=deadline):
                    return
                pending = parser.unreader.buf.getvalue()
                if not again:
                    # Nothing left unread: a plain close sends no RST, and the thread
                    # need not linger for the client's FIN.
                    clean = not pending and not _readable(client, 0)
                    return
                if not pending and not _readable(client, self.cfg.keepalive):
                    clean = True
                    return
        except http.errors.NoMoreData as error:
            self.log.debug("Ignored premature client disconnection. %s", error)
        except StopIteration as error:
            self.log.debug("Closing connection. %s", error)
        except TimeoutError:
            self.log.debug("Closing a connection whose client went silent.")
        except ssl.SSLError as error:
            if error.args[0] != ssl.SSL_ERROR_EOF:
                self.handle_error(req, client, address, error)
        except OSError as error:
            if error.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
        except Exception as error:
            self.handle_error(req, client, address, error)
        finally:
            if clean:
                util.close(client)
            else:
                util.close_graceful(client)

    def _handle_request(self, req, client, address, server) -> bool:
        """Answer one request; whether the connection stays open for another."""
        environ, resp = {}, None
        try:
            self.cfg.pre_request(self, req)
            started = datetime.now()
            resp, environ = wsgi.create(req, client, address, server, self.cfg)
            resp.sock = outgoing = _HeadWithBody(client)
            environ["wsgi.multithread"] = True
            self.nr += 1
            if self.nr >= self.max_requests:
                if self.alive:
                    self.log.info("Autorestarting worker after current request.")
                self.alive = False
            if not self.alive or not self.cfg.keepalive or self._someone_waiting():
                resp.force_close()
            respiter = self.wsgi(environ, resp.start_response)
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                        # A head whose first body bytes were empty leaves now, not
                        # with a stream's next bytes.
                        outgoing.flush()
                resp.close()
                outgoing.flush()
            finally:
                self.log.access(resp, req, environ, datetime.now() - started)
                if hasattr(respiter, "close"):
                    respiter.close()
            return not resp.should_close()
        except OSError:
            util.reraise(*sys.exc_info())
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # Writing a 500 after the response started would corrupt it.
                self.log.exception("Error handling request")
                raise StopIteration() from None
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")


class _HeadWithBody:
    """The client's socket as a response writes to it: the head is held back and sent
    with the first body bytes, in one send. gunicorn sends them apart, and on a
    keep-alive connection each send is a segment the kernel carries to the client: a
    profile of single GETs under sixteen connections had a fifth of a worker's samples
    in sending heads."""

    def __init__(self, sock):
        self._sock = sock
        self._head = None
        self._sent = False

    def sendall(self, data):
        if not self._sent:
            if self._head is None:
                self._head = data
                return
            data, self._head, self._sent = self._head + data, None, True
        self._sock.sendall(data)

    def flush(self):
        """Send a head held alone (a response with no body)."""
        if self._head is not None:
            self._sock.sendall(self._head)
            self._head, self._sent = None, True

    def sendfile(self, *args, **kwargs):
        self.flush()
        self._sent = True
        return self._sock.sendfile(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _readable(connection, timeout: float) -> bool:
    """Whether the socket has something to read within timeout seconds."""
    if isinstance(connection, ssl.SSLSocket) and connection.pending():
        return True
    poller = select.poll()
    poller.register(connection, select.POLLIN)
    return bool(poller.poll(timeout * 1000))
