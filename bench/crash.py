"""Durability under crashes: SIGKILL the server while writers are busy, then check nothing
acknowledged was lost.

    python -m bench.crash [--backend sqlite|postgresql] [--cycles 20] [--writers 8]
                          [--postgres URL] [--report PATH]

Each cycle starts `dateline serve` (2 workers, own process group), lets writer threads
create, PATCH (If-Match) and DELETE their own articles, and kills the whole group with
SIGKILL after a random pause. After the last cycle one more start verifies: every
acknowledged write is there, the database is intact, and the change feed is 1..N with
each article's last entry matching it. Writes bench/results/crash-<backend>.json; exits
non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.serving import DATELINE, create_key, free_port

RESULTS = Path(__file__).resolve().parent / "results"
SOURCE = "crash.example"
COUNTED = ("acknowledged_writes", "in_flight_at_kill", "in_flight_committed",
           "in_flight_not_committed", "lost", "unexpected")


class Down(Exception):
    """No connection: the request never reached the server, so it cannot have happened."""


class InFlight(Exception):
    """The request went out but no answer came back: it may or may not have committed."""


def call(port: int, method: str, path: str, secret: str, body=None, etag=None):
    """One request on a fresh connection: (status, JSON body, ETag)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        try:
            connection.connect()
        except OSError as error:
            raise Down(str(error)) from error
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        if etag:
            headers["If-Match"] = etag
        try:
            connection.request(method, path, None if body is None else json.dumps(body),
                               headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise InFlight(str(error)) from error
    finally:
        connection.close()
    return response.status, json.loads(payload) if payload else {}, response.getheader("ETag")


@dataclass
class Article:
    """What the server has acknowledged about one article (version 0: not created yet)."""
    external_id: str
    id: str | None = None
    version: int = 0
    deleted: bool = False
    etag: str | None = None
    pending: str | None = None  # "create", "update" or "delete" sent and never answered

    def after_pending(self) -> tuple[int, bool]:
        """(version, deleted) if the unanswered write did commit."""
        return (1, False) if self.pending == "create" else (
            self.version + 1, self.pending == "delete")


def judge(article: Article, version: int, deleted: bool) -> str:
    """Compare what the server shows with what it acknowledged."""
    if (version, deleted) == (article.version, article.deleted):
        return "in_flight_not_committed" if article.pending else "match"
    if article.pending and (version, deleted) == article.after_pending():
        return "in_flight_committed"
    # Older than acknowledged, or alive after an acknowledged delete, is a lost write;
    # anything else is a change nobody asked for.
    return "lost" if version < article.version or article.deleted > deleted else "unexpected"


class Writer(threading.Thread):
    """Writes its own articles one request at a time, so each article's writes are
    sequential and every outcome can be predicted from the acknowledged ones."""

    def __init__(self, number, port, secret, stop, tally, rng):
        super().__init__(daemon=True)
        self.number, self.port, self.secret = number, port, secret
        self.stop, self.tally, self.rng = stop, tally, rng
        self.articles: list[Article] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except (Down, InFlight):
                time.sleep(0.05)  # the server is being killed or restarted: try again

    def step(self) -> None:
        # An unanswered write must be settled by reading before anything else is sent.
        for article in self.articles:
            if article.pending:
                return settle(self.port, self.secret, self.tally, article)
        unborn = [article for article in self.articles if article.version == 0]
        live = [article for article in self.articles if article.version and not article.deleted]
        if unborn:
            self.write(unborn[0], "create")
        elif len(live) < 3 or self.rng.random() < 0.1:
            self.articles.append(Article(f"w{self.number}-{uuid.uuid4().hex[:12]}"))
            self.write(self.articles[-1], "create")
        else:
            self.write(self.rng.choice(live), "delete" if self.rng.random() < 0.05 else "update")

    def write(self, article: Article, op: str) -> None:
        # Random words: no two bodies are near-duplicates, whose marks would move ETags.
        words = " ".join(f"{self.rng.getrandbits(40):010x}" for _ in range(12))
        method, path, body = {
            "create": ("POST", "/articles", {
                "source": SOURCE, "external_id": article.external_id, "url": None,
                "headline": f"Crash test {article.external_id}", "body": f"{words}.",
                "language": "en", "published_at": "2021-07-14T21:46:00+04:30", "tags": ["a"]}),
            "update": ("PATCH", f"/articles/{article.id}", {"summary": f"{words}."}),
            "delete": ("DELETE", f"/articles/{article.id}", None)}[op]
        article.pending = op  # until an answer comes, this write may or may not commit
        expected = article.after_pending()
        try:
            status, doc, etag = call(self.port, method, path, self.secret, body,
                                     etag=None if op == "create" else article.etag)
        except Down:
            article.pending = None
            raise
        except InFlight:
            return self.tally.add("in_flight_at_kill")
        article.pending = None
        if status >= 300:  # refused, so nothing may have changed: re-read to be sure
            self.tally.add(f"refused_{status}")
            return settle(self.port, self.secret, self.tally, article)
        self.tally.add("acknowledged_writes")
        seen = expected if op == "delete" else (doc.get("version"), False)
        if seen != expected:
            self.tally.add("unexpected", article, seen, f"{op} answered {doc}")
        (article.version, article.deleted), article.etag = seen, etag
        article.id = doc.get("id", article.id)


class Tally(Counter):
    """Counters shared by the threads, with the first anomalies kept in detail."""

    def __init__(self):
        super().__init__()
        self.anomalies, self.lock = [], threading.Lock()

    def add(self, name: str, article: Article | None = None, seen=None, note="") -> None:
        with self.lock:
            self[name] += 1
            if article is not None and len(self.anomalies) < 20:
                self.anomalies.append({"kind": name, "article": article.id,
                                       "external_id": article.external_id,
                                       "acked": [article.version, article.deleted],
                                       "pending": article.pending, "seen": seen, "note": note})


def settle(port: int, secret: str, tally: Tally, article: Article) -> None:
    """Read the article, judge it against the ledger, and carry on from what is stored."""
    path = (f"/articles/{article.id}" if article.id  # no id yet: its create went unanswered
            else f"/sources/{SOURCE}/articles/{article.external_id}")
    status, doc, etag = call(port, "GET", path, secret)
    if status not in (200, 404, 410):
        raise InFlight(f"GET {path} answered {status}")
    seen = {200: (doc.get("version"), False), 410: (doc.get("current_version"), True),
            404: (0, False)}[status]
    verdict = judge(article, *seen)
    tally.add(verdict, *((article, seen) if verdict in ("lost", "unexpected") else ()))
    if status == 200:
        article.id = doc["id"]
    (article.version, article.deleted), article.etag, article.pending = seen, etag, None


def start_server(database_url: str, port: int, log, env=None) -> subprocess.Popen:
    """`dateline serve` in a process group of its own, so one killpg takes every worker;
    env: settings added to this process's environment."""
    process = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "2"],
                               env={**os.environ, **(env or {}),
                                    "DATELINE_DATABASE_URL": database_url},
                               stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log: {log.name}")
        try:
            if call(port, "GET", "/readyz", "")[0] == 200:
                return process
        except (Down, InFlight):
            pass
        time.sleep(0.1)
    stop_server(process, signal.SIGKILL)
    raise RuntimeError(f"server did not become ready; log: {log.name}")


