"""CORS: off by default, an allow-list when DATELINE_CORS_ORIGINS is set."""

from __future__ import annotations

import pytest

from api.config import ConfigError, load_settings

APP = "https://newsroom.example.org"


def test_cors_is_off_by_default(client):
    response = client.get("/articles", headers={"Origin": APP})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_allowed_origin_may_read_the_paging_and_caching_headers(make_app):
    client = make_app(CORS_ORIGINS=(APP,)).test_client()

    preflight = client.options("/articles", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, Idempotency-Key"})
    listed = client.get("/articles", headers={"Origin": APP})
    stranger = client.get("/articles", headers={"Origin": "https://elsewhere.example"})

    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"].lower()
    exposed = {name.strip() for name in
               listed.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Link", "Location", "X-Total-Count", "RateLimit", "Retry-After"} <= exposed
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_a_bad_origin_setting_stops_the_server():
    with pytest.raises(ConfigError, match="DATELINE_CORS_ORIGINS"):
        load_settings({"DATELINE_CORS_ORIGINS": "newsroom.example.org"})
