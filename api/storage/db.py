"""Opening the database named by DATELINE_DATABASE_URL."""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import g, has_request_context
from peewee import (
    BigIntegerField,
    CharField,
    Database,
    DatabaseProxy,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
    __exception_wrapper__,
)
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

log = logging.getLogger(__name__)

_reading_replica = contextvars.ContextVar("dateline_reading_replica", default=False)


class RoutingDatabaseProxy(DatabaseProxy):
    """The primary database, or inside reading_replica() the read replica when one is set.

    The choice is a context variable, so concurrent requests in threads each get their own.
    """

    __slots__ = ("_primary", "_replica")

    def __init__(self):
        object.__setattr__(self, "_replica", None)
        super().__init__()

    def __setattr__(self, attr, value):
        object.__setattr__(self, attr, value)

    @property
    def obj(self):
        if self._replica is not None and _reading_replica.get():
            return self._replica
        return self._primary

    @obj.setter
    def obj(self, value):
        object.__setattr__(self, "_primary", value)

    def initialize_replica(self, replica: Database | None) -> None:
        object.__setattr__(self, "_replica", replica)

    @property
    def primary(self) -> Database:
        return self._primary

    @property
    def replica(self) -> Database | None:
        return self._replica


@contextlib.contextmanager
def _routed(to_replica: bool):
    token = _reading_replica.set(to_replica)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reading_replica():
    """Send this context's queries to the read replica, if one is configured."""
    return _routed(True)


def reading_primary():
    """Send this context's queries to the primary, even inside reading_replica()."""
    return _routed(False)


# Models bind to this placeholder; create_app points it at the configured database(s).
database = RoutingDatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    # FULL syncs every commit, so a commit survives power loss. NORMAL
    # (DATELINE_SQLITE_SYNCHRONOUS=normal) syncs at checkpoints only: a commit survives a
    # crash of the process, power loss may undo the latest ones (never corrupt the file).
    "synchronous": "full",
    "cache_size": -64000,
}


@contextlib.contextmanager
def _timed():
    """Adds the time spent inside to g.db_seconds, for the Server-Timing header."""
    if not has_request_context():
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        g.db_seconds = g.get("db_seconds", 0.0) + time.perf_counter() - started


class _TimedQueries:
    """Times each statement (_timed)."""

    def execute_sql(self, sql, params=None, *args, **kwargs):
        with _timed():
            return super().execute_sql(sql, params, *args, **kwargs)


class WriteGroup:
    """Writes from one process's threads waiting to share a transaction (group commit).

    SQLite has one writer at a time, and a write's fixed costs come at its commit: the
    full-text index writes a new segment, the write-ahead log appends every page the
    write touched. Under sixteen clients most of a create's time in the writer lock was
    those costs; writes that queue together now pay them once."""

    def __init__(self):
        self.changed = threading.Condition()
        self.waiting: list = []  # journal's entries
        self.leading = False


# Where a commit copies the log itself when a checkpoint thread runs: far above the
# size at which the thread has the log start over (api.storage.checkpoints), so only a
# stopped thread leaves it to the commits.
_CHECKPOINT_BACKSTOP_PAGES = 65536


