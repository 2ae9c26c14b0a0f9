"""openapi.yaml is generated from the code, committed, valid, and served as committed."""

from __future__ import annotations

from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from api.web.spec import spec_yaml

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_committed_document_matches_the_code(app):
    assert COMMITTED.read_text(encoding="utf-8") == spec_yaml(app), (
        "openapi.yaml is stale: regenerate it with `dateline openapi -o openapi.yaml`")


def test_document_is_valid_openapi_3_1():
    document = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))

    validate(document)
    assert document["openapi"] == "3.1.0"


def test_served_documents_are_the_committed_one(client):
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))

    as_yaml = client.get("/openapi.yaml")
    as_json = client.get("/openapi.json")

    assert as_yaml.content_type == "application/yaml"
    assert yaml.safe_load(as_yaml.data) == committed
    assert as_json.json == committed


def test_every_operation_is_summarised_and_errors_are_problem_details():
    document = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    responses = document["components"]["responses"]

    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert "default" in operation["responses"], f"{method.upper()} {path}"
    for name, response in responses.items():
        if "content" in response:
            assert list(response["content"]) == ["application/problem+json"], name


def _published_errors(body, ref: str) -> list[str]:
    document = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    schema = {"$ref": ref, "components": document["components"], "paths": document["paths"]}
    return [error.message for error in Draft202012Validator(schema).iter_errors(body)]


def _published_problem_errors(body: dict) -> list[str]:
    return _published_errors(body, "#/components/schemas/Problem")


def test_a_merge_patch_naming_one_member_fits_the_published_patch_bodies(client, create):
    article = create()
    client.post("/sources", json={"domain": "presstv.ir"})
    body = "/requestBody/content/application~1merge-patch+json/schema"

    assert _published_errors({"headline": "A corrected headline"},
                             f"#/paths/~1articles~1{{article_id}}/patch{body}") == []
    assert _published_errors({"name": "Press TV"},
                             f"#/paths/~1sources~1{{domain}}/patch{body}") == []
    assert client.patch(f"/articles/{article['id']}",
                        json={"headline": "A corrected headline"}).status_code == 200
    assert client.patch("/sources/presstv.ir", json={"name": "Press TV"}).status_code == 200


def test_the_problems_a_deleted_article_and_a_missing_scope_send_fit_the_published_schema(
        client, anonymous, key_for, create):
    article = create()
    client.delete(f"/articles/{article['id']}")

    gone = client.get(f"/articles/{article['id']}")
    forbidden = anonymous.get("/keys", headers={"Authorization": f"Bearer {key_for('write')}"})

    assert gone.status_code == 410
    assert "deleted_at" in gone.json
    assert forbidden.status_code == 403
    assert "needed_scope" in forbidden.json
    assert _published_problem_errors(gone.json) == []
    assert _published_problem_errors(forbidden.json) == []
