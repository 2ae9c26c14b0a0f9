"""Versioned schema migrations, applied in order and recorded in schema_migration.

Each migration is a module named mNNNN_*.py with NAME and upgrade(db, dialect).
Migrations are written once and never edited: a later change is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType

from peewee import Database

from api.storage.db import is_sqlite

# Any constant works; it only has to be the same in every instance.
_POSTGRES_LOCK_ID = 0x44617465


class MigrationsPending(RuntimeError):
    """The database schema is older than this code."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType


def all_migrations() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(int(info.name[1:5]), module.NAME, module))
    return sorted(found, key=lambda migration: migration.version)


def _ensure_table(db: Database) -> None:
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL,"
        " applied_at TIMESTAMP NOT NULL)"
    )


def applied_versions(db: Database) -> set[int]:
    if "schema_migration" not in db.get_tables():
        return set()
    return {row[0] for row in db.execute_sql("SELECT version FROM schema_migration")}


def pending_migrations(db: Database) -> list[Migration]:
    done = applied_versions(db)
    return [m for m in all_migrations() if m.version not in done]


def upgrade(db: Database) -> list[Migration]:
    """Apply every pending migration in one transaction; return those applied.

    Several instances may start at once: PostgreSQL serialises them on an
    advisory lock, SQLite on its write lock (BEGIN IMMEDIATE).
    """
    dialect = "sqlite" if is_sqlite(db) else "postgresql"
    with db.atomic():
        if dialect == "postgresql":
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_POSTGRES_LOCK_ID,))
        _ensure_table(db)
        todo = pending_migrations(db)
        for migration in todo:
            migration.module.upgrade(db, dialect)
            db.execute_sql(
                "INSERT INTO schema_migration (version, name, applied_at) VALUES (%s, %s, %s)"
                .replace("%s", db.param),
                (migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)),
            )
    return todo
