"""Every bad request gets a problem+json answer, and nothing of it is stored."""

from __future__ import annotations

import json
import logging

import pytest

from api import create_app

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data[:500]
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def _stored(client) -> list:
    return client.get("/articles").json["items"]


@pytest.mark.parametrize(("change", "pointer", "words"), [
    ({"published_at": "2021-07-14T21:46:00"}, "/published_at", "offset"),
    ({"published_at": "14 July 2021 - 21:46"}, "/published_at", "RFC 3339"),
    ({"published_at": "2021-02-30T10:00:00Z"}, "/published_at", "real date"),
    ({"headline": ""}, "/headline", "blank"),
    ({"headline": "x" * 1001}, "/headline", "1000"),
    ({"headline": "bad\x00byte"}, "/headline", "NUL"),
    ({"source": "not a domain"}, "/source", "domain"),
    ({"url": "ftp://kayhan.ir/x"}, "/url", "URL"),
    ({"language": "english!"}, "/language", "BCP 47"),
    ({"tags": ["ok", 7]}, "/tags/1", "string"),
    ({"tags": ["t"] * 101}, "/tags", "100"),
    ({"dateline": {"place": "p" * 201}}, "/dateline/place", "200"),
    ({"dateline": {"town": "Kabul"}}, "/dateline/town", "Unknown"),
    ({"colour": "red"}, "/colour", "Unknown"),
    ({"version": 3}, "/version", "Read-only"),
    ({"word_count": 3}, "/word_count", "Read-only"),
])
def test_invalid_field_is_422_naming_its_path(client, sample, change, pointer, words):
    response = client.post("/articles", json={**sample, **change})

    body = _assert_problem(response, 422)
    errors = {error["pointer"]: error["detail"] for error in body["errors"]}
    assert pointer in errors
    assert words.lower() in errors[pointer].lower()
    assert _stored(client) == []


def test_missing_required_fields_are_each_named(client):
    body = _assert_problem(client.post("/articles", json={}), 422)

    assert {error["pointer"] for error in body["errors"]} == {
        "/source", "/headline", "/published_at"}


def test_malformed_json_is_400(client):
    response = client.post("/articles", data='{"headline": ', content_type="application/json")

    _assert_problem(response, 400)


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
    b'{"headline": NaN}',
    b'{"n": ' + b"9" * 5000 + b"}",
    b"\xff\xfe{}",
])
def test_hostile_json_is_400(client, body):
    response = client.post("/articles", data=body, content_type="application/json")

    _assert_problem(response, 400)


def test_body_over_the_limit_is_413(make_app, sample):
    client = make_app(MAX_BODY_BYTES=1000).test_client()

    response = client.post("/articles", json={**sample, "body": "word " * 500})

    _assert_problem(response, 413)


def test_wrong_content_type_is_415(client, sample):
    response = client.post("/articles", data=json.dumps(sample), content_type="text/csv")

    _assert_problem(response, 415)
    assert _stored(client) == []


def test_json_patch_is_415_pointing_at_merge_patch(client, create):
    created = create()

    response = client.patch(f"/articles/{created['id']}", data="[]",
                            content_type="application/json-patch+json")

    _assert_problem(response, 415)
    assert "application/merge-patch+json" in response.headers["Accept-Patch"]


def test_unacceptable_accept_is_406(client, create):
    created = create()

    response = client.get(f"/articles/{created['id']}", headers={"Accept": "text/html"})

    _assert_problem(response, 406)


def test_unknown_path_is_404(client):
    _assert_problem(client.get("/no/such/thing"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/articles")

    _assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("query", ["limit=101", "limit=0", "limit=ten", "colour=red",
                                   "published_after=2021-07-14T21:46:00",
                                   "cursor=forged"])
def test_bad_list_parameters_are_400(client, query):
    body = _assert_problem(client.get(f"/articles?{query}"), 400)
    assert body["detail"]


def test_unexpected_failure_is_500_with_request_id_logged(make_app, caplog):
    app = make_app()

    @app.get("/explode")
    def explode():
        raise RuntimeError("boom")

    errors = logging.getLogger("dateline.errors")
    errors.addHandler(caplog.handler)
    try:
        response = app.test_client().get("/explode", headers={"X-Request-ID": "req-42"})
    finally:
        errors.removeHandler(caplog.handler)

    body = _assert_problem(response, 500)
    assert body["request_id"] == "req-42"
    assert "boom" not in response.get_data(as_text=True)
    assert "req-42" in caplog.text
    assert "boom" in caplog.text


def test_request_id_is_generated_when_absent_or_unsafe(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b<c>"}).headers["X-Request-ID"]

    assert len(generated) == 32
    assert unsafe != "a b<c>"


@pytest.mark.parametrize(("change", "pointer"), [
    ({"url": "http://" + "a." * 20000 + " x"}, "/url"),
    ({"url": "https://kayhan.ir/" + "\u4e2d" * 1000}, "/url"),
    ({"published_at": "2021-07-14T21:46:00+05:75"}, "/published_at"),
])
def test_hostile_field_values_are_refused(client, sample, change, pointer):
    response = client.post("/articles", json={**sample, **change})

    body = _assert_problem(response, 422)
    assert pointer in {error["pointer"] for error in body["errors"]}


def test_liveness_answers_while_the_database_is_down(tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    client = create_app({"TESTING": True, "DATABASE_URL": unreachable}).test_client()

    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    ready = client.get("/readyz")
    _assert_problem(ready, 503)
