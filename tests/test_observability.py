"""Server-Timing, JSON request logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re

import pytest


@pytest.fixture
def access_lines():
    """The JSON lines the access log writes during a test."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    logger = logging.getLogger("dateline.access")
    handler = Collect()
    handler.setFormatter(logging.getLogger("dateline").handlers[0].formatter)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def _sample(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return 0.0


def test_server_timing_reports_database_and_total_time(client, create):
    article = create()

    response = client.get(f"/articles/{article['id']}")

    match = re.fullmatch(r"db;dur=([\d.]+), total;dur=([\d.]+)", response.headers["Server-Timing"])
    assert match
    assert 0 < float(match[1]) <= float(match[2])


def test_one_json_line_per_request(client, create, access_lines):
    article = create()
    client.get(f"/articles/{article['id']}", headers={"X-Request-ID": "trace-7"})
    client.get("/no/such/path")

    assert [line["route"] for line in access_lines] == [
        "/articles", "/articles/{article_id}", "unmatched"]
    line = access_lines[1]
    assert line["request_id"] == "trace-7"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert line["duration_ms"] > 0
    assert "time" in line
    assert "key_id" in line


def test_metrics_count_requests_by_route_template_and_status(client, create):
    article = create()
    client.get(f"/articles/{article['id']}")
    client.get("/articles/01900000-0000-7000-8000-000000000000")

    text = client.get("/metrics").get_data(as_text=True)

    assert _sample(text, "dateline_http_requests_total", method="GET",
                   route="/articles/{article_id}", status="200") >= 1
    assert _sample(text, "dateline_http_requests_total", method="GET",
                   route="/articles/{article_id}", status="404") >= 1
    assert _sample(text, "dateline_http_request_duration_seconds_count", method="POST",
                   route="/articles") >= 1
    assert _sample(text, "dateline_articles") == 1
    assert "dateline_http_requests_in_flight" in text


def test_metrics_can_require_a_bearer_token(make_app):
    client = make_app(METRICS_TOKEN="s3cret").test_client()

    refused = client.get("/metrics")
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})

    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert allowed.status_code == 200
