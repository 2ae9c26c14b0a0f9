"""The `dateline` command: serve, keys, db, import, enrich, rezone, export, backup,
restore, openapi."""

from __future__ import annotations

import pathlib
import sys
from contextlib import contextmanager

import click

from api.config import ConfigError, load_settings


def _settings() -> dict:
    try:
        return load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _database(settings: dict):
    from api.storage.db import open_database
    return open_database(settings["DATABASE_URL"], pool_size=1,
                         synchronous=settings["SQLITE_SYNCHRONOUS"])


@click.group()
def main():
    """Dateline: a REST API for news-article metadata."""


@main.command()
@click.option("--host", help="Address to listen on [DATELINE_HOST, 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [DATELINE_PORT, 8000].")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Worker processes [DATELINE_WORKERS, 2].")
def serve(host, port, workers):
    """Run the API under gunicorn, applying pending migrations first."""
    from api.server import run
    from api.storage.migrations import pending_migrations, upgrade

    settings = _settings()
    db = _database(settings)
    with db.connection_context():
        if settings["AUTO_MIGRATE"]:
            for migration in upgrade(db):
                click.echo(f"applied migration {migration.version:04d}: {migration.name}")
        elif pending := pending_migrations(db):
            raise click.ClickException(
                f"{len(pending)} schema migration(s) pending and DATELINE_AUTO_MIGRATE is "
                "false: run `dateline db upgrade` first.")
        _first_write_key(db)
    # Close for real: a pooled connection would be inherited by every forked worker.
    db.close_all()
    from api.writing.backup import serving
    with serving(settings["DATABASE_URL"]):  # `dateline restore` refuses meanwhile
        run(host or settings["HOST"], port or settings["PORT"],
            workers or settings["WORKERS"])


def _first_write_key(db) -> None:
    """Writes always need a key: with no usable one stored, make one and show it once."""
    import secrets

    from api.errors import Problem
    from api.storage.db import database
    from api.storage.models import ApiKey
    from api.web.auth import create_key, has_usable_keys

    database.initialize(db)
    if has_usable_keys():
        return
    name = "initial" if not ApiKey.select().where(ApiKey.name == "initial").exists() \
        else f"initial-{secrets.token_hex(3)}"
    try:
        _, secret = create_key(name, "write")
    except Problem:
        return  # another instance starting at the same moment made the first key
    click.echo("No API key existed, so this write key was created (it is shown only now;\n"
               "send it as 'Authorization: Bearer <key>'; manage keys with `dateline keys`):")
    click.echo(secret)


@contextmanager
def _keys_database():
    from api.storage.db import database
    from api.storage.migrations import upgrade

    settings = _settings()
    database.initialize(_database(settings))
    with database.connection_context():
        if settings["AUTO_MIGRATE"]:
            upgrade(database.obj)
        yield


@main.group()
def keys():
    """API keys: create, list, revoke."""


@keys.command("create")
@click.option("--scope", required=True, type=click.Choice(["read", "write", "admin"]))
@click.option("--name", required=True, help="A unique label for the key.")
def keys_create(scope, name):
    """Create a key and print its secret (last line), which is never shown again."""
    from api.errors import Problem
    from api.web.auth import create_key

    with _keys_database():
        try:
            key, secret = create_key(name, scope)
        except Problem as problem:
            raise click.ClickException(problem.detail) from None
    click.echo(f"created key {key.id} ({key.name}, {key.scope})", err=True)
    click.echo(secret)


@keys.command("list")
def keys_list():
    """List keys: id, name, scope, created, revoked."""
    from api.storage.models import ApiKey

    with _keys_database():
        for key in ApiKey.select().order_by(ApiKey.created_at, ApiKey.id):
            revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
            click.echo(f"{key.id}  {key.name:20} {key.scope:6} "
                       f"created {key.created_at:%Y-%m-%d %H:%M}  {revoked}")


@keys.command("revoke")
@click.argument("id_or_name")
def keys_revoke(id_or_name):
    """Revoke a key by id or name."""
    from api.errors import Problem
    from api.web.auth import revoke_key

    with _keys_database():
        try:
            key = revoke_key(id_or_name)
        except Problem as problem:
            raise click.ClickException(problem.detail) from None
    click.echo(f"revoked key {key.id} ({key.name})")


@main.group()
def db():
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade():
    """Apply pending schema migrations."""
    from api.storage.migrations import upgrade

    database = _database(_settings())
    with database.connection_context():
        applied = upgrade(database)
    for migration in applied:
        click.echo(f"applied migration {migration.version:04d}: {migration.name}")
    if not applied:
        click.echo("schema is up to date")


