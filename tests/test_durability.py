"""Crash durability: SIGKILL the server under concurrent writers, nothing acknowledged is lost.

A short run of bench/crash.py's harness (python -m bench.crash runs the long one) on
this test run's backend: a fresh SQLite file, or the emptied PostgreSQL database.
"""

from __future__ import annotations

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


def test_sqlite_commits_reach_the_disk_before_they_are_acknowledged(tmp_path):
    """The crash harness kills the server, not the machine: what makes a commit survive
    power loss too is synchronous=FULL on every pooled connection."""
    from api.db import open_database

    db = open_database(f"sqlite:///{tmp_path / 'sync.db'}", pool_size=2)
    with db.connection_context():
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close_all()
