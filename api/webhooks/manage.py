"""Subscriptions as their owners see them: created, changed, enabled again, listed,
and their deliveries read and sent again. Callers pass who is asking (the API key);
a subscription is visible to the key that made it and to admin keys only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import uuid6
from flask import current_app
from marshmallow import ValidationError

from api.errors import Problem
from api.reading.pagination import decode_cursor, encode_cursor, keyset_page
from api.storage.db import database
from api.storage.models import Delivery, Subscription
from api.webhooks.engine import message_id
from api.webhooks.guard import TargetRefused, check_new_target
from api.webhooks.sender import new_secret
from api.writing.journal import feed_epoch, last_seq, position
from api.writing.store import locked, utc_now
from schemas.article import ArticleFilterSchema
from schemas.subscription import TargetUrl

PAUSED = "paused by its owner"
_DELIVERY_ORDER = "-seq"


@dataclass(frozen=True)
class Caller:
    key_id: str | None
    admin: bool


def _visible(caller: Caller):
    select = Subscription.select()
    return select if caller.admin else select.where(Subscription.key_id == caller.key_id)


def find(caller: Caller, subscription_id: str, lock: bool = False) -> Subscription:
    select = _visible(caller).where(Subscription.id == subscription_id)
    found = (locked(select) if lock else select).first()
    if found is None:
        # The same answer whether it does not exist or belongs to another key.
        raise Problem(404, f"No subscription {subscription_id} is visible to this key.")
    return found


def _checked(url: str, allow_private: bool) -> str:
    """url, when its host is and resolves to an address webhooks may go to; else 422.
    Looks the name up (for up to the webhook timeout): call it outside a transaction,
    where it would hold the database (on SQLite, every writer) for as long."""
    try:
        check_new_target(url, allow_private, timeout=current_app.config["WEBHOOK_TIMEOUT"])
    except TargetRefused as refused:
        raise Problem(422, str(refused), kind="webhook-target-refused") from None
    return url


def check_patched_target(subscription: Subscription, patch, allow_private: bool) -> str | None:
    """Before a PATCH's transaction: the new target_url the merge patch sets, checked
    (422 when refused); None when it sets none, or one the input's schema will refuse."""
    if not isinstance(patch, dict) or not isinstance(patch.get("target_url"), str):
        return None
    url = patch["target_url"]
    if url == subscription.target_url:
        return None
    try:
        TargetUrl().deserialize(url)
    except ValidationError:
        return None  # refused with the rest of the input, as a 422 of the schema's
    return _checked(url, allow_private)


def _stored_filter(loaded: dict) -> str:
    dumped = ArticleFilterSchema().dump(loaded)
    if dumped.get("duplicates") == "include":
        del dumped["duplicates"]  # the default, which an empty filter leaves out too
    return json.dumps(dumped)


def represent(subscription: Subscription) -> dict:
    return {**subscription.__data__, "filter": json.loads(subscription.filter),
            "enabled": subscription.state == "active",
            "position": position(feed_epoch(), subscription.scanned_seq)}


def list_subscriptions(caller: Caller) -> list[dict]:
    return [represent(row) for row in
            _visible(caller).order_by(Subscription.created_at, Subscription.id)]


def create(caller: Caller, data: dict, allow_private: bool) -> tuple[dict, str]:
    """A new subscription, starting at the feed's current end, and its secret."""
    target_url = _checked(data["target_url"], allow_private)  # before the transaction
    now, secret = utc_now(), new_secret()
    with database.atomic():
        subscription = Subscription.create(
            id=str(uuid6.uuid7()), key_id=caller.key_id,
            target_url=target_url,
            description=data["description"],
            filter=_stored_filter(data["filter"]),
            secret=secret, state="active" if data["enabled"] else "disabled",
            disabled_reason=None if data["enabled"] else PAUSED,
            scanned_seq=last_seq(), created_at=now, updated_at=now)
    return represent(subscription), secret


def editable(subscription: Subscription) -> dict:
    """What a merge patch applies to: the input's members as they stand."""
    return {"target_url": subscription.target_url, "description": subscription.description,
            "filter": json.loads(subscription.filter),
            "enabled": subscription.state == "active"}


def update(subscription: Subscription, data: dict, allow_private: bool,
           checked: str | None = None) -> dict:
    """Apply the whole input (a merge patch already merged) to the subscription, locked
    in the caller's transaction; checked: a target_url check_patched_target has
    checked before it. Enabling a disabled subscription resumes at the change that
    failed, on a fresh retry schedule."""
    now = utc_now()
    changes = {"description": data["description"], "updated_at": now,
               "filter": _stored_filter(data["filter"])}
    if data["target_url"] != subscription.target_url:
        # Checked already, but for a target changed by another request meanwhile.
        changes["target_url"] = (data["target_url"] if data["target_url"] == checked
                                 else _checked(data["target_url"], allow_private))
    was_active = subscription.state == "active"
    if data["enabled"] and not was_active:
        changes.update(state="active", disabled_reason=None, wait_until=None)
        Delivery.update(state="pending", tries=0, next_attempt_at=now).where(
            (Delivery.subscription_id == subscription.id)
            & (Delivery.state == "failed")).execute()
    elif not data["enabled"] and was_active:
        changes.update(state="disabled", disabled_reason=PAUSED)
    Subscription.update(**changes).where(Subscription.id == subscription.id).execute()
    return represent(Subscription.get_by_id(subscription.id))


def delete(subscription: Subscription) -> None:
    Delivery.delete().where(Delivery.subscription_id == subscription.id).execute()
    subscription.delete_instance()


def represent_delivery(delivery: Delivery, epoch: str) -> dict:
    return {**delivery.__data__, "webhook_id": message_id(delivery),
            "position": position(epoch, delivery.seq),
            "redelivery_requested": bool(delivery.redeliver),
            "attempts": json.loads(delivery.attempts)}


def deliveries(subscription: Subscription, query: dict) -> tuple[list[dict], str | None]:
    """A page of the delivery log, newest change first, and the next page's cursor."""
    select = Delivery.select().where(Delivery.subscription_id == subscription.id)
    if query.get("state"):
        select = select.where(Delivery.state == query["state"])
    start = None
    if "cursor" in query:
        values = decode_cursor(query["cursor"], _DELIVERY_ORDER)
        start = tuple(values)
    rows, more = keyset_page(select, (Delivery.seq, Delivery.id), start, True, query["limit"])
    epoch = feed_epoch()
    cursor = encode_cursor(_DELIVERY_ORDER, [rows[-1].seq, rows[-1].id]) if more else None
    return [represent_delivery(row, epoch) for row in rows], cursor


def find_delivery(subscription: Subscription, delivery_id: str) -> Delivery:
    delivery = Delivery.get_or_none((Delivery.id == delivery_id)
                                    & (Delivery.subscription_id == subscription.id))
    if delivery is None:
        raise Problem(404, f"Subscription {subscription.id} has no delivery {delivery_id}.")
    return delivery


def redeliver(subscription: Subscription, delivery_id: str) -> dict:
    """Ask for one more attempt, outside the schedule and the feed's order: made at the
    next pass (within a second or so), even while the subscription is disabled.
    subscription: locked by the caller, before its delivery, as every path takes them."""
    delivery = find_delivery(subscription, delivery_id)
    Delivery.update(redeliver=1).where(Delivery.id == delivery.id).execute()
    return represent_delivery(Delivery.get_by_id(delivery.id), feed_epoch())
