"""Read latency at scale: the list, filter, search and cursor scenarios of GET /articles.

    python -m bench.reads [--articles 100000] [--database-url URL] [--seconds 10]
                          [--connections 8]

Loads --articles synthetic articles (bench.synthetic, fixed seed) with
`dateline import`, the project's bulk path, into a scratch SQLite file (or the
database given: loaded when empty, else measured as it is, so a million articles are
loaded once for several runs), serves it with `dateline serve`
(2 workers), and drives each scenario with wrk. A bare Flask app under the same
gunicorn settings (bench.bare) gives the throughput ceiling. Reports requests/s and
p50/p99 per scenario, the load rate, bytes of database per article and each
worker's resident memory; writes bench/results/reads-<backend>-<articles>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import bare
from bench.server import start as start_server
from bench.server import worker_cpu_seconds, worker_rss_mib, wrk
from bench.synthetic import PEOPLE, SOURCES, write_ndjson
from tests.serving import DATELINE, free_port

RESULTS = Path(__file__).resolve().parent / "results"
# Each scenario: a Lua request() over a table of prepared paths.
_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def _load(count: int, database_url: str, folder: Path) -> dict:
    source = folder / "articles.ndjson"
    write_ndjson(str(source), count)
    started = time.perf_counter()
    subprocess.run([*DATELINE, "import", str(source)], check=True, capture_output=True,
                   env={**os.environ, "DATELINE_DATABASE_URL": database_url})
    seconds = time.perf_counter() - started
    source.unlink()
    return {"seconds": round(seconds, 1), "articles_per_second": round(count / seconds)}


def _stored(database_url: str) -> int:
    """Articles already in the database (0 when it does not exist yet)."""
    if database_url.startswith("sqlite:///"):
        import sqlite3
        from contextlib import closing
        path = Path(database_url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0
        with closing(sqlite3.connect(path)) as connection:
            query = "SELECT count(*) FROM sqlite_master WHERE name = 'article'"
            if not connection.execute(query).fetchone()[0]:
                return 0
            return connection.execute("SELECT count(*) FROM article").fetchone()[0]
    import psycopg
    with psycopg.connect(database_url) as connection:
        if connection.execute("SELECT to_regclass('article')").fetchone()[0] is None:
            return 0
        return connection.execute("SELECT count(*) FROM article").fetchone()[0]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.load(response)


def _month(index: int) -> str:
    """The first instant of month `index`, counted from January 2015."""
    return f"{2015 + index // 12}-{index % 12 + 1:02d}-01T00:00:00Z"


def _paths(base: str, rng: random.Random, articles: int) -> dict[str, list[str]]:
    """Request paths per scenario, drawn from what is stored. A source's window spans
    enough months to hold a full page (about 40 articles) at this size, so the scenario
    lists 20 articles at any size."""
    ids = [item["id"] for item in _get(f"{base}/articles?limit=100&sort=-updated_at")["items"]]
    for _ in range(9):
        year = rng.randrange(2015, 2025)
        page = _get(f"{base}/articles?limit=100&published_before={year}-06-01T00:00:00Z")
        ids += [item["id"] for item in page["items"]]
    # Articles spread over 20 sources and 120 months.
    months = min(120, max(1, math.ceil(40 * len(SOURCES) * 120 / articles)))
    windows = []
    for _ in range(200):
        first = rng.randrange(0, 120 - months + 1)
        windows.append(f"/articles?source={rng.choice(SOURCES)}"
                       f"&published_after={_month(first)}"
                       f"&published_before={_month(first + months)}&limit=20")
    return {
        "single_get": [f"/articles/{article_id}" for article_id in ids],
        "source_and_date_window": windows,
        "tag": [f"/articles?tag=topic-{rng.randrange(200):03d}&limit=20" for _ in range(200)],
        "person": [f"/articles?person={urllib.request.quote(rng.choice(PEOPLE))}&limit=20"
                   for _ in range(200)],
        "search_common_word": ["/articles?q=border&sort=-published_at&limit=20"],
        "cursor_page_1": ["/articles?limit=20"],
    }


def _deep_page(base: str, pages: int) -> str:
    """The path of page `pages` of the newest-first list, reached by following cursors."""
    url = f"{base}/articles?limit=20"
    for _ in range(pages - 1):
        url = _get(url)["next"]
        if url is None:
            raise RuntimeError(f"fewer than {pages} pages")
    return url.removeprefix(base)


def _database_bytes(database_url: str) -> int:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import psycopg
    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def _drive(base: str, paths: list[str], folder: Path, seconds: int, connections: int) -> dict:
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths))
    script = folder / "paths.lua"
    script.write_text(_SCRIPT % listing)
    result = wrk(base, str(script), seconds, connections)
    result.pop("output")
    return result


def _balanced_drive(base: str, paths: list[str], folder: Path, seconds: int,
                    connections: int, workers: list[int], attempts: int = 4) -> dict:
    """_drive, after one untimed request of each path (a first read from disk is not a
    scenario's steady state), and again when its connections landed unevenly.

    wrk keeps its connections open, and a worker keeps a connection while no other
    client waits: with as few connections as workers, two of them on one worker share its
    interpreter lock while another worker idles, which doubled a scenario's latency in
    some runs and not others. The workers' CPU times show where the work went."""
    for path in dict.fromkeys(paths):
        urllib.request.urlopen(base + path, timeout=120).read()
    for attempt in range(1, attempts + 1):
        before = worker_cpu_seconds(workers)
        result = _drive(base, paths, folder, seconds, connections)
        after = worker_cpu_seconds(workers)
        used = [after[pid] - before[pid] for pid in workers]
        result["worker_cpu_seconds"] = [round(seconds_used, 1) for seconds_used in used]
        result["attempts"] = attempt
        if connections > len(workers) or min(used) >= sum(used) / len(workers) / 2:
            break
    return result


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and every worker: a query still running in SQLite does not see
    SIGTERM until it returns, and must not run on into the next measurement."""
    workers = list(worker_rss_mib(server.pid))
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _bare_ceiling(folder: Path, seconds: int, connections: int) -> dict:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", *bare.gunicorn_command(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/articles/x", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        return _drive(f"http://127.0.0.1:{port}", ["/articles/x"], folder, seconds,
                      connections)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", help="a database to load (when empty) and measure; "
                                               "default: scratch SQLite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # First, on a machine that nothing else has loaded yet.
        ceiling = _bare_ceiling(folder, args.seconds, args.connections)
        url = args.database_url or f"sqlite:///{folder}/reads.db"
        stored = _stored(url)
        if stored:
            args.articles, load = stored, {"reused": True}
        else:
            load = _load(args.articles, url, folder)
        base, server = start_server(url)
        try:
            paths = _paths(base, rng, args.articles)
            if args.articles >= 500 * 20:
                paths["cursor_page_500"] = [_deep_page(base, 500)]
            # Last: ranking 10,000 hits is the heaviest scenario, and its queries still
            # running when it ends would weigh on whatever ran next.
            paths["search_common_word_relevance"] = ["/articles?q=border&limit=20"]
            workers = list(worker_rss_mib(server.pid))
            scenarios = {name: _balanced_drive(base, scenario_paths, folder, args.seconds,
                                               args.connections, workers)
                         for name, scenario_paths in paths.items()}
            rss = worker_rss_mib(server.pid)
        finally:
            _stop(server)
        size = _database_bytes(url)
    single = scenarios["single_get"]["requests_per_second"]
    report = {
        "backend": url.split(":")[0], "articles": args.articles,
        "connections": args.connections, "seconds_per_scenario": args.seconds,
        "load": load, "database_bytes_per_article": round(size / args.articles),
        "worker_rss_mib": rss, "scenarios": scenarios, "bare_flask_ceiling": ceiling,
        "single_get_share_of_ceiling": round(single / ceiling["requests_per_second"], 3),
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"reads-{report['backend']}-{args.articles}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
