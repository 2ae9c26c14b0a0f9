"""The delivery engine: matches the change feed against each subscription's filter,
queues what matches, and sends it, one subscription at a time under a lease.

Order and at-least-once: a change is queued (a delivery row) in the same transaction
that moves the subscription's scanned_seq past it, before anything is sent; a
delivery is marked delivered only after its receiver answered 2xx. A crash in
between sends it again. Only the oldest pending delivery of a subscription is sent:
one that keeps failing holds back every later one (head of line) until it succeeds,
or its retry schedule runs out, which disables the subscription.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import uuid6
from flask import current_app
from peewee import SQL, fn

from api.reading.listing import filtered
from api.storage.db import database
from api.storage.models import ApiKey, Article, Delivery, Revision, Subscription
from api.webhooks.guard import TargetRefused, parse_target, resolve
from api.webhooks.sender import Outcome, send
from api.writing.journal import feed_epoch, last_seq, position
from api.writing.store import locked, utc_now
from schemas.subscription import FilterSchema

EVENT_TYPES = {"created": "article.created", "updated": "article.updated",
               "deleted": "article.deleted", "purged": "article.deleted"}
# Feed rows matched at a time, and attempts made for one subscription in one pass
# (so one long backlog does not keep the others waiting).
BATCH = 200
ATTEMPTS_PER_PASS = 50
# Attempts kept in a delivery's log; redeliveries on request could grow it forever.
KEPT_ATTEMPTS = 40

# The conditions of the delivery log's partial indexes (migration 0017), written as
# literals: a bound parameter (state = $1) does not prove a partial index's condition to
# PostgreSQL's generic plan of a prepared statement, which psycopg makes of a query
# run often.
PENDING = Delivery.state == SQL("'pending'")
REDELIVER = Delivery.redeliver == SQL("1")
DELIVERED = Delivery.state == SQL("'delivered'")

_HOST = socket.gethostname()[:30]
_TOKEN = uuid.uuid4().hex[:8]


def attempt_time() -> timedelta:
    """The most one attempt takes, resolving the host, connecting, sending and reading
    the answer: two timeouts, a deadline the sender enforces by cutting the connection
    off."""
    return timedelta(seconds=2 * current_app.config["WEBHOOK_TIMEOUT"])


def lease() -> timedelta:
    """How long a deliverer holds a subscription without renewing: renewed before each
    send, which takes attempt_time() at most, so a deliverer killed mid-send holds its
    subscription this long before another takes over."""
    return timedelta(seconds=3 * current_app.config["WEBHOOK_TIMEOUT"])


def default_owner() -> str:
    """This thread of this process: the pid is read now, as workers forked from one
    parent share whatever was set at import."""
    return f"{_HOST}:{os.getpid()}:{_TOKEN}:{threading.get_ident() % 100000}"


Clock = Callable[[], datetime]


def _clock(now: datetime | Clock | None) -> Clock:
    """The time as the pass reads it, afresh for each claim and each attempt (a pass
    can take minutes): utc_now, or a clock a test passes; a datetime is a clock stopped
    at that instant."""
    if now is None:
        return utc_now
    if isinstance(now, datetime):
        return lambda: now
    return now


def deliver_due(now: datetime | Clock | None = None, owner: str | None = None) -> int:
    """One pass over every subscription with something due: queue its new matching
    changes and send what is due, then prune the delivery log when its turn comes.
    Needs an app context (for the settings); returns how many attempts were made."""
    clock = _clock(now)
    owner = owner or default_owner()
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        attempts = 0
        for subscription_id in _due(clock()):
            if _claim(subscription_id, owner, clock()):
                try:
                    attempts += _work(subscription_id, owner, clock)
                finally:
                    _release(subscription_id, owner)
        _prune_in_turn(clock())
        return attempts
    finally:
        if opened:
            database.close()


def _owner_live():
    """The subscription's API key is not revoked: a revoked key's subscriptions are
    sent nothing more (they stay as they are, for an admin to see or delete)."""
    return fn.EXISTS(ApiKey.select(ApiKey.id).where(
        (ApiKey.id == Subscription.key_id) & ApiKey.revoked_at.is_null()))


def _due(now: datetime) -> list[str]:
    own = Delivery.select(Delivery.id).where(Delivery.subscription_id == Subscription.id)
    retry_due = own.where(PENDING & (Delivery.next_attempt_at <= now))
    redelivery = own.where(REDELIVER)
    free = Subscription.lease_until.is_null() | (Subscription.lease_until < now)
    active = ((Subscription.state == "active")
              & (Subscription.wait_until.is_null() | (Subscription.wait_until <= now))
              & ((Subscription.scanned_seq < last_seq()) | fn.EXISTS(retry_due)))
    return [row.id for row in Subscription.select(Subscription.id).where(
        free & (active | fn.EXISTS(redelivery)) & _owner_live()).order_by(Subscription.id)]


def _current(subscription_id: str) -> Subscription | None:
    """The subscription as it stands, None once deleted or its owner's key revoked."""
    return Subscription.select().where(
        (Subscription.id == subscription_id) & _owner_live()).first()


