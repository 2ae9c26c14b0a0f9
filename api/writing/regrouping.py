"""Grouping every stored article into stories again (`dateline stories rebuild`):
api.writing.grouping groups one article as it is written; this walks them all."""

from __future__ import annotations

from collections.abc import Callable

from peewee import Tuple

from api.storage.models import Article, Story, StoryArticle
from api.writing import grouping
from api.writing.journal import hold_feed_position, writing
from api.writing.store import utc_now


def rebuild(progress: Callable[[int], None] = lambda done: None, chunk: int = 500) -> int:
    """Group every live article again, oldest publish time first, a chunk a transaction.
    Story ids are new afterwards. Returns how many stories there are."""
    with writing():
        hold_feed_position()
        StoryArticle.delete().execute()
        Story.delete().execute()
    after = None
    columns = (Article.id, *(getattr(Article, name) for name in grouping.JUDGED_ON))
    while True:
        with writing():
            # Read under the lock writers group under, so no write slips between the
            # read of a page and its grouping.
            hold_feed_position()
            select = Article.select(*columns).where(Article.deleted_at.is_null())
            if after is not None:
                select = select.where(Tuple(Article.published_at, Article.id) > Tuple(*after))
            page = list(select.order_by(Article.published_at, Article.id).limit(chunk))
            signatures = grouping.signatures([row.id for row in page])
            now = utc_now()
            for row in page:
                grouping.regroup(grouping.member_of(row, signatures.get(row.id)), now)
        if not page:
            break
        progress(len(page))
        after = (page[-1].published_at, page[-1].id)
    return Story.select().where(Story.absorbed_into.is_null()
                                & (Story.article_count > 0)).count()
