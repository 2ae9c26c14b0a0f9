"""Growth of read latency with the collection: the same scenarios on a small and a large
database, interleaved so that both see the same machine.

    python -m bench.growth --small sqlite:///small.db --large sqlite:///large.db
                           [--seconds 5] [--rounds 3] [--connections 2]

Both databases must be loaded already (bench.reads --database-url loads one). Each
scenario of bench.reads runs small, large, small, large… for --rounds rounds, with a
server per database; the report gives each run's p50 and p99 and, per scenario, the
median of the rounds' large ÷ small p50 ratios. Back to back, the ratio reads the
collection's size rather than this machine's speed, which varied by 2x between runs
minutes apart. Writes bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
from pathlib import Path

from bench.reads import RESULTS, _balanced_drive, _deep_page, _paths, _stop, _stored
from bench.server import milliseconds, worker_rss_mib
from bench.server import start as start_server

# The ranked search is left out: it ranks the 10,000 most recent hits at either size
# when a word is in every article, so its cost depends on the hits, not on the size.
SCENARIOS = ("single_get", "source_and_date_window", "tag", "person", "search_common_word",
             "cursor_page_1", "cursor_page_500")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", required=True, help="database URL, already loaded")
    parser.add_argument("--large", required=True, help="database URL, already loaded")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="run only these (repeatable) [all]")
    args = parser.parse_args()
    sizes = {"small": args.small, "large": args.large}
    servers, paths, workers, articles = {}, {}, {}, {}
    try:
        for size, url in sizes.items():
            articles[size] = _stored(url)
            base, servers[size] = start_server(url)
            paths[size] = _paths(base, random.Random(11), articles[size])
            paths[size]["cursor_page_500"] = [_deep_page(base, 500)]
            workers[size] = (base, list(worker_rss_mib(servers[size].pid)))
        runs: dict[str, list[dict]] = {name: [] for name in args.scenario or SCENARIOS}
        with tempfile.TemporaryDirectory() as folder:
            for name in runs:
                for _ in range(args.rounds):
                    pair = {}
                    for size in sizes:
                        base, pids = workers[size]
                        result = _balanced_drive(base, paths[size][name], Path(folder),
                                                 args.seconds, args.connections, pids)
                        pair[size] = {"p50": result["p50"], "p99": result["p99"],
                                      "requests_per_second": result["requests_per_second"]}
                    pair["p50_ratio"] = round(milliseconds(pair["large"]["p50"])
                                              / milliseconds(pair["small"]["p50"]), 2)
                    runs[name].append(pair)
    finally:
        for server in servers.values():
            _stop(server)
    report = {
        "articles": articles, "connections": args.connections,
        "seconds_per_run": args.seconds, "rounds": args.rounds,
        "median_p50_ratio": {name: statistics.median(pair["p50_ratio"] for pair in pairs)
                             for name, pairs in runs.items()},
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
