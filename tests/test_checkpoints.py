"""On a server, SQLite's write-ahead log is copied into the database file by a thread
of each worker (api.storage.checkpoints), not by the commit that fills it, which holds
the writer lock; the log must still stay small, and a long read must not stop writes."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.storage import checkpoints
from api.storage.db import database, is_sqlite


@pytest.fixture
def log_file(app, database_url):
    if not is_sqlite():
        pytest.skip("PostgreSQL writes its own log")
    return Path(database_url.removeprefix("sqlite:///") + "-wal")


@pytest.fixture
def checkpointing(app, log_file, monkeypatch):
    """The thread a server's worker runs, passing often and restarting a small log."""
    monkeypatch.setattr(checkpoints, "INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(checkpoints, "RESTART_PAGES", 100)
    stop = checkpoints.start(database.primary)
    yield
    stop.set()


def _pages(log_file: Path) -> int:
    return log_file.stat().st_size // 4096 if log_file.exists() else 0


def test_commits_leave_the_copying_to_the_thread_unless_it_stopped(app, checkpointing, log_file):
    with database.connection_context():
        # SQLite's own is 1,000 pages; a stopped thread still leaves the log bounded.
        assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] > 60000


def test_the_log_stays_small_while_clients_keep_writing_and_reading(
        app, checkpointing, log_file, sample):
    largest, writing = [0], threading.Event()
    writing.set()

    def watch():
        while writing.is_set():
            largest[0] = max(largest[0], _pages(log_file))
            time.sleep(0.001)

    def write(number):
        client = app.test_client()
        for step in range(25):
            response = client.post("/articles", json={
                **sample, "external_id": f"{number}-{step}", "url": None,
                "body": f"{sample['body']} Report {number}-{step}: " + "more " * 400})
            assert response.status_code == 201, response.json
            assert client.get("/articles?source=kayhan.ir&limit=5").status_code == 200

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(4)))
    finally:
        writing.clear()
        watcher.join()

    with database.connection_context():
        appended = database.execute_sql("SELECT count(*) FROM article").fetchone()[0]
    assert appended == 100
    # A hundred articles append thousands of pages; restarted from 100, the log never
    # held more than a few passes' worth.
    assert largest[0] < 1000, largest[0]


def test_a_long_read_delays_the_restart_but_not_the_writes(app, log_file, create, database_url):
    for number in range(5):
        create(external_id=f"before-{number}", url=None)
    checkpointer = checkpoints.connect(database.primary)
    reader = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM article").fetchone()  # holds its snapshot
    try:
        for number in range(5):
            create(external_id=f"during-{number}", url=None)
        held, restarted = checkpoints.checkpoint(database.primary, checkpointer, restart_from=1)
        assert (held > 0, restarted) == (True, False)
    finally:
        reader.rollback()
        reader.close()
    create(external_id="after", url=None)

    held, restarted = checkpoints.checkpoint(database.primary, checkpointer, restart_from=1)
    assert restarted
    create(external_id="restarted", url=None)
    with database.connection_context():
        assert database.execute_sql("SELECT count(*) FROM article").fetchone()[0] == 12
    assert checkpoints.checkpoint(database.primary, checkpointer, restart_from=10**9)[0] < held
    checkpointer.close()


def test_an_idle_log_once_started_over_is_left_alone(app, log_file, create, monkeypatch):
    for number in range(3):
        create(external_id=f"idle-{number}", url=None)
    locks = []
    holding = database.primary.writer_held
    monkeypatch.setattr(database.primary, "writer_held", lambda: locks.append(1) or holding())
    checkpointer = checkpoints.connect(database.primary)
    try:
        held, restarted = checkpoints.checkpoint(database.primary, checkpointer, 1)
        again = checkpoints.checkpoint(database.primary, checkpointer, 1, settled=held)
    finally:
        checkpointer.close()

    assert restarted
    assert again == (held, False)
    assert len(locks) == 1  # no second wait for the writer lock with nothing written
