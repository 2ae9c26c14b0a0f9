"""The `dateline` command: serve, db upgrade|status, openapi."""

from __future__ import annotations

import sys

import click

from .config import ConfigError, load_settings


def _settings() -> dict:
    try:
        return load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _database(settings: dict):
    from .db import open_database
    return open_database(settings["DATABASE_URL"], pool_size=1)


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
    from .migrations import pending_migrations, upgrade
    from .server import run

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
    db.close()
    run(host or settings["HOST"], port or settings["PORT"], workers or settings["WORKERS"])


@main.group()
def db():
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade():
    """Apply pending schema migrations."""
    from .migrations import upgrade

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
    from .migrations import all_migrations, applied_versions

    database = _database(_settings())
    with database.connection_context():
        done = applied_versions(database)
    for migration in all_migrations():
        state = "applied" if migration.version in done else "pending"
        click.echo(f"{migration.version:04d} {state:8} {migration.name}")


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write.")
def openapi(output):
    """Print the OpenAPI document (YAML) generated from the code."""
    from .app import create_app
    from .spec import spec_yaml

    text = spec_yaml(create_app({"DATABASE_URL": "sqlite:///:memory:"}))
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