def _claim(subscription_id: str, owner: str, now: datetime) -> bool:
    with database.atomic():
        return Subscription.update(lease_owner=owner, lease_until=now + lease()).where(
            (Subscription.id == subscription_id)
            & (Subscription.lease_until.is_null() | (Subscription.lease_until < now)
               | (Subscription.lease_owner == owner))).execute() == 1


def _still_holding(subscription_id: str, owner: str, now: datetime) -> bool:
    """Renew the lease before a send; False when another deliverer has taken it (this
    one stalled past its lease), which must then stop."""
    until = now + lease()
    with database.atomic():
        return Subscription.update(lease_until=until).where(
            (Subscription.id == subscription_id)
            & (Subscription.lease_owner == owner)).execute() == 1


def _release(subscription_id: str, owner: str) -> None:
    with database.atomic():
        Subscription.update(lease_owner=None, lease_until=None).where(
            (Subscription.id == subscription_id)
            & (Subscription.lease_owner == owner)).execute()


def _work(subscription_id: str, owner: str, clock: Clock) -> int:
    attempts = 0
    redeliveries = list(Delivery.select().where(
        (Delivery.subscription_id == subscription_id)
        & REDELIVER).order_by(Delivery.seq))
    for delivery in redeliveries:
        # Read afresh each time: its owner may change the target, or delete it, meanwhile.
        subscription = _current(subscription_id)
        if subscription is None or not _still_holding(subscription_id, owner, clock()):
            return attempts
        if not _attempt(subscription, delivery, owner, clock):
            return attempts
        attempts += 1
    while attempts < ATTEMPTS_PER_PASS:
        subscription = _current(subscription_id)
        if subscription is None or subscription.state != "active":
            break
        head = (Delivery.select().where((Delivery.subscription_id == subscription_id)
                                        & PENDING)
                .order_by(Delivery.seq).first())
        if head is None:
            if not _queue_next(subscription, owner, clock()):
                break
            continue
        now = clock()
        if head.next_attempt_at is not None and head.next_attempt_at > now:
            _wait(subscription_id, head.next_attempt_at)
            break
        if not _still_holding(subscription_id, owner, now):
            break
        if not _attempt(subscription, head, owner, clock):
            break
        attempts += 1
    return attempts


def _wait(subscription_id: str, until: datetime | None) -> None:
    with database.atomic():
        Subscription.update(wait_until=until).where(
            Subscription.id == subscription_id).execute()


def _queue_next(subscription: Subscription, owner: str, now: datetime) -> bool:
    """Match the next batch of the feed and queue what matches; False at the feed's
    end (or when the lease was lost meanwhile)."""
    ceiling = last_seq()  # positions commit in order: every change up to it is visible
    rows = list(Revision.select(Revision.seq, Revision.article_id, Revision.op,
                                Revision.version, Revision.at, Revision.source)
                .where((Revision.seq > subscription.scanned_seq) & (Revision.seq <= ceiling))
                .order_by(Revision.seq).limit(BATCH))
    scanned = rows[-1].seq if len(rows) == BATCH else ceiling
    if scanned <= subscription.scanned_seq:
        return False
    matching = _matching(subscription, rows)
    epoch = feed_epoch()
    queued = [_delivery(subscription, row, epoch, now) for row in rows if row.seq in matching]
    with database.atomic():
        moved = Subscription.update(scanned_seq=scanned, wait_until=None).where(
            (Subscription.id == subscription.id)
            & (Subscription.scanned_seq == subscription.scanned_seq)
            & (Subscription.lease_owner == owner)).execute()
        if not moved:
            return False
        if queued:
            Delivery.insert_many(queued).execute()
    return True


