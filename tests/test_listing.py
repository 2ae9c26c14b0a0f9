"""GET /articles: filters, newest-first order and cursor pagination."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from api.reading import listing
from api.storage.db import database
from api.storage.models import Article, StoryArticle, annotations, whole_rows
from schemas.article import ArticleQuerySchema


@pytest.fixture
def articles(create):
    """Five articles over three days, two sources, mixed tags, languages and offsets."""
    made = [
        create(external_id="1", url=None, published_at="2021-07-12T10:00:00+04:30",
               tags=["Borders"], language="en"),
        create(external_id="2", url=None, published_at="2021-07-13T06:30:00Z",
               tags=["borders", "Trade"], language="en"),
        create(external_id="3", url=None, source="presstv.ir",
               published_at="2021-07-13T11:00:00+04:30", tags=["Trade"], language="fa"),
        create(external_id="4", url=None, published_at="2021-07-14T21:46:00+04:30", tags=[]),
        create(external_id="5", url=None, source="presstv.ir",
               published_at="2021-07-14T17:16:00Z", tags=["BORDERS"]),
    ]
    return {article["external_id"]: article for article in made}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["external_id"] for item in response.json["items"]]


def test_newest_first_by_instant_with_ties_by_id_descending(client, articles):
    # 4 and 5 are the same instant written with different offsets.
    tied = sorted([articles["4"]["id"], articles["5"]["id"]], reverse=True)
    expected = [articles_key for articles_key in ("4", "5")
                if articles[articles_key]["id"] == tied[0]]
    expected += [key for key in ("4", "5") if key not in expected] + ["3", "2", "1"]

    assert _ids(client.get("/articles")) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("source=presstv.ir", {"3", "5"}),
    ("source=presstv.ir,kayhan.ir", {"1", "2", "3", "4", "5"}),
    ("tag=borders", {"1", "2", "5"}),
    ("tag=trade&tag=Borders", {"1", "2", "3", "5"}),
    ("tag=trade&source=kayhan.ir", {"2"}),
    ("language=fa", {"3"}),
    ("external_id=2,5", {"2", "5"}),
    ("person=ARIF KAKAR", {"1", "2", "3", "4", "5"}),
    ("place=spin boldak&source=presstv.ir", {"3", "5"}),
    ("organisation=nato", {"1", "2", "3", "4", "5"}),
    ("cited_source=al%20jazeera&tag=trade", {"2", "3"}),
    ("author=nobody", set()),
    ("updated_after=2999-01-01T00:00:00Z", set()),
    ("updated_after=2000-01-01T00:00:00%2B04:30", {"1", "2", "3", "4", "5"}),
    ("published_after=2021-07-13T06:30:00Z", {"2", "3", "4", "5"}),
    ("published_before=2021-07-13T06:30:00Z", {"1"}),
    ("published_after=2021-07-13T10:00:00%2B04:30&published_before=2021-07-14T17:16:00Z",
     {"2", "3"}),
])
def test_filters(client, articles, query, expected):
    assert set(_ids(client.get(f"/articles?{query}"))) == expected


def test_cursor_walk_visits_every_article_once(client, create):
    for number in range(23):
        create(external_id=str(number), url=None,
               published_at=f"2021-07-{1 + number % 5:02d}T10:00:00Z")
    seen, url, pages = [], "/articles?limit=5", 0
    while url:
        response = client.get(url)
        body = response.json
        seen += [item["external_id"] for item in body["items"]]
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
            url = body["next"].removeprefix("http://localhost")
        else:
            assert "Link" not in response.headers
            url = None
        pages += 1

    assert pages == 5
    assert sorted(seen) == sorted(str(number) for number in range(23))
    assert len(seen) == len(set(seen))


def test_next_link_keeps_the_filters(client, articles):
    body = client.get("/articles?source=kayhan.ir&limit=1").json

    query = parse_qs(urlsplit(body["next"]).query)
    assert query["source"] == ["kayhan.ir"]
    assert query["limit"] == ["1"]


def test_tampered_cursor_is_400(client, articles):
    cursor = parse_qs(urlsplit(client.get("/articles?limit=1").json["next"]).query)["cursor"][0]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")

    response = client.get(f"/articles?limit=1&cursor={tampered}")

    assert response.status_code == 400
    assert response.json["type"].endswith("invalid-cursor")


def test_instances_sharing_a_secret_key_accept_each_others_cursors_and_no_one_elses(
        make_app, articles):
    first, second = (make_app(SECRET_KEY="shared secret").test_client() for _ in range(2))
    stranger = make_app(SECRET_KEY="another secret").test_client()
    next_url = first.get("/articles?limit=2").json["next"]

    resumed = second.get(next_url)
    refused = stranger.get(next_url)

    assert resumed.status_code == 200
    assert len(resumed.json["items"]) == 2
    assert refused.status_code == 400
    assert refused.json["type"].endswith("invalid-cursor")


ZARIF = "\u0645\u062d\u0645\u062f \u062c\u0648\u0627\u062f \u0638\u0631\u06cc\u0641"
FULLWIDTH_KABUL = "\uff2b\uff41\uff42\uff55\uff4c"


def test_name_filters_fold_case_and_compatibility_forms(client, create):
    create(external_id="fa", url=None, people=[ZARIF], places=[FULLWIDTH_KABUL])

    by_person = client.get("/articles", query_string={"person": ZARIF})
    by_place = client.get("/articles?place=KABUL")

    assert _ids(by_person) == ["fa"]
    assert _ids(by_place) == ["fa"]


@pytest.mark.parametrize("mode", ["exact", "estimated"])
def test_count_reports_how_many_match(client, articles, mode):
    response = client.get(f"/articles?source=kayhan.ir&limit=1&count={mode}")

    assert len(response.json["items"]) == 1
    if mode == "exact":
        assert response.json["total"] == 3
    else:
        assert response.json["total"] >= 0
    assert response.headers["X-Total-Count"] == str(response.json["total"])


def test_no_count_unless_asked(client, articles):
    response = client.get("/articles")

    assert "total" not in response.json
    assert "X-Total-Count" not in response.headers


@pytest.mark.parametrize("args", [
    {}, {"q": "border"}, {"q": "border", "sort": "-published_at"},
    {"q": "border", "source": "kayhan.ir"}, {"person": "Arif Kakar", "sort": "published_at"},
    {"person": "Arif Kakar", "q": "border", "sort": "-published_at"},
    {"tag": "Kabul", "published_after": "2021-01-01T00:00:00Z", "sort": "-updated_at"},
])
def test_a_page_asks_for_its_columns_exactly_as_peewee_writes_them(app, args):
    # A page's own columns are SQL text made once (models.whole_rows); peewee writes
    # them on every other query. A column added to Article, or an alias that moves,
    # shows here first.
    with app.test_request_context(), database.connection_context():
        query = ArticleQuerySchema().load(args)
        sort = listing.sort_for(query)
        select, _, _ = listing._ordered_source(query, sort, listing._start(query, sort, None)[1])
        assert whole_rows(select).sql() == select.select_extend(*annotations()).sql()


@pytest.mark.parametrize("url", ["/articles", "/articles?q=flour&sort=relevance"])
def test_a_page_gives_each_article_the_first_copy_and_the_story_peewee_finds(
        client, create, url):
    # The page's duplicate_of and story_id are SQL text (models.annotations); here they
    # are worked out with peewee's own queries, article by article. A relevance page
    # reads its articles whole only after ranking (listing._whole_after_ranking).
    wire = ("Officials at the main border crossing said on Tuesday that trucks carrying fuel "
            "and flour would be allowed through again after a week of talks.")
    for number, body in enumerate([wire, wire, "A court in the capital adjourned the trial.",
                                   wire.replace("Tuesday", "Wednesday")]):
        create(external_id=str(number), url=None, body=body)
    items = client.get(url).json["items"]

    assert len(items) == (4 if "q=" not in url else 3)
    for item in items:
        alone = client.get(f"/articles/{item['id']}").json
        assert {key: item[key] for key in item if key != "snippet"} == alone
    with database.connection_context():
        for item in items:
            article = Article.get_by_id(item["id"])
            first = (Article.select(Article.id).where(
                (Article.content_hash == article.content_hash) & Article.deleted_at.is_null())
                .order_by(Article.id).first())
            story = StoryArticle.get_or_none(StoryArticle.article_id == article.id)
            assert item["duplicate_of"] == (None if first.id == article.id else first.id)
            assert item["story_id"] == (story.story_id if story else None)
    assert sum(item["duplicate_of"] is not None for item in items) == 1
    assert all(item["story_id"] is not None for item in items)
