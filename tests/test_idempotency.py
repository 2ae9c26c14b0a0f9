"""Idempotency-Key: per API key, expiring, and refused while its first request runs."""

from __future__ import annotations

import threading
from datetime import timedelta

from api.storage.db import database
from api.storage.models import ApiKey, Article, IdempotencyKey
from api.writing import store


def _as(app, secret):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _age(app, by: timedelta) -> None:
    with app.app_context(), database.connection_context():
        for row in IdempotencyKey.select():
            IdempotencyKey.update(created_at=row.created_at - by).where(
                (IdempotencyKey.key_id == row.key_id) & (IdempotencyKey.key == row.key)).execute()


def _stored_keys(app) -> int:
    with app.app_context(), database.connection_context():
        return IdempotencyKey.select().count()


def test_two_api_keys_may_use_the_same_idempotency_key(app, key_for, sample):
    alice, bob = _as(app, key_for("write")), _as(app, key_for("write"))
    headers = {"Idempotency-Key": "order-1"}

    first = alice.post("/articles", json=sample, headers=headers)
    second = bob.post("/articles", json={**sample, "external_id": "2", "url": None},
                      headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json["id"] != first.json["id"]


def test_an_expired_key_may_be_used_again(app, client, sample):
    headers = {"Idempotency-Key": "daily-1"}
    client.post("/articles", json=sample, headers=headers)
    _age(app, timedelta(hours=25))

    again = client.post("/articles", json={**sample, "external_id": "2", "url": None},
                        headers=headers)

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers


def test_a_key_within_its_ttl_still_replays(make_app, sample):
    app = make_app(IDEMPOTENCY_TTL=3 * 86400)
    client = app.test_client()
    headers = {"Idempotency-Key": "weekly-1"}
    first = client.post("/articles", json=sample, headers=headers)
    _age(app, timedelta(hours=25))

    again = client.post("/articles", json=sample, headers=headers)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json


def test_writes_purge_expired_keys_so_the_table_does_not_grow(app, client, sample):
    for number in range(5):
        client.post("/articles", json={**sample, "external_id": str(number), "url": None},
                    headers={"Idempotency-Key": f"k-{number}"})
    _age(app, timedelta(days=2))

    client.post("/articles", json={**sample, "external_id": "new", "url": None},
                headers={"Idempotency-Key": "k-new"})

    assert _stored_keys(app) == 1


def test_a_key_whose_first_request_is_in_flight_is_409(app, monkeypatch, sample):
    entered, release = threading.Event(), threading.Event()
    original = store.create_article

    def slow_create(data):
        entered.set()
        release.wait(10)
        return original(data)

    monkeypatch.setattr(store, "create_article", slow_create)
    headers = {"Idempotency-Key": "slow-1"}
    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault(
        "first", app.test_client().post("/articles", json=sample, headers=headers)))
    first.start()
    assert entered.wait(10)

    second = app.test_client().post("/articles", json=sample, headers=headers)
    release.set()
    first.join()
    third = app.test_client().post("/articles", json=sample, headers=headers)

    assert second.status_code == 409
    assert second.content_type == "application/problem+json"
    assert second.json["type"].endswith("idempotency-key-in-flight")
    assert answers["first"].status_code == 201
    assert third.headers["Idempotent-Replayed"] == "true"
    with app.app_context(), database.connection_context():
        assert Article.select().count() == 1


def test_a_claim_left_by_a_killed_request_is_given_up(app, client, sample):
    with app.app_context(), database.connection_context():
        IdempotencyKey.insert(key_id=ApiKey.get(ApiKey.name == "tests").id, key="orphan",
                              method="POST", path="/articles", request_hash="0" * 64,
                              created_at=store.utc_now()).execute()
    headers = {"Idempotency-Key": "orphan"}

    while_fresh = client.post("/articles", json=sample, headers=headers)
    _age(app, timedelta(minutes=5))
    later = client.post("/articles", json=sample, headers=headers)

    assert (while_fresh.status_code, later.status_code) == (409, 201)
