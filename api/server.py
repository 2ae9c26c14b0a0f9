"""Running the app under gunicorn, the production WSGI server."""

from __future__ import annotations

import json
import os
import tempfile

from gunicorn.app.base import BaseApplication


class DatelineServer(BaseApplication):
    """gunicorn with each worker building its own app (and database connections)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        from api import settle_heap
        from api.app import create_app
        from api.storage import checkpoints
        from api.storage.db import database
        from api.webhooks import start_deliverer

        app = create_app()
        settle_heap()
        # Here, in each worker (a thread does not survive a fork), before any connection.
        checkpoints.start(database.primary)
        start_deliverer(app)
        return app


def _forget_worker(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def prepare_metrics_directory() -> None:
    """Workers share their metrics through files; start each run with an empty folder."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dateline-metrics-")


def hide_server_banner() -> None:
    """Drop gunicorn's Server header, which has no setting of its own: naming the
    server and its version only helps someone choosing an exploit."""
    from gunicorn.http import wsgi

    with_banner = wsgi.Response.default_headers
    if getattr(with_banner, "banner_hidden", False):
        return

    def default_headers(self):
        return [line for line in with_banner(self) if not line.startswith("Server:")]

    default_headers.banner_hidden = True
    wsgi.Response.default_headers = default_headers


def answer_unparsed_requests_as_problems() -> None:
    """gunicorn answers a request it cannot parse (a request line over its limit: 414, a
    header too large: 431) with an HTML page before the app sees it; every error Dateline
    sends is a problem document, so these are too."""
    from gunicorn import util

    from api.errors import PROBLEM_JSON

    if getattr(util.write_error, "writes_problems", False):
        return

    def write_error(sock, status_int, reason, mesg):
        body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                           "detail": mesg or reason}).encode("utf-8")
        head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
                f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n")
        util.write_nonblock(sock, head.encode("latin-1") + body)

    write_error.writes_problems = True
    util.write_error = write_error


THREADS = 4


def run(host: str, port: int, workers: int) -> None:
    prepare_metrics_directory()
    hide_server_banner()
    answer_unparsed_requests_as_problems()
    DatelineServer({
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # Threads, so that long polls and event streams (which wait) cannot take every
        # worker: api.resources.changes lets at most WAITING_PER_WORKER of them wait at once.
        "worker_class": "api.worker.Worker",
        "threads": THREADS,
        # SIGTERM: stop accepting, let in-flight requests finish for up to this long.
        "graceful_timeout": 20,
        # Above the longest long poll or event stream (60 s), which hold a worker.
        "timeout": 90,
        # Requests are logged by the app as JSON lines; gunicorn logs its own events.
        "accesslog": None,
        "errorlog": "-",
        "child_exit": _forget_worker,
        "proc_name": "dateline",
        # The control socket is for gunicornc; Dateline is managed by signals only.
        "control_socket_disable": True,
    }).run()
