"""The change feed's epoch, and idempotency keys scoped to the API key that sent them.

The epoch is a random id a feed position carries: made here, and made anew when the
database is restored from a backup (`dateline restore`, `dateline db new-feed-epoch`),
so a mirror holding a position from before is told to resync instead of drifting.

Idempotency keys move to a table keyed by (API key, Idempotency-Key), with a row
claimed before the write it guards (status NULL while that write is in flight).
Answers stored by earlier releases named no API key, so no request could be matched
to them safely: they are dropped, and a retry of a write made before the upgrade
writes again.
"""

import secrets

NAME = "feed epoch, idempotency keys per API key"


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    db.execute_sql("DROP TABLE idempotency_key")
    db.execute_sql(f"""CREATE TABLE idempotency_key (
        key_id VARCHAR(36) {key} NOT NULL,
        key VARCHAR(255) {key} NOT NULL,
        method VARCHAR(8) NOT NULL,
        path VARCHAR(2048) NOT NULL,
        request_hash VARCHAR(64) NOT NULL,
        status INTEGER,
        headers TEXT,
        body TEXT,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (key_id, key))""")
    db.execute_sql("CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at)")
    db.execute_sql("INSERT INTO setting (key, value) VALUES (%s, %s)".replace("%s", db.param),
                   ("feed_epoch", secrets.token_hex(4)))
