"""Starting `dateline serve` for a benchmark."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

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


def wrk(base: str, script: str, seconds: int, connections: int, threads: int = 2) -> dict:
    """Drive base with wrk (Debian package `wrk`) and a Lua script; rate and latency."""
    # A slow scenario (a ranked search over a million hits) is measured, not cut off at
    # wrk's default 2 s timeout.
    run = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                          "--timeout", "60s", "--latency", "-s", script, base],
                         capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"wrk failed: {run.stdout}{run.stderr}")
    output = run.stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                       r"timeout (\d+)", output)
    return {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
            "mean_latency": re.search(r"Latency\s+([\d.]+\w+)", output)[1],
            "p50": latency.get("50"), "p99": latency.get("99"),
            "requests": int(re.search(r"(\d+) requests in", output)[1]),
            "non_2xx": int(non_2xx[1]) if non_2xx else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0, "output": output}


def milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def worker_cpu_seconds(workers: list[int]) -> dict[int, float]:
    """CPU time (user + system) each worker process has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in workers:
        # Fields after the parenthesised command name; utime and stime are 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def worker_rss_mib(master: int) -> dict[int, float]:
    """Resident memory of each child of a gunicorn master, in MiB."""
    rss = {}
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[int(pid)] = round(int(line.split()[1]) / 1024, 1)
    return rss