def stop_server(process: subprocess.Popen, how: signal.Signals) -> None:
    os.killpg(process.pid, how)
    process.wait(timeout=60)


def check_feed(port: int, secret: str, articles: list[Article]) -> dict:
    """Read the whole change feed: seqs must be 1..N, and each article's entries carry
    versions 1..current, the last one deleted exactly when the article is."""
    seqs, history, since = [], {}, None
    while True:
        query = "limit=1000" + (f"&since={since}" if since is not None else "")
        status, doc, _ = call(port, "GET", f"/changes?{query}", secret)
        if status != 200:
            raise RuntimeError(f"GET /changes?{query} answered {status}: {doc}")
        if not doc["changes"]:
            break
        for change in doc["changes"]:
            seqs.append(int(change["seq"].rpartition("-")[2]))
            history.setdefault(change["id"], []).append(change)
        since = doc["last_seq"]
    mismatches = set(history) - {article.id for article in articles}
    for article in filter(lambda article: article.version, articles):
        changes = history.get(article.id) or [{"version": None, "op": None}]
        if ([change["version"] for change in changes] != list(range(1, article.version + 1))
                or (changes[-1]["op"] == "deleted") != article.deleted):
            mismatches.add(article.id)
    return {"feed_seqs": len(seqs),
            "feed_gaps": len(set(range(1, max(seqs, default=0) + 1)) - set(seqs)),
            "feed_repeats": len(seqs) - len(set(seqs)), "feed_in_order": seqs == sorted(seqs),
            "feed_mismatches": len(mismatches)}


