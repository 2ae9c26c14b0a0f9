"""Ingest throughput: `dateline import` of NDJSON, and POST /articles/batch over HTTP.

    python -m bench.ingest [--articles 20000] [--database-url URL] [--extract]

Writes bench/results/ingest.json. Articles come from bench.synthetic (fixed seed);
with --extract they leave out their entity lists, so every write extracts them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.server import start as start_server
from bench.synthetic import articles, write_ndjson
from tests.serving import DATELINE, create_key

RESULTS = Path(__file__).resolve().parent / "results"


def measure_import(count: int, database_url: str, folder: Path,
                   entity_lists: bool = True) -> dict:
    source = folder / "articles.ndjson"
    write_ndjson(str(source), count, entity_lists=entity_lists)
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url}
    started = time.perf_counter()
    result = subprocess.run([*DATELINE, "import", str(source)], env=env, capture_output=True,
                            text=True, check=True)
    seconds = time.perf_counter() - started
    return {"articles": count, "seconds": round(seconds, 2),
            "articles_per_second": round(count / seconds), "summary": result.stdout.split("\n")[0]}


def measure_batch(count: int, database_url: str, clients: int = 2, size: int = 1000,
                  entity_lists: bool = True) -> dict:
    secret = create_key({**os.environ, "DATELINE_DATABASE_URL": database_url}, "write",
                        "bench-batch")
    base, server = start_server(database_url)
    try:
        items = list(articles(count, seed=11, entity_lists=entity_lists))
        bodies = [json.dumps(items[start:start + size]).encode()
                  for start in range(0, count, size)]

        def post(body: bytes) -> int:
            request = urllib.request.Request(
                f"{base}/articles/batch", data=body, method="POST",
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {secret}"})
            with urllib.request.urlopen(request, timeout=300) as response:
                return json.load(response)["counts"]["created"]

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            created = sum(pool.map(post, bodies))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"articles": count, "created": created, "clients": clients, "batch_size": size,
            "seconds": round(seconds, 2), "articles_per_second": round(count / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--database-url", help="PostgreSQL URL of an empty database; "
                                               "default: fresh SQLite files")
    parser.add_argument("--extract", action="store_true",
                        help="leave the entity lists out, so that writes extract them")
    args = parser.parse_args()
    lists = not args.extract
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        report = {
            "import": measure_import(args.articles,
                                     args.database_url or f"sqlite:///{folder / 'import.db'}",
                                     folder, lists),
        }
        if args.database_url is None:
            report["batch_http"] = measure_batch(args.articles,
                                                 f"sqlite:///{folder / 'batch.db'}",
                                                 entity_lists=lists)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
