"""`dateline import` and `dateline export`: files in, NDJSON out, safe to re-run."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import threading
import time
from collections import Counter

import pytest

from api.storage.db import open_database
from bench.synthetic import write_ndjson
from tests.serving import DATELINE

RAW = """\
dawn.com

News ID: 1650012
Published: July 14, 2021 21:46

Traders Count Losses as Border Stays Shut

CHAMAN (Staff Report) - Fruit traders waited for a third day beside lorries that could not cross.
"""


def _dateline(args, database_url, **extra):
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url, **extra}
    return subprocess.run([*DATELINE, *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("options", [[], ["--batch-size", "2", "--jobs", "2"]],
                         ids=["one-chunk", "worker-processes"])
def test_import_reads_every_format_and_is_safe_to_rerun(tmp_path, sample, database_url,
                                                        options):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "item.txt").write_text(RAW, encoding="utf-8")
    (folder / "one.json").write_text(json.dumps(sample), encoding="utf-8")
    (folder / "many.ndjson").write_text(
        json.dumps({**sample, "external_id": "2", "url": None}) + "\n{broken\n",
        encoding="utf-8")
    with (folder / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "external_id", "headline", "published_at", "tags",
                         "dateline_place"])
        writer.writerow(["tehrantimes.com", "77", "Rain returns to the capital",
                         "2021-07-15T08:00:00+04:30", "weather;Tehran", "Tehran"])
    (folder / "empty.txt").write_text("", encoding="utf-8")

    first = _dateline(["import", *options, str(folder)], database_url)
    again = _dateline(["import", *options, str(folder)], database_url)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "4 created, 0 updated, 0 unchanged, 2 rejected"
    assert "many.ndjson:2" in first.stdout
    assert "empty.txt" in first.stdout
    assert again.stdout.splitlines()[0] == "0 created, 0 updated, 4 unchanged, 2 rejected"

    exported = _dateline(["export"], database_url)
    articles = {line["external_id"]: line for line in map(json.loads, exported.stdout.splitlines())}
    assert set(articles) == {"1650012", "92427", "2", "77"}
    assert articles["1650012"]["dateline"]["place"] == "Chaman"
    assert articles["77"]["tags"] == ["weather", "Tehran"]


def test_raw_items_without_news_id_are_not_doubled_by_a_reimport(tmp_path, database_url):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(RAW.replace("News ID: 1650012\n", ""), encoding="utf-8")
    (folder / "b.txt").write_text(RAW.replace("News ID: 1650012\n", "").replace(
        "third day", "fourth day"), encoding="utf-8")

    first = _dateline(["import", str(folder)], database_url)
    again = _dateline(["import", str(folder)], database_url)

    assert first.stdout.splitlines()[0] == "2 created, 0 updated, 0 unchanged, 0 rejected"
    assert again.stdout.splitlines()[0] == "0 created, 0 updated, 2 unchanged, 0 rejected"
    assert len(_dateline(["export"], database_url).stdout.splitlines()) == 2


def test_export_to_a_file_round_trips_through_import(tmp_path, create, database_url, make_app):
    create()
    create(external_id="2", url=None)
    target = tmp_path / "all.ndjson"

    assert _dateline(["export", "-o", str(target)], database_url).returncode == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    fresh = f"sqlite:///{tmp_path / 'copy.db'}"
    result = _dateline(["import", str(target)], fresh)

    copied = _dateline(["export"], fresh).stdout.splitlines()
    assert len(lines) == 2
    assert result.stdout.splitlines()[0] == "2 created, 0 updated, 0 unchanged, 0 rejected"
    server_set = {"id", "duplicate_of", "story_id", "created_at", "updated_at"}

    def comparable(exported):
        rows = [{k: v for k, v in json.loads(line).items() if k not in server_set}
                for line in exported]
        return sorted(rows, key=lambda row: row["external_id"])

    assert comparable(copied) == comparable(lines)


def test_reimporting_an_export_changes_nothing(tmp_path, database_url):
    raw = tmp_path / "item.txt"
    raw.write_text(RAW, encoding="utf-8")
    assert _dateline(["import", str(raw)], database_url).returncode == 0
    exported = tmp_path / "all.ndjson"
    _dateline(["export", "-o", str(exported)], database_url)

    again = _dateline(["import", str(exported)], database_url)
    after = json.loads(_dateline(["export"], database_url).stdout)

    assert again.stdout.splitlines()[0] == "0 created, 0 updated, 1 unchanged, 0 rejected"
    assert (after["version"], after["published_at_basis"]) == (1, "default_zone")


def test_an_import_with_two_writers_keeps_the_file_order_counts_and_feed_of_one(
        tmp_path, database_url, client, postgres_url):
    """Transactions written at once: an article rewritten by a line of the next
    transaction ends as that line has it, whichever transaction is ready first."""
    if postgres_url is None:
        pytest.skip("SQLite has one writer at a time")
    originals = iter(json.loads(line) for line in _synthetic_lines(tmp_path, 400))
    lines, previous = [], []
    for number in range(12):  # 33 lines to a transaction
        if number % 2:  # rewrites the previous transaction's last three articles
            opening = [{**article, "headline": f"Rewritten: {article['headline']}"}
                       for article in previous[-3:]]
        else:  # nothing the previous one holds: the two are written at once
            opening = [next(originals) for _ in range(3)]
        previous = [next(originals) for _ in range(30)]
        lines += opening + previous
    source = tmp_path / "articles.ndjson"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    result = _dateline(["import", "--writers", "2", "--batch-size", "11",
                        "--commit-every", "33", "--jobs", "1", str(source)], database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "378 created, 18 updated, 0 unchanged, 0 rejected"
    stored = [json.loads(line) for line in _dateline(["export"], database_url).stdout.splitlines()]
    last_line = {(line["source"], line["external_id"]): line["headline"] for line in lines}
    assert {(article["source"], article["external_id"]): article["headline"]
            for article in stored} == last_line
    assert len(stored) == 378
    sources = client.get("/sources?limit=100").json["items"]
    assert {item["domain"]: item["article_count"] for item in sources} == Counter(
        article["source"] for article in stored)
    changes = client.get("/changes?limit=1000").json["changes"]
    assert Counter((change["op"], change["version"]) for change in changes) == {
        ("created", 1): 378, ("updated", 2): 18}


def test_two_writers_have_two_transactions_open_at_once(make_app, postgres_url, monkeypatch):
    if postgres_url is None:
        pytest.skip("SQLite has one writer at a time")
    from api.storage.db import database
    from api.writing import bulk

    both_open = threading.Barrier(2, timeout=10)

    def meeting(prepared, preconditions):
        assert database.in_transaction()
        both_open.wait()  # BrokenBarrierError unless the other transaction is open too
        return {"results": [], "counts": {}}

    monkeypatch.setattr(bulk, "write_prepared", meeting)
    app = make_app()
    chunks = [(number, [bulk.Rejected([])]) for number in range(4)]
    with app.app_context(), database.connection_context():
        written = list(bulk.write_chunks(iter(chunks), None, 1, 2, app.app_context))

    assert [chunk for chunk, _ in written] == [0, 1, 2, 3]


_STORED_WIRE = {"source": "wire.example", "external_id": "w-1", "url": "https://wire.example/1",
                "headline": "Stored", "published_at": "2024-03-01T08:00:00Z", "body": "Text."}


def _by_key_and_by_url():
    from api.writing import bulk
    return (bulk.Prepared({"source": "wire.example", "external_id": "w-1"}),
            bulk.Prepared({"source": "wire.example", "url": "https://wire.example/1"}))


def test_lines_naming_a_stored_article_by_its_key_or_by_its_url_match_the_same_one(
        app, client):
    from api.storage.db import database
    from api.writing import bulk

    stored = client.post("/articles", json=_STORED_WIRE).json
    by_key, by_url = _by_key_and_by_url()
    with app.app_context(), database.connection_context():
        matched = [bulk._matched([(0, [line])]) for line in (by_key, by_url)]

    assert matched == [{stored["id"]}, {stored["id"]}]


def test_lines_reaching_one_article_by_its_key_and_by_its_url_are_not_written_at_once(
        app, client, postgres_url, monkeypatch):
    """The first line names the article by its source's ID, the next by its URL alone:
    the second transaction waits for the first, so the file's later line wins."""
    if postgres_url is None:
        pytest.skip("SQLite has one writer at a time")
    from api.storage.db import database
    from api.writing import bulk

    assert client.post("/articles", json=_STORED_WIRE).status_code == 201
    by_key, by_url = _by_key_and_by_url()
    second_began, first_saw_it = threading.Event(), []

    def observed(prepared, preconditions):
        if prepared[0] is by_key:
            first_saw_it.append(second_began.wait(timeout=1))
        else:
            second_began.set()
        return {"results": [], "counts": {}}

    monkeypatch.setattr(bulk, "write_prepared", observed)
    with app.app_context(), database.connection_context():
        written = list(bulk.write_chunks(iter([(0, [by_key]), (1, [by_url])]), None, 1, 2,
                                         app.app_context))

    assert [chunk for chunk, _ in written] == [0, 1]
    assert first_saw_it == [False]


