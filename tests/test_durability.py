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
