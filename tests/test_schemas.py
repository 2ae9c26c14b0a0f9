"""The schemas' own behaviour, apart from any endpoint."""

from __future__ import annotations

from datetime import datetime

from marshmallow import Schema

from api.storage.models import Article
from schemas.article import ArticleListItemSchema, ArticleSchema


def _article(**overrides) -> Article:
    fields = {
        "id": "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f", "source": "kayhan.ir",
        "external_id": "92427", "url": None, "headline": "Crossing changes hands",
        "summary": None, "body": "Fighters said they hold the post.", "language": "en",
        "published_at": datetime(2021, 7, 14, 17, 16), "published_at_offset": "+04:30",
        "modified_at": None, "modified_at_offset": None, "dateline_text": "KABUL",
        "dateline_place": "Kabul", "dateline_credit": None, "authors": [],
        "tags": ["afghanistan"], "people": ["Arif Kakar", "زمیر کابلوف"], "places": [],
        "organisations": [], "cited_sources": ["Al Jazeera"], "published_at_basis": "stated",
        "word_count": 6, "content_hash": None, "version": 3,
        "created_at": datetime(2026, 11, 23, 10), "updated_at": datetime(2026, 11, 24, 9, 30),
        "deleted_at": None,
    }
    article = Article(**(fields | overrides))
    article.__dict__["_duplicate_of"] = None
    return article


def test_an_article_dumps_through_the_plan_exactly_as_field_by_field():
    articles = [
        _article(),
        _article(modified_at=datetime(2021, 7, 15), modified_at_offset="Z", url="https://kayhan.ir/x",
                 dateline_text=None, dateline_place=None, body=None, summary=""),
        _article(people=[], tags=["a", "b", "c"]),
    ]
    articles[2].snippet = "They <mark>hold</mark> the post"
    for schema in (ArticleSchema(), ArticleSchema(only=("id", "headline", "snippet")),
                   ArticleListItemSchema(partial=True)):
        for article in articles:
            assert schema.dump(article) == Schema._serialize(schema, article)