def subscription_filter(subscription: Subscription) -> dict:
    """The stored filter, loaded as the JSON body states it: each list's values whole
    (a query string's comma splitting would make "Apple, Inc." two names)."""
    return FilterSchema().load(json.loads(subscription.filter))


def _matching(subscription: Subscription, rows: list[Revision]) -> set[int]:
    """The seqs of rows whose article the filter selects as it now stands (a deleted
    one by its tombstone). A purged article has no row left to match: its purge is
    sent, as article.deleted, to subscriptions that were sent an earlier change of it."""
    ids = {row.article_id for row in rows if row.op != "purged"}
    selected = set()
    if ids:
        query = filtered(subscription_filter(subscription), state="any")
        selected = {article.id for article in query.select(Article.id).where(
            Article.id.in_(list(ids)))}
    purged = [row.article_id for row in rows if row.op == "purged"]
    if purged:
        selected |= {row.article_id for row in Delivery.select(Delivery.article_id).where(
            (Delivery.subscription_id == subscription.id)
            & Delivery.article_id.in_(purged))}
    # An article purged within this batch was sent (queued) just before its purge.
    told = set()
    matching = set()
    for row in rows:
        if row.article_id in selected or (row.op == "purged" and row.article_id in told):
            matching.add(row.seq)
            told.add(row.article_id)
    return matching


def instant(moment: datetime) -> str:
    """A stored (naive UTC) instant written as the API writes them."""
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def payload(subscription_id: str, row: Revision, epoch: str) -> dict:
    data = {"id": row.article_id, "version": row.version, "source": row.source,
            "position": position(epoch, row.seq), "subscription": subscription_id}
    if row.op == "purged":
        data["purged"] = True
    return {"type": EVENT_TYPES[row.op],
            "timestamp": instant(row.at),
            "data": data}


def _delivery(subscription: Subscription, row: Revision, epoch: str, now: datetime) -> dict:
    body = json.dumps(payload(subscription.id, row, epoch), separators=(",", ":"))
    return {"id": str(uuid6.uuid7()), "subscription_id": subscription.id, "seq": row.seq,
            "event_type": EVENT_TYPES[row.op], "article_id": row.article_id,
            "payload": body, "state": "pending", "tries": 0, "redeliver": 0,
            "attempts": "[]", "next_attempt_at": now, "created_at": now}


def message_id(delivery: Delivery) -> str:
    """webhook-id: the same for every attempt of one change to one subscription."""
    return "msg_" + delivery.id.replace("-", "")


def _send(subscription: Subscription, delivery: Delivery) -> Outcome:
    """One attempt, resolving the host included, within two timeouts (attempt_time())."""
    config = current_app.config
    timeout = config["WEBHOOK_TIMEOUT"]
    deadline = time.monotonic() + attempt_time().total_seconds()
    try:
        target = parse_target(subscription.target_url)
        address = resolve(target, config["WEBHOOK_ALLOW_PRIVATE"], timeout=timeout)[0]
    except TargetRefused as refused:
        return Outcome(None, str(refused), None)
    return send(target, address, message_id(delivery), subscription.secret,
                delivery.payload.encode("utf-8"), timeout, deadline)


