"""Copying SQLite's write-ahead log into the database file from a thread of its own.

Left to SQLite, the commit that takes the log past 1,000 pages copies it (and with
synchronous=FULL syncs the file) before it returns, and on a server that commit holds
the writer lock: under sixteen clients the writer lock was held 97% of the time, and
those copies were about an eighth of it (README, Performance). A server's worker
starts this thread instead; its commits then only append to the log.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time

from api.storage.db import TimedSqliteDatabase

log = logging.getLogger(__name__)

# How often the thread copies what the log holds.
INTERVAL_SECONDS = 0.1
# The log starts over from its first page only when a write begins with every page
# copied and no reader still reading one, which a copy beside busy readers and writers
# rarely leaves: past this many pages, a copy waits for both (holding off writes), so
# the file stays about this small.
RESTART_PAGES = 4000
# How long that copy waits for readers before leaving the restart to a later pass (a
# long read, an export say, must not hold off writes); writes also wait for it to copy
# what is left and sync.
RESTART_WAIT_MS = 50


def start(db) -> threading.Event | None:
    """Copy db's log in a thread of this process from now on (SQLite files only); set
    the event returned to stop it."""
    if not isinstance(db, TimedSqliteDatabase) or not db.shared:
        return None
    db.checkpoints_elsewhere = True
    db.close_idle()  # a pooled connection opened before would still copy in its commits
    stop = threading.Event()
    threading.Thread(target=_run, args=(db, stop), name="dateline-checkpoints",
                     daemon=True).start()
    return stop


def _run(db: TimedSqliteDatabase, stop: threading.Event) -> None:
    connection, restart_from, settled, complained = None, RESTART_PAGES, None, -math.inf
    try:
        while not stop.wait(INTERVAL_SECONDS):
            try:
                connection = connection or connect(db)
                logged, restarted = checkpoint(db, connection, restart_from, settled)
            except Exception:  # the next pass tries again; commits are safe either way
                if time.monotonic() - complained > 60:
                    log.exception("checkpoint failed")
                    complained = time.monotonic()
                if connection is not None:
                    connection.close()
                connection = None
                continue
            # A reader that outlasted the wait (an export, say) makes the next try wait
            # for a log twice as long, so long reads hold off writes only now and then.
            if restarted:
                restart_from, settled = RESTART_PAGES, logged
            elif logged >= restart_from and logged != settled:
                restart_from *= 2
    finally:
        if connection is not None:
            connection.close()


def connect(db: TimedSqliteDatabase) -> sqlite3.Connection:
    """A connection for checkpoints only: a checkpoint empties its connection's page
    cache, which on one of the pool's the next request would read again (a filtered
    list ran a third slower with checkpoints on pooled connections)."""
    connection = sqlite3.connect(db.database, isolation_level=None)
    # Whatever the setting for commits, a checkpoint syncs the log before it copies
    # and the file before the log starts over.
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
    return connection


def checkpoint(db: TimedSqliteDatabase, connection: sqlite3.Connection,
               restart_from: int = RESTART_PAGES,
               settled: int | None = None) -> tuple[int, bool]:
    """Copy the log's pages into the database file, and once the log holds restart_from
    pages have the next write start it over; how many pages it holds, and whether it
    starts over. settled: the log's size when it was last made to start over, which it
    keeps until a write does: no need to do it again."""
    # PASSIVE waits for no reader or writer: what they still need stays in the log.
    _, logged = _checkpoint(connection, "PASSIVE")
    if logged < restart_from or logged == settled:
        return logged, False
    with db.writer_held():
        busy, logged = _checkpoint(connection, "RESTART")
    return logged, not busy


def _checkpoint(connection: sqlite3.Connection, mode: str) -> tuple[bool, int]:
    busy, logged, _copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return bool(busy), logged
