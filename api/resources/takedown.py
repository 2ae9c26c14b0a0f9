"""POST /articles/{id}/purge: legal takedowns. The article's text and every copy of it
(revisions, full-text index, near-duplicate and name indexes, stored idempotent
answers) are removed for good; a record of who, when and why stays, reads answer 410
with it, and the feed carries a `purged` change so mirrors delete their copy. Search
passages kept in a worker's memory expire (api.reading.passages)."""

from __future__ import annotations

import json

from flask import g
from flask.views import MethodView

from api.errors import PROBLEM_JSON, problem_response
from api.storage.db import erasing
from api.storage.models import Article, ArticleEntity, IdempotencyKey, PurgedArticle, Revision
from api.web.http import Blueprint
from api.writing import store
from api.writing.journal import record, writing
from schemas.takedown import PurgeInputSchema, PurgeRecordSchema

blp = Blueprint("takedowns", __name__, description="Legal takedowns (admin scope).")


def purge_article(article_id: str, reason: str, key_id: str | None) -> PurgedArticle:
    with erasing(), writing():
        article = store.locked_row(article_id)
        now = store.utc_now()
        store.unindex_minhash(article.id)
        ArticleEntity.delete().where(ArticleEntity.article == article.id).execute()
        Revision.update(snapshot=None).where(Revision.article_id == article.id).execute()
        if article.deleted_at is None:
            store.count(article.source_id, -1)
        # The row goes last: its delete also takes it out of the full-text index.
        Article.delete().where(Article.id == article.id).execute()
        kept = PurgedArticle.create(id=article.id, source=article.source_id,
                                    external_id=article.external_id, purged_at=now,
                                    key_id=key_id, reason=reason)
        gone = store.purged(article.id)
        # A stored answer that held the article replays the takedown instead.
        IdempotencyKey.update(
            status=410, headers=json.dumps({"Content-Type": PROBLEM_JSON}),
            body=problem_response(gone.status, gone.detail, kind=gone.kind,
                                  **gone.extra).get_data(as_text=True),
        ).where(IdempotencyKey.body.contains(article.id)).execute()
        record(Article(id=article.id, source=article.source_id, version=article.version + 1,
                       updated_at=now), "purged")
    return kept


@blp.route("/articles/<uuid:article_id>/purge")
class ArticlePurge(MethodView):
    @blp.arguments(PurgeInputSchema)
    @blp.response(200, PurgeRecordSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description="Purged already.")
    def post(self, data, article_id):
        """Remove an article's text and history for good (a legal takedown)"""
        return store.purge_record(purge_article(str(article_id), data["reason"],
                                                g.get("key_id")))
