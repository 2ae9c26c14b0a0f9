"""Starting `dateline serve` for a benchmark."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request

from tests.serving import DATELINE, free_port


def start(database_url: str, workers: int = 2) -> tuple[str, subprocess.Popen]:
    """Serve database_url on a free port; return the base URL once /readyz answers."""
    port = free_port()
    process = subprocess.Popen([*DATELINE, "serve", "--port", str(port),
                                "--workers", str(workers)],
                               env={**os.environ, "DATELINE_DATABASE_URL": database_url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).close()
            return f"http://127.0.0.1:{port}", process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")
