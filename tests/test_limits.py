"""Rate limits: per key (or address), reported in RateLimit fields, 429 when spent."""

from __future__ import annotations

import uuid

import pytest


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_requests_over_the_limit_get_429_with_retry_after(make_app):
    client = make_app(RATE_LIMIT="3/minute").test_client()

    answers = [client.get("/articles") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["RateLimit"].split(";")[1] for answer in answers[:3]] == [
        "r=2", "r=1", "r=0"]
    assert answers[0].headers["RateLimit-Policy"] == '"default";q=3;w=60'
    refused = answers[3]
    assert refused.content_type == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json["type"].endswith("rate-limited")


def test_each_key_and_each_anonymous_address_has_its_own_budget(make_app, key_for):
    app = make_app(RATE_LIMIT="2/minute")
    client = app.test_client()
    other = key_for("read")
    anonymous = app.test_client()
    del anonymous.environ_base["HTTP_AUTHORIZATION"]

    spent = [client.get("/articles").status_code for _ in range(3)]

    assert spent == [200, 200, 429]
    assert client.get("/articles", headers=_bearer(other)).status_code == 200
    assert anonymous.get("/articles").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_limits_are_off_by_default(client):
    response = client.get("/articles")

    assert "RateLimit" not in response.headers


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url


def test_redis_shares_one_budget_between_instances(make_app, key_for, redis_url):
    first = make_app(RATE_LIMIT="3/minute", REDIS_URL=redis_url)
    second = make_app(RATE_LIMIT="3/minute", REDIS_URL=redis_url)
    secret = key_for("read", f"shared-{uuid.uuid4().hex}")

    statuses = [app.test_client().get("/articles", headers=_bearer(secret)).status_code
                for app in (first, second, first, second)]

    assert statuses == [200, 200, 200, 429]


def test_a_bad_rate_setting_is_refused():
    from api.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="DATELINE_RATE_LIMIT"):
        load_settings({"DATELINE_RATE_LIMIT": "lots"})


def test_refused_requests_count_against_the_limit(make_app, sample):
    app = make_app(RATE_LIMIT="2/minute")
    anonymous = app.test_client()
    del anonymous.environ_base["HTTP_AUTHORIZATION"]
    forged = {"Authorization": "Bearer dl_000000000000_" + "A" * 43}

    statuses = [anonymous.post("/articles", json=sample).status_code,
                anonymous.get("/articles", headers=forged).status_code,
                anonymous.get("/articles", headers=forged).status_code]

    assert statuses == [401, 401, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(make_app):
    app = make_app(RATE_LIMIT="1/minute", TRUSTED_PROXIES=1)
    anonymous = app.test_client()
    del anonymous.environ_base["HTTP_AUTHORIZATION"]

    def get(client_address):
        return anonymous.get("/articles", headers={"X-Forwarded-For": client_address})

    assert [get("203.0.113.5").status_code, get("203.0.113.5").status_code,
            get("198.51.100.7").status_code] == [200, 429, 200]