class TimedSqliteDatabase(_TimedQueries, PooledSqliteDatabase):
    """Pooled, so a request reuses an open connection instead of paying for PRAGMAs.

    Writers take turns on a lock before BEGIN IMMEDIATE, a thread lock within the
    process and an flock on a file beside the database across processes: left to
    SQLite's busy handler, which retries after sleeps of up to 100 ms, the unluckiest
    of several waiting writers took close to a second (soak p99 915 ms)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._writer = threading.Lock()
        self._holding = threading.local()
        # An in-memory database belongs to one process: the thread lock is enough.
        self._shared = database != ":memory:" and not database.startswith("file::memory:")
        self._lock_path = f"{database}-writer.lock"
        self._lock_file = None
        # Writes of this process's threads that queue together share a transaction.
        self.write_group = WriteGroup()
        # Set by api.storage.checkpoints.start: a thread then copies the write-ahead log
        # into the database file, and commits leave it to that thread.
        self.checkpoints_elsewhere = False

    def _lock_fd(self) -> int:
        if self._lock_file is None:
            self._lock_file = open(self._lock_path, "a+b")  # noqa: SIM115 - held for life
        return self._lock_file.fileno()

    def _add_conn_hooks(self, conn):
        super()._add_conn_hooks(conn)
        if self.checkpoints_elsewhere:
            conn.execute(f"PRAGMA wal_autocheckpoint = {_CHECKPOINT_BACKSTOP_PAGES}")

    @property
    def shared(self) -> bool:
        """Whether other processes may open this database (it is a file)."""
        return self._shared

    def begin(self, *args, **kwargs):
        self._take_writer()
        try:
            return super().begin(*args, **kwargs)
        except BaseException:
            self._release_writer()
            raise

    @contextlib.contextmanager
    def writer_held(self) -> Iterator[None]:
        """Hold the writer lock without a transaction: no write begins meanwhile."""
        self._take_writer()
        try:
            yield
        finally:
            self._release_writer()

    def _take_writer(self):
        self._writer.acquire()
        self._holding.lock = True
        try:
            if self._shared:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_EX)
        except BaseException:
            self._holding.lock = False
            self._writer.release()
            raise

    def commit(self):
        try:
            return super().commit()
        finally:
            self._release_writer()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._release_writer()

    def _release_writer(self):
        if getattr(self._holding, "lock", False):
            self._holding.lock = False
            if self._shared:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)
            self._writer.release()


class TimedPostgresqlDatabase(_TimedQueries, PooledPostgresqlDatabase):
    pass


def _ids_as_text():
    """psycopg's adapters, but for uuid columns loaded as text: article ids are uuid on
    PostgreSQL (migration 0019) and text on SQLite, and the code handles them as text."""
    import psycopg  # the postgres extra
    from psycopg.adapt import AdaptersMap
    from psycopg.types.string import TextLoader

    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_loader("uuid", TextLoader)
    return adapters


def open_database(url: str, pool_size: int = 8, synchronous: str = "full") -> Database:
    """Build (without connecting) the peewee database for a sqlite:/// or postgresql:// URL;
    synchronous: SQLite's, full or normal (DATELINE_SQLITE_SYNCHRONOUS)."""
    if url.startswith("sqlite:///"):
        path = unquote(url[len("sqlite:///"):])
        if not path:
            raise ValueError("sqlite URL needs a file path, e.g. sqlite:///dateline.db")
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on
        # busy_timeout instead of failing when a read transaction upgrades.
        pragmas = SQLITE_PRAGMAS | {"synchronous": synchronous}
        return TimedSqliteDatabase(path, pragmas=pragmas, lock_type="IMMEDIATE",
                                   timeout=15, max_connections=pool_size, stale_timeout=300,
                                   # The pool lends a connection to one thread at a time,
                                   # but not always to the thread that opened it.
                                   check_same_thread=False)
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    if parts.hostname:
        params["host"] = parts.hostname
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    return TimedPostgresqlDatabase(
        unquote(parts.path.lstrip("/")),
        max_connections=pool_size,
        stale_timeout=300,
        timeout=10,
        prefer_psycopg3=True,
        # Each new connection copies its adapters from this context.
        context=_ids_as_text(),
        **params,
    )


def insert_rows(model: type[Model], rows: list[dict]) -> None:
    """executemany with the model's own column conversions, skipping peewee's per-row SQL."""
    if not rows:
        return
    names = tuple(rows[0])
    conversions = _conversions(model, names)
    values = [_converted(conversions, row) for row in rows]
    execute_many(_insert_sql(model, names, database.param), values)


def execute_many(sql: str, values: list[tuple]) -> None:
    """executemany of SQL text, timed like every statement."""
    # The wrapper turns driver errors into peewee's, as peewee's own queries do.
    with __exception_wrapper__, _timed():
        database.cursor().executemany(sql, values)


def update_row(model: type[Model], values: dict, where: dict) -> int:
    """UPDATE model SET values WHERE every column in where equals its value, with the
    model's column conversions; how many rows it changed. Its SQL text is made once per
    shape: building a write's statements cost peewee more than running them."""
    names, keys = tuple(values), tuple(where)
    sql = _update_sql(model, names, keys, database.param)
    params = (*_converted(_conversions(model, names), values),
              *_converted(_conversions(model, keys), where))
    return database.execute_sql(sql, params).rowcount


@lru_cache(maxsize=64)
def _insert_sql(model: type[Model], names: tuple, param: str) -> str:
    columns = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in names)
    marks = ", ".join([param] * len(names))
    # Names come from the model's metadata, values are bound: nothing from a request.
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'  # noqa: S608


@lru_cache(maxsize=512)
def _update_sql(model: type[Model], names: tuple, keys: tuple, param: str) -> str:
    fields = model._meta.fields
    assignments = ", ".join(f'"{fields[name].column_name}" = {param}' for name in names)
    conditions = " AND ".join(f'"{fields[name].column_name}" = {param}' for name in keys)
    return (f'UPDATE "{model._meta.table_name}" SET {assignments} '  # noqa: S608 - as above
            f"WHERE {conditions}")


@lru_cache(maxsize=512)
def _conversions(model: type[Model], names: tuple) -> tuple:
    # db_value is skipped where the value already has the column's plain type: those
    # calls were a third of a bulk insert's time.
    fields = [model._meta.fields[name] for name in names]
    return tuple((name, _plain_type(field), field.db_value)
                 for name, field in zip(names, fields, strict=True))


def _converted(conversions: tuple, row: dict) -> tuple:
    return tuple(value if value is None or type(value) is plain else convert(value)
                 for name, plain, convert in conversions for value in (row[name],))


