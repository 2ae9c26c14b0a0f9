"""What a write asks of the article it changes (RFC 9110 §13), as one value.

Views build it from the request and the settings (api.web.http); the store checks it against the
article it has locked, inside the write's transaction, without reading the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.errors import Problem
from api.storage.models import Article


def strong_etag(*parts) -> str:
    return '"' + "-".join(str(part) for part in parts) + '"'


def etag_matches(header: str | None, etag: str, *, weak: bool = True) -> bool:
    """Whether an If-None-Match (weak comparison) or If-Match (weak=False: strong
    comparison, RFC 9110 13.1.1) header names etag, or is '*'."""
    if header is None:
        return False
    candidates = [item.strip() for item in header.split(",")]
    return "*" in candidates or etag in candidates or (weak and f"W/{etag}" in candidates)


def article_etag(article: Article, *variant: str) -> str:
    """Strong validator of the article's version. duplicate_of is left out: it follows
    other articles coming and going, and a tag that moved with it would refuse writes
    that conflict with nothing (412) and tell a cache the article changed when it did
    not."""
    return strong_etag(article.version, article.id, *variant)


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None
    # DATELINE_REQUIRE_IF_MATCH: a change to an existing article must name its version.
    require_if_match: bool = False
    # A batch or an import carries no validators: the 428 then says how to send one.
    per_item: bool = False

    def check(self, article: Article | None) -> None:
        """Refuse a write to the stored article (None: there is none) with 428 or 412
        unless the request's validators allow it. A tombstone counts as no article: a
        write that revives it creates."""
        if article is not None and article.deleted_at is not None:
            article = None
        if_match = self.if_match
        if (if_match is None or if_match.strip() == "*") and article is not None \
                and self.require_if_match:
            raise self._required(article)
        current = article_etag(article) if article else None
        if if_match is not None and (current is None
                                     or not etag_matches(if_match, current, weak=False)):
            raise Problem(412, "If-Match does not name the article's current version.",
                          kind="precondition-failed",
                          current_version=article.version if article else None)
        if article is not None and self.if_none_match is not None and etag_matches(
                self.if_none_match, current):
            raise Problem(412, "If-None-Match matched: the article already exists in this "
                               "version.", kind="precondition-failed",
                          current_version=article.version)

    def _required(self, article: Article) -> Problem:
        if self.per_item:
            return Problem(428, "This service requires If-Match to change an article; update "
                                "it with PUT or PATCH and its ETag.",
                           kind="precondition-required", existing=f"/articles/{article.id}",
                           current_version=article.version)
        return Problem(428, "This service requires If-Match with the article's current ETag "
                            "on every change; fetch the article and send its ETag.",
                       kind="precondition-required", current_version=article.version)
