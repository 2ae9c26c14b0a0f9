"""Stories: articles about one event across sources, grouped as they are written."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from api.cli import main as cli
from api.storage.db import database
from api.storage.models import Story, StoryArticle
from api.writing import grouping
from tests.fixtures import stories as fixtures


@pytest.fixture
def write(client):
    """Store a fixture article (with changes) and return its JSON."""
    def post(article, **changes):
        response = client.post("/articles", json={
            **article, "external_id": uuid.uuid4().hex, "language": "en", **changes})
        assert response.status_code == 201, response.json
        return response.json
    return post


def _stories(client, query=""):
    response = client.get(f"/stories?{query}")
    assert response.status_code == 200, response.json
    return response.json


def test_wire_copies_and_a_rewrite_of_one_event_share_a_story(client, write):
    wire = write(fixtures.QUAKE_WIRE)
    copy = write(fixtures.QUAKE_WIRE_COPY)
    rewrite = write(fixtures.QUAKE_REWRITE)
    follow_up = write(fixtures.QUAKE_FOLLOW_UP)

    assert wire["story_id"] is not None
    assert {copy["story_id"], rewrite["story_id"], follow_up["story_id"]} == {
        wire["story_id"]}
    assert client.get(f"/articles/{rewrite['id']}").json["story_id"] == wire["story_id"]


def test_stories_that_share_only_a_person_or_a_place_stay_apart(client, write):
    quake = write(fixtures.QUAKE_WIRE)["story_id"]
    migration = write(fixtures.MINISTER_MIGRATION)["story_id"]
    harvest = write(fixtures.APRICOT_HARVEST)["story_id"]

    assert len({quake, migration, harvest}) == 3
    assert [story["size"] for story in _stories(client)["items"]] == [1, 1, 1]


def test_the_same_words_a_year_later_start_a_new_story(client, write):
    first = write(fixtures.QUAKE_REWRITE)["story_id"]
    anniversary = write(fixtures.QUAKE_ANNIVERSARY)["story_id"]

    assert anniversary != first


def test_a_story_lists_its_size_sources_instants_top_names_and_headline(client, write):
    wire = write(fixtures.QUAKE_WIRE)
    write(fixtures.QUAKE_WIRE_COPY)
    write(fixtures.QUAKE_REWRITE)
    write(fixtures.MINISTER_MIGRATION)

    response = client.get(f"/stories/{wire['story_id']}")

    assert response.status_code == 200
    story = response.json
    assert story["id"] == wire["story_id"]
    assert story["size"] == 3
    # Most articles first, then by name.
    assert story["sources"] == [{"source": source, "articles": 1} for source in (
        "dailyherald.example", "newsdesk.example", "wire.example")]
    assert story["first_published_at"] == "2023-01-16T03:40:00Z"
    assert story["last_published_at"] == "2023-01-16T16:05:00Z"
    assert story["people"] == [{"name": "Suleyman Soylu", "articles": 3}]
    assert story["organisations"] == [{"name": "AFAD", "articles": 3}]
    assert {entry["name"] for entry in story["places"]} == {"Malatya", "Turkey"}
    # Every article names every top name: the earliest one speaks for the story.
    assert story["headline"] == fixtures.QUAKE_WIRE["headline"]
    assert [article["published_at"] for article in story["articles"]] == [
        "2023-01-16T06:40:00+03:00", "2023-01-16T07:15:00+03:00",
        "2023-01-16T19:05:00+03:00"]
    listed = client.get(story["articles_url"]).json["items"]
    assert {article["id"] for article in listed} == {
        article["id"] for article in story["articles"]}


def test_an_article_bridging_two_stories_joins_them_under_the_older_id(client, write):
    older = write(fixtures.TREMOR_RESCUE)["story_id"]
    newer = write(fixtures.TREMOR_MINISTER)["story_id"]
    assert older != newer

    roundup = write(fixtures.TREMOR_ROUNDUP)

    assert roundup["story_id"] == older
    assert client.get(f"/stories/{older}").json["size"] == 3
    moved = client.get(f"/stories/{newer}")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/stories/{older}")
    assert moved.json == {"id": newer, "absorbed_into": older}
    by_old_id = client.get(f"/articles?story={newer}").json["items"]
    assert len(by_old_id) == 3
    assert [story["id"] for story in _stories(client)["items"]] == [older]


def test_stories_list_newest_activity_first_with_filters_and_cursors(client, write):
    quake = write(fixtures.QUAKE_WIRE)["story_id"]
    write(fixtures.QUAKE_REWRITE)
    harvest = write(fixtures.APRICOT_HARVEST)["story_id"]
    migration = write(fixtures.MINISTER_MIGRATION)["story_id"]
    tremor = write(fixtures.TREMOR_RESCUE)["story_id"]

    assert [story["id"] for story in _stories(client)["items"]] == [
        tremor, migration, harvest, quake]
    assert {story["id"] for story in _stories(client, "person=suleyman soylu")["items"]} == {
        quake, migration}
    assert [story["id"] for story in _stories(client, "q=apricot")["items"]] == [harvest]
    assert [story["id"] for story in _stories(
        client, "source=newsdesk.example&published_before=2023-01-17T00:00:00Z")["items"]] == [
        quake]
    first = _stories(client, "limit=3")
    assert len(first["items"]) == 3
    rest = client.get(first["next"]).json
    assert [story["id"] for story in rest["items"]] == [quake]
    assert rest["next"] is None
    assert [entry["articles"] for entry in rest["items"][0]["sources"]] == [1, 1]


def test_collapse_keeps_the_newest_article_of_each_story(client, write):
    write(fixtures.QUAKE_WIRE)
    copy = write(fixtures.QUAKE_WIRE_COPY)
    rewrite = write(fixtures.QUAKE_REWRITE)
    harvest = write(fixtures.APRICOT_HARVEST)

    everything = client.get("/articles?collapse=story").json["items"]
    from_one_source = client.get(
        "/articles?collapse=story&source=dailyherald.example,wire.example").json["items"]

    assert [article["id"] for article in everything] == [harvest["id"], rewrite["id"]]
    assert [article["id"] for article in from_one_source] == [harvest["id"], copy["id"]]
    total = client.get("/articles?collapse=story&count=exact").json["total"]
    assert total == 2


def test_a_deleted_article_leaves_its_story_and_a_revival_brings_it_back(client, write):
    wire = write(fixtures.QUAKE_WIRE)
    copy = write(fixtures.QUAKE_WIRE_COPY)
    story = wire["story_id"]

    assert client.delete(f"/articles/{copy['id']}").status_code == 204
    assert client.get(f"/stories/{story}").json["size"] == 1
    assert client.delete(f"/articles/{wire['id']}").status_code == 204
    assert client.get(f"/stories/{story}").status_code == 404
    assert _stories(client)["items"] == []

    revived = client.post("/articles", json={**fixtures.QUAKE_WIRE,
                                             "external_id": wire["external_id"]})
    assert revived.status_code == 201
    assert _stories(client)["items"][0]["size"] == 1


def test_an_edit_that_changes_the_event_moves_the_article_to_its_own_story(client, write):
    wire = write(fixtures.QUAKE_WIRE)
    rewrite = write(fixtures.QUAKE_REWRITE)
    assert rewrite["story_id"] == wire["story_id"]

    edited = client.patch(f"/articles/{rewrite['id']}", json={
        key: fixtures.APRICOT_HARVEST[key]
        for key in ("headline", "body", "people", "places", "organisations")},
        headers={"Content-Type": "application/merge-patch+json"})

    assert edited.status_code == 200, edited.json
    assert edited.json["story_id"] not in (None, wire["story_id"])
    assert client.get(f"/stories/{wire['story_id']}").json["size"] == 1


def test_a_batch_groups_copies_within_itself(client):
    items = [{**article, "external_id": str(number), "language": "en"}
             for number, article in enumerate(
                 (fixtures.QUAKE_WIRE, fixtures.APRICOT_HARVEST, fixtures.QUAKE_WIRE_COPY))]
    response = client.post("/articles/batch", json=items)
    assert response.status_code in (200, 207), response.json

    stories = _stories(client)["items"]
    assert sorted(story["size"] for story in stories) == [1, 2]


def test_the_histogram_counts_one_story(client, write):
    story = write(fixtures.QUAKE_WIRE)["story_id"]
    write(fixtures.QUAKE_REWRITE)
    write(fixtures.APRICOT_HARVEST)

    counted = client.get(f"/articles/histogram?interval=month&story={story}").json

    assert counted["total"] == 2


def test_rebuild_groups_articles_stored_before_stories_existed(app, client, write,
                                                             database_url):
    wire = write(fixtures.QUAKE_WIRE)
    write(fixtures.QUAKE_REWRITE)
    write(fixtures.APRICOT_HARVEST)
    with app.app_context(), database.connection_context():
        StoryArticle.delete().execute()
        Story.delete().execute()
    assert client.get(f"/articles/{wire['id']}").json["story_id"] is None

    result = CliRunner().invoke(cli, ["stories", "rebuild"],
                                env={"DATELINE_DATABASE_URL": database_url})

    assert result.exit_code == 0, result.output
    assert "3 articles in 2 stories" in result.output
    assert sorted(story["size"] for story in _stories(client)["items"]) == [1, 2]
    assert client.get(f"/articles/{wire['id']}").json["story_id"] is not None


def test_an_unknown_story_is_404(client):
    response = client.get("/stories/0190b1a4-6f30-7e11-8c2d-4a5b6c7d8e9f")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_story_spans_at_most_a_week_however_long_the_coverage_runs(client, write):
    days = ["2023-01-16", "2023-01-18", "2023-01-20", "2023-01-22", "2023-01-24"]
    stories = [write(fixtures.QUAKE_REWRITE, published_at=f"{day}T10:00:00Z")["story_id"]
               for day in days]

    assert stories[:4] == [stories[0]] * 4
    assert stories[4] != stories[0]
    spans = {story["id"]: (story["first_published_at"], story["last_published_at"])
             for story in _stories(client)["items"]}
    assert spans[stories[0]] == ("2023-01-16T10:00:00Z", "2023-01-22T10:00:00Z")


def test_wire_copies_find_each_other_however_often_the_body_ran_before(client):
    # Fifty-one copies of one body a year earlier, and no names to go by: this week's
    # two copies must still find each other among the body's near-duplicates.
    unnamed = {**fixtures.QUAKE_WIRE, "people": [], "places": [], "organisations": [],
               "language": "en"}
    old = [{**unnamed, "external_id": f"old-{number}",
            "published_at": f"2022-01-{1 + number % 28:02d}T08:00:00Z"} for number in range(51)]
    assert client.post("/articles/batch", json=old).status_code in (200, 207)

    first = client.post("/articles", json={**unnamed, "external_id": "new-1"}).json
    second = client.post("/articles", json={**unnamed, "external_id": "new-2",
                                            "source": "dailyherald.example"}).json

    assert second["story_id"] == first["story_id"]


def test_a_name_in_every_article_of_the_day_reaches_only_the_nearest_ones(client, write):
    # Between the wire and the rewrite, more items than grouping reads per name name all
    # of the quake's people, organisations and places: the wire is not among the
    # nearest for any of them, so the rewrite cannot find it by its names.
    wire = write(fixtures.QUAKE_WIRE)
    crowd = fixtures.minister_briefings(grouping.NEAREST_PER_NAME, organisations=["AFAD"],
                                        places=["Malatya", "Turkey"])
    assert client.post("/articles/batch", json=crowd).status_code == 200

    rewrite = write(fixtures.QUAKE_REWRITE)

    assert rewrite["story_id"] not in (wire["story_id"], None)


def test_a_rarer_name_finds_the_same_event_and_the_crowded_ones_still_count(client, write):
    # The minister and his agency are named as often as above, the places are not: the
    # wire is found through the places alone (a place never groups on its own), then
    # credited with the person and the organisation it also shares.
    wire = write(fixtures.QUAKE_WIRE)
    crowd = fixtures.minister_briefings(grouping.NEAREST_PER_NAME, organisations=["AFAD"])
    assert client.post("/articles/batch", json=crowd).status_code == 200

    rewrite = write(fixtures.QUAKE_REWRITE)

    assert rewrite["story_id"] == wire["story_id"]
    briefings = client.get("/articles?source=bulletin.example&limit=100").json["items"]
    assert len(briefings) == len(crowd)
    assert wire["story_id"] not in {item["story_id"] for item in briefings}


def test_an_article_naming_three_hundred_names_is_grouped(client, write):
    names = {field: [f"{field.title()} Number {number}" for number in range(100)]
             for field in ("people", "organisations", "places")}
    first = write(fixtures.QUAKE_WIRE, **names)
    second = write(fixtures.QUAKE_REWRITE, **names)

    assert second["story_id"] == first["story_id"]


def test_a_story_id_that_is_not_a_uuid_is_404(client):
    response = client.get("/stories/not-a-story%00")

    assert response.status_code == 404
