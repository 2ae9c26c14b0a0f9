"""Bytes per article, table by table and index by index, and the load rate.

    python -m bench.size [--articles 10000] [--database-url URL] [--edits 0.1]

Loads --articles synthetic articles (bench.synthetic, fixed seed) with `dateline
import` into a scratch SQLite file (or the database given, which must be empty; on
PostgreSQL a database of its own, since every relation in it is counted), reporting
the rate over the first and the last tenth of the load; then replaces --edits of them
(a share) with a second version through the same import, so that history is part of
what is measured. Prints each table's and index's bytes per article, largest first,
and the whole; writes bench/results/size-<backend>-<n>.json.

SQLite sizes are pages as dbstat counts them (the full-text index's shadow tables
included); PostgreSQL's are pg_table_size (heap, TOAST, maps) and pg_relation_size
per index, after VACUUM so that dead tuples of the edits are not counted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

from bench.reads import RESULTS, _stored
from bench.synthetic import write_ndjson

# Seconds between two readings of the feed position while an import runs.
_SAMPLE_SECONDS = 2.0


def _feed_position(database_url: str) -> int:
    """Revisions committed so far (0 before the schema exists)."""
    try:
        if database_url.startswith("sqlite:///"):
            import sqlite3
            from contextlib import closing
            with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"),
                                         timeout=1)) as connection:
                return connection.execute("SELECT seq FROM feed_position").fetchone()[0]
        import psycopg
        with psycopg.connect(database_url) as connection:
            return connection.execute("SELECT seq FROM feed_position").fetchone()[0]
    except Exception:  # not created yet, or busy: the next reading will do
        return 0


def _rate_between(samples: list[tuple[float, int]], low: int, high: int) -> int:
    """Articles per second while the count went from low to high (interpolated)."""
    def when(count: int) -> float:
        for (t0, c0), (t1, c1) in itertools.pairwise(samples):
            if c0 <= count <= c1 and c1 > c0:
                return t0 + (t1 - t0) * (count - c0) / (c1 - c0)
        return samples[-1][0]
    return round((high - low) / max(when(high) - when(low), 1e-9))


def _load(count: int, database_url: str, folder: Path) -> dict:
    """`dateline import` of count synthetic articles, with the rate over the first and
    the last tenth of them, read off the feed position as the import commits."""
    import os
    import subprocess
    import time

    from tests.serving import DATELINE

    source = folder / "articles.ndjson"
    write_ndjson(str(source), count)
    started = time.perf_counter()
    importing = subprocess.Popen([*DATELINE, "import", str(source)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "DATELINE_DATABASE_URL": database_url})
    samples = [(0.0, 0)]
    while importing.poll() is None:
        time.sleep(_SAMPLE_SECONDS)
        samples.append((time.perf_counter() - started, _feed_position(database_url)))
    seconds = time.perf_counter() - started
    if importing.returncode:
        raise RuntimeError(f"dateline import failed ({importing.returncode})")
    samples.append((seconds, count))
    source.unlink()
    tenth = count // 10
    return {"seconds": round(seconds, 1), "articles_per_second": round(count / seconds),
            "first_tenth_per_second": _rate_between(samples, 0, tenth),
            "last_tenth_per_second": _rate_between(samples, count - tenth, count)}


def _edit(count: int, share: float, database_url: str, folder: Path) -> int:
    """Import a second version of the first share*count articles (a changed headline)."""
    import os
    import subprocess

    from tests.serving import DATELINE

    edited = int(count * share)
    if not edited:
        return 0
    source = folder / "first.ndjson"
    write_ndjson(str(source), edited)
    changed = folder / "edits.ndjson"
    with source.open() as lines, changed.open("w") as out:
        for line in lines:
            item = json.loads(line)
            item["headline"] += " (updated)"
            out.write(json.dumps(item) + "\n")
    subprocess.run([*DATELINE, "import", str(changed)], check=True, capture_output=True,
                   env={**os.environ, "DATELINE_DATABASE_URL": database_url})
    return edited


def _sqlite_sizes(path: Path) -> dict[str, int]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return dict(connection.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))


def _postgres_sizes(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM")
        rows = connection.execute(
            "SELECT c.relname, CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid)"
            " ELSE pg_table_size(c.oid) END"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')")
        return dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty database; default: scratch SQLite")
    parser.add_argument("--edits", type=float, default=0.1,
                        help="share of the articles given a second version")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder}/size.db"
        if _stored(url):
            parser.error("the database must be empty: its size is what is measured")
        load = _load(args.articles, url, folder)
        edited = _edit(args.articles, args.edits, url, folder)
        if url.startswith("sqlite:///"):
            sizes = _sqlite_sizes(Path(url.removeprefix("sqlite:///")))
        else:
            sizes = _postgres_sizes(url)
    per_article = {name: round(size / args.articles)
                   for name, size in sorted(sizes.items(), key=lambda item: -item[1])
                   if size}
    report = {"backend": url.split(":")[0], "articles": args.articles,
              "edited": edited, "load": load,
              "bytes_per_article": round(sum(sizes.values()) / args.articles),
              "by_table_and_index": per_article}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"size-{report['backend']}-{args.articles}.json").write_text(
        json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
