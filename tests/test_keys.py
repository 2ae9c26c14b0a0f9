"""API keys and scopes: writes need a key, reads may, and only admins manage keys."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from api.storage.db import database
from api.storage.models import ApiKey
from tests.serving import DATELINE


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_writes_without_a_key_are_401_with_a_challenge(anonymous, sample):
    response = anonymous.post("/articles", json=sample)

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="dateline"')
    assert anonymous.get("/articles").json["items"] == []


def test_reads_are_public_by_default(anonymous, create):
    created = create()

    assert anonymous.get(f"/articles/{created['id']}").status_code == 200
    assert anonymous.get("/changes").status_code == 200


def test_a_bad_key_is_401_even_where_none_is_needed(anonymous):
    for header in ("Bearer dl_000000000000_" + "A" * 43, "Bearer nonsense", "Basic abc"):
        response = anonymous.get("/articles", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert "error=" in response.headers["WWW-Authenticate"]


def test_scopes_are_enforced(anonymous, key_for, sample):
    reader, writer = key_for("read"), key_for("write")

    refused = anonymous.post("/articles", json=sample, headers=_bearer(reader))
    created = anonymous.post("/articles", json=sample, headers=_bearer(writer))

    assert refused.status_code == 403
    assert refused.json["needed_scope"] == "write"
    assert created.status_code == 201
    assert anonymous.get("/keys", headers=_bearer(writer)).status_code == 403


def test_reads_can_require_a_key(make_app, key_for):
    app = make_app(READS_NEED_KEY=True)
    client = app.test_client()
    anonymous = app.test_client()
    del anonymous.environ_base["HTTP_AUTHORIZATION"]

    assert anonymous.get("/articles").status_code == 401
    assert anonymous.get("/articles", headers=_bearer(key_for("read"))).status_code == 200
    assert client.get("/articles").status_code == 200
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200


def test_admin_creates_lists_and_revokes_keys_over_http(client, anonymous, sample):
    created = client.post("/keys", json={"name": "ingest", "scope": "write"})
    secret = created.json["secret"]

    listed = client.get("/keys").json["items"]
    written = anonymous.post("/articles", json=sample, headers=_bearer(secret))
    revoked = client.delete("/keys/ingest")
    after = anonymous.post("/articles", json=sample, headers=_bearer(secret))

    assert created.status_code == 201
    assert secret.startswith("dl_")
    assert "secret" not in client.get(created.headers["Location"]).json
    assert {key["name"] for key in listed} >= {"ingest", "tests"}
    assert all("secret" not in key and "secret_hash" not in key for key in listed)
    assert written.status_code == 201
    assert revoked.json["revoked_at"] is not None
    assert after.status_code == 401
    assert client.post("/keys", json={"name": "ingest", "scope": "read"}).status_code == 409


def test_only_a_hash_of_the_secret_is_stored(app, client):
    secret = client.post("/keys", json={"name": "hashed", "scope": "read"}).json["secret"]

    with app.app_context(), database.connection_context():
        stored = ApiKey.get(ApiKey.name == "hashed")
    assert secret not in stored.__data__.values()
    assert len(stored.secret_hash) == 64


def test_revisions_name_the_key_that_made_each_change(anonymous, key_for, client, sample):
    writer = key_for("write", "newsroom")
    created = anonymous.post("/articles", json=sample, headers=_bearer(writer)).json

    revision = client.get(f"/articles/{created['id']}/revisions").json["items"][0]
    newsroom = client.get("/keys/newsroom").json

    assert revision["key_id"] == newsroom["id"]


def test_if_match_can_be_required(make_app, sample):
    client = make_app(REQUIRE_IF_MATCH=True).test_client()
    created = client.post("/articles", json=sample)
    path = f"/articles/{created.json['id']}"

    missing = client.patch(path, json={"summary": "x"})
    deleted = client.delete(path)
    matched = client.patch(path, json={"summary": "x"},
                           headers={"If-Match": created.headers["ETag"]})

    assert created.status_code == 201
    assert missing.status_code == 428
    assert missing.json["current_version"] == 1
    assert deleted.status_code == 428
    assert matched.status_code == 200


@pytest.fixture
def cli_env(database_url):
    return {**os.environ, "DATELINE_DATABASE_URL": database_url}


def _cli(env, *args):
    return subprocess.run([*DATELINE, "keys", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_keys_command_creates_lists_and_revokes(cli_env):
    created = _cli(cli_env, "create", "--scope", "admin", "--name", "ops")
    listed = _cli(cli_env, "list")
    revoked = _cli(cli_env, "revoke", "ops")
    unknown = _cli(cli_env, "revoke", "nobody")

    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("dl_")
    assert len(created.stdout.strip().splitlines()) == 1
    assert "ops" in listed.stdout
    assert "admin" in listed.stdout
    assert "active" in listed.stdout
    assert revoked.returncode == 0
    assert "revoked" in _cli(cli_env, "list").stdout
    assert unknown.returncode != 0


def test_if_match_star_does_not_satisfy_a_required_if_match(make_app, sample):
    client = make_app(REQUIRE_IF_MATCH=True).test_client()
    created = client.post("/articles", json=sample).json

    response = client.patch(f"/articles/{created['id']}", json={"summary": "x"},
                            headers={"If-Match": "*"})

    assert response.status_code == 428


def test_cors_preflight_needs_no_key(make_app):
    app = make_app(READS_NEED_KEY=True, CORS_ORIGINS=("https://app.example.org",))
    anonymous = app.test_client()
    del anonymous.environ_base["HTTP_AUTHORIZATION"]

    response = anonymous.options("/keys", headers={
        "Origin": "https://app.example.org", "Access-Control-Request-Method": "GET"})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.org"


def test_key_responses_are_not_cached_and_pages_not_framed(client):
    created = client.post("/keys", json={"name": "cached", "scope": "read"})

    assert created.headers["Cache-Control"] == "no-store"
    assert client.get("/articles").headers["X-Frame-Options"] == "DENY"
    assert client.get("/articles").headers["Referrer-Policy"] == "no-referrer"


def test_batches_cannot_overwrite_when_if_match_is_required(make_app, sample):
    client = make_app(REQUIRE_IF_MATCH=True).test_client()
    created = client.post("/articles", json=sample).json

    response = client.post("/articles/batch", json=[
        {**sample, "headline": "Overwritten"},
        {**sample, "external_id": "new", "url": None}])

    assert [item["status"] for item in response.json["results"]] == ["rejected", "created"]
    assert client.get(f"/articles/{created['id']}").json["headline"] == sample["headline"]


def test_a_write_that_changes_nothing_makes_no_version(client, create, sample):
    created = create()

    response = client.put(f"/articles/{created['id']}", json=sample)

    assert response.json["version"] == 1
    assert response.headers["ETag"] == client.get(f"/articles/{created['id']}").headers["ETag"]
    assert len(client.get(f"/articles/{created['id']}/revisions").json["items"]) == 1


def test_a_revoked_key_stops_working_on_every_instance_within_the_key_cache_time(
        make_app, sample):
    first, second = make_app(KEY_CACHE_SECONDS=1), make_app(KEY_CACHE_SECONDS=1)
    admin = first.test_client()
    secret = admin.post("/keys", json={"name": "ingest", "scope": "write"}).json["secret"]
    here, there = first.test_client(), second.test_client()
    for client in (here, there):
        del client.environ_base["HTTP_AUTHORIZATION"]
    assert here.post("/articles", json=sample, headers=_bearer(secret)).status_code == 201
    assert there.get("/articles", headers=_bearer(secret)).status_code == 200

    admin.delete("/keys/ingest")
    at_once = here.get("/articles", headers=_bearer(secret))
    time.sleep(1.05)
    later = there.get("/articles", headers=_bearer(secret))

    assert at_once.status_code == 401
    assert later.status_code == 401
