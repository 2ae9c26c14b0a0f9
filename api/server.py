"""Running the app under gunicorn, the production WSGI server."""

from __future__ import annotations

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
        from .app import create_app
        return create_app()


def run(host: str, port: int, workers: int) -> None:
    DatelineServer({
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # SIGTERM: stop accepting, let in-flight requests finish for up to this long.
        "graceful_timeout": 20,
        "timeout": 60,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "dateline",
        # The control socket is for gunicornc; Dateline is managed by signals only.
        "control_socket_disable": True,
    }).run()
