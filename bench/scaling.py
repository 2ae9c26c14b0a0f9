"""Throughput of one Dateline instance against two, on one PostgreSQL database.

    python -m bench.scaling [--postgres postgresql://postgres@127.0.0.1:5432/test]
                            [--seconds 10] [--connections 16]

Creates a scratch database, loads 2,000 synthetic articles, then drives
single-article GETs with wrk (Debian package `wrk`): first at one instance with 2
workers, then split evenly across two instances with 2 workers each, same total
connections. Writes bench/results/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.server import start as start_server
from bench.synthetic import articles
from tests.serving import create_key

RESULTS = Path(__file__).resolve().parent / "results"
_LUA = """
local ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
request = function()
  return wrk.format("GET", "/articles/" .. ids[math.random(#ids)])
end
"""


def _wrk(base: str, script: str, seconds: int, connections: int) -> subprocess.Popen:
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                             "-s", script, base], stdout=subprocess.PIPE, text=True)


def _parse(output: str) -> dict:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests_per_second": rate, "non_2xx": int(errors[1]) if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    name = f"dateline_scaling_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(args.postgres)._replace(path=f"/{name}"))
    servers = []
    try:
        secret = create_key({**os.environ, "DATELINE_DATABASE_URL": url}, "write", "bench")
        base, process = start_server(url)
        servers.append(process)
        items = list(articles(2000, seed=3))
        ids = []
        for start in range(0, len(items), 500):
            request = urllib.request.Request(
                f"{base}/articles/batch", data=json.dumps(items[start:start + 500]).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {secret}"}, method="POST")
            with urllib.request.urlopen(request, timeout=300) as response:
                ids += [result["id"] for result in json.load(response)["results"]]
        with tempfile.TemporaryDirectory() as folder:
            id_file = Path(folder) / "ids.txt"
            id_file.write_text("\n".join(ids))
            script = Path(folder) / "get.lua"
            script.write_text(_LUA % id_file)
            one = _parse(_wrk(base, str(script), args.seconds,
                              args.connections).communicate()[0])
            second_base, second = start_server(url)
            servers.append(second)
            runs = [_wrk(target, str(script), args.seconds, args.connections // 2)
                    for target in (base, second_base)]
            two = [_parse(run.communicate()[0]) for run in runs]
        report = {
            "scenario": "GET /articles/{id}, random among 2000, PostgreSQL",
            "connections": args.connections, "seconds": args.seconds,
            "one_instance": one,
            "two_instances": {"requests_per_second": round(sum(r["requests_per_second"]
                                                               for r in two), 2),
                              "non_2xx": sum(r["non_2xx"] for r in two)},
        }
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaling.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