def _attempt(subscription: Subscription, delivery: Delivery, owner: str,
             clock: Clock) -> bool:
    """Send delivery once and record how it went: the next attempt on the schedule, or
    the subscription disabled when the schedule is spent or the receiver said 410.
    The record is written only while this deliverer still holds the lease, and only
    over the delivery as it was read: one that lost its lease meanwhile (it stalled,
    and another took over) drops its result, and returns False to stop."""
    at = clock()
    outcome = _send(subscription, delivery)
    now = clock()
    attempts = json.loads(delivery.attempts)
    attempts.append({"at": instant(at), "status": outcome.status,
                     "error": outcome.error, "response": outcome.response,
                     "redelivery": bool(delivery.redeliver)})
    changes = {"attempts": json.dumps(attempts[-KEPT_ATTEMPTS:]), "redeliver": 0}
    disable = None
    if outcome.ok:
        changes.update(state="delivered", next_attempt_at=None)
    elif delivery.redeliver:
        pass  # one attempt asked for: the schedule and the order stay as they were
    elif outcome.status == 410:
        changes.update(state="failed", next_attempt_at=None)
        disable = f"the receiver answered 410 Gone to the change at seq {delivery.seq}"
    else:
        schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
        tries = delivery.tries + 1
        changes["tries"] = tries
        if tries > len(schedule):
            changes.update(state="failed", next_attempt_at=None)
            disable = (f"the change at seq {delivery.seq} failed {tries} times, the whole "
                       f"retry schedule (last: {outcome.error})")
        else:
            changes["next_attempt_at"] = now + timedelta(seconds=schedule[tries - 1])
    with database.atomic():
        # The subscription's row first, as every path that changes a subscription and
        # its deliveries takes them (DELETE, PATCH, redeliver): the other order could
        # deadlock with them on PostgreSQL. Locked, it also keeps the lease ours until
        # the record is written.
        holding = locked(Subscription.select(Subscription.id).where(
            (Subscription.id == subscription.id)
            & (Subscription.lease_owner == owner))).first()
        if holding is None:
            return False
        written = Delivery.update(**changes).where(
            (Delivery.id == delivery.id) & (Delivery.state == delivery.state)
            & (Delivery.tries == delivery.tries)
            & (Delivery.redeliver == delivery.redeliver)).execute()
        if written and disable:
            Subscription.update(state="disabled", disabled_reason=disable,
                                updated_at=utc_now()).where(
                (Subscription.id == subscription.id)
                & (Subscription.state == "active")).execute()
    return bool(written)


# The delivery log's pruning: delivered deliveries older than the retention setting are
# deleted, PRUNE_BATCH at a time and at most PRUNE_BATCHES batches a turn, a turn every
# PRUNE_EVERY seconds in each process (a few deliverers pruning at once only share it).
PRUNE_BATCH = 500
PRUNE_BATCHES = 10
PRUNE_EVERY = 60.0
_pruned_at = -PRUNE_EVERY
_prune_lock = threading.Lock()


def _prune_in_turn(now: datetime) -> None:
    global _pruned_at
    with _prune_lock:
        if time.monotonic() - _pruned_at < PRUNE_EVERY:
            return
        _pruned_at = time.monotonic()
    prune_delivered(now)


def prune_delivered(now: datetime | None = None, batches: int = PRUNE_BATCHES) -> int:
    """Delete delivered deliveries queued longer ago than DATELINE_WEBHOOK_LOG_RETENTION
    (a redelivery asked for keeps one); failed and pending ones are kept, as enabling
    a subscription resumes from them. Returns how many were deleted."""
    cutoff = (now or utc_now()) - timedelta(
        seconds=current_app.config["WEBHOOK_LOG_RETENTION"])
    deleted = 0
    for _ in range(batches):
        rows = list(Delivery.select(Delivery.id, Delivery.subscription_id).where(
            DELIVERED & (Delivery.created_at < cutoff)
            & (Delivery.redeliver == 0)).limit(PRUNE_BATCH))
        by_subscription: dict[str, list[str]] = {}
        for row in rows:
            by_subscription.setdefault(row.subscription_id, []).append(row.id)
        for subscription_id, ids in sorted(by_subscription.items()):
            with database.atomic():
                # The subscription's row first, as every path takes them.
                if locked(Subscription.select(Subscription.id).where(
                        Subscription.id == subscription_id)).first() is None:
                    continue  # deleted meanwhile, and its deliveries with it
                deleted += Delivery.delete().where(
                    Delivery.id.in_(ids) & (Delivery.state == "delivered")
                    & (Delivery.redeliver == 0)).execute()
        if len(rows) < PRUNE_BATCH:
            break
    return deleted
