"""Revisions, source counts and the change feed's order.

Every write runs inside writing(). Revisions recorded during it are numbered and
inserted as the transaction's last step, so the feed position is claimed after every
row lock the write needs: positions then commit in the order they were handed out,
and waiting for the position row can never close a circle of locks. Source counts move
in that last step too, just before: on PostgreSQL a count's row lock is held until
commit, so other writers of the same source wait for the transaction's end only.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

from api.storage.db import WriteGroup, database, insert_rows, locked
from api.storage.models import Article, FeedPosition, Revision, Setting, legacy_extraction
from api.writing import grouping


@dataclass
class _Pending:
    """What the transaction writes last: revisions (article, op, replaced) and source
    count changes (domain, change)."""

    revisions: list = field(default_factory=list)
    counts: list = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        return len(self.revisions), len(self.counts)

    def undo(self, mark: tuple[int, int]) -> None:
        """Forget what was recorded since mark (a savepoint rolled back)."""
        del self.revisions[mark[0]:]
        del self.counts[mark[1]:]


_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "dateline_pending_writes", default=None)
_DATE_FIELDS = frozenset(name for name, field in Article._meta.fields.items()
                         if field.field_type == "DATETIME")


@contextlib.contextmanager
def writing():
    """A transaction (a savepoint when nested) whose revisions commit with it."""
    pending = _pending.get()
    if pending is not None:
        mark = pending.mark()
        try:
            with database.atomic():
                yield
        except BaseException:
            pending.undo(mark)
            raise
        return
    token = _pending.set(_Pending())
    try:
        with database.atomic():
            yield
            _store(_pending.get())
    finally:
        _pending.reset(token)


@dataclass
class _Entry:
    write: Callable[[], Any]
    context: contextvars.Context
    done: bool = False
    result: Any = None
    error: BaseException | None = None


def run_writing(write: Callable[[], Any]) -> Any:
    """write() inside writing(), its result or its exception. Where the database has a
    WriteGroup, write() may run in another thread of this process, in its own savepoint
    of a transaction shared with other writes, and always in this thread's context
    (request, key, timings): a write that fails rolls back alone, a commit that fails
    fails every write in it, and none is answered before its commit."""
    group = getattr(database.primary, "write_group", None)
    if group is None or _pending.get() is not None or database.in_transaction():
        with writing():
            return write()
    entry = _Entry(write, contextvars.copy_context())
    with group.changed:
        group.waiting.append(entry)
        while not entry.done and group.leading:
            group.changed.wait()
        leading = not entry.done
        group.leading = group.leading or leading
    if leading:
        try:
            _commit_together(group)
        finally:
            with group.changed:
                group.leading = False
                group.changed.notify_all()
    if entry.error is not None:
        raise entry.error
    return entry.result


def _in_savepoint(write: Callable[[], Any]) -> Any:
    with writing():
        return write()


def _commit_together(group: WriteGroup) -> None:
    """One transaction holding every write queued by the time it has the writer lock,
    each in a savepoint of its own and in its own context (its revisions claim feed
    positions at the end of its savepoint, in order)."""
    batch: list[_Entry] = []
    try:
        with writing():
            with group.changed:
                batch, group.waiting = group.waiting, []
            for entry in batch:
                try:
                    entry.result = entry.context.run(_in_savepoint, entry.write)
                except Exception as error:  # this write's own failure: the others go on
                    entry.error = error
    except BaseException as error:
        with group.changed:
            if not batch:  # the transaction never began: what waits for it fails with it
                batch, group.waiting = group.waiting, []
        for entry in batch:
            if entry.error is None:
                entry.error, entry.result = error, None
        if not isinstance(error, Exception):
            raise
    finally:
        for entry in batch:
            entry.done = True


def require_writing() -> None:
    """Called before an article row is written: outside writing() its revision would be
    lost (and in autocommit mode the row already committed)."""
    if _pending.get() is None:
        raise RuntimeError("article written outside journal.writing()")


def record(article: Article, op: str, replaced: Article | None = None) -> None:
    """Note that article (as now written) is a new version made by op, in place of the
    version replaced (None for a new article)."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("record() outside writing(): the revision would be lost")
    pending.revisions.append((article, op, replaced))


