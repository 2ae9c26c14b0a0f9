"""Hostile input against every operation: a 4xx problem+json answer, never a 5xx, never a
2xx for invalid input, and nothing stored from a refused request.

"Nothing stored" is checked by comparing the change feed, the sources and the API keys
before and after (see nothing_stored). POST /articles/batch judges each item on its own,
so there a request whose every item is refused may answer 200 with every item rejected.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from api.web.ingest import RAW_EXAMPLE

PROBLEM = "application/problem+json"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
NDJSON = "application/x-ndjson"
PLAIN_TEXT = "text/plain"

STORED_KEY = {"external_id": "stored-1", "url": "https://kayhan.ir/en/news/stored-1"}
MARK = "HOSTILE-VALUE-GOES-HERE"
TEN_MB = 10 * 1024 * 1024
DEEP = 10_000
FAST_SECONDS = 3.0


# --- what a refusal looks like, and proof that nothing was stored ------------------------

def _described(response) -> str:
    request = response.request
    target = request.full_path.rstrip("?")
    return (f"{request.method} {target[:200]!a} -> {response.status_code} "
            f"{response.get_data()[:400]!r}")


def assert_problem(response, *statuses: int) -> dict:
    """A 4xx problem+json answer (one of statuses, when given)."""
    status = response.status_code
    assert 400 <= status < 500, _described(response)
    if statuses:
        assert status in statuses, _described(response)
    assert response.content_type == PROBLEM, _described(response)
    body = response.json
    assert body["status"] == status, _described(response)
    assert {"type", "title", "detail"} <= body.keys(), _described(response)
    return body


def assert_all_problems(responses, *statuses: int) -> None:
    """Like assert_problem for each response, naming every one that fails at once."""
    failures = []
    for response in responses:
        try:
            assert_problem(response, *statuses)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert not failures, "\n".join(failures)


def assert_refused(response, *statuses: int) -> list[dict]:
    """Refused as a whole with a problem, or, for a batch, every item rejected.

    Returns the field errors reported (of the batch's first item)."""
    if response.request.path == "/articles/batch" and response.status_code == 200:
        result = response.json
        assert result["counts"]["rejected"] == len(result["results"]) > 0, _described(response)
        return result["results"][0]["errors"]
    return assert_problem(response, *statuses).get("errors", [])


def pointers(errors: list[dict]) -> set[str]:
    return {error["pointer"] for error in errors}


def snapshot(client) -> dict:
    """Everything a write could leave behind: the change feed, the sources, the keys."""
    feed = client.get("/changes", query_string={"limit": 1000})
    sources = client.get("/sources", query_string={"limit": 1000})
    keys = client.get("/keys")
    for response in (feed, sources, keys):
        assert response.status_code == 200, _described(response)
    return {"last_seq": feed.json["last_seq"], "changes": feed.json["changes"],
            "sources": sources.json["items"], "keys": keys.json["items"]}


@contextmanager
def nothing_stored(client):
    """Assert that the requests made inside the block changed nothing stored."""
    before = snapshot(client)
    yield
    after = snapshot(client)
    assert after == before, "a refused request stored something"


def timed(call: Callable):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


# --- the operations that take a body ---------------------------------------------------

def set_at(document, pointer: str, value):
    """Set document at a slash-separated path such as 'dateline/place' or 'tags/0'."""
    *parents, last = pointer.split("/")
    for token in parents:
        document = document[int(token)] if isinstance(document, list) else document[token]
    if isinstance(document, list):
        index = int(last)
        document[index:index + 1] = [value]
    else:
        document[last] = value


@dataclass(frozen=True)
class Write:
    """An operation that takes a JSON body, and a valid body for it."""

    method: str
    path: str
    content_type: str = JSON
    batch: bool = False
    fields: dict | None = None  # the body of a source or key write; None: an article
    text_field: str = "headline"  # a string field to make hostile

    def body(self, sample: dict, pointer: str | None = None, value=None):
        document = copy.deepcopy(sample if self.fields is None else self.fields)
        if pointer is not None:
            set_at(document, pointer, value)
        return [document] if self.batch else document

    def raw(self, sample: dict, replacement: bytes, pointer: str | None = None) -> bytes:
        """The valid body as JSON text, with one string value replaced by raw bytes."""
        text = json.dumps(self.body(sample, pointer or self.text_field, MARK))
        return text.encode("utf-8").replace(json.dumps(MARK).encode("ascii"), replacement)

    def send(self, client, article_id: str, data, content_type: str | None = None, **kwargs):
        if not isinstance(data, bytes | str):
            data = json.dumps(data)
        return client.open(self.path.format(id=article_id), method=self.method, data=data,
                           content_type=content_type or self.content_type, **kwargs)


ARTICLE_WRITES = {
    "POST /articles": Write("POST", "/articles"),
    "PUT /articles/{id}": Write("PUT", "/articles/{id}"),
    "PATCH /articles/{id}": Write("PATCH", "/articles/{id}", MERGE_PATCH),
    "PUT /sources/{domain}/articles/{external_id}": Write(
        "PUT", "/sources/kayhan.ir/articles/92427"),
    "POST /articles/batch": Write("POST", "/articles/batch", batch=True),
}
OTHER_WRITES = {
    "POST /sources": Write("POST", "/sources", fields={
        "domain": "example.org", "name": "Example", "time_zone": "Asia/Tehran",
        "language": "en"}, text_field="name"),
    "PUT /sources/{domain}": Write("PUT", "/sources/example.org", fields={
        "name": "Example", "time_zone": "Asia/Tehran", "language": "en"}, text_field="name"),
    "PATCH /sources/{domain}": Write("PATCH", "/sources/kayhan.ir", MERGE_PATCH, fields={
        "name": "Kayhan", "time_zone": "Asia/Tehran"}, text_field="name"),
    "POST /keys": Write("POST", "/keys", fields={"name": "intruder", "scope": "admin"},
                        text_field="name"),
}
JSON_WRITES = {**ARTICLE_WRITES, **OTHER_WRITES}


@pytest.fixture
def article(create):
    """A stored article (source kayhan.ir), under another key than the sample's."""
    return create(**STORED_KEY)


@pytest.mark.parametrize("name", JSON_WRITES)
def test_the_valid_bodies_the_hostile_ones_start_from_are_accepted(client, article, sample,
                                                                   name):
    write = JSON_WRITES[name]

    response = write.send(client, article["id"], write.body(sample))

    assert response.status_code in (200, 201), _described(response)
    if write.batch:
        assert response.json["counts"]["rejected"] == 0, response.json


# --- 1. invalid UTF-8 ------------------------------------------------------------------

BAD_UTF8 = {
    "0xFF 0xFE": b"\xff\xfe",
    "overlong slash": b"\xc0\xaf",
    "encoded surrogate": b"\xed\xa0\x80",
    "truncated sequence": b"\xe2\x82",
    "beyond U+10FFFF": b"\xf4\x90\x80\x80",
    "lone continuation byte": b"\x80",
}


@pytest.mark.parametrize("name", JSON_WRITES)
def test_invalid_utf8_in_a_json_string_is_400(client, article, sample, name):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for label, bad in BAD_UTF8.items():
            response = write.send(client, article["id"],
                                  write.raw(sample, b'"Mili' + bad + b'tants"'))
            body = assert_problem(response, 400)
            assert body["type"].endswith("malformed-json"), label


@pytest.mark.parametrize("name", JSON_WRITES)
def test_unpaired_surrogate_escape_in_a_json_string_is_refused(client, article, sample, name):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for escape in (b'"\\ud800"', b'"a\\udfffb"', b'"\\udc00\\ud800"'):
            response = write.send(client, article["id"], write.raw(sample, escape))
            errors = assert_refused(response, 400, 422)
            if response.status_code != 400:
                assert "/" + write.text_field in pointers(errors), _described(response)


@pytest.mark.parametrize("path", ["/articles", "/extract"])
def test_invalid_utf8_in_a_raw_news_item_is_422(client, article, path):
    raw = RAW_EXAMPLE.encode("utf-8")

    with nothing_stored(client):
        for bad in BAD_UTF8.values():
            response = client.post(path, data=raw.replace(b"Militants", b"Mili" + bad),
                                   content_type=PLAIN_TEXT)
            assert_problem(response, 422)


def test_invalid_utf8_ndjson_lines_are_each_rejected(client, article, sample):
    line = json.dumps({**sample, "headline": MARK}).encode("utf-8")
    body = b"\n".join(line.replace(MARK.encode(), b"x" + bad) for bad in BAD_UTF8.values())

    with nothing_stored(client):
        response = client.post("/articles/batch", data=body, content_type=NDJSON)
        assert response.status_code == 200, _described(response)
        assert response.json["counts"]["rejected"] == len(BAD_UTF8)
        assert response.json["counts"]["created"] == 0


# Every string query parameter, with a plausible valid value.
ARTICLE_QUERY = {
    "source": "kayhan.ir", "external_id": "92427", "tag": "Afghanistan", "author": "Staff",
    "person": "Arif Kakar", "place": "Kabul", "organisation": "NATO", "cited_source": "Sputnik",
    "language": "en", "duplicates": "exclude", "published_after": "2021-07-14T00:00:00Z",
    "published_before": "2030-01-01T00:00:00Z", "updated_after": "2021-01-01T00:00:00Z",
    "count": "exact", "limit": "5", "cursor": "abc",
}
CHANGES_QUERY = {"since": "0", "limit": "10", "source": "kayhan.ir", "tag": "Afghanistan",
                 "feed": "normal", "timeout": "0"}
QUERY_PARAMETERS = (
    [("/articles", name) for name in ARTICLE_QUERY]
    + [("/changes", name) for name in CHANGES_QUERY]
    + [("/sources", "limit"), ("/sources", "cursor"),
       ("/articles/{id}/revisions", "limit"), ("/articles/{id}/revisions", "cursor"),
       ("/articles/{id}/similar", "limit")]
)
QUERY_IDS = [f"{path}?{name}" for path, name in QUERY_PARAMETERS]


def _listed(response) -> list:
    body = response.json
    return body.get("items", body.get("changes"))


@pytest.mark.parametrize(("path", "name"), QUERY_PARAMETERS, ids=QUERY_IDS)
def test_invalid_utf8_in_a_query_parameter_matches_nothing_or_is_400(client, article, path,
                                                                     name):
    target = path.format(id=article["id"])

    with nothing_stored(client):
        for bad in ("%ff%fe", "%c0%af", "%ed%a0%80", "Kabul%e2%82"):
            response = client.get(f"{target}?{name}={bad}")
            if response.status_code != 200:
                assert_problem(response, 400)
            elif name not in {"limit", "since"}:
                assert _listed(response) == [], _described(response)


def test_invalid_utf8_in_a_query_parameter_name_is_400(client):
    for path in ("/articles", "/changes", "/sources"):
        assert_problem(client.get(f"{path}?%ff%fe=1"), 400)


def _paths(article_id: str, segment: str) -> list[tuple[str, str]]:
    """Every route with segment standing in for one of its path parameters."""
    return [
        ("GET", f"/articles/{segment}"),
        ("DELETE", f"/articles/{segment}"),
        ("GET", f"/articles/{article_id}{segment}"),
        ("GET", f"/articles/{segment}/revisions"),
        ("GET", f"/articles/{article_id}/revisions/1{segment}"),
        ("POST", f"/articles/{article_id}/revisions/{segment}/restore"),
        ("GET", f"/articles/{segment}/similar"),
        ("GET", f"/sources/{segment}"),
        ("GET", f"/sources/kayhan.ir{segment}"),
        ("DELETE", f"/sources/kayhan.ir{segment}"),
        ("GET", f"/sources/{segment}/articles/stored-1"),
        ("GET", f"/sources/kayhan.ir/articles/{segment}"),
        ("GET", f"/sources/kayhan.ir/articles/stored-1{segment}"),
        ("GET", f"/keys/{segment}"),
        ("DELETE", f"/keys/{segment}"),
    ]


def _send_to_path(client, method: str, path: str, sample: dict):
    if method in {"PUT", "PATCH"}:
        return client.open(path, method=method, json=sample)
    return client.open(path, method=method)


@pytest.mark.parametrize("segment", ["%ff%fe", "%c0%af", "%ed%a0%80%ed%b0%80", "a%80"])
def test_invalid_utf8_in_a_path_segment_is_404(client, article, segment):
    with nothing_stored(client):
        assert_all_problems([_send_to_path(client, method, path, {})
                             for method, path in _paths(article["id"], segment)], 400, 404)


@pytest.mark.parametrize("segment", [b"\xff\xfe", b"stored-1\xff", b"\xc0\xaf"])
def test_invalid_utf8_in_a_put_path_stores_nothing(client, article, sample, segment):
    """The path is the article's key: bytes that are not UTF-8 name no article, and must
    not be stored under a key the client never sent (such as U+FFFD replacements).
    The bytes go in PATH_INFO as a WSGI server passes them (werkzeug's test client
    would replace them before the app could see them)."""
    body = {name: value for name, value in sample.items() if name != "external_id"}
    raw = segment.decode("latin-1")

    with nothing_stored(client):
        response = client.put("/", json=body, environ_overrides={
            "PATH_INFO": f"/sources/kayhan.ir/articles/{raw}"})
        assert_problem(response, 400, 404)
        response = client.put("/", json={"name": "X"},
                              environ_overrides={"PATH_INFO": f"/sources/{raw}.ir"})
        assert_problem(response, 400, 404)


# --- 2. NUL --------------------------------------------------------------------------

# Every string field of an article, by its path in the document, with a valid value.
ARTICLE_STRINGS = {
    "source": "kayhan.ir", "external_id": "92427", "url": "https://kayhan.ir/en/news/92427",
    "headline": "Militants Say", "summary": "Rival claims", "body": "Fighters announced",
    "language": "en", "published_at": "2021-07-14T21:46:00+04:30",
    "modified_at": "2021-07-15T08:00:00+04:30", "authors/0": "Staff Writer",
    "dateline/text": "KABUL (Dispatches)", "dateline/place": "Kabul",
    "dateline/credit": "Dispatches", "tags/0": "Afghanistan", "people/0": "Ashraf Ghani",
    "places/0": "Kabul", "organisations/0": "Taliban", "cited_sources/0": "Al Jazeera",
}


@pytest.mark.parametrize("pointer", ARTICLE_STRINGS)
def test_nul_in_any_article_field_is_422_naming_it_on_every_write(client, article, sample,
                                                                  pointer):
    valid = ARTICLE_STRINGS[pointer]

    with nothing_stored(client):
        for name, write in ARTICLE_WRITES.items():
            for value in ("\x00", valid + "\x00", valid[:2] + "\x00" + valid[2:]):
                response = write.send(client, article["id"], write.body(sample, pointer, value))
                errors = assert_refused(response, 422)
                assert "/" + pointer in pointers(errors), (name, _described(response))


@pytest.mark.parametrize("name", JSON_WRITES)
def test_raw_nul_byte_in_a_json_body_is_400(client, article, sample, name):
    write = JSON_WRITES[name]
    valid = json.dumps(write.body(sample)).encode("utf-8")

    with nothing_stored(client):
        for body in (write.raw(sample, b'"Mili\x00tants"'), write.raw(sample, b'"x"\x00'),
                     b"\x00" + valid, valid + b"\x00", valid.replace(b":", b"\x00:", 1)):
            assert_problem(write.send(client, article["id"], body), 400)


SOURCE_AND_KEY_STRINGS = [
    ("POST /sources", "domain", "example.org"), ("POST /sources", "name", "Example"),
    ("POST /sources", "time_zone", "Asia/Tehran"), ("POST /sources", "language", "en"),
    ("PUT /sources/{domain}", "domain", "example.org"),
    ("PUT /sources/{domain}", "name", "Example"),
    ("PUT /sources/{domain}", "time_zone", "Asia/Tehran"),
    ("PATCH /sources/{domain}", "name", "Kayhan"),
    ("PATCH /sources/{domain}", "time_zone", "Asia/Tehran"),
    ("PATCH /sources/{domain}", "language", "fa"),
    ("POST /keys", "name", "intruder"), ("POST /keys", "scope", "admin"),
]


@pytest.mark.parametrize(("name", "pointer", "valid"), SOURCE_AND_KEY_STRINGS)
def test_nul_in_a_source_or_key_field_is_422(client, article, sample, name, pointer, valid):
    write = OTHER_WRITES[name]

    with nothing_stored(client):
        for value in ("\x00", valid + "\x00", valid[:2] + "\x00" + valid[2:]):
            response = write.send(client, article["id"], write.body(sample, pointer, value))
            errors = assert_refused(response, 422)
            assert "/" + pointer in pointers(errors), _described(response)


@pytest.mark.parametrize("path", ["/articles", "/extract"])
def test_nul_in_a_raw_news_item_is_422(client, article, path):
    with nothing_stored(client):
        for before in ("kayhan.ir", "92427", "Militants", "Fighters", "KABUL", "2021"):
            raw = RAW_EXAMPLE.replace(before, before[:2] + "\x00" + before[2:], 1)
            response = client.post(path, data=raw.encode("utf-8"), content_type=PLAIN_TEXT)
            assert_problem(response, 422)


def test_nul_in_ndjson_lines_rejects_each_of_them(client, article, sample):
    lines = [json.dumps({**sample, "headline": "a\x00b"}).encode(),
             json.dumps({**sample, "tags": ["\x00"]}).encode(),
             json.dumps({**sample, "headline": MARK}).encode().replace(MARK.encode(), b"a\x00b"),
             b"\x00"]

    with nothing_stored(client):
        response = client.post("/articles/batch", data=b"\n".join(lines), content_type=NDJSON)
        assert response.status_code == 200, _described(response)
        assert response.json["counts"]["rejected"] == len(lines)


def _valid_query_value(path: str, name: str) -> str:
    return (CHANGES_QUERY if path == "/changes" else ARTICLE_QUERY).get(name, "5")


@pytest.mark.parametrize(("path", "name"), QUERY_PARAMETERS, ids=QUERY_IDS)
def test_nul_in_a_query_parameter_is_400(client, article, path, name):
    valid = _valid_query_value(path, name)
    target = path.format(id=article["id"])

    with nothing_stored(client):
        for value in ("\x00", valid + "\x00", valid[:1] + "\x00" + valid[1:]):
            response = client.get(target, query_string={name: value})
            assert_problem(response, 400)


@pytest.mark.parametrize("segment", ["%00", "a%00b", "stored-1%00", "%00%00%00"])
def test_nul_in_a_path_parameter_is_404(client, article, segment):
    with nothing_stored(client):
        assert_all_problems([_send_to_path(client, method, path, {})
                             for method, path in _paths(article["id"], segment)], 400, 404)


def test_nul_in_a_key_path_names_no_key(client, article):
    key_id = client.get("/keys").json["items"][0]["id"]

    with nothing_stored(client):
        assert_all_problems([client.open(path, method=method)
                             for path in (f"/keys/{key_id}%00", f"/keys/%00{key_id}",
                                          "/keys/tests%00")
                             for method in ("GET", "DELETE")], 404)


@pytest.mark.parametrize("segment", ["%00", "stored-1%00", "%00stored-1"])
def test_nul_in_a_put_path_stores_nothing(client, article, sample, segment):
    with nothing_stored(client):
        assert_problem(client.put(f"/sources/kayhan.ir/articles/{segment}", json=sample),
                       400, 404)
        assert_problem(client.put(f"/sources/kayhan.ir{segment}", json={"name": "X"}),
                       400, 404)
        assert_problem(client.patch(f"/sources/kayhan.ir{segment}", json={"name": "X"}),
                       400, 404)


# --- 3. ten megabytes in one field -----------------------------------------------------

HUGE_FIELDS = [
    ("POST /articles", "headline"), ("POST /articles", "tags/0"),
    ("POST /articles", "external_id"), ("POST /articles", "body"),
    ("POST /articles", "summary"), ("POST /articles", "url"),
    ("POST /articles", "dateline/place"), ("POST /articles", "authors/0"),
    ("POST /articles", "source"), ("POST /articles", "published_at"),
    ("POST /articles", "language"),
    ("PUT /articles/{id}", "headline"), ("PATCH /articles/{id}", "tags/0"),
    ("PUT /sources/{domain}/articles/{external_id}", "body"),
    ("POST /articles/batch", "external_id"),
    ("POST /sources", "name"), ("POST /sources", "domain"), ("POST /sources", "time_zone"),
    ("PUT /sources/{domain}", "name"), ("PATCH /sources/{domain}", "name"),
    ("POST /keys", "name"), ("POST /keys", "scope"),
]


@pytest.mark.parametrize(("name", "pointer"), HUGE_FIELDS)
def test_ten_megabytes_in_one_field_is_422_and_fast(client, article, sample, name, pointer):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for huge in ("x" * TEN_MB, "\u0416" * (TEN_MB // 2)):
            body = json.dumps(write.body(sample, pointer, huge), ensure_ascii=False)
            response, seconds = timed(lambda body=body: write.send(client, article["id"],
                                                                   body.encode("utf-8")))
            errors = assert_refused(response, 413, 422)
            if response.status_code != 413:
                assert "/" + pointer in pointers(errors), _described(response)
            assert seconds < FAST_SECONDS, f"{name} {pointer} took {seconds:.1f} s"


@pytest.mark.parametrize("path", ["/articles", "/extract"])
def test_ten_megabyte_raw_news_item_is_422_and_fast(client, article, path):
    raw = RAW_EXAMPLE.replace("Fighters", "Fighters " + "word " * (TEN_MB // 5))

    with nothing_stored(client):
        response, seconds = timed(lambda: client.post(path, data=raw.encode("utf-8"),
                                                      content_type=PLAIN_TEXT))
        assert_problem(response, 413, 422)
        assert seconds < FAST_SECONDS


@pytest.mark.parametrize(("path", "content_type"), [
    ("/articles", JSON), ("/articles", PLAIN_TEXT), ("/articles/batch", NDJSON),
    ("/extract", PLAIN_TEXT), ("/keys", JSON)])
def test_a_body_over_the_default_limit_is_413_and_fast(client, article, path, content_type):
    body = b'{"headline": "' + b"x" * (17 * 1024 * 1024) + b'"}'

    with nothing_stored(client):
        response, seconds = timed(lambda: client.post(path, data=body,
                                                      content_type=content_type))
        assert_problem(response, 413)
        assert seconds < FAST_SECONDS


def test_a_hundred_kilobyte_query_parameter_is_400_and_fast(client, article):
    started = time.perf_counter()

    assert_all_problems([client.get(path.format(id=article["id"]),
                                    query_string={name: "7" * 100_000})
                         for path, name in QUERY_PARAMETERS], 400)
    assert time.perf_counter() - started < FAST_SECONDS


# --- 4. deeply nested JSON -------------------------------------------------------------

DEEP_ARRAY = b"[" * DEEP + b"]" * DEEP
DEEP_OBJECT = b'{"a":' * DEEP + b"1" + b"}" * DEEP


@pytest.mark.parametrize("name", JSON_WRITES)
def test_json_nested_ten_thousand_deep_is_400(client, article, sample, name):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for body in (DEEP_ARRAY, DEEP_OBJECT, write.raw(sample, DEEP_ARRAY),
                     write.raw(sample, DEEP_OBJECT)):
            response, seconds = timed(lambda body=body: write.send(client, article["id"], body))
            assert_problem(response, 400)
            assert seconds < FAST_SECONDS


def test_ndjson_lines_nested_ten_thousand_deep_are_rejected(client, article, sample):
    line = json.dumps({**sample, "headline": MARK}).encode()
    lines = [DEEP_ARRAY, DEEP_OBJECT, line.replace(json.dumps(MARK).encode(), DEEP_ARRAY)]

    with nothing_stored(client):
        response = client.post("/articles/batch", data=b"\n".join(lines), content_type=NDJSON)
        assert response.status_code == 200, _described(response)
        assert response.json["counts"]["rejected"] == len(lines)


# --- 5. huge and special numbers -------------------------------------------------------

NUMBER_LITERALS = [b"1e400", b"-1e400", b"1" + b"0" * 5000, b"-" + b"9" * 5000, b"-0",
                   b"-0.0", b"1e-400", b"NaN", b"Infinity", b"-Infinity",
                   b"9223372036854775808", b"123456789012345678901234567890.5"]


@pytest.mark.parametrize("name", JSON_WRITES)
def test_numbers_where_strings_belong_are_refused(client, article, sample, name):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for literal in NUMBER_LITERALS:
            response = write.send(client, article["id"], write.raw(sample, literal))
            assert_refused(response, 400, 422)
            response = write.send(client, article["id"], literal)
            assert_refused(response, 400, 422)


@pytest.mark.parametrize("pointer", ["version", "word_count", "tags", "dateline",
                                     "published_at", "tags/0", "dateline/place"])
def test_huge_numbers_in_article_fields_are_refused(client, article, sample, pointer):
    with nothing_stored(client):
        for write in ARTICLE_WRITES.values():
            for literal in NUMBER_LITERALS:
                response = write.send(client, article["id"],
                                      write.raw(sample, literal, pointer=pointer))
                assert_refused(response, 400, 422)


NUMERIC_QUERY = [("/articles", "limit"), ("/changes", "limit"), ("/changes", "timeout"),
                 ("/changes", "since"), ("/sources", "limit"),
                 ("/articles/{id}/revisions", "limit"), ("/articles/{id}/similar", "limit")]
ALWAYS_INVALID_NUMBERS = ["1e400", "-1e400", "1" + "0" * 5000, "-" + "9" * 5000, "NaN", "nan",
                          "Infinity", "-Infinity", "inf", "0x10", "-1", "1e2", "9" * 19, "",
                          " ", "1.5e3", "1 2"]
# Odd spellings of small numbers: refused, or read as the number (never a 5xx).
ODD_SMALL_NUMBERS = ["-0", "+1", "1e-400", "0.0", "\u0661", "\uff11", " 1", "1_0", "01"]


@pytest.mark.parametrize(("path", "name"), NUMERIC_QUERY,
                         ids=[f"{path}?{name}" for path, name in NUMERIC_QUERY])
def test_huge_numbers_in_numeric_query_parameters_are_400(client, article, path, name):
    target = path.format(id=article["id"])

    with nothing_stored(client):
        for value in ALWAYS_INVALID_NUMBERS:
            assert_problem(client.get(target, query_string={name: value}), 400)
        for value in ODD_SMALL_NUMBERS:
            response = client.get(target, query_string={name: value})
            if response.status_code != 200:
                assert_problem(response, 400)


def test_a_long_poll_with_a_huge_timeout_is_400_not_a_hang(client):
    for value in ("1e400", "Infinity", "NaN", "1" + "0" * 5000, "61", "-1e-400x"):
        response, seconds = timed(lambda value=value: client.get(
            "/changes", query_string={"feed": "longpoll", "timeout": value}))
        assert_problem(response, 400)
        assert seconds < FAST_SECONDS


HUGE_VERSIONS = ["9223372036854775807", "9223372036854775808", "18446744073709551616",
                 "99999999999999999999", "9" * 5000, "1" + "0" * 4299, "-0", "-1", "1e400",
                 "NaN", "Infinity", "0", "1.0", "0x1"]


@pytest.mark.parametrize("version", HUGE_VERSIONS,
                         ids=[value if len(value) < 30 else f"{len(value)}-digits"
                              for value in HUGE_VERSIONS])
def test_a_huge_or_odd_version_in_the_path_is_404(client, article, version):
    base = f"/articles/{article['id']}/revisions/{version}"

    with nothing_stored(client):
        assert_all_problems([client.get(base), client.post(f"{base}/restore")], 400, 404)


# --- 6. SQL injection and search syntax in query parameters ----------------------------

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE article; --', "*", "NEAR(a b)", "a OR b", "-x",
              '"unterminated', "%", "_", "\\", "' UNION SELECT secret_hash FROM api_key --",
              "1) OR (1=1", "'; DELETE FROM article WHERE ''='", "$1", "?", ":name",
              "\\x27", "a' || 'b", "kayhan.ir' --", "%' --", "[a-z]*"]
STRING_QUERY = [(path, name) for path, name in QUERY_PARAMETERS
                if name not in {"limit", "timeout"}]


@pytest.mark.parametrize("value", INJECTIONS)
def test_sql_and_search_syntax_in_query_parameters_is_a_plain_value(client, article, value):
    with nothing_stored(client):
        for path, name in STRING_QUERY:
            response = client.get(path.format(id=article["id"]), query_string={name: value})
            if response.status_code != 200:
                assert_problem(response, 400)
            elif path in {"/articles", "/changes"}:
                assert _listed(response) == [], _described(response)

    assert client.get(f"/articles/{article['id']}").json == article
    assert [item["id"] for item in client.get("/articles").json["items"]] == [article["id"]]


def test_wildcards_and_sql_in_stored_values_match_only_themselves(client, create, article):
    odd = create(external_id="' OR 1=1 --", url="https://kayhan.ir/en/news/odd",
                 body="Another text entirely, about something else.",
                 tags=["%", "_", "a OR b", "\\", "'; DROP TABLE article; --"])

    for name, value in [("tag", "%"), ("tag", "_"), ("tag", "a OR b"), ("tag", "\\"),
                        ("tag", "'; DROP TABLE article; --"),
                        ("external_id", "' OR 1=1 --")]:
        listed = client.get("/articles", query_string={name: value}).json["items"]
        assert [item["id"] for item in listed] == [odd["id"]], (name, value)
        changes = client.get("/changes", query_string={"tag": value}).json["changes"]
        assert {change["id"] for change in changes} <= {odd["id"]}, (name, value)
    for value in ("a", "b", "OR", "' OR 1=1", "%%", "__"):
        assert client.get("/articles", query_string={"tag": value}).json["items"] == []
    assert client.get(f"/articles/{article['id']}").status_code == 200


# --- 7. path traversal and odd path parameters -----------------------------------------

TRAVERSALS = [
    "/articles/..%2f..%2fetc%2fpasswd", "/articles/../../etc/passwd",
    "/articles/%2e%2e/%2e%2e/etc/passwd", "/articles/..%5c..%5cwindows%5cwin.ini",
    "/sources/..%2F..%2Fetc/articles/x", "/sources/kayhan.ir/articles/..%2f..%2f",
    "/sources/kayhan.ir/articles/..%2f..%2fetc%2fpasswd",
    "/sources/kayhan.ir/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/sources/..", "/sources/%2e%2e", "/sources/kayhan.ir%2f..%2f..",
    "/keys/%2e%2e", "/keys/..%2f..%2fetc%2fpasswd", "/keys/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/docs/static/..%2f..%2f..%2f..%2fetc%2fpasswd", "/docs/static/../../../../etc/passwd",
    "/docs/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/docs/static/%2fetc%2fpasswd",
    "/docs/static//etc/passwd", "/docs/assets/..%2f..%2fetc%2fpasswd",
    "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/articles/%00",
    "/sources/%00", "/keys/%00",
]
OVERLONG = ["/articles/" + "a" * 10_000, "/articles/" + "0" * 10_000 + "/revisions",
            "/sources/" + "a" * 10_000, "/sources/" + "a." * 5_000 + "ir",
            "/sources/" + "a" * 10_000 + "/articles/1",
            "/sources/kayhan.ir/articles/" + "a" * 10_000,
            "/sources/kayhan.ir/articles/" + "%e2%82%ac" * 5_000,
            "/keys/" + "a" * 10_000, "/keys/" + "%c3%a9" * 10_000, "/" + "a" * 10_000,
            "/articles/{id}/revisions/" + "9" * 10_000]


def _no_file_leaked(response) -> None:
    data = response.get_data()
    assert b"root:" not in data, _described(response)
    assert b"[fonts]" not in data, _described(response)


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404_and_reads_no_file(client, article, path):
    with nothing_stored(client):
        for method in ("GET", "DELETE"):
            # Routing may first redirect '//' to '/' (308), within the same directory.
            response = client.open(path, method=method, follow_redirects=True)
            assert_problem(response, 400, 404, 405)
            _no_file_leaked(response)
        response = client.put(path, json={"name": "X"})
        assert_problem(response, 400, 404, 405)


@pytest.mark.parametrize("path", OVERLONG,
                         ids=[f"{path[:30]}...{len(path)}" for path in OVERLONG])
def test_an_overlong_path_segment_is_404(client, article, sample, path):
    target = path.format(id=article["id"])

    with nothing_stored(client):
        assert_problem(client.get(target), 400, 404)
        assert_problem(client.delete(target), 400, 404, 405)
        assert_problem(client.put(target, json=sample), 400, 404, 405)


# --- 8. wrong types, duplicate keys, content types, credentials ------------------------

WRONG_TYPES = {
    "POST /articles": [[{}], "kayhan.ir", 42, None, True, {"headline": {}},
                       {"tags": "Afghanistan"}, {"tags": {"0": "x"}}, {"dateline": []},
                       {"dateline": "Kabul"}, {"authors": [["Staff"]]}, {"tags": [None]},
                       {"published_at": 1626283560}, {"source": ["kayhan.ir"]},
                       {"modified_at": {}}, {"url": {"href": "https://kayhan.ir/x"}},
                       {"dateline": {"place": ["Kabul"]}}, {"language": ["en"]}],
    "PUT /articles/{id}": [[{}], "x", None, {"headline": ["x"]}, {"people": "Ashraf Ghani"}],
    "PATCH /articles/{id}": [[], ["headline"], "x", 42, None, {"tags": "x"},
                             {"dateline": "Kabul"}, {"dateline": {"place": {}}},
                             {"headline": []}, {"published_at": 0}],
    "PUT /sources/{domain}/articles/{external_id}": [
        [{}], "x", {"external_id": 92427}, {"source": {"domain": "kayhan.ir"}}],
    "POST /articles/batch": [{}, "x", 42, None, {"items": []}, [[{}]], [None], [42], ["x"]],
    "POST /sources": [[], "kayhan.ir", {"domain": ["example.org"]},
                      {"domain": "example.org", "name": {}},
                      {"domain": "example.org", "time_zone": 3},
                      {"domain": "example.org", "language": ["en"]}, None],
    "PUT /sources/{domain}": [[], "x", {"name": []}, {"time_zone": {"zone": "UTC"}}, None],
    "PATCH /sources/{domain}": [[], "x", 42, {"name": {}}, {"time_zone": ["UTC"]},
                                {"domain": ["kayhan.ir"]}],
    "POST /keys": [[], "admin", None, {"name": ["a"], "scope": "read"},
                   {"name": "a", "scope": ["admin"]}, {"name": "a", "scope": {"admin": True}},
                   {"name": 5, "scope": "read"}, {"name": "a", "scope": True}],
}


def _with_wrong_types(write: Write, sample: dict, value):
    """An object merged into the operation's valid body; anything else on its own."""
    if isinstance(value, dict) and not write.batch:
        return {**write.body(sample), **value}
    return value


@pytest.mark.parametrize("name", WRONG_TYPES)
def test_wrong_json_types_are_refused(client, article, sample, name):
    write = JSON_WRITES[name]

    with nothing_stored(client):
        for value in WRONG_TYPES[name]:
            body = _with_wrong_types(write, sample, value)
            assert_refused(write.send(client, article["id"], body), 400, 422)


def _duplicated(text: str, name: str, first: str, last: str) -> str:
    """A JSON object text with name given twice: first, then last."""
    return text.replace("{", f'{{"{name}": {json.dumps(first)}, ', 1).replace(
        f'"{name}": {json.dumps(MARK)}', f'"{name}": {json.dumps(last)}')


@pytest.mark.parametrize(("name", "field_name", "valid", "invalid"), [
    ("POST /articles", "headline", "Fine", ""),
    ("POST /articles", "headline", "Fine", "bad\x00"),
    ("POST /articles", "source", "kayhan.ir", "not a domain"),
    ("PUT /articles/{id}", "published_at", "2021-07-14T21:46:00Z", "2021-07-14T21:46:00"),
    ("PATCH /articles/{id}", "url", "https://kayhan.ir/x", "ftp://kayhan.ir/x"),
    ("POST /sources", "time_zone", "Asia/Tehran", "Mars/Olympus"),
    ("PATCH /sources/{domain}", "language", "fa", "not a language!"),
    ("POST /keys", "scope", "read", "superuser"),
])
def test_duplicate_keys_never_smuggle_an_invalid_value_in(client, article, sample, name,
                                                          field_name, valid, invalid):
    """The last of duplicate keys is the one judged and stored (or the body is refused)."""
    write = JSON_WRITES[name]
    text = json.dumps(write.body(sample, field_name, MARK))

    with nothing_stored(client):
        response = write.send(client, article["id"],
                              _duplicated(text, field_name, valid, invalid))
        assert_refused(response, 400, 422)

    response = write.send(client, article["id"], _duplicated(text, field_name, invalid, valid))
    if response.status_code >= 300:
        assert_refused(response, 400, 422)
    else:
        assert response.json[field_name] == valid, _described(response)


def test_duplicate_scope_never_grants_admin(client):
    body = '{"name": "smuggler", "scope": "admin", "scope": "read"}'

    response = client.post("/keys", data=body, content_type=JSON)

    if response.status_code == 201:
        assert response.json["scope"] == "read"
        assert client.get("/keys/smuggler").json["scope"] == "read"
    else:
        assert_problem(response, 400, 422)


UNSUPPORTED_TYPES = ["application/xml", "text/xml", "multipart/form-data; boundary=x",
                     "application/x-www-form-urlencoded", "text/json", "application/json-seq",
                     "application/jsonx", "application/octet-stream", "*/*", "application/*",
                     "text/csv", "image/png", ";;;", "application/json/x", "\u0436/\u0436",
                     "application/json-patch+json", "application/x-ndjson"]


@pytest.mark.parametrize("name", [*JSON_WRITES, "POST /extract"])
def test_unsupported_content_types_are_415(client, article, sample, name):
    write = JSON_WRITES.get(name) or Write("POST", "/extract", PLAIN_TEXT)
    body = RAW_EXAMPLE if name == "POST /extract" else json.dumps(write.body(sample))
    accepted = {JSON, MERGE_PATCH} if write.method == "PATCH" else {write.content_type}
    if name in {"POST /articles/batch", "POST /articles"}:
        accepted |= {NDJSON} if write.batch else {PLAIN_TEXT}

    with nothing_stored(client):
        for content_type in UNSUPPORTED_TYPES:
            if content_type in accepted:
                continue
            response = write.send(client, article["id"], body, content_type=content_type)
            assert_problem(response, 415)


@pytest.mark.parametrize("name", [*JSON_WRITES, "POST /extract"])
def test_a_body_without_content_type_is_415(client, article, sample, name):
    write = JSON_WRITES.get(name) or Write("POST", "/extract", PLAIN_TEXT)
    body = RAW_EXAMPLE if name == "POST /extract" else json.dumps(write.body(sample))

    with nothing_stored(client):
        response = client.open(write.path.format(id=article["id"]), method=write.method,
                               data=body.encode("utf-8"))
        assert not response.request.headers.get("Content-Type")
        assert_problem(response, 415)


@pytest.mark.parametrize("name", JSON_WRITES)
def test_json_in_another_charset_is_400(client, article, sample, name):
    write = JSON_WRITES[name]
    text = json.dumps(write.body(sample, write.text_field, "Caf\u00e9"), ensure_ascii=False)

    with nothing_stored(client):
        for charset in ("utf-16", "utf-32", "latin-1"):
            response = write.send(client, article["id"], text.encode(charset),
                                  content_type=f"{write.content_type}; charset={charset}")
            if charset == "latin-1":
                assert_problem(response, 400)
            else:
                assert_refused(response, 400, 415)


GARBAGE_CREDENTIALS = [
    "Bearer " + "a" * 100_000, "Bearer " + "dl_" + "0" * 8_000, "Bearer \x00",
    "Bearer dl_\x00", "Bearer \x00dl_000000000000_" + "A" * 43,
    "Bearer dl_000000000000_" + "A" * 42 + "\x00", "Bearer " + "A" * 43 + "\x00" * 100,
    "Bearer \u043a\u043b\u044e\u0447", "Bearer " + "\u043a\u043b\u044e\u0447".encode().decode(
        "latin-1"), "\u00ff\u00fe", "Bearer", "Bearer ", "Bearer \t", "Basic YWRtaW46YWRtaW4=",
    "Bearer dl_000000000000_" + "A" * 43, "Bearer dl_zzzzzzzzzzzz_" + "A" * 43,
    "Bearer dl_000000000000_" + "A" * 43 + ", Bearer x", "Bearer ' OR 1=1 --",
    "\x00", " " * 1000, "Bearer " + "%00" * 100, "Digest username=\"admin\"",
]
CREDENTIAL_IDS = [repr(value[:24]) + (f"+{len(value)}" if len(value) > 24 else "")
                  for value in GARBAGE_CREDENTIALS]


@pytest.mark.parametrize("credentials", GARBAGE_CREDENTIALS, ids=CREDENTIAL_IDS)
def test_garbage_authorization_is_401(anonymous, client, article, sample, credentials):
    headers = {"Authorization": credentials}
    key_id = client.get("/keys").json["items"][0]["id"]

    with nothing_stored(client):
        for method, path, body in [
                ("GET", "/articles", None), ("GET", "/changes", None), ("GET", "/keys", None),
                ("POST", "/articles", {**sample, "external_id": "new"}),
                ("POST", "/keys", {"name": "intruder", "scope": "admin"}),
                ("DELETE", f"/keys/{key_id}", None),
                ("DELETE", f"/articles/{article['id']}", None),
                ("PUT", "/sources/example.org", {"name": "X"})]:
            response = anonymous.open(path, method=method, headers=headers, json=body)
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_authorization_on_metrics_is_401(make_app):
    client = make_app(METRICS_TOKEN="metrics-token").test_client()

    assert_all_problems([client.get("/metrics", headers={"Authorization": credentials})
                         for credentials in GARBAGE_CREDENTIALS], 401)


@pytest.mark.parametrize("value", ["", "\x00", "a\x00b", "k" * 10_000, "\u00e9t\u00e9",
                                   "key with spaces", "\t"])
def test_garbage_idempotency_key_is_400(client, article, sample, value):
    headers = {"Idempotency-Key": value}

    with nothing_stored(client):
        for path, body in (("/articles", {**sample, "external_id": "new"}),
                           ("/articles/batch", [{**sample, "external_id": "new"}])):
            assert_problem(client.post(path, json=body, headers=headers), 400)


@pytest.mark.parametrize("value", ["\x00", '"1-x"\x00', "W/" * 5000, '"' * 10_000,
                                   "\u00e9", ",,,,", '"1-' + "\x00" * 100 + '"'])
def test_garbage_if_match_is_412(client, article, sample, value):
    headers = {"If-Match": value}
    target = f"/articles/{article['id']}"

    with nothing_stored(client):
        assert_problem(client.put(target, json=sample, headers=headers), 412)
        assert_problem(client.patch(target, json={"headline": "X"}, headers=headers), 412)
        assert_problem(client.delete(target, headers=headers), 412)
        assert_problem(client.post(f"{target}/revisions/1/restore", headers=headers), 412)


def test_garbage_last_event_id_is_400(client):
    values = ["\x00", "-1", "1" + "0" * 5000, "1e400", "NaN", "' OR 1=1", "9" * 19, " ", "1 2"]

    assert_all_problems([client.get("/changes", headers={"Last-Event-ID": value})
                         for value in values], 400)

