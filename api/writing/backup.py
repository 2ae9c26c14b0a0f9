"""Backups of a SQLite database while it serves, and putting one back.

A backup copies the database as it stood when the copy began (one read transaction
held through SQLite's online backup, so writers go on and the copy does not restart).
A restore refuses while a server holds the database, checks the copy, gives it a new
change-feed epoch (mirrors then resync instead of drifting) and swaps it in whole.
PostgreSQL is backed up with its own tools (README, Backups).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

from api.writing.journal import random_epoch

# Pages copied per step: the progress report's grain.
_STEP_PAGES = 1024
_REQUIRED_TABLES = {"schema_migration", "article", "revision", "feed_position", "setting"}

Progress = Callable[[int, int], None]  # (pages in all, pages copied)


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise BackupError("dateline backup and restore work on SQLite databases; back up "
                          "PostgreSQL with pg_dump and pg_restore (README, Backups).")
    return Path(unquote(url[len("sqlite:///"):]))


def _lock_path(database: Path) -> Path:
    return database.with_name(database.name + "-serving")


@contextlib.contextmanager
def serving(url: str) -> Iterator[None]:
    """Mark the database in use for as long as this process (and processes it forks)
    lives inside: a restore refuses meanwhile. PostgreSQL: nothing to mark."""
    if not url.startswith("sqlite:///"):
        yield
        return
    with open(_lock_path(sqlite_path(url)), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def back_up(url: str, target: Path, progress: Progress | None = None) -> int:
    """Copy the database at url into target (which must not exist) as it stands now;
    return the pages copied."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"{source_path} does not exist.")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file for the backup.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(source_path, isolation_level=None, timeout=15)
    copy = sqlite3.connect(partial)
    try:
        # The read transaction fixes what is copied: later commits neither enter the
        # copy nor make SQLite start it again.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        copied = [0]

        def step(total, done):
            copied[0] = done
            if progress is not None:
                progress(total, done)

        source.backup(copy, pages=_STEP_PAGES, progress=_reporting(step))
        source.execute("COMMIT")
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    _sync(partial)
    os.replace(partial, target)
    return copied[0]


def restore(url: str, backup: Path, progress: Progress | None = None) -> str:
    """Put backup in place of the database at url (refused while a server uses it);
    return the restored database's new feed epoch."""
    database_path = sqlite_path(url)
    verify(backup)
    database_path.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(database_path), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"A server is using {database_path}: stop it first.") from None
        incoming = database_path.with_name(database_path.name + ".restoring")
        incoming.unlink(missing_ok=True)
        source, copy = sqlite3.connect(backup), sqlite3.connect(incoming)
        try:
            source.backup(copy, pages=_STEP_PAGES, progress=_reporting(progress))
            epoch = random_epoch()
            # A backup from before feed epochs gets one when migration 0013 runs.
            copy.execute("UPDATE setting SET value = ? WHERE key = 'feed_epoch'", (epoch,))
            copy.commit()
        finally:
            copy.close()
            source.close()
        _sync(incoming)
        # The old database's log must not be replayed into the restored file.
        for suffix in ("-wal", "-shm"):
            database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
        os.replace(incoming, database_path)
    return epoch


def _reporting(progress: Progress | None):
    """sqlite3's backup progress callback, reporting to progress."""
    if progress is None:
        return None
    return lambda status, remaining, total: progress(total, total - remaining)


def verify(backup: Path) -> None:
    """Refuse a file that is not an intact Dateline database."""
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist.")
    try:
        connection = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            faults = [row[0] for row in connection.execute("PRAGMA quick_check")
                      if row[0] != "ok" and not _false_null(connection, row[0])]
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup} is not a SQLite database: {error}.") from None
    if faults:
        raise BackupError(f"{backup} is damaged: {'; '.join(faults[:3])}.")
    if _REQUIRED_TABLES - tables:
        raise BackupError(f"{backup} is not a Dateline database.")


_NULL_REPORT = re.compile(r"^NULL value in (\w+)\.(\w+)$")


def _false_null(connection: sqlite3.Connection, fault: str) -> bool:
    """SQLite 3.40's check reports NULLs in a WITHOUT ROWID table whose key lists its
    columns in another order than the table does (article_entity) where there are
    none: such a report stands only if the column really holds a NULL."""
    found = _NULL_REPORT.match(fault)
    if found is None:
        return False
    table, column = found.groups()
    return connection.execute(
        f'SELECT NOT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" IS NULL)'  # noqa: S608
    ).fetchone()[0] == 1


def _sync(path: Path) -> None:
    with open(path, "rb") as written:
        os.fsync(written.fileno())