def check_integrity(database_url: str) -> str:
    """SQLite: PRAGMA integrity_check on the file. Both: the feed position equals the
    number of revisions and every article's version is its newest revision's."""
    query = ("SELECT (SELECT seq FROM feed_position WHERE id = 1) = (SELECT count(*) FROM "
             "revision) AND NOT EXISTS (SELECT 1 FROM article a WHERE a.version <> (SELECT "
             "max(r.version) FROM revision r WHERE r.article_id = a.id))")
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url[len("sqlite:///"):])) as db:
            result = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
            return result if result != "ok" or db.execute(query).fetchone()[0] else "feed drift"
    import psycopg
    with psycopg.connect(database_url) as db:
        return "ok" if db.execute(query).fetchone()[0] else "feed drift"


def run(database_url: str, cycles: int = 20, writers: int = 8, kill_after=(0.5, 3.0),
        seed: int | None = None, env: dict | None = None) -> dict:
    """Kill the server `cycles` times under `writers` busy threads, then verify. The
    database at database_url must exist (it may be empty); the report says what held.
    env: DATELINE_* settings for the server."""
    started, rng = time.monotonic(), random.Random(seed)
    port, tally, stop = free_port(), Tally(), threading.Event()
    secret = create_key({**os.environ, "DATELINE_DATABASE_URL": database_url}, "write", "crash")
    threads = [Writer(n, port, secret, stop, tally, random.Random(rng.random()))
               for n in range(writers)]
    with tempfile.NamedTemporaryFile("w", prefix="dateline-crash-", suffix=".log",
                                     delete=False) as log:
        try:
            for cycle in range(cycles):
                server = start_server(database_url, port, log, env)  # same port: writers retry
                try:
                    if cycle == 0:
                        for thread in threads:
                            thread.start()
                    time.sleep(rng.uniform(*kill_after))
                finally:
                    if cycle == cycles - 1:
                        stop.set()  # writers end; what is in flight at this kill stays so
                    stop_server(server, signal.SIGKILL)
        finally:
            stop.set()  # also when a start fails: no writer may outlive the run
        for thread in threads:
            thread.join(timeout=120)
        articles = [article for thread in threads for article in thread.articles]
        unsettled = sum(bool(article.pending) for article in articles)
        server = start_server(database_url, port, log, env)
        try:
            before = Counter(tally)
            for article in articles:
                settle(port, secret, tally, article)
            final = dict(tally - before)
            feed = check_feed(port, secret, articles)
        finally:
            stop_server(server, signal.SIGTERM)
    sqlite = database_url.startswith("sqlite")
    report = {"backend": "sqlite" if sqlite else "postgresql", "cycles": cycles,
              "writers": writers, **{name: tally[name] for name in COUNTED},
              "unsettled_at_last_kill": unsettled, "final_check": final,
              "articles": len(articles), "deleted": sum(a.deleted for a in articles),
              "refused": {name: n for name, n in tally.items() if name.startswith("refused")},
              "integrity": check_integrity(database_url),
              "integrity_check": ("PRAGMA integrity_check + " if sqlite else "") + "feed query",
              **feed, "anomalies": tally.anomalies,
              "duration_s": round(time.monotonic() - started, 1)}
    report["ok"] = (report["acknowledged_writes"] > 0 and report["integrity"] == "ok"
                    and feed["feed_in_order"] and report["lost"] == report["unexpected"]
                    == feed["feed_gaps"] == feed["feed_repeats"] == feed["feed_mismatches"] == 0)
    if report["ok"]:
        os.unlink(log.name)
    else:
        report["server_log"] = log.name
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="server to create the scratch database on")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full",
                        help="SQLite: DATELINE_SQLITE_SYNCHRONOUS for the server")
    args = parser.parse_args()
    env = {"DATELINE_SQLITE_SYNCHRONOUS": args.synchronous}
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            report = run(f"sqlite:///{folder}/crash.db", args.cycles, args.writers,
                         seed=args.seed, env=env)
    else:
        import psycopg
        name = f"dateline_crash_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            report = run(urlunsplit(urlsplit(args.postgres)._replace(path=f"/{name}")),
                         args.cycles, args.writers, seed=args.seed)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    path = args.report or RESULTS / f"crash-{args.backend}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    fields = ("cycles", "writers", *COUNTED, "unsettled_at_last_kill", "integrity",
              "feed_seqs", "feed_gaps", "feed_mismatches", "duration_s")
    print(f"{report['backend']} {'OK' if report['ok'] else 'FAILED'}: "
          + " ".join(f"{name}={report[name]}" for name in fields) + f" report={path}")
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
