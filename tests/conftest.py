"""Fixtures: a fresh app and database for every test.

DATELINE_TEST_DATABASE_URL picks the backend. Unset, each test gets a new SQLite
file under tmp_path. Set to a postgresql:// URL, the run creates its own database
there (dropped at the end) and every test starts from empty tables.
"""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient
from jsonschema import FormatChecker
from jsonschema.validators import validator_for
from referencing import Registry, Resource

from api import create_app
from api.storage.db import database, open_database
from api.storage.migrations import upgrade
from api.web.auth import create_key

SAMPLE_ARTICLE = {
    "source": "kayhan.ir",
    "external_id": "92427",
    "url": "https://kayhan.ir/en/news/92427",
    "headline": "Militants Say They Hold a Main Frontier Crossing",
    "summary": "Rival claims over a southern border post as foreign troops leave.",
    "body": (
        "Fighters announced on Wednesday that a major crossing on the southern frontier "
        "was now under their control, while ministry officials in the capital said the "
        "assault had been pushed back.\n"
        "Officials across the border told a Qatari broadcaster that their side of the "
        "Chaman-Spin Boldak post had been closed to people and goods.\n"
        "A regional envoy in Moscow said his government was watching events closely."
    ),
    "language": "en",
    "published_at": "2021-07-14T21:46:00+04:30",
    "modified_at": None,
    "authors": [],
    "dateline": {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": "Dispatches"},
    "tags": ["Afghanistan", "border security"],
    "people": ["Ashraf Ghani", "Zamir Kabulov", "Arif Kakar"],
    "places": ["Kabul", "Spin Boldak", "Chaman", "Balkh Province"],
    "organisations": ["Taliban", "NATO"],
    "cited_sources": ["Al Jazeera", "Sputnik"],
}

# PostgreSQL's tables, emptied between tests (article_band is a view of article_minhash
# there: migration 0018).
TABLES = ("article_entity", "article_minhash", "article", "source",
          "idempotency_key", "revision", "feed_position", "api_key", "purged_article",
          "story", "story_article", "delivery", "subscription")


@pytest.fixture
def sample():
    """A fresh copy of the sample article (a Kayhan item, retold in our own words)."""
    return copy.deepcopy(SAMPLE_ARTICLE)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this run's own on the PostgreSQL server, or None for SQLite."""
    admin_url = os.environ.get("DATELINE_TEST_DATABASE_URL")
    if not admin_url:
        yield None
        return
    import psycopg

    name = f"dateline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    db = open_database(url, pool_size=1)
    with db.connection_context():
        upgrade(db)
    db.close_all()
    yield url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(postgres_url, tmp_path):
    if postgres_url is None:
        return f"sqlite:///{tmp_path / 'dateline.db'}"
    db = open_database(postgres_url, pool_size=1)
    with db.connection_context():
        db.execute_sql(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        db.execute_sql("INSERT INTO feed_position (id, seq) VALUES (1, 0)")
    db.close_all()
    return postgres_url


class KeyedClient(FlaskClient):
    """A test client that sends an admin key unless a test takes it away."""

    secret = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.secret}"


@pytest.fixture
def make_app(database_url):
    """Build apps on this test's database; the first call migrates it and makes an
    admin key that every test client sends."""
    built = []
    client_class = type("TestClient", (KeyedClient,), {})

    def build(**config):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, **config})
        if not built:
            with database.connection_context():
                upgrade(database.obj)
                client_class.secret = create_key("tests", "admin")[1]
        app.test_client_class = client_class
        built.append(app)
        return app

    yield build
    if hasattr(database.obj, "close_all"):
        database.obj.close_all()
    elif not database.is_closed():
        database.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def anonymous(app):
    """A client that sends no key."""
    client = app.test_client()
    del client.environ_base["HTTP_AUTHORIZATION"]
    return client


@pytest.fixture
def key_for(app):
    """A secret for a new key with this scope."""
    def make(scope, name=None):
        with app.app_context(), database.connection_context():
            return create_key(name or f"{scope}-{uuid.uuid4().hex[:8]}", scope)[1]
    return make


@pytest.fixture
def create(client, sample):
    """POST an article built from the sample with the given changes; return its JSON."""
    def post(**changes):
        response = client.post("/articles", json={**sample, **changes})
        assert response.status_code == 201, response.json
        return response.json
    return post


NINJS_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared" / "schemas" / \
    "ninjs-schema_2.2.json"
# ninjs 2.2 refers to geojson.org's schema by URL; the tests run offline.
GEOJSON_SCHEMA_PATH = Path(__file__).with_name("fixtures") / "geojson-geometry.schema.json"
# RFC 3986 URI: a scheme, then only unreserved, reserved or percent-encoded characters.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*"
                  r"(?:#(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$")


@pytest.fixture(scope="session")
def ninjs_validator():
    """A validator for IPTC ninjs 2.2 documents, checking formats (uri, date-time) too."""
    if not NINJS_SCHEMA_PATH.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"ninjs 2.2 JSON Schema not found at {NINJS_SCHEMA_PATH}")
        pytest.skip(f"ninjs 2.2 JSON Schema not found at {NINJS_SCHEMA_PATH}")
    schema = json.loads(NINJS_SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    checker = FormatChecker()
    if "uri" not in checker.checkers:  # jsonschema checks "uri" only with rfc3987 installed
        checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
    assert {"uri", "date-time"} <= set(checker.checkers)
    geojson = Resource.from_contents(json.loads(GEOJSON_SCHEMA_PATH.read_text(encoding="utf-8")))
    registry = Registry().with_resource("https://geojson.org/schema/GeoJSON.json", geojson)
    return validator_class(schema, format_checker=checker, registry=registry)