def test_sqlite_is_written_by_one_writer(tmp_path, database_url, postgres_url):
    if postgres_url is not None:
        pytest.skip("PostgreSQL takes several")
    source = tmp_path / "articles.ndjson"
    write_ndjson(str(source), 3)

    result = _dateline(["import", "--writers", "2", str(source)], database_url)

    assert result.returncode == 2
    assert "SQLite has one writer at a time" in result.stderr


def _synthetic_lines(tmp_path, count: int) -> list[str]:
    path = tmp_path / "synthetic.ndjson"
    write_ndjson(str(path), count)
    return path.read_text(encoding="utf-8").splitlines()


def test_a_postgresql_load_refreshes_the_planners_statistics_each_time_it_doubles(
        make_app, postgres_url):
    """Autovacuum analyses a growing table only now and then; planned from statistics
    of a smaller table, each chunk's key lookups would scan the whole table."""
    if postgres_url is None:
        pytest.skip("SQLite plans key lookups without statistics")
    from api.storage.db import BulkLoad, database

    def analyses() -> int:
        database.execute_sql("SELECT pg_stat_clear_snapshot()")
        return database.execute_sql(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'article'"
        ).fetchone()[0]

    with make_app().app_context(), database.connection_context():
        database.execute_sql("ANALYZE article")  # as a load into an empty table finds it
        before, load = analyses(), BulkLoad()
        seen = []
        for count in (999, 1, 999, 1, 1999, 1):
            load.wrote(count)
            seen.append(analyses() - before)
    assert seen == [0, 1, 1, 2, 2, 3]


