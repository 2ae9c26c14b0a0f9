"""The API honours its own OpenAPI document: schemathesis fuzzes every operation."""

from __future__ import annotations

import os
import zoneinfo
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

_ZONES = zoneinfo.available_timezones()


def _checked_beyond_the_schema(case) -> bool:
    """Values whose validity JSON Schema cannot express: a cursor must be one the
    service signed, a feed position one the feed has reached, a search must look for at
    least one word, a time zone must be in the tz database, raw text must read as a news
    item, an Idempotency-Key must not be reused for another body. Refusing a well-shaped
    but forged cursor or unknown zone is correct, so the acceptance check is skipped."""
    if (case.query or {}).get("cursor"):
        return True
    if case.path == "/articles/histogram":
        return True  # a window must end after it starts and hold at most 10,000 buckets
    if (case.query or {}).get("since") is not None:
        return True  # a feed position must be one the feed has reached (else 410)
    if (case.query or {}).get("q") is not None:
        return True  # a search of exclusions alone (or of no word at all) is refused
    if (case.query or {}).get("sort") == "relevance":
        return True  # relevance needs a search (q), which is a second parameter
    if (case.headers or {}).get("Idempotency-Key"):
        return True  # a key reused with another body is refused by design
    if case.path.startswith("/subscriptions") and isinstance(case.body, dict) and (
            "target_url" in case.body):
        return True  # a webhook's host must be, and resolve to, a public address
    if isinstance(case.body, str | bytes):
        return True  # a raw news item: any text fits the schema, few texts are articles
    zone = case.body.get("time_zone") if isinstance(case.body, dict) else None
    return isinstance(zone, str) and zone not in _ZONES


def _comma_listed(case) -> bool:
    """A list parameter given as one comma-separated value, which the service splits
    (?tag=a,b is ?tag=a&tag=b): JSON Schema checks the whole value against an item's
    limits, the service checks each item."""
    for value in (case.query or {}).values():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and "," in item for item in values):
            return True
    return False


@pytest.fixture
def app(make_app):
    # Subscriptions to the random hosts the fuzzer writes are kept without looking the
    # names up; nothing is delivered (no deliverer runs in the test process).
    return make_app(WEBHOOK_ALLOW_PRIVATE=True)


@pytest.fixture
def api_schema(app, client, sample):
    # One stored article, so item paths can hit something real as well as 404s.
    client.post("/articles", json=sample)
    # The coverage phase (every boundary and negative value of every field, 2.5 min)
    # runs when DATELINE_CONTRACT_COVERAGE=1, as .ci/run does; fuzzing always runs.
    coverage = os.environ.get("DATELINE_CONTRACT_COVERAGE") == "1"
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": coverage}}})
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
# DATELINE_FUZZ_EXAMPLES raises the examples per operation for a long hostile run.
@settings(max_examples=int(os.environ.get("DATELINE_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_conforms(case, app):
    if case.query is None:
        case.query = {}
    query = case.query
    if case.path == "/changes" and str(query.get("timeout", "0")).isdigit():
        # A long poll waits out its timeout when nothing changes (30 s when none is
        # given, up to a minute): the same answer after at most a second.
        query["timeout"] = min(int(query.get("timeout", 1)), 1)
    excluded = [positive_data_acceptance] if _checked_beyond_the_schema(case) else []
    if _comma_listed(case):
        excluded.append(negative_data_rejection)
    # An admin key, so every operation is reachable; test_keys covers calls without one.
    headers = {"Authorization": f"Bearer {app.test_client_class.secret}", **(case.headers or {})}
    case.call_and_validate(headers=headers, excluded_checks=excluded)


TOP = Path(__file__).resolve().parent.parent


def test_the_fuzz_config_lets_only_revision_reads_outlive_a_delete():
    config = schemathesis.config.SchemathesisConfig.from_path(str(TOP / "schemathesis.toml"))
    document = schemathesis.openapi.from_path(str(TOP / "openapi.yaml"), config=config)

    reads_after_delete = {
        operation.label for operation in (result.ok() for result in
                                          document.get_all_operations())
        if not document.config.checks_config_for(operation=operation,
                                                 phase="stateful").use_after_free.enabled}

    assert reads_after_delete == {"GET /articles/{article_id}/revisions",
                                  "GET /articles/{article_id}/revisions/{version}"}
