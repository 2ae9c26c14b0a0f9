"""Soak: minutes of mixed load at about 80% of measured capacity.

    python -m bench.soak [--seconds 300] [--connections 8] [--database-url URL]

Starts `dateline serve` (2 workers) on a scratch SQLite file unless a database URL is
given, loads 2,000 synthetic articles, measures capacity with wrk (Debian package
`wrk`) on a mix of reads and writes, then runs the same mix for --seconds with each
connection pausing between requests so the rate is about 80% of that capacity.
Reports the rate reached, latency, every 5xx, and each worker's resident memory at
the start and end of the soak (sampled every 30 s). Writes bench/results/soak.json;
exits non-zero on any 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import tempfile
import threading
import urllib.request
from pathlib import Path

from bench.server import milliseconds, worker_rss_mib, wrk
from bench.server import start as start_server
from bench.synthetic import SOURCES, articles
from tests.serving import create_key

RESULTS = Path(__file__).resolve().parent / "results"
# 60% single reads, 15% lists, 10% change feed, 10% edits, 5% creates. Each
# connection waits `pause` ms between requests (wrk's delay()), which sets the rate.
_MIX = r"""
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local sources = {%(sources)s}
local auth = "Bearer %(key)s"
local pause = %(pause)d
local threads = {}
-- Globals, so done() can read each thread's counts with thread:get().
failures = 0
statuses = ""

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  -- Each thread its own seed, or both would create the same external_ids (409).
  math.randomseed(os.time() * 100 + id)
end

function delay()
  return pause
end

function request()
  local roll = math.random(100)
  local id = ids[math.random(#ids)]
  if roll <= 60 then
    return wrk.format("GET", "/articles/" .. id)
  elseif roll <= 75 then
    return wrk.format("GET", "/articles?limit=20&source=" .. sources[math.random(#sources)])
  elseif roll <= 85 then
    return wrk.format("GET", "/changes?limit=50&since=" .. math.random(0, 2000))
  elseif roll <= 95 then
    return wrk.format("PATCH", "/articles/" .. id,
      {["Content-Type"] = "application/json", ["Authorization"] = auth},
      '{"summary": "edited ' .. math.random(1000000000) .. '"}')
  end
  local body = '{"source": "soak.example", "external_id": "' .. math.random(1000000000) ..
    '", "headline": "Soak test item", "body": "A short body for the soak test.",' ..
    ' "language": "en", "published_at": "2024-05-01T10:00:00+02:00"}'
  return wrk.format("POST", "/articles",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end

function response(status, headers, body)
  if status >= 500 then failures = failures + 1 end
  if status >= 300 and #statuses < 200 then statuses = statuses .. status .. " " end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("failures")
    io.write("STATUSES " .. thread:get("statuses") .. "\n")
  end
  io.write(string.format("FAILURES_5XX %%d\n", total))
end
"""


def _load(base: str, secret: str) -> list[str]:
    items = list(articles(2000, seed=5))
    ids = []
    for start in range(0, len(items), 500):
        request = urllib.request.Request(
            f"{base}/articles/batch", data=json.dumps(items[start:start + 500]).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
            method="POST")
        with urllib.request.urlopen(request, timeout=300) as response:
            ids += [result["id"] for result in json.load(response)["results"]]
    return ids


def _wrk(base: str, script: str, seconds: int, connections: int) -> dict:
    result = wrk(base, script, seconds, connections)
    output = result.pop("output")
    result["failures_5xx"] = int(re.search(r"FAILURES_5XX (\d+)", output)[1])
    result["non_2xx_sample"] = " ".join(re.findall(r"STATUSES (.*)", output)).split()[:20]
    return result


def _calibrate(base: str, script: Path, mix: dict, connections: int, target: float,
               latency_ms: float) -> int:
    """The pause (ms) that brings the mix to about the target rate. Each connection's
    cycle is latency + pause; a few short probes correct the first guess."""
    cycle_ms = connections * 1000 / target
    pause = max(1, round(cycle_ms - latency_ms))
    for _ in range(4):
        script.write_text(_MIX % {**mix, "pause": pause})
        probe = _wrk(base, str(script), 5, connections)
        if abs(probe["requests_per_second"] - target) < 0.05 * target:
            break
        cycle_ms = (pause + milliseconds(probe["mean_latency"])) * (
            probe["requests_per_second"] / target)
        pause = max(1, round(cycle_ms - milliseconds(probe["mean_latency"])))
    script.write_text(_MIX % {**mix, "pause": pause})
    return pause


def _sample_memory(master: int, every: float, stop: threading.Event, samples: list) -> None:
    while not stop.wait(every):
        samples.append(worker_rss_mib(master))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/soak.db"
        secret = create_key({**os.environ, "DATELINE_DATABASE_URL": url}, "write", "soak")
        base, server = start_server(url)
        try:
            ids_file = Path(folder) / "ids.txt"
            ids_file.write_text("\n".join(_load(base, secret)))
            script = Path(folder) / "mix.lua"
            mix = {"ids": ids_file, "key": secret,
                   "sources": ", ".join(f'"{source}"' for source in SOURCES)}
            script.write_text(_MIX % {**mix, "pause": 0})
            capacity = _wrk(base, str(script), 15, args.connections)
            pause = _calibrate(base, script, mix, args.connections,
                               0.8 * capacity["requests_per_second"],
                               milliseconds(capacity["mean_latency"]))
            start_rss = worker_rss_mib(server.pid)
            samples, stop = [start_rss], threading.Event()
            sampler = threading.Thread(target=_sample_memory,
                                       args=(server.pid, 30, stop, samples), daemon=True)
            sampler.start()
            soak = _wrk(base, str(script), args.seconds, args.connections)
            stop.set()
            end_rss = worker_rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    report = {
        "database": "sqlite" if args.database_url is None else args.database_url.split(":")[0],
        "connections": args.connections, "seconds": args.seconds,
        "capacity": capacity, "pause_ms": pause,
        "target_requests_per_second": round(0.8 * capacity["requests_per_second"], 1),
        "soak": soak,
        "worker_rss_mib": {"start": start_rss, "end": end_rss,
                           "samples": [list(sample.values()) for sample in samples]},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    raise SystemExit(1 if soak["failures_5xx"] or capacity["failures_5xx"] else 0)


if __name__ == "__main__":
    main()
