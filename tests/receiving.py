"""A webhook receiver on 127.0.0.1 for tests: records what it is sent, answers with the
statuses a test queues (204 once they run out), optionally slowly."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.received: list[tuple[dict, bytes, str]] = []  # headers, body, path
        self.statuses: list[int] = []
        self.delay = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def bodies(self) -> list[bytes]:
        with self._lock:
            return [body for _, body, _ in self.received]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                    status = receiver.statuses.pop(0) if receiver.statuses else 204
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.received.append((dict(self.headers.items()), body, self.path))
                    receiver.in_flight -= 1
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                answer = b"" if status == 204 else f"answered {status}".encode()
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Handler


class Trickler:
    """A receiver on 127.0.0.1 that reads the request, then answers one byte every
    `every` seconds for `lasting` seconds: the status line (head=True), or a prompt 200
    and then the body."""

    def __init__(self, every: float = 0.3, head: bool = True, lasting: float = 8.0):
        self.every, self.head, self.lasting = every, head, lasting
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"

    def start(self) -> Trickler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                connection.recv(65536)
                if not self.head:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                until = time.monotonic() + self.lasting
                while not self._stop.wait(self.every) and time.monotonic() < until:
                    connection.sendall(b"H" if self.head else b"x")
            except OSError:
                pass  # cut off by the sender
