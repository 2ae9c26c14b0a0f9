"""Search, sort orders, sparse fields, page validators and facets on GET /articles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.reading import listing
from api.storage.models import Article


def _ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


@pytest.fixture
def stories(create):
    """Four articles with known words in known places."""
    return {
        "border": create(external_id="1", url=None, summary=None,
                         headline="Fighting at the border crossing",
                         body="Troops moved towards the frontier post at dawn.",
                         published_at="2021-07-14T10:00:00Z", tags=["Borders"]),
        "talks": create(external_id="2", url=None, summary=None,
                        headline="Peace talks resume in Doha",
                        body="Delegations met again; the border was not discussed.",
                        published_at="2021-07-15T10:00:00Z", tags=["Diplomacy"]),
        "market": create(external_id="3", url=None, summary=None,
                         headline="Kabul market prices climb",
                         body="Flour and fuel cost more this week.",
                         published_at="2021-07-16T10:00:00Z", tags=["Economy", "Borders"],
                         source="example.org"),
        "weather": create(external_id="4", url=None, summary=None,
                          headline="Heat wave expected",
                          body="Forecasters warn of record temperatures in the capital.",
                          published_at="2021-07-17T10:00:00Z", tags=["Weather"]),
    }


def test_search_finds_words_anywhere_ignoring_case(client, stories):
    assert set(_ids(client.get("/articles?q=BORDER"))) == {stories["border"]["id"],
                                                          stories["talks"]["id"]}
    assert _ids(client.get("/articles?q=flour")) == [stories["market"]["id"]]
    assert _ids(client.get("/articles?q=border+dawn")) == [stories["border"]["id"]]


def test_search_understands_phrases_or_and_exclusion(client, stories):
    assert _ids(client.get('/articles?q="peace talks"')) == [stories["talks"]["id"]]
    assert _ids(client.get('/articles?q="talks peace"')) == []
    assert set(_ids(client.get("/articles?q=flour OR heat"))) == {
        stories["market"]["id"], stories["weather"]["id"]}
    assert _ids(client.get("/articles?q=border -doha")) == [stories["border"]["id"]]


def test_search_syntax_from_clients_is_only_text(client, stories):
    for text in ('NEAR(border dawn)', 'border*', '"unterminated border', "body:border",
                 "' OR 1=1 --", "(border"):
        response = client.get("/articles", query_string={"q": text})
        assert response.status_code == 200, (text, response.json)


def test_a_search_of_exclusions_alone_is_400(client, stories):
    response = client.get("/articles?q=-border")

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_relevance_puts_headline_hits_first_and_snippets_mark_them(client, stories):
    response = client.get("/articles?q=border&sort=relevance")

    assert _ids(response) == [stories["border"]["id"], stories["talks"]["id"]]
    snippet = response.json["items"][1]["snippet"]
    assert "<mark>border</mark>" in snippet.lower()


def test_search_follows_edits_and_deletes(client, stories):
    talks = f"/articles/{stories['talks']['id']}"
    client.patch(talks, json={"headline": "Negotiators adjourn", "body": "No progress."})
    client.delete(f"/articles/{stories['border']['id']}")

    assert _ids(client.get("/articles?q=border")) == []
    assert _ids(client.get("/articles?q=negotiators")) == [stories["talks"]["id"]]


@pytest.mark.parametrize(("sort", "expected"), [
    ("-published_at", ["weather", "market", "talks", "border"]),
    ("published_at", ["border", "talks", "market", "weather"]),
])
def test_sorts_walk_every_page_in_order(client, stories, sort, expected):
    url, seen = f"/articles?sort={sort}&limit=1", []
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json["next"]

    assert seen == [stories[name]["id"] for name in expected]


def test_recently_updated_first(client, stories):
    client.patch(f"/articles/{stories['talks']['id']}", json={"summary": "Updated"})

    first_page = client.get("/articles?sort=-updated_at&limit=2")
    rest = client.get(first_page.json["next"])

    assert _ids(first_page)[0] == stories["talks"]["id"]
    assert len(set(_ids(first_page) + _ids(rest))) == 4


def test_relevance_pages_with_a_cursor(client, create):
    for number in range(5):
        create(external_id=str(number), url=None, summary=None, headline=f"Story {number}",
               body="flood " * (number + 1) + "water rising")
    url, seen = "/articles?q=flood&limit=2", []
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json["next"]

    assert len(seen) == len(set(seen)) == 5


def test_relevance_ranks_the_most_recently_stored_hits_and_keeps_them_for_later_pages(
        client, create, monkeypatch):
    monkeypatch.setattr("api.reading.search.RANKED_HITS", 3)
    strong = create(external_id="strong", url=None, summary=None,
                    headline="Flood flood flood", body="flood " * 50)
    for number in range(4):
        create(external_id=str(number), url=None, summary=None, headline=f"Story {number}",
               body="flood water rising " + "calm " * 30)

    first = client.get("/articles?q=flood&sort=relevance&limit=2")
    # The strongest hit is the oldest: beyond the 3 most recent, so not ranked.
    assert strong["id"] not in _ids(first)
    newcomer = create(external_id="new", url=None, summary=None,
                      headline="Flood flood", body="flood " * 40)
    rest = client.get(first.json["next"])

    assert first.json["next"]
    assert not rest.json["next"]
    assert len(set(_ids(first) + _ids(rest))) == 3
    assert newcomer["id"] not in _ids(rest)
    assert _ids(client.get("/articles?q=flood&sort=relevance&limit=1")) == [newcomer["id"]]


def test_relevance_pages_keep_their_set_while_articles_arrive_or_change(client, create):
    strong, middle, weak = (
        create(external_id=name, url=None, summary=None, headline=headline, body=body)
        for name, headline, body in (
            ("strong", "Flood warning", "flood " * 20), ("middle", "River levels", "flood " * 5),
            ("weak", "Weather", "flood once, then " + "sunshine " * 60)))
    first = client.get("/articles?q=flood&sort=relevance&limit=1")
    # Between pages: a weak newcomer, and the cursor's own article edited to score last.
    late = create(external_id="late", url=None, summary=None, headline="Late",
                  body="flood once, then " + "calm " * 80)
    client.patch(f"/articles/{strong['id']}", json={"headline": "Warning",
                                                    "body": "one flood, then " + "calm " * 90})
    url, rest = first.json["next"], []
    while url:
        page = client.get(url)
        rest += _ids(page)
        url = page.json["next"]

    assert _ids(first) == [strong["id"]]
    # No unchanged hit is skipped or repeated; the edited one may show again where it
    # now ranks, as an edited article does in -updated_at order.
    assert [found for found in rest if found != strong["id"]] == [middle["id"], weak["id"]]
    assert late["id"] not in rest


def test_a_relevance_cursor_of_an_older_release_is_400(app, client, stories):
    from api.reading.pagination import encode_cursor

    with app.test_request_context():
        cursor = encode_cursor("relevance", [1.5, stories["border"]["id"]])

    response = client.get(f"/articles?q=border&sort=relevance&cursor={cursor}")

    assert response.status_code == 400
    assert response.json["type"].endswith("invalid-cursor")


def test_relevance_counts_its_most_recent_hits_among_the_filtered_ones(
        client, create, monkeypatch):
    monkeypatch.setattr("api.reading.search.RANKED_HITS", 2)
    older = [create(external_id=f"a{number}", url=None, summary=None, source="example.org",
                    headline=f"Flood {number}", body="flood") for number in range(2)]
    for number in range(3):
        create(external_id=f"b{number}", url=None, summary=None, headline=f"Flood {number}",
               body="flood")

    found = _ids(client.get("/articles?q=flood&sort=relevance&source=example.org"))

    assert sorted(found) == sorted(article["id"] for article in older)


def test_cursors_are_bound_to_their_sort(client, stories):
    cursor = client.get("/articles?sort=published_at&limit=1").json["next"].split("cursor=")[1]

    response = client.get(f"/articles?sort=-published_at&cursor={cursor}")

    assert response.status_code == 400
    assert client.get("/articles?sort=relevance").status_code == 400


def test_sparse_fields(client, stories):
    response = client.get("/articles?fields=headline,published_at&limit=1")

    assert response.json["items"] == [{"id": stories["weather"]["id"],
                                       "headline": "Heat wave expected",
                                       "published_at": "2021-07-17T10:00:00Z"}]
    assert client.get("/articles?fields=headline,secret").status_code == 400


def test_list_pages_answer_304_until_they_change(client, stories):
    first = client.get("/articles?limit=2")
    etag = first.headers["ETag"]

    again = client.get("/articles?limit=2", headers={"If-None-Match": etag})
    client.patch(f"/articles/{stories['weather']['id']}", json={"summary": "New"})
    changed = client.get("/articles?limit=2", headers={"If-None-Match": etag})

    assert etag.startswith('W/"')
    assert again.status_code == 304
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_facets_count_top_values_under_the_filters(client, stories):
    everything = client.get("/articles/facets?facet=tag,source").json["facets"]
    searched = client.get("/articles/facets?facet=tag&q=border").json["facets"]
    limited = client.get("/articles/facets?facet=tag&facet_limit=1").json["facets"]

    assert everything["tag"][0] == {"value": "borders", "count": 2}
    assert {"value": "kayhan.ir", "count": 3} in everything["source"]
    assert {entry["value"] for entry in searched["tag"]} == {"borders", "diplomacy"}
    assert limited["tag"] == [{"value": "borders", "count": 2}]
    assert client.get("/articles/facets?facet=colour").status_code == 400
    assert client.get("/articles/facets").status_code == 400


def test_pages_neither_skip_nor_repeat_while_articles_arrive(client, create):
    """A walk through the newest-first list while new articles land both before and
    inside the part not yet read: every article that existed at the start is seen
    exactly once."""
    original = [create(external_id=f"o{number}", url=None, body=f"original {number}",
                       published_at=f"2021-07-{10 + number:02d}T12:00:00Z")["id"]
                for number in range(12)]
    url, seen, inserted = "/articles?limit=3", [], 0
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json["next"]
        for day in (25, 10 + (11 - inserted) % 12):
            inserted += 1
            create(external_id=f"n{inserted}", url=None, body=f"new {inserted}",
                   published_at=f"2021-07-{day:02d}T12:00:00Z")

    assert len(seen) == len(set(seen))
    assert [article_id for article_id in seen if article_id in set(original)] == original[::-1]


@pytest.mark.parametrize("probe_cost", [0, 10**9], ids=["probing", "collecting"])
def test_a_common_word_pages_the_same_whichever_way_hits_are_found(
        client, create, monkeypatch, probe_cost):
    """On SQLite a word found in many articles is looked up article by article along the
    date order, a rarer one is collected first: both must give the same pages."""
    from api.reading import fts5
    monkeypatch.setattr(fts5, "_PROBE_COST", probe_cost)
    made = []
    for number in range(12):
        body = "Rain fell on the valley." if number % 3 else "Snow closed the pass."
        made.append(create(external_id=str(number), url=None, summary=None,
                           headline=f"Weather note {number}", body=body, tags=["Weather"],
                           published_at=f"2022-01-{number + 1:02d}T08:00:00Z"))
    client.delete(f"/articles/{made[4]['id']}")
    expected = [article["id"] for article in reversed(made)
                if "Rain" in article["body"] and article is not made[4]]

    for query in ("q=rain&sort=-published_at", "q=rain&tag=weather&sort=-published_at",
                  "q=valley OR pass -snow&sort=-published_at"):
        url, seen = f"/articles?{query}&limit=3", []
        while url:
            response = client.get(url)
            seen += _ids(response)
            url = response.json["next"]
        assert seen == expected, query
    ascending = client.get("/articles?q=rain&sort=published_at&limit=50")
    assert _ids(ascending) == expected[::-1]


def test_snippets_are_the_same_whichever_way_hits_are_found(app, client, create, monkeypatch):
    """SQLite probes the full-text index article by article for a word with many hits,
    and collects the hits first for one with few: the same page, the same passages."""
    from api.reading import fts5
    for number in range(9):
        create(external_id=str(number), url=None, summary=None,
               headline=f"Harbour note {number}",
               body=f"Fog lay over the harbour at dawn. Boats number {number} waited.",
               published_at=f"2022-02-{number + 1:02d}T08:00:00Z")
    pages = {}
    for probe_cost in (0, 10**9):
        monkeypatch.setattr(fts5, "_PROBE_COST", probe_cost)
        app.extensions.pop("dateline.search_plans", None)
        app.extensions.pop("dateline.passages", None)
        items = client.get("/articles?q=harbour boats&sort=-published_at&limit=4").json["items"]
        pages[probe_cost] = [(item["id"], item["snippet"]) for item in items]

    assert pages[0] == pages[10**9]
    assert all("<mark>harbour</mark>" in snippet.lower() for _, snippet in pages[0])


def test_a_snippet_marks_a_hit_deep_in_a_long_body_after_the_words_text_inside_another(
        client, create):
    filler = " ".join(["grain harvest figures"] * 700)
    create(external_id="long", url=None, headline="Harvest report", summary=None,
           body=f"Borderline cases came first. {filler} Then the border closed at dawn.")

    found = client.get("/articles?q=border&sort=-published_at").json["items"]

    assert [item["external_id"] for item in found] == ["long"]
    assert "<mark>border</mark> closed" in found[0]["snippet"].lower()


def test_a_kept_passage_gives_way_to_the_text_another_instance_wrote(make_app, sample,
                                                                    monkeypatch):
    """Each worker keeps the passages it has worked out, per version of an article: an
    edit made elsewhere makes a version this one has not seen."""
    from api.reading import passages
    worked_out = []
    fresh = passages.fresh
    monkeypatch.setattr(passages, "fresh", lambda text, ids: worked_out.append(ids)
                        or fresh(text, ids))
    reader, writer = make_app().test_client(), make_app().test_client()
    created = writer.post("/articles", json={
        **sample, "url": None, "summary": None, "headline": "Morning report",
        "body": "Fog lay over the harbour at dawn and the ferries waited."})
    assert created.status_code == 201, created.json
    search = "/articles?q=harbour&sort=-published_at"
    before = [reader.get(search).json["items"][0]["snippet"] for _ in range(2)]
    worked_out_before = len(worked_out)

    edited = writer.patch(f"/articles/{created.json['id']}",
                          json={"body": "Ice closed the harbour to the fishing boats."},
                          content_type="application/merge-patch+json")
    assert edited.status_code == 200, edited.json
    after = reader.get(search).json["items"][0]["snippet"]

    assert worked_out_before == 1
    assert before[0] == before[1]
    assert "ferries" in before[0]
    assert "<mark>harbour</mark> to the fishing boats" in after


def test_a_passage_read_from_a_later_version_than_its_page_is_shown_but_not_kept(
        app, monkeypatch):
    """An edit may commit between a page's walk and its passages: that passage belongs to
    the new version, and a reader still shown the old one gets the old one's."""
    from datetime import datetime

    from api.reading import passages
    from api.storage.models import Article
    stamp = datetime(2026, 1, 5, 8, 0)
    answers = iter([{"a": (2, "Ice closed the <mark>harbour</mark>")},
                    {"a": (1, "Fog lay over the <mark>harbour</mark>")}])
    monkeypatch.setattr(passages, "fresh", lambda text, ids: next(answers))
    with app.app_context():
        pages = [[Article(id="a", version=1, updated_at=stamp)] for _ in range(2)]
        for page in pages:
            passages.mark(page, "harbour")

    assert pages[0][0].snippet == "Ice closed the <mark>harbour</mark>"
    assert pages[1][0].snippet == "Fog lay over the <mark>harbour</mark>"


def test_an_article_deleted_while_a_relevance_page_is_read_leaves_no_gap_in_it(
        client, create, monkeypatch):
    made = [create(external_id=str(number), url=None, summary=None,
                   headline=f"Story {number}", body="flood " * (number + 1) + "water rising")
            for number in range(4)]
    read_whole, reads = listing._whole, []

    def deleted_in_between(ordered):
        # Another instance deletes the best hit after the page was ranked.
        if not reads:
            Article.update(deleted_at=datetime.now(UTC)).where(
                Article.id == made[3]["id"]).execute()
        reads.append(ordered)
        return read_whole(ordered)

    monkeypatch.setattr(listing, "_whole", deleted_in_between)
    page = client.get("/articles?q=flood&sort=relevance&limit=2")

    assert _ids(page) == [made[2]["id"], made[1]["id"]]
    assert page.json["next"] is not None
    assert _ids(client.get(page.json["next"])) == [made[0]["id"]]
