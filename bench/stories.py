"""Stories at scale: what grouping costs a write, and the story reads, by collection size.

    python -m bench.stories --articles 200000 [--database-url postgresql://…] [--reuse]

Loads N synthetic articles with `dateline import` (each grouped as it is written) into
a scratch database (SQLite unless --database-url names an empty PostgreSQL one), then,
in-process: the time grouping takes to find the stories of 500 new articles
(grouping.matching_stories, read only, so the collection does not change), and
GET /stories, GET /stories/{id} and GET /articles?collapse=story, each --repeat
times; p50 and p90 in milliseconds, and how the articles fell into stories.

The synthetic articles draw every word from one 60-word list and their names from
short lists, so within any three days most of them share names and words: stories
here are as large as grouping's week-long span lets them be, far larger than news
gives. That is the case for the cost a write pays.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

READS = {
    "GET /stories": "/stories",
    "GET /stories, one person": "/stories?person=imran+khan",
    "GET /stories, a search": "/stories?q=convoys&published_after=2020-01-01T00:00:00Z",
    "GET /articles?collapse=story": "/articles?collapse=story",
    "collapse=story, one source": "/articles?collapse=story&source=kayhan.example",
}


def _timed(action, repeat: int) -> dict:
    action()  # warm the cache once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[max(int(len(times) * 0.9) - 1, 0)], 2)}


def _grouping_cost(repeat_articles: int) -> dict:
    """matching_stories for new articles spread over the same ten years."""
    from api.storage.models import Article
    from api.writing import grouping, store
    from bench.synthetic import articles
    from schemas.fields import parse_rfc3339

    times = []
    for number, data in enumerate(articles(repeat_articles, seed=99)):
        published = parse_rfc3339(data["published_at"])
        article = Article(id=f"bench-{number}", headline=data["headline"], summary=None,
                          body=data["body"], published_at=published.utc,
                          people=data["people"], places=data["places"],
                          organisations=data["organisations"])
        member = grouping.member_of(article, store.body_signature(data["body"]))
        started = time.perf_counter()
        grouping.matching_stories(member)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"articles": repeat_articles, "p50_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[int(len(times) * 0.9) - 1], 2)}


def _distribution() -> dict:
    from peewee import fn

    from api.storage.models import Story

    live = Story.select().where(Story.absorbed_into.is_null() & (Story.article_count > 0))
    sizes = sorted(size for (size,) in live.select(Story.article_count).tuples())
    spans = [(last - first).total_seconds() / 3600 for first, last in live.select(
        Story.first_published_at, Story.last_published_at).tuples()]
    absorbed = Story.select(fn.COUNT(Story.id)).where(Story.absorbed_into.is_null(False))
    return {"stories": len(sizes), "absorbed": absorbed.scalar(),
            "size_p50": sizes[len(sizes) // 2], "size_p99": sizes[int(len(sizes) * 0.99)],
            "size_max": sizes[-1], "span_hours_max": round(max(spans), 1)}


def main() -> None:
    from bench.size import _load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database; default: scratch SQLite")
    parser.add_argument("--reuse", action="store_true",
                        help="the database already holds the articles: skip the load")
    parser.add_argument("--repeat", type=int, default=15)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dateline-stories-"))
    url = arguments.database_url or f"sqlite:///{folder / 'dateline.db'}"
    loaded = None if arguments.reuse else _load(arguments.articles, url, folder)
    if loaded:
        print(f"load: {loaded['seconds']} s, {loaded['articles_per_second']} articles/s",
              flush=True)

    from api.app import create_app
    from api.storage.db import database
    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    client = app.test_client()
    report = {"articles": arguments.articles, "database": url.split(":")[0], "load": loaded}
    with app.app_context(), database.connection_context():
        report["stories"] = _distribution()
        print(json.dumps(report["stories"]), flush=True)
        report["grouping_per_write"] = _grouping_cost(500)
    print(f"{'grouping a write (matching)':32} p50 {report['grouping_per_write']['p50_ms']:7.2f}"
          f" ms  p90 {report['grouping_per_write']['p90_ms']:7.2f} ms", flush=True)
    newest = client.get("/stories?limit=1").json["items"][0]["id"]
    reads = {**READS, "GET /stories/{id}": f"/stories/{newest}"}
    report["reads"] = {}
    for name, path in reads.items():
        def read(path=path):
            answer = client.get(path)
            assert answer.status_code == 200, answer.json
        report["reads"][name] = _timed(read, arguments.repeat)
        print(f"{name:32} p50 {report['reads'][name]['p50_ms']:7.2f} ms  "
              f"p90 {report['reads'][name]['p90_ms']:7.2f} ms", flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
