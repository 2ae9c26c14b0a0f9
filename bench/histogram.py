"""Timelines at scale: a day histogram over one year, with and without filters.

    python -m bench.histogram --articles 1000000 [--database-url postgresql://…]

Loads N synthetic articles (ten years of dates, so a year holds a tenth of them) with
`dateline import` into a scratch database (SQLite unless --database-url names an empty
PostgreSQL one), then times GET /articles/histogram in-process, each query --repeat
times, and prints p50 and p90 in milliseconds with the articles the year holds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

YEAR = "published_after=2020-01-01T00:00:00%2B03:30&published_before=2021-01-01T00:00:00%2B03:30"
QUERIES = {
    "year, no filter": f"interval=day&tz=Asia/Tehran&{YEAR}",
    "year, one source": f"interval=day&tz=Asia/Tehran&{YEAR}&source=kayhan.example",
    "year, one person": f"interval=day&tz=Asia/Tehran&{YEAR}&person=imran+khan",
    "year, one tag": f"interval=day&tz=Asia/Tehran&{YEAR}&tag=topic-007",
    "year, a search": f"interval=day&tz=Asia/Tehran&{YEAR}&q=convoys",
    "year by hour, one source": f"interval=hour&tz=Asia/Tehran&{YEAR}&source=kayhan.example",
    "ten years by month": "interval=month&tz=Asia/Tehran",
}


def main() -> None:
    from bench.size import _load
    from bench.stories import _timed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database; default: scratch SQLite")
    parser.add_argument("--reuse", action="store_true",
                        help="the database already holds the articles: skip the load")
    parser.add_argument("--repeat", type=int, default=15)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dateline-histogram-"))
    url = arguments.database_url or f"sqlite:///{folder / 'dateline.db'}"
    loaded = None if arguments.reuse else _load(arguments.articles, url, folder)

    from api.app import create_app
    client = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}).test_client()
    report = {"articles": arguments.articles, "database": url.split(":")[0], "load": loaded,
              "queries": {}}
    for name, query in QUERIES.items():
        timed = _timed(lambda query=query: client.get(f"/articles/histogram?{query}"),
                       arguments.repeat)
        answer = client.get(f"/articles/histogram?{query}")
        assert answer.status_code == 200, answer.json
        report["queries"][name] = {
            **timed, "articles_counted": answer.json["total"],
            "buckets": len(answer.json["buckets"])}
        print(f"{name:28} p50 {report['queries'][name]['p50_ms']:8.1f} ms  "
              f"p90 {report['queries'][name]['p90_ms']:8.1f} ms  "
              f"{answer.json['total']:8} articles  {len(answer.json['buckets'])} buckets",
              flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