def count(domain: str, change: int) -> None:
    """Move a source's article_count by change when the transaction ends."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("count() outside writing(): the change would be lost")
    pending.counts.append((domain, change))


# Claims positions and reads the last claimed in one statement (SQLite 3.35+, PostgreSQL).
_CLAIM = 'UPDATE "feed_position" SET "seq" = "seq" + {p} WHERE "id" = 1 RETURNING "seq"'


def hold_feed_position() -> None:
    """Take the feed position's lock until commit, as a writing transaction does last:
    work done under it runs one transaction at a time (grouping, for one)."""
    list(locked(FeedPosition.select(FeedPosition.seq).where(FeedPosition.id == 1)))


def _acting_key() -> str | None:
    return g.get("key_id") if has_request_context() else None


# A version's copy is written when a later version replaces it (see Revision.snapshot).
_KEEP = ('UPDATE "revision" SET "snapshot" = {p}'
         ' WHERE "article_id" = {p} AND "version" = {p} AND "snapshot" IS NULL')


_COUNT = 'UPDATE "source" SET "article_count" = "article_count" + {p} WHERE "domain" = {p}'


def _store(writes: _Pending) -> None:
    _move_counts(writes.counts)
    pending = writes.revisions
    if not pending:
        return
    last = database.execute_sql(_CLAIM.format(p=database.param), (len(pending),)).fetchone()[0]
    key_id = _acting_key()
    rows = [{"seq": last - len(pending) + number, "article_id": article.id,
             "version": article.version, "op": op,
             "at": article.deleted_at if op == "deleted" else article.updated_at,
             "source": article.source_id, "key_id": key_id, "snapshot": None}
            for number, (article, op, _) in enumerate(pending, start=1)]
    insert_rows(Revision, rows)
    # While this transaction holds the feed position: see grouping.
    grouping.follow(pending, datetime.now(UTC).replace(tzinfo=None))
    # After the inserts: an article written twice in one transaction replaces a
    # version inserted just above.
    _keep([(snapshot(replaced), article.id, article.version - 1)
           for article, _, replaced in pending if replaced is not None])


def _move_counts(counts: list[tuple[str, int]]) -> None:
    """One UPDATE per source, in domain order like every writer's and before the feed
    position, so two writers cannot wait on each other's sources in a circle."""
    changes = Counter()
    for domain, change in counts:
        changes[domain] += change
    for domain in sorted(changes):
        if changes[domain]:
            database.execute_sql(_COUNT.format(p=database.param), (changes[domain], domain))


def _keep(copies: list[tuple[str, str, int]]) -> None:
    """Write (snapshot, article id, version) copies into revisions that have none."""
    if copies:
        database.cursor().executemany(_KEEP.format(p=database.param), copies)


def keep_history(articles: list[Article]) -> None:
    """Copy the current version of articles whose rows are about to be deleted into
    their revisions: history outlives the row."""
    _keep([(snapshot(article), article.id, article.version) for article in articles])


def version_of(revision: Revision) -> Article:
    """The article as revision left it: its copy, or the article row while that is
    still the version."""
    if revision.snapshot is None:
        current = Article.get_or_none(Article.id == revision.article_id)
        if current is not None and current.version == revision.version:
            return current
        # Replaced since the revision was read, which wrote its copy in the same commit.
        revision = Revision.get_by_id(revision.seq)
    return from_snapshot(revision.snapshot)


def snapshot(article: Article) -> str:
    """The article row as JSON text."""
    row = {}
    for name in Article._meta.sorted_field_names:
        value = article.__data__.get(name)
        row[name] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(row, ensure_ascii=False)


def from_snapshot(text: str) -> Article:
    """The article a snapshot describes (not saved)."""
    row = legacy_extraction(json.loads(text))
    for name in _DATE_FIELDS:
        if row.get(name) is not None:
            row[name] = datetime.fromisoformat(row[name])
    return Article(**row)


_EPOCH_SETTING = "feed_epoch"


def feed_epoch() -> str:
    """The random id of this database's feed (migration 0013), which a restore renews:
    positions from before it belong to another feed."""
    return Setting.get_by_id(_EPOCH_SETTING).value


def position(epoch: str, seq: int) -> str:
    """A feed position as clients see it: the epoch, then the revision's number in it."""
    return f"{epoch}-{seq}"


def random_epoch() -> str:
    return secrets.token_hex(4)


def new_feed_epoch() -> str:
    """Start a new feed epoch: every position handed out before is refused (410)."""
    epoch = random_epoch()
    Setting.update(value=epoch).where(Setting.key == _EPOCH_SETTING).execute()
    return epoch


def last_seq() -> int:
    return FeedPosition.select(FeedPosition.seq).where(FeedPosition.id == 1).scalar() or 0
