"""Create the cursor-signing key with the schema, so reads never need to write it."""

import secrets

NAME = "cursor-signing key"


def upgrade(db, dialect):
    db.execute_sql(
        "INSERT INTO setting (key, value) VALUES (%s, %s)".replace("%s", db.param),
        ("cursor_signing_key", secrets.token_hex(32)))
