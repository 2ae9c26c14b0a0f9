"""Crash durability: SIGKILL the server under concurrent writers, nothing acknowledged is lost.

A short run of bench/crash.py's harness (python -m bench.crash runs the long one) on
this test run's backend: a fresh SQLite file, or the emptied PostgreSQL database.
"""

from __future__ import annotations

import pytest

from api.storage.db import is_sqlite
from bench.crash import run


def test_acknowledged_writes_survive_sigkill(database_url):
    report = run(database_url, cycles=3, writers=4, kill_after=(0.3, 1.0))

    assert report["acknowledged_writes"] > 0, report
    assert report["lost"] == 0, report["anomalies"]
    assert report["unexpected"] == 0, report["anomalies"]
    assert report["integrity"] == "ok", report
    assert report["feed_gaps"] == report["feed_repeats"] == 0, report
    assert report["feed_in_order"], report
    assert report["feed_mismatches"] == 0, report
    assert report["ok"], report


def test_acknowledged_writes_survive_sigkill_with_syncs_at_checkpoints_only(database_url):
    report = run(database_url, cycles=2, writers=4, kill_after=(0.3, 1.0),
                 env={"DATELINE_SQLITE_SYNCHRONOUS": "normal"})

    assert report["acknowledged_writes"] > 0, report
    assert report["lost"] == report["unexpected"] == 0, report["anomalies"]
    assert report["ok"], report


@pytest.mark.parametrize(("setting", "level"), [("full", 2), ("normal", 1), (None, 2)])
def test_sqlite_syncs_every_commit_only_when_asked_to(make_app, tmp_path, setting, level):
    """The crash harness kills the server, not the machine: what makes a commit survive
    power loss too is synchronous=FULL on every pooled connection."""
    from api.storage.db import database

    make_app(**({"SQLITE_SYNCHRONOUS": setting} if setting else {}))
    if not is_sqlite():
        pytest.skip("PostgreSQL's durability is its own fsync setting")
    with database.connection_context():
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == level
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
