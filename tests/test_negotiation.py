"""Accept: native JSON, schema.org JSON-LD, IPTC ninjs, NDJSON streams, 406 otherwise."""

from __future__ import annotations

import json

LD = "application/ld+json"
NINJS = "application/vnd.iptc.ninjs+json"


def test_json_ld_news_article(client, create):
    article = create()

    response = client.get(f"/articles/{article['id']}", headers={"Accept": LD})

    assert response.status_code == 200
    assert response.content_type == LD
    document = response.json
    assert document["@type"] == "NewsArticle"
    assert document["datePublished"] == "2021-07-14T21:46:00+04:30"
    assert document["dateline"] == "KABUL (Dispatches)"
    assert response.headers["Vary"] == "Accept"


def test_ninjs_documents_validate_against_the_schema(client, create, ninjs_validator):
    article = create()
    validator = ninjs_validator

    item = client.get(f"/articles/{article['id']}", headers={"Accept": NINJS})
    listed = client.get("/articles", headers={"Accept": NINJS})

    assert item.content_type == NINJS
    validator.validate(item.json)
    assert item.json["altids"][-1] == {"role": "kayhan.ir", "value": "92427"}
    assert item.json["places"][0]["geojson"]["type"] == "Point"  # validated above
    assert listed.content_type == NINJS
    for document in listed.json:
        validator.validate(document)


def test_each_representation_has_its_own_etag(client, create):
    article = create()
    path = f"/articles/{article['id']}"
    tags = {kind: client.get(path, headers={"Accept": kind}).headers["ETag"]
            for kind in ("application/json", LD, NINJS)}

    assert len(set(tags.values())) == 3
    assert client.get(path, headers={"Accept": LD, "If-None-Match": tags[LD]}).status_code == 304
    assert client.get(path, headers={"Accept": NINJS,
                                     "If-None-Match": tags[LD]}).status_code == 200


def test_unsupported_accept_is_406_listing_what_is_offered(client, create):
    article = create()

    response = client.get(f"/articles/{article['id']}", headers={"Accept": "application/xml"})

    assert response.status_code == 406
    assert set(response.json["available"]) == {"application/json", LD, NINJS}


def test_head_answers_every_representation_get_offers(client, create):
    article = create()
    asked = [(f"/articles/{article['id']}", LD), (f"/articles/{article['id']}", NINJS),
             ("/articles", "application/x-ndjson"), ("/articles", LD)]

    for path, kind in asked:
        head = client.head(path, headers={"Accept": kind})
        get = client.get(path, headers={"Accept": kind})

        assert (head.status_code, head.content_type) == (200, get.content_type), (path, kind)
        assert head.data == b""
        assert head.headers.get("ETag") == get.headers.get("ETag")


def test_ndjson_streams_the_whole_filtered_list(client, create):
    for number in range(25):
        create(external_id=str(number), url=None, tags=["even" if number % 2 else "odd"])

    response = client.get("/articles?tag=odd&limit=5",
                          headers={"Accept": "application/x-ndjson"})

    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert response.content_type == "application/x-ndjson"
    assert len(lines) == 13
    assert {line["external_id"] for line in lines} == {str(n) for n in range(0, 25, 2)}
