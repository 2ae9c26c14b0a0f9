"""Backups taken while serving, restores that refuse a live database, and the feed epoch
a restore renews so that mirrors resync instead of drifting."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading

import pytest

from api.writing.backup import BackupError, back_up, restore, serving, verify
from tests.serving import DATELINE, free_port, wait_until_up


def _dateline(args, database_url):
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url}
    return subprocess.run([*DATELINE, *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite:///"):
        pytest.skip("PostgreSQL is backed up with pg_dump and pg_restore (README, Backups)")


def _ids(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM article")}


def _epoch(path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT value FROM setting WHERE key = 'feed_epoch'").fetchone()[0]


def test_a_backup_under_load_holds_every_article_acknowledged_before_it_began(
        sqlite_only, app, sample, tmp_path, database_url):
    acknowledged, stop, failures = [], threading.Event(), []

    def writer(number):
        client = app.test_client()
        count = 0
        while not stop.is_set():
            count += 1
            response = client.post("/articles", json={
                **sample, "external_id": f"{number}-{count}", "url": None,
                "body": f"Item {count} from writer {number}."})
            if response.status_code == 201:
                acknowledged.append(response.json["id"])
            else:
                failures.append(response.status_code)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()
    while len(acknowledged) < 30:
        stop.wait(0.01)
    before = set(acknowledged)
    reported = []
    try:
        back_up(database_url, tmp_path / "copy.db", lambda total, done: reported.append(done))
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    fresh = tmp_path / "restored" / "dateline.db"
    epoch = restore(f"sqlite:///{fresh}", tmp_path / "copy.db")

    assert not failures
    assert before <= _ids(fresh) <= set(acknowledged)
    assert reported[-1] > 0
    assert epoch == _epoch(fresh) != _epoch(database_url.removeprefix("sqlite:///"))
    verify(fresh)


def test_a_mirrors_position_from_before_a_restore_is_gone(
        sqlite_only, make_app, client, create, tmp_path, database_url):
    create()
    position = client.get("/changes").json["last_seq"]
    back_up(database_url, tmp_path / "copy.db")
    restore(f"sqlite:///{tmp_path / 'restored.db'}", tmp_path / "copy.db")

    restored = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'restored.db'}").test_client()
    answer = restored.get(f"/changes?since={position}")

    assert answer.status_code == 410
    assert answer.json["type"].endswith("feed-epoch-changed")
    assert [c["op"] for c in restored.get("/changes").json["changes"]] == ["created"]


def test_restore_refuses_while_a_server_uses_the_database(
        sqlite_only, create, tmp_path, database_url):
    create()
    back_up(database_url, tmp_path / "copy.db")
    served = tmp_path / "served.db"
    restore(f"sqlite:///{served}", tmp_path / "copy.db")
    epoch = _epoch(served)

    with serving(f"sqlite:///{served}"), pytest.raises(BackupError, match="server is using"):
        restore(f"sqlite:///{served}", tmp_path / "copy.db")

    assert _epoch(served) == epoch


def test_restore_refuses_a_file_that_is_not_a_dateline_backup(sqlite_only, tmp_path):
    stranger = tmp_path / "other.db"
    with sqlite3.connect(stranger) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    target = tmp_path / "target.db"

    for wrong in (stranger, garbage):
        with pytest.raises(BackupError):
            restore(f"sqlite:///{target}", wrong)

    assert not target.exists()


def test_backup_never_overwrites_a_file(sqlite_only, create, tmp_path, database_url):
    create()
    existing = tmp_path / "precious.db"
    existing.write_bytes(b"keep me")

    with pytest.raises(BackupError, match="exists"):
        back_up(database_url, existing)

    assert existing.read_bytes() == b"keep me"


def test_backup_and_restore_commands_round_trip(sqlite_only, create, tmp_path, database_url):
    created = create()
    copy, restored = tmp_path / "nightly.db", tmp_path / "restored.db"

    backed = _dateline(["backup", str(copy)], database_url)
    put_back = _dateline(["restore", str(copy)], f"sqlite:///{restored}")

    assert backed.returncode == 0, backed.stderr
    assert put_back.returncode == 0, put_back.stderr
    assert "feed epoch is now" in put_back.stdout
    assert _ids(restored) == {created["id"]}


def test_new_feed_epoch_command_sends_mirrors_back_to_the_start(client, create,
                                                                database_url):
    create()
    position = client.get("/changes").json["last_seq"]

    renewed = _dateline(["db", "new-feed-epoch"], database_url)

    assert renewed.returncode == 0, renewed.stderr
    assert client.get(f"/changes?since={position}").status_code == 410


def test_backup_of_postgresql_points_at_its_own_tools(tmp_path):
    url = "postgresql://postgres@127.0.0.1:5432/test"

    with pytest.raises(BackupError, match="pg_dump"):
        back_up(url, tmp_path / "copy.db")


def test_restore_waits_for_a_running_server_to_stop(sqlite_only, tmp_path):
    served = f"sqlite:///{tmp_path / 'served.db'}"
    env = {**os.environ, "DATELINE_DATABASE_URL": served}
    port = free_port()
    server = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, server)
        copied = _dateline(["backup", str(tmp_path / "copy.db")], served)
        refused = _dateline(["restore", str(tmp_path / "copy.db")], served)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    accepted = _dateline(["restore", str(tmp_path / "copy.db")], served)

    assert copied.returncode == 0, copied.stderr
    assert refused.returncode != 0
    assert "server is using" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