def _plain_type(field) -> type | None:
    """str or int for columns whose db_value hands such a value back unchanged."""
    target = field.rel_field if isinstance(field, ForeignKeyField) else field
    return _PLAIN_TYPES.get(type(target))


_PLAIN_TYPES = {CharField: str, TextField: str, IntegerField: int, BigIntegerField: int}


def is_sqlite(db: Database | DatabaseProxy = database) -> bool:
    target = db.primary if isinstance(db, RoutingDatabaseProxy) else db
    return isinstance(target, SqliteDatabase)


def locked(query):
    """Lock the selected rows until commit where the database supports it (SQLite's
    writer lock already covers the whole database)."""
    return query if is_sqlite() else query.for_update()


# A bulk load's settings on SQLite, in 4 KiB pages: checkpoints copy the WAL into the
# database every 256 MiB instead of every 4 MiB, so an index page rewritten by many
# chunks is copied once (a fifth of the writer's time at 4 MiB); and a 1 GiB page
# cache holds the indexes whose keys arrive in random order (hashes, bands), which at
# a million articles no longer fit the serving default of 64 MB.
_BULK_CHECKPOINT_PAGES = 65536
_BULK_CACHE_KIB = 1024 * 1024


# A load analyses PostgreSQL's article table once the table holds this many articles,
# then each time it has doubled since: amortised, a constant cost per article, as
# ANALYZE reads a fixed-size sample.
_FIRST_ANALYSIS = 1000


class BulkLoad:
    """What a bulk load has written so far."""

    def __init__(self):
        self.written = 0
        self._at_start = self._analysed = 0 if is_sqlite() else database.execute_sql(
            "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = 'article'::regclass"
        ).fetchone()[0]

    def wrote(self, count: int) -> None:
        """Count articles written; on PostgreSQL, refresh the planner's statistics
        when the collection has doubled. A table is planned from statistics of its
        size at the last ANALYZE until autovacuum (if on) gets to it, and every table a
        chunk reads grows with it: the 500-key lookups then scanned the article table
        (at 70,000 articles, 25 ms instead of 0.3 ms, growing with every chunk), the
        near-duplicate lookup the signatures (at 224,000, 210 ms instead of 2), and
        grouping's reads of names and stories held a load to 133 articles/s at 56,000
        (400/s once analysed)."""
        self.written += count
        size = self._at_start + self.written
        if not is_sqlite() and size >= max(2 * self._analysed, _FIRST_ANALYSIS):
            database.execute_sql("ANALYZE")
            self._analysed = size


@contextlib.contextmanager
def bulk_loading() -> Iterator[BulkLoad]:
    """Settings for one connection writing many chunks in a row; at the end the WAL is
    checkpointed and truncated, so the load's cost is all paid before it returns."""
    if not is_sqlite():
        yield BulkLoad()
        return
    database.execute_sql(f"PRAGMA wal_autocheckpoint = {_BULK_CHECKPOINT_PAGES}")
    database.execute_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    try:
        yield BulkLoad()
    finally:
        database.execute_sql(f"PRAGMA cache_size = {SQLITE_PRAGMAS['cache_size']}")
        database.execute_sql("PRAGMA wal_autocheckpoint = 1000")
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def refresh_statistics() -> None:
    """Let the query planner and the search index catch up with a bulk load. PostgreSQL
    plans from the statistics ANALYZE gathers, and until autovacuum gets to a freshly
    filled table it plans a search as if the table were empty (seconds instead of
    milliseconds). SQLite's FTS5 index is left in many segments by a load's chunks, and
    a search in date order probes every segment for each article it walks: merging them
    into one took a common word's page from 5.4 ms to 0.9 ms at 20,000 articles."""
    if is_sqlite():
        database.execute_sql("PRAGMA optimize")
        database.execute_sql("INSERT INTO article_fts (article_fts) VALUES ('optimize')")
    else:
        database.execute_sql("ANALYZE")


# How long erasing() tries to empty the write-ahead log.
_ERASING_SECONDS = 30


@contextlib.contextmanager
def erasing() -> Iterator[None]:
    """Writes inside leave none of what they delete on disk. SQLite overwrites deleted
    content with zeros instead of leaving it in free pages, and afterwards moves its
    write-ahead log into the database file and empties it (older copies of the pages
    live there). PostgreSQL keeps dead rows until VACUUM (autovacuum), which the
    README's takedown section tells an operator to run."""
    if not is_sqlite():
        yield
        return
    database.execute_sql("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        database.execute_sql("PRAGMA secure_delete = OFF")
    # A checkpoint already running (a server worker's thread, api.storage.checkpoints)
    # makes this one answer busy at once, without waiting: try again until it has run.
    deadline = time.monotonic() + _ERASING_SECONDS
    while database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
        if time.monotonic() > deadline:  # what was erased is committed: say so, loudly
            log.error("write-ahead log not emptied after erasing: a reader held it")
            return
        time.sleep(0.01)