@db.command("status")
def db_status():
    """List applied and pending schema migrations."""
    from api.storage.migrations import all_migrations, applied_versions

    database = _database(_settings())
    with database.connection_context():
        done = applied_versions(database)
    for migration in all_migrations():
        state = "applied" if migration.version in done else "pending"
        click.echo(f"{migration.version:04d} {state:8} {migration.name}")


@db.command("new-feed-epoch")
def db_new_feed_epoch():
    """Start a new change-feed epoch (after restoring PostgreSQL from a dump): clients
    holding a position from before are told to resync (410)."""
    from api.writing.journal import new_feed_epoch

    _app_with_database()
    click.echo(f"feed epoch is now {new_feed_epoch()}")


@contextmanager
def _copying(label: str):
    """A progress callback drawing a bar on stderr; a BackupError inside ends the
    command with its message."""
    from api.writing.backup import BackupError

    bar = None

    def report(total: int, done: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield report
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=pathlib.Path))
def backup(path):
    """Write a consistent copy of the SQLite database to PATH while it serves."""
    from api.writing.backup import back_up

    with _copying("Backing up") as report:
        pages = back_up(_settings()["DATABASE_URL"], path, report)
    click.echo(f"backed up {pages} pages to {path}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
def restore(path):
    """Replace the SQLite database with the backup at PATH (stop the server first); the
    change feed starts a new epoch, so mirrors resync."""
    from api.writing.backup import restore as put_back

    with _copying("Restoring") as report:
        epoch = put_back(_settings()["DATABASE_URL"], path, report)
    click.echo(f"restored {path}; feed epoch is now {epoch}")


def _app_with_database():
    """An app bound to the configured database, migrated, with an open connection, and
    the database marked in use until the command ends (`dateline restore` waits)."""
    from api.app import create_app
    from api.storage.db import database
    from api.storage.migrations import upgrade
    from api.writing.backup import serving

    settings = _settings()
    click.get_current_context().with_resource(serving(settings["DATABASE_URL"]))
    app = create_app()
    context = app.app_context()
    context.push()
    database.connect(reuse_if_open=True)
    if settings["AUTO_MIGRATE"]:
        upgrade(database.obj)
    return app


@main.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=pathlib.Path))
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 1000))
@click.option("--jobs", "-j", type=click.IntRange(1, 64),
              help="Worker processes validating and deriving fields [one per CPU].")
@click.option("--commit-every", default=8000, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Articles per transaction (rounded up to whole batches). Other writers "
                   "wait for each commit: lower it to import into a database clients "
                   "are writing to.")
@click.option("--writers", type=click.IntRange(1, 16),
              help="PostgreSQL: transactions written at once, each on a connection of "
                   "its own [2]. SQLite has one writer at a time.")
def import_(paths, batch_size, jobs, commit_every, writers):
    """Import raw text, JSON, NDJSON and CSV files, or folders of them (safe to re-run)."""
    import contextlib
    import os

    from api import settle_heap
    from api.storage.db import bulk_loading, is_sqlite, refresh_statistics
    from api.transfer import article_files, items_of, prepared_chunks
    from api.web.http import item_preconditions
    from api.writing.bulk import write_chunks

    app = _app_with_database()
    if writers is None:
        writers = 1 if is_sqlite() else 2
    if writers > 1 and is_sqlite():
        raise click.UsageError("SQLite has one writer at a time: --writers 1.")
    if writers >= app.config["DB_POOL_SIZE"]:  # the import holds one connection itself
        raise click.UsageError(f"--writers must be below DATELINE_DB_POOL_SIZE "
                               f"({app.config['DB_POOL_SIZE']}).")
    settle_heap()
    files = article_files(list(paths))
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    reasons = []
    with click.progressbar(files, label="Importing", show_pos=True,
                           file=sys.stderr) as progress, contextlib.closing(
            prepared_chunks(items_of(progress, batch_size),
                            jobs or len(os.sched_getaffinity(0)))) as chunks, \
            bulk_loading() as load, contextlib.closing(write_chunks(
                # Several batches to a transaction: band and entity keys arrive in random
                # order, so a commit writes a page per key; batches that share a commit
                # share pages (300,000 articles: 1,259/s at 8,000 a commit, 948/s at 1,000).
                chunks, item_preconditions(), commit_every, writers,
                app.app_context)) as written:
        for chunk, result in written:
            load.wrote(result["counts"]["created"] + result["counts"]["updated"])
            for item, outcome in zip(chunk, result["results"], strict=True):
                counts[outcome["status"]] += 1
                if outcome["status"] == "rejected":
                    details = "; ".join(f"{error['pointer']}: {error['detail']}"
                                        for error in outcome["errors"])
                    reasons.append(f"{item.origin}: {details}")
    if counts["created"] or counts["updated"]:
        refresh_statistics()
    click.echo(", ".join(f"{count} {status}" for status, count in counts.items()))
    for reason in reasons:
        click.echo(f"rejected {reason}")


