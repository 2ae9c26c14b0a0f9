"""Full-text search: the query language both backends read, and which backend does.

One query language on both backends, that of web search boxes: words (all must
match), "quoted phrases", OR between two terms, and -word or -"phrase" to exclude.
Each database's search reads top to bottom in its own module: api.reading.fts5
(SQLite's FTS5 index) and api.reading.tsearch (PostgreSQL's text search), each with
the same five functions (matched, rank_window, current_rank, ranked, snippets);
engine() picks one, by the database the app opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from peewee import Value

from api.errors import Problem
from api.storage.db import is_sqlite

_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)
SNIPPET_WORDS = 16
# sort=relevance ranks at most this many hits, the most recently stored ones: ranking
# is the one part of a search whose cost grows with its hits (every candidate is
# scored), and a word found in most of a million articles took seconds a page.
RANKED_HITS = 10_000


def engine() -> ModuleType:
    """The search of the database the app opened: fts5 on SQLite, tsearch on PostgreSQL."""
    from api.reading import fts5, tsearch  # each reads this module's query language

    return fts5 if is_sqlite() else tsearch


@dataclass(frozen=True)
class SearchQuery:
    """Terms that must all match, each a list of alternatives (joined by OR), and
    terms that must not match. A term is a phrase: one or more words."""

    required: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]
    text: str


@lru_cache(maxsize=256)
def parse(text: str) -> SearchQuery:
    """The query a client typed; cached, as one list request reads it for the filter, the
    ranking and the snippets."""
    required: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for negated, quoted, bare in _TERM.findall(text):
        if bare and bare.upper() == "OR" and required:
            join_next = True
            continue
        if bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        term = " ".join((quoted or bare).split())
        if not _WORD.search(term):
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            required[-1].append(term)
        else:
            required.append([term])
        join_next = False
    if not required:
        raise Problem(400, "q needs at least one word or phrase to look for (a query of "
                           "exclusions alone would match nearly everything).",
                      kind="invalid-search")
    return SearchQuery(tuple(tuple(group) for group in required), tuple(excluded), text)


@dataclass(frozen=True)
class RankWindow:
    """The stored articles whose hits relevance ranks, oldest to newest, both ends
    included (FTS5 rowids on SQLite, time-ordered article ids on PostgreSQL); oldest
    None: from the first. A walk keeps its first page's window, so articles stored
    meanwhile neither join it nor push earlier ones out."""

    oldest: int | str | None
    newest: int | str | None

    def columns(self) -> tuple:
        """The window's ends as the columns rank_oldest and rank_newest, which a
        relevance cursor writes down with its article's rank."""
        return (Value(self.oldest, converter=False).alias("rank_oldest"),
                Value(self.newest, converter=False).alias("rank_newest"))
