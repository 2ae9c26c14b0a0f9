"""Alerts: subscriptions that send matching article changes to a webhook, and the log
of their deliveries.

A subscription reads the change feed from the position it was created at
(scanned_seq: every change up to it has been matched and, when it matched, queued as a
delivery). lease_owner and lease_until let one deliverer at a time, in any worker of
any instance, work a subscription. Deliveries are queued before they are sent, so a
crash between sending and recording sends again rather than losing the change.
Delivered deliveries are pruned after DATELINE_WEBHOOK_LOG_RETENTION.
"""

NAME = "subscriptions and webhook deliveries"


def upgrade(db, dialect):
    key = 'COLLATE "C"' if dialect == "postgresql" else ""
    db.execute_sql(f"""CREATE TABLE subscription (
        id VARCHAR(36) {key} PRIMARY KEY,
        key_id VARCHAR(36) {key},
        target_url VARCHAR(2048) NOT NULL,
        description TEXT,
        filter TEXT NOT NULL,
        secret VARCHAR(100) NOT NULL,
        state VARCHAR(16) NOT NULL,
        disabled_reason TEXT,
        scanned_seq BIGINT NOT NULL,
        wait_until TIMESTAMP,
        lease_owner VARCHAR(64),
        lease_until TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL)""")
    db.execute_sql("CREATE INDEX subscription_key ON subscription (key_id, id)")
    db.execute_sql(f"""CREATE TABLE delivery (
        id VARCHAR(36) {key} PRIMARY KEY,
        subscription_id VARCHAR(36) {key} NOT NULL
            REFERENCES subscription (id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        event_type VARCHAR(32) NOT NULL,
        article_id VARCHAR(36) {key} NOT NULL,
        payload TEXT NOT NULL,
        state VARCHAR(16) NOT NULL,
        tries INTEGER NOT NULL,
        redeliver INTEGER NOT NULL,
        attempts TEXT NOT NULL,
        next_attempt_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL)""")
    db.execute_sql("CREATE UNIQUE INDEX delivery_position ON delivery (subscription_id, seq)")
    db.execute_sql("CREATE INDEX delivery_article ON delivery (subscription_id, article_id)")
    # The log keeps every delivered change (until DATELINE_WEBHOOK_LOG_RETENTION), so the
    # deliverer's frequent questions go to partial indexes of the few rows they ask
    # about: a subscription's pending deliveries in feed order (is one due? which is the
    # head?), the redeliveries asked for, and the delivered ones by age, for pruning.
    db.execute_sql("CREATE INDEX delivery_pending ON delivery (subscription_id, seq)"
                   " WHERE state = 'pending'")
    db.execute_sql("CREATE INDEX delivery_redeliver ON delivery (subscription_id)"
                   " WHERE redeliver = 1")
    db.execute_sql("CREATE INDEX delivery_delivered_age ON delivery (created_at)"
                   " WHERE state = 'delivered'")