def _run_over(label: str, select, work) -> None:
    """Run work(article_id) on each article select(query) finds, in id order, a page of
    ids at a time (constant memory); work returns whether it wrote a version."""
    from api.errors import Problem
    from api.storage.models import Article

    total = select(Article.select(Article.id)).count()
    written, last = 0, None

    def next_ids():
        ids = select(Article.select(Article.id))
        if last is not None:
            ids = ids.where(Article.id > last)
        return [row.id for row in ids.order_by(Article.id).limit(500)]

    try:
        with click.progressbar(length=total, label=label, show_pos=True,
                               file=sys.stderr) as progress:
            while page := next_ids():
                for article_id in page:
                    try:
                        written += work(article_id)
                    except Problem as problem:
                        if problem.status != 410:  # deleted meanwhile: nothing to do
                            raise
                    last = article_id
                    progress.update(1)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted after {written} changed: run the same command again "
                   "to go on (what is done is committed)", err=True)
        raise SystemExit(130) from None
    click.echo(f"{written} articles changed")


@main.command()
@click.option("--since", type=click.DateTime(), help="Only articles changed at or after "
              "this UTC time (e.g. 2026-01-31T00:00:00).")
@click.option("--all", "everything", is_flag=True,
              help="Every article, not only those an older extractor (or none) read.")
def enrich(since, everything):
    """Read stored articles with this extractor: those an older one (or none) read.

    Extracted lists are extracted again, and a new version, with its revision and
    change-feed entry, is written only where one changes; lists a client stated are
    never touched. Every article read gets its name index (the country filter too)
    brought up to date. Interrupted, the same command goes on where it stopped."""
    from api.storage.models import Article
    from api.writing.store import ENTITY_EXTRACTOR, extract_again

    _app_with_database()

    def select(query):
        query = query.where(Article.deleted_at.is_null())
        if not everything:
            query = query.where(Article.extractor_checked.is_null()
                                | (Article.extractor_checked < ENTITY_EXTRACTOR))
        return query.where(Article.updated_at >= since) if since else query

    _run_over("Extracting", select, extract_again)


@main.command()
@click.argument("domain")
def rezone(domain):
    """Read a source's raw-item publish times again in its time zone as it is now.

    Setting or changing a source's time_zone does not move instants already stored; run
    this afterwards. Times the text gave with an offset stay; each article whose instant
    moves gets a new version (with revision and change-feed entry)."""
    from api.storage.models import Article, Source
    from api.writing.store import read_again_in_zone

    app = _app_with_database()
    source = Source.get_or_none(Source.domain == domain)
    if source is None:
        raise click.ClickException(f"no source {domain}")
    default_zone = app.config["DEFAULT_TIME_ZONE"]

    def select(query):
        return query.where((Article.source == domain) & Article.deleted_at.is_null()
                           & (Article.published_at_basis != "stated"))

    _run_over(f"Re-reading {domain}", select,
              lambda article_id: read_again_in_zone(article_id, source.time_zone,
                                                    default_zone))


@main.group()
def stories():
    """Stories: the articles about one event across sources."""


@stories.command("rebuild")
def stories_rebuild():
    """Group every live article into stories again, oldest first.

    Writes group articles as they arrive; run this after upgrading from a release
    without stories, or after changing how grouping works. Every story gets a new id.
    Writes may go on meanwhile: an article written during the run is grouped when it
    arrives and may then be grouped again by the run."""
    from api.storage.models import Article
    from api.writing.regrouping import rebuild

    _app_with_database()
    total = Article.select().where(Article.deleted_at.is_null()).count()
    with click.progressbar(length=total, label="Grouping", show_pos=True,
                           file=sys.stderr) as progress:
        found = rebuild(progress.update)
    click.echo(f"{total} articles in {found} stories")


@main.command()
@click.option("--output", "-o", type=click.File("w", encoding="utf-8", lazy=True),
              default="-", help="File to write [standard output].")
def export(output):
    """Write every article as NDJSON, streaming in constant memory."""
    from api.transfer import export_lines

    _app_with_database()
    for line in export_lines():
        output.write(line)


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write.")
def openapi(output):
    """Print the OpenAPI document (YAML) generated from the code."""
    from api.app import create_app
    from api.web.spec import spec_yaml

    text = spec_yaml(create_app({"DATABASE_URL": "sqlite:///:memory:"}))
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
