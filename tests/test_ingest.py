"""Raw news items over HTTP: POST /articles as text/plain, and POST /extract."""

from __future__ import annotations

RAW = """\
dispatchwire.com

News ID: 7781
Publish Date : 3 July 2023 - 09:15

Grain Convoy Crosses Northern Pass After Week-Long Delay

HERAT (Staff Writer) \u2013 A convoy of forty lorries carrying wheat crossed the northern
pass on Monday morning after snow and a customs dispute had held it for a week.
Drivers said the road beyond the summit was still narrow in places.
"""


def _extract(client, text: str):
    return client.post("/extract", data=text.encode(), content_type="text/plain")


def test_extract_reads_every_field_without_storing(client):
    response = _extract(client, RAW)

    assert response.status_code == 200
    article = response.json
    assert article["source"] == "dispatchwire.com"
    assert article["external_id"] == "7781"
    assert article["headline"] == "Grain Convoy Crosses Northern Pass After Week-Long Delay"
    assert article["dateline"] == {"text": "HERAT (Staff Writer)", "place": "Herat",
                                   "credit": "Staff Writer"}
    assert article["body"].startswith("A convoy of forty lorries")
    assert article["published_at"] == "2023-07-03T09:15:00+00:00"
    assert article["published_at_basis"] == "default_zone"
    assert client.get("/articles").json["items"] == []


def test_local_time_is_resolved_in_the_sources_zone(client):
    client.put("/sources/dispatchwire.com", json={"time_zone": "Asia/Tehran"})
    summer_2021 = RAW.replace("3 July 2023", "14 July 2021")

    in_2023 = _extract(client, RAW).json
    in_2021 = _extract(client, summer_2021).json

    # Iran dropped daylight saving time in 2022.
    assert in_2023["published_at"] == "2023-07-03T09:15:00+03:30"
    assert in_2021["published_at"] == "2021-07-14T09:15:00+04:30"
    assert in_2023["published_at_basis"] == "source_zone"


def test_default_zone_setting_applies_to_sources_without_a_zone(make_app):
    client = make_app(DEFAULT_TIME_ZONE="Asia/Karachi").test_client()

    article = _extract(client, RAW).json

    assert article["published_at"] == "2023-07-03T09:15:00+05:00"
    assert article["published_at_basis"] == "default_zone"


def test_stated_offset_wins(client):
    client.put("/sources/dispatchwire.com", json={"time_zone": "Asia/Tehran"})
    stated = RAW.replace("3 July 2023 - 09:15", "2023-07-03T09:15:00+01:00")

    article = _extract(client, stated).json

    assert article["published_at"] == "2023-07-03T09:15:00+01:00"
    assert article["published_at_basis"] == "stated"


def test_post_text_plain_stores_the_article_with_derived_fields(client):
    response = client.post("/articles", data=RAW.encode(), content_type="text/plain")

    assert response.status_code == 201
    stored = client.get(response.headers["Location"]).json
    assert stored["headline"].startswith("Grain Convoy")
    assert stored["language"] == "en"
    assert stored["word_count"] == 38
    assert stored["published_at_basis"] == "default_zone"


def test_post_text_plain_twice_is_409(client):
    client.post("/articles", data=RAW.encode(), content_type="text/plain")

    response = client.post("/articles", data=RAW.encode(), content_type="text/plain")

    assert response.status_code == 409


def test_language_is_detected_only_when_missing(create):
    persian = create(external_id="fa", url=None, language=None,
                     headline="گذرگاه مرزی پس از یک هفته بازگشایی شد",
                     body="کاروانی از کامیون‌های حامل گندم صبح دوشنبه از گردنه شمالی عبور کرد "
                          "و رانندگان گفتند جاده هنوز در برخی نقاط باریک است.")
    stated = create(external_id="en", url=None, language="de")

    assert persian["language"] == "fa"
    assert stated["language"] == "de"


def test_not_an_article_is_422_naming_what_is_missing(client):
    for text, missing in [("", "headline"), ("   \n\n  ", "headline"),
                          ("example.com\n\nNews ID: 1\n\nHeadline only\n", "published_at")]:
        response = client.post("/articles", data=text.encode(), content_type="text/plain")

        assert response.status_code == 422, text
        assert response.content_type == "application/problem+json"
        assert missing in response.json["missing"]
    binary = client.post("/extract", data=b"\x89PNG\r\n\x1a\n\x00\x00\x00",
                         content_type="text/plain")
    assert binary.status_code == 422
    assert client.get("/articles").json["items"] == []


def test_editing_other_fields_keeps_how_the_time_was_found(client):
    created = client.post("/articles", data=RAW.encode(), content_type="text/plain").json

    patched = client.patch(f"/articles/{created['id']}", json={"headline": "New headline"})
    moved = client.patch(f"/articles/{created['id']}",
                         json={"published_at": "2023-07-03T09:15:00+04:30"})

    assert patched.json["published_at_basis"] == "default_zone"
    assert moved.json["published_at_basis"] == "stated"