def _committed(database_url: str) -> int:
    """Articles an import has committed so far, read as another client would."""
    db = open_database(database_url, pool_size=1)
    try:
        with db.connection_context():
            if "feed_position" not in db.get_tables():
                return 0
            return db.execute_sql("SELECT seq FROM feed_position").fetchone()[0]
    finally:
        db.close_all()


def test_an_import_killed_mid_load_leaves_whole_commits_and_a_rerun_completes_it(
        tmp_path, database_url):
    source = tmp_path / "articles.ndjson"
    write_ndjson(str(source), 2400)
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url}
    importing = subprocess.Popen(
        [*DATELINE, "import", "--batch-size", "100", "--commit-every", "300", "--jobs", "1",
         str(source)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _committed(database_url) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        importing.kill()
        importing.wait()
    killed_at = _committed(database_url)
    stored = _dateline(["export"], database_url)
    rerun = _dateline(["import", str(source)], database_url)
    after = _dateline(["export"], database_url)

    assert 300 <= killed_at < 2400, "the import was not interrupted mid-load"
    assert killed_at % 300 == 0
    assert len(stored.stdout.splitlines()) == killed_at
    assert rerun.stdout.splitlines()[0] == \
        f"{2400 - killed_at} created, 0 updated, {killed_at} unchanged, 0 rejected"
    keys = [(line["source"], line["external_id"]) for line in map(json.loads,
                                                                  after.stdout.splitlines())]
    assert len(keys) == len(set(keys)) == 2400
