"""Running the `dateline` command from tests: a free port, readiness, the command line."""

from __future__ import annotations

import socket
import sys
import time
import urllib.request

import pytest

DATELINE = [sys.executable, "-c", "from api.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("server did not become ready")


def create_key(env: dict, scope: str = "write", name: str = "tests") -> str:
    """A new API key's secret, made with `dateline keys create` on env's database."""
    import subprocess

    result = subprocess.run([*DATELINE, "keys", "create", "--scope", scope, "--name", name],
                            env=env, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip().splitlines()[-1]
