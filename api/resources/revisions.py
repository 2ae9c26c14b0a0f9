"""/articles/{id}/revisions: every version an article has had, and restoring one."""

from __future__ import annotations

from flask.views import MethodView

from api.errors import Problem
from api.reading.pagination import (
    decode_cursor,
    encode_cursor,
    keyset_page,
    link_header,
)
from api.storage.models import Article, Revision
from api.web.http import Blueprint, next_page_url, request_preconditions
from api.web.spec import CONDITIONAL_WRITE, ETAG_HEADER, LINK_HEADER
from api.writing import store
from api.writing.journal import version_of
from api.writing.preconditions import article_etag
from schemas.article import ArticleSchema
from schemas.revision import (
    ArticleVersionSchema,
    RevisionPageSchema,
    RevisionQuerySchema,
)

blp = Blueprint("revisions", __name__, description="Article history.")

_ORDER = "-version"
_PURGED = "The article was purged: its history went with its text."
# Fields whose change is the version itself, not an edit.
_BOOKKEEPING = ("id", "duplicate_of", "story_id", "version", "created_at", "updated_at")
_compared = ArticleSchema(exclude=_BOOKKEEPING)


def _changes(before: Article | None, after: Article, op: str) -> dict:
    if op == "deleted":
        return {}
    new = _compared.dump(after)
    old = _compared.dump(before) if before else {}
    return {name: {"old": old.get(name), "new": value}
            for name, value in new.items() if old.get(name) != value}


def _history_kept(article_id: str) -> None:
    """A purged article's history went with its text: 410."""
    if (gone := store.purged(article_id)) is not None:
        raise gone


def _version(article_id: str, version: int) -> Article:
    _history_kept(article_id)
    found = Revision.get_or_none((Revision.article_id == article_id)
                                 & (Revision.version == version))
    if found is None:
        raise Problem(404, f"Article {article_id} has no version {version}.")
    return version_of(found)


def revision_page(article_id: str, query: dict) -> tuple[list[dict], str | None]:
    """A page of an article's revisions, newest first, each with what it changed. History
    outlives the article row (a deleted source purges its tombstones, not their history)."""
    _history_kept(article_id)
    before = decode_cursor(query["cursor"], _ORDER) if "cursor" in query else None
    rows, more = keyset_page(Revision.select().where(Revision.article_id == article_id),
                             (Revision.version,), before, True, query["limit"])
    if not rows and before is None:
        raise Problem(404, f"No article {article_id} was ever stored.")
    next_url = next_page_url(encode_cursor(_ORDER, [rows[-1].version])) if more else None
    if rows:
        # The version before the page's oldest, to diff that one against.
        rows.append(Revision.get_or_none((Revision.article_id == article_id)
                                         & (Revision.version == rows[-1].version - 1)))
    states = [version_of(row) if row is not None else None for row in rows]
    items = [{"version": row.version, "op": row.op, "at": row.at, "key_id": row.key_id,
              "changes": _changes(states[number + 1], states[number], row.op)}
             for number, row in enumerate(rows[:-1])]
    return items, next_url


@blp.route("/articles/<uuid:article_id>/revisions")
class Revisions(MethodView):
    @blp.arguments(RevisionQuerySchema, location="query", error_status_code=400)
    @blp.response(200, RevisionPageSchema, headers=LINK_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=_PURGED)
    def get(self, query, article_id):
        """List an article's changes, newest first

        History outlives its article: after a DELETE the article answers 410 Gone, but
        its revisions, the delete among them, stay readable here.
        """
        items, next_url = revision_page(str(article_id), query)
        return {"items": items, "next": next_url}, 200, link_header(next_url)


@blp.route("/articles/<uuid:article_id>/revisions/<version:version>")
class RevisionItem(MethodView):
    @blp.response(200, ArticleVersionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=_PURGED)
    def get(self, article_id, version):
        """Fetch an article as it was at one version

        Readable after the article is deleted, like the rest of its history.
        """
        return _version(str(article_id), version)


@blp.route("/articles/<uuid:article_id>/revisions/<version:version>/restore")
class RevisionRestore(MethodView):
    @blp.doc(parameters=CONDITIONAL_WRITE[:1])
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE", description=_PURGED)
    @blp.alt_response(409, response="CONFLICT",
                      description="Another article now holds the old version's key or url.")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def post(self, article_id, version):
        """Make an earlier version current again, as a new version"""
        old = _version(str(article_id), version)
        article = store.restore_article(str(article_id), old, request_preconditions())
        return article, 200, {"ETag": article_etag(article)}
