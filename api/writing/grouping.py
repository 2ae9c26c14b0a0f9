"""Stories: the articles about one event across sources, grouped as they are written.

An article is compared with the articles published within WINDOW of it that share its
names or its body's near-duplicate buckets: of each name, the NEAREST_PER_NAME
articles published nearest before it and as many from its instant on, and of those
the CANDIDATES sharing most names, those that fall short then credited with every name
they share (_matching). A capital or a head of state is named in thousands of articles a
day, and the nearest in time are the ones about the same event if any are; a rarer
name, which says more, is read whole. With a story spanning at most MAX_SPAN from its
first article to its last, grouping costs the same however many articles the
collection holds or a day brings. It is about the same event as such an article when
either holds:

- their bodies are near-duplicates (estimated Jaccard similarity of 5-word shingles of
  at least similarity.SIMILARITY_THRESHOLD): wire copies and light rewrites;
- they name the same people, organisations and places, and use the same words:
  ``names`` counts a shared person or organisation as 1 and a shared place as 1/2,
  ``words`` is the Jaccard similarity of their keywords (headline, summary and the
  body's first LEAD_WORDS words; words of four letters or more, stop words of the
  common languages left out), and they match when names >= 1 with a person or
  organisation among them and words >= WORDS_WITH_ONE_NAME (0.2), or names >= 2 and
  words >= WORDS_WITH_TWO_NAMES (0.12).

Grouping runs last in a write's transaction (journal.writing, for every change it
records), after the feed position is claimed: that row lock makes transactions group
one at a time, so two writers never wait on each other's stories (no deadlock) and
each sees the stories the other made.

A shared place or person alone never groups two articles: two stories about one city
keep apart unless their wording says they are the same event. An article that matches
articles of several stories joins them into one: the oldest story keeps its id, and
the others point to it from then on (Story.absorbed_into), as long as the story
that results spans at most MAX_SPAN: a running subject (a war, a campaign) becomes a
succession of stories rather than one that grows without end.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import uuid6

from api.storage import bands
from api.storage.db import database
from api.storage.models import (
    Article,
    StoryArticle,
    index_key,
)
from api.text import similarity
from api.text.gazetteer import stop_words

WINDOW = timedelta(hours=72)
MAX_SPAN = timedelta(days=7)
CANDIDATES = 50
NEAREST_PER_NAME = 25
# Names whose ranges one statement reads: SQLite takes 500 terms in a compound SELECT,
# two per name; the schema lets an article name 300.
_NAMES_READ = 200
# Lists bound into one statement at most (SQLite takes 32,766 variables).
_BODIES_AT_ONCE = 64
_IDS_AT_ONCE = 1000
LEAD_WORDS = 60
WORDS_WITH_ONE_NAME = 0.2
WORDS_WITH_TWO_NAMES = 0.12
NAME_WEIGHTS = {"person": 1.0, "organisation": 1.0, "place": 0.5}
# Kinds of which one shared name can group two articles with close enough words.
NAMING_KINDS = frozenset({"person", "organisation"})
# Stop words of the languages wire copy most often comes in.
_STOP_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl", "ru", "ar", "fa", "tr")
_WORD = re.compile(r"\w{4,}")


def keywords(headline: str, summary: str | None, body: str | None) -> frozenset[str]:
    """The words that say what an article is about, folded: a plural's s dropped."""
    # Split off the lead alone: splitting a whole body cost more than the rest of this.
    lead = " ".join((body or "").split(None, LEAD_WORDS)[:LEAD_WORDS])
    # Each distinct word once: the same words come back many times in a text.
    words = set(_WORD.findall(f"{headline} {summary or ''} {lead}".casefold()))
    words -= stop_words(_STOP_LANGUAGES)
    return frozenset(word[:-1] if word.endswith("s") and len(word) > 4 else word
                     for word in words if not word.isdigit())


def word_hashes(words: frozenset[str]) -> frozenset[int]:
    """Keywords as CRC-32s: kept beside an article's story (StoryArticle.words), so a
    comparison reads 4 bytes a word instead of the article's text."""
    return frozenset(zlib.crc32(word.encode("utf-8")) for word in words)


# Little-endian 32-bit words, with struct: a numpy array for a few dozen words cost more
# to build than the words themselves.
def encode_words(hashes: frozenset[int]) -> bytes:
    return struct.pack(f"<{len(hashes)}I", *sorted(hashes))


def decode_words(data: bytes) -> frozenset[int]:
    return frozenset(struct.unpack(f"<{len(data) // 4}I", data))


@dataclass(frozen=True)
class Member:
    """What grouping reads of an article: its names (kind, folded value) of the name
    index, its keywords (word_hashes) and its body's MinHash."""

    article_id: str
    published_at: datetime
    names: frozenset[tuple[str, str]]
    words: frozenset[int]
    signature: np.ndarray | None
    buckets: list[int] | None = None  # the signature's, when known already
    # No other body shares a band bucket with this one (follow looked for many writes
    # at once): there is no near-duplicate to look for.
    unique_body: bool = False


class _Story(NamedTuple):
    """A live story as grouping reads it."""

    id: str
    first_published_at: datetime | None
    last_published_at: datetime | None
    article_count: int


def _jaccard(first: frozenset, second: frozenset) -> float:
    shared = len(first & second)
    union = len(first) + len(second) - shared
    return shared / union if union else 0.0


# A story's columns as grouping reads them, after its id (see _Story).
_STORY = ('"t"."absorbed_into", "t"."first_published_at", "t"."last_published_at",'
          ' "t"."article_count"')

# Grouping's statements, as SQL text made once per placeholder style and shape: peewee
# took longer to build them than the database took to run them (a profile of
# `dateline import`: 37% of its samples in peewee's SQL generation).
_TEMPLATES = {
    # Two index ranges per name (kind, value, published_at, article_id: the name
    # index's key), read outward from the article's instant ({p}s: weight, named,
    # kind, value, the range's ends, the article's id), each stopped by its limit.
    "name": 'SELECT * FROM (SELECT "article_id", {p} AS "weight", {p} AS "named"'
            ' FROM "article_entity" WHERE "kind" = {p} AND "value" = {p}'
            ' AND "published_at" >= {p} AND "published_at" <= {p} AND "article_id" <> {p}'
            ' ORDER BY "published_at", "article_id" LIMIT {nearest}) AS "later{n}"'
            ' UNION ALL SELECT * FROM (SELECT "article_id", {p} AS "weight", {p} AS "named"'
            ' FROM "article_entity" WHERE "kind" = {p} AND "value" = {p}'
            ' AND "published_at" >= {p} AND "published_at" < {p} AND "article_id" <> {p}'
            ' ORDER BY "published_at" DESC, "article_id" DESC LIMIT {nearest}) AS "earlier{n}"',
    # The CANDIDATES articles sharing most names of those read, each with its story:
    # one statement where three were (reading the candidates' stories cost a write as
    # much as finding them).
    "sharing": 'SELECT "c"."article_id", "c"."names", "c"."named", "s"."story_id",'
               ' "s"."published_at", "s"."words", {story}'
               ' FROM (SELECT "article_id", SUM("weight") AS "names", MAX("named") AS "named"'
               ' FROM ({names}) AS "shared" GROUP BY "article_id"'
               ' ORDER BY 2 DESC, 1 LIMIT {limit}) AS "c"'
               ' JOIN "story_article" AS "s" ON "s"."article_id" = "c"."article_id"'
               ' JOIN "story" AS "t" ON "t"."id" = "s"."story_id"',
    # "copies", which reads the band keys, is api.storage.bands' for the backend.
    # Names of candidates that were past the nearest for some of the names they share.
    "names_of": 'SELECT "article_id", "kind", "value" FROM "article_entity"'
                ' WHERE "article_id" IN ({ids})',
    "signatures": 'SELECT "article_id", "signature" FROM "article_minhash"'
                  ' WHERE "article_id" IN ({ids})',
    "members": 'SELECT "s"."article_id", 0, 0, "s"."story_id", "s"."published_at", NULL,'
               ' {story} FROM "story_article" AS "s"'
               ' JOIN "story" AS "t" ON "t"."id" = "s"."story_id"'
               ' WHERE "s"."article_id" IN ({ids})',
    "stories": 'SELECT "id", "absorbed_into", "first_published_at", "last_published_at",'
               ' "article_count" FROM "story" WHERE "id" IN ({ids})',
    "new_story": 'INSERT INTO "story" ("id", "article_count", "first_published_at",'
                 ' "last_published_at", "created_at") VALUES ({p}, 1, {p}, {p}, {p})',
    "join": 'INSERT INTO "story_article" ("article_id", "story_id", "published_at", "words")'
            ' VALUES ({p}, {p}, {p}, {p})',
    "widen": 'UPDATE "story" SET "article_count" = "article_count" + {p},'
             ' "first_published_at" = CASE WHEN "first_published_at" IS NULL'
             ' OR "first_published_at" > {p} THEN {p} ELSE "first_published_at" END,'
             ' "last_published_at" = CASE WHEN "last_published_at" IS NULL'
             ' OR "last_published_at" < {p} THEN {p} ELSE "last_published_at" END'
             ' WHERE "id" = {p}',
    "move": 'UPDATE "story_article" SET "story_id" = {p} WHERE "story_id" IN ({ids})',
    "absorb": 'UPDATE "story" SET "absorbed_into" = {p}, "article_count" = 0'
              ' WHERE "id" IN ({ids}) OR "absorbed_into" IN ({ids})',
    # Statements of leave, as text too: an edit that regroups its article leaves first.
    "member_of": 'SELECT "s"."story_id", "s"."published_at", "t"."first_published_at",'
                 ' "t"."last_published_at" FROM "story_article" AS "s"'
                 ' JOIN "story" AS "t" ON "t"."id" = "s"."story_id" WHERE "s"."article_id" = {p}',
    "leave": 'DELETE FROM "story_article" WHERE "article_id" = {p}',
    "span": 'SELECT MIN("published_at"), MAX("published_at") FROM "story_article"'
            ' WHERE "story_id" = {p}',
    "shrink": 'UPDATE "story" SET "article_count" = "article_count" - 1,'
              ' "first_published_at" = {p}, "last_published_at" = {p} WHERE "id" = {p}',
}
_INSTANT = StoryArticle.published_at


@lru_cache(maxsize=512)
def _sql(name: str, param: str, count: int = 0, ids: int | None = None) -> str:
    """The statement name, for count names, buckets or ids where it takes a list (ids:
    how many ids, where it takes buckets too)."""
    if name == "sharing":
        names = " UNION ALL ".join(_TEMPLATES["name"].format(
            p=param, n=number, nearest=NEAREST_PER_NAME) for number in range(count))
        return _TEMPLATES[name].format(p=param, names=names, limit=CANDIDATES, story=_STORY)
    listed = ", ".join([param] * count)
    template = bands.grouping_statements().get(name) or _TEMPLATES[name]
    return template.format(
        p=param, buckets=listed, limit=CANDIDATES, story=_STORY,
        ids=listed if ids is None else ", ".join([param] * ids))


def _run(name: str, params: list | tuple, count: int = 0, ids: int | None = None):
    return database.execute_sql(_sql(name, database.param, count, ids), params)


def _sharing_names(member: Member) -> list[tuple]:
    """(article id, names, named, then its story_article and story columns) of the
    candidates sharing names with member, each credited with the names it was among the
    nearest for."""
    names = sorted(((kind, value) for kind, value in member.names if kind in NAME_WEIGHTS),
                   key=lambda name: (-NAME_WEIGHTS[name[0]], name))[:_NAMES_READ]
    if not names:
        return []
    at = _INSTANT.db_value(member.published_at)
    earliest = _INSTANT.db_value(member.published_at - WINDOW)
    latest = _INSTANT.db_value(member.published_at + WINDOW)
    params = []
    for kind, value in names:
        weight, named = NAME_WEIGHTS[kind], int(kind in NAMING_KINDS)
        params += [weight, named, kind, value, at, latest, member.article_id,
                   weight, named, kind, value, earliest, at, member.article_id]
    return _run("sharing", params, len(names)).fetchall()


def _shared(member: Member, ids: list[str]) -> dict[str, tuple[float, int]]:
    """(names, named) of what each of these articles shares with member."""
    shared: dict[str, list] = {article_id: [0.0, 0] for article_id in ids}
    for article_id, kind, value in _run("names_of", ids, len(ids)):
        if kind in NAME_WEIGHTS and (kind, value) in member.names:
            shared[article_id][0] += NAME_WEIGHTS[kind]
            shared[article_id][1] |= kind in NAMING_KINDS
    return {article_id: tuple(values) for article_id, values in shared.items()}


def _near_duplicates(member: Member) -> list[str]:
    if member.signature is None or member.unique_body:
        return []
    buckets = member.buckets
    if buckets is None:
        buckets = similarity.buckets(member.signature)
    rows = _run("copies", [*buckets, member.article_id,
                           _INSTANT.db_value(member.published_at - WINDOW),
                           _INSTANT.db_value(member.published_at + WINDOW)],
                len(buckets)).fetchall()
    scores = similarity.similarities(member.signature, [signature for _, signature in rows])
    return [article_id for (article_id, _), score in zip(rows, scores, strict=True)
            if score >= similarity.SIMILARITY_THRESHOLD]


def _by_names(names: float, named: bool, words: float) -> bool:
    """Whether two articles that are not near-duplicates are about the same event."""
    if named and words >= WORDS_WITH_ONE_NAME:
        return True
    return names >= 2 and words >= WORDS_WITH_TWO_NAMES


def _matching(member: Member) -> dict[str, _Story]:
    """The stories, as they are now, of the articles member is about the same event as."""
    copies = set(_near_duplicates(member))
    rows = _sharing_names(member)
    # A near-duplicate that is not among those candidates.
    unread = copies.difference(row[0] for row in rows)
    if unread:
        rows += _run("members", list(unread), len(unread)).fetchall()
    stories, absorbed, recount = {}, set(), {}

    def take(story_id: str, keeper, first, last, size) -> None:
        if keeper is None:
            stories[story_id] = _Story(story_id, _INSTANT.python_value(first),
                                       _INSTANT.python_value(last), size)
        else:
            absorbed.add(story_id)

    for article_id, names, named, story_id, published_at, words, *story in rows:
        if story_id in stories or story_id in absorbed:
            continue
        if abs(_INSTANT.python_value(published_at) - member.published_at) > WINDOW:
            continue
        # The words are compared only where they can decide.
        if article_id not in copies:
            similar = _jaccard(member.words, decode_words(words))
            if not _by_names(names, named, similar):
                # Credited only with the names it was among the nearest for: a crowded
                # name it also shares can decide where the words are close enough for
                # two names.
                if similar >= WORDS_WITH_TWO_NAMES:
                    recount[article_id] = (similar, story_id, story)
                continue
        take(story_id, *story)
    if recount:
        for article_id, (names, named) in _shared(member, list(recount)).items():
            similar, story_id, story = recount[article_id]
            if story_id not in stories and story_id not in absorbed and _by_names(
                    names, named, similar):
                take(story_id, *story)
    if absorbed:
        stories.update({story.id: story for story in _stories(absorbed)
                        if story.id not in stories})
    return stories


def matching_stories(member: Member) -> set[str]:
    """The stories of the articles member is about the same event as."""
    return set(_matching(member))


def _joinable(stories: list[_Story], published_at: datetime) -> list[_Story]:
    """The oldest story, and those after it that it can absorb, while the story they
    make with the article spans at most MAX_SPAN."""
    joined, first, last = [], published_at, published_at
    for story in sorted(stories, key=lambda story: story.id):
        earliest = min(first, story.first_published_at or published_at)
        latest = max(last, story.last_published_at or published_at)
        if latest - earliest <= MAX_SPAN:
            joined.append(story)
            first, last = earliest, latest
    return joined


def _stories(story_ids: set[str]) -> list[_Story]:
    """The stories that now hold these ids' articles: an absorbed id gives its keeper."""
    found, keepers = {}, set()
    for row in _run("stories", list(story_ids), len(story_ids)):
        story_id, keeper, first, last, size = row
        if keeper is None:
            found[story_id] = _Story(story_id, _INSTANT.python_value(first),
                                     _INSTANT.python_value(last), size)
        else:
            keepers.add(keeper)
    if keepers - found.keys():
        found.update({story.id: story for story in _stories(keepers - found.keys())})
    return list(found.values())


def assign(member: Member, now: datetime) -> str:
    """Put a live article (not in a story) into the story of what it is about, joining
    the stories it bridges, or into a story of its own; returns the story's id."""
    found = _matching(member)
    joined = _joinable(list(found.values()), member.published_at) if found else []
    at = _INSTANT.db_value(member.published_at)
    if not joined:
        story_id = str(uuid6.uuid7())
        _run("new_story", (story_id, at, at, _INSTANT.db_value(now)))
    else:
        # uuid7 ids sort by creation: the first is the oldest story.
        story_id, gone = joined[0].id, joined[1:]
        edges = [member.published_at]
        if gone:
            _absorb(story_id, gone)
            edges += [edge for story in gone
                      for edge in (story.first_published_at, story.last_published_at)
                      if edge is not None]
        # The article and what the absorbed stories held, in one statement.
        _widen(story_id, min(edges), max(edges),
               1 + sum(story.article_count for story in gone))
    _run("join", (member.article_id, story_id, at, encode_words(member.words)))
    return story_id


def leave(article_id: str) -> None:
    """Take an article out of its story (deleted, purged, or about to be regrouped)."""
    row = _run("member_of", (article_id,)).fetchone()
    if row is None:
        return
    story_id, published_at, first, last = row
    _run("leave", (article_id,))
    if _INSTANT.python_value(published_at) in (_INSTANT.python_value(first),
                                               _INSTANT.python_value(last)):
        first, last = _run("span", (story_id,)).fetchone()
    _run("shrink", (first, last, story_id))


def _widen(story_id: str, first: datetime, last: datetime, added: int) -> None:
    """Add added articles to the story, and take its span out to first and last."""
    first, last = _INSTANT.db_value(first), _INSTANT.db_value(last)
    _run("widen", (added, first, first, last, last, story_id))


def _absorb(keep: str, gone: list[_Story]) -> None:
    """Move every article of the gone stories into keep; they, and every story that
    pointed to one of them, point to keep from now on (keep's count and span are the
    caller's to widen)."""
    ids = [story.id for story in gone]
    _run("move", [keep, *ids], len(ids))
    _run("absorb", [keep, *ids, *ids], len(ids))


def resolve_many(story_ids: set[str]) -> set[str]:
    """The stories that now hold these ids' articles: an absorbed id gives its keeper."""
    return {story.id for story in _stories(story_ids)} if story_ids else set()


_NAMED_KINDS = {"people": "person", "organisations": "organisation", "places": "place"}
_NAMED = frozenset(_NAMED_KINDS.values())
# What an article's story is judged on: an update that changes none of these keeps it.
JUDGED_ON = ("headline", "summary", "body", "published_at", *_NAMED_KINDS)


def member_of(article: Article, signature: np.ndarray | None,
              buckets: list[int] | None = None, unique_body: bool = False) -> Member:
    names = article.__dict__.get("_names")
    if names is None:
        names = frozenset({(kind, index_key(name)) for field, kind in _NAMED_KINDS.items()
                           for name in getattr(article, field) or []}
                          - {(kind, "") for kind in _NAMED_KINDS.values()})
    return Member(article.id, article.published_at, names,
                  word_hashes(keywords(article.headline, article.summary, article.body)),
                  signature, buckets, unique_body)


def indexed(article: Article, entities: list[dict], minhash: tuple | None) -> None:
    """Note what the store has just indexed for this version of article: its name index
    rows, and its body's MinHash and buckets where it indexed them (None: the body kept
    the stored ones), so grouping neither reads them back nor works them out again."""
    article.__dict__["_names"] = frozenset(
        (row["kind"], row["value"]) for row in entities if row["kind"] in _NAMED)
    if minhash is not None:
        article.__dict__["_minhash"] = minhash


def signatures(article_ids: list[str]) -> dict[str, np.ndarray]:
    """The stored body MinHashes of these articles (those with a body)."""
    found = {}
    for start in range(0, len(article_ids), _IDS_AT_ONCE):
        part = article_ids[start:start + _IDS_AT_ONCE]
        found.update((article_id, similarity.decode(signature))
                     for article_id, signature in _run("signatures", part, len(part)))
    return found


def _sharing_a_bucket(minhashes: dict[str, tuple]) -> set[str]:
    """Of these articles (id: signature and buckets), those whose body shares a band
    bucket with another article's body: only they can have a near-duplicate. Band rows
    are read for many writes at once: most bodies have no copy, and the near-duplicate
    query each write ran was a quarter of its grouping (a 20,000-article import)."""
    bodies = [(article_id, buckets) for article_id, (signature, buckets)
              in minhashes.items() if signature is not None]
    shared = set()
    for start in range(0, len(bodies), _BODIES_AT_ONCE):
        part = bodies[start:start + _BODIES_AT_ONCE]
        holder = {}
        for article_id, buckets in part:
            for bucket in buckets:
                other = holder.setdefault(bucket, article_id)
                if other != article_id:
                    shared.update((other, article_id))
        # Other articles' keys only: reading each body's own back was most of it.
        shared.update(holder[bucket] for bucket in bands.held_elsewhere(part))
    return shared


def follow(changes: list[tuple[Article, str, Article | None]], now: datetime) -> None:
    """Group what one transaction wrote, in the order it wrote it: (article, op, the
    version it replaced) as journal.record took them."""
    last = {}
    for article, op, replaced in changes:
        first_replaced = last[article.id][2] if article.id in last else replaced
        last[article.id] = (article, op, first_replaced)
    regrouped = [article for article, op, replaced in last.values()
                 if op in ("created", "updated") and (
                     replaced is None or replaced.deleted_at is not None or any(
                         getattr(article, name) != getattr(replaced, name)
                         for name in JUDGED_ON))]
    found = signatures([article.id for article in regrouped
                        if "_minhash" not in article.__dict__])
    minhashes = {}
    for article in regrouped:
        signature, buckets = article.__dict__.get("_minhash", (found.get(article.id), None))
        if signature is not None and buckets is None:
            buckets = similarity.buckets(signature)
        minhashes[article.id] = signature, buckets
    copied = _sharing_a_bucket(minhashes)
    for article, op, _ in last.values():
        if op in ("deleted", "purged"):
            leave(article.id)
    for article in regrouped:
        signature, buckets = minhashes[article.id]
        member = member_of(article, signature, buckets,
                           unique_body=signature is not None and article.id not in copied)
        # A new article is in no story yet: nothing to leave.
        if last[article.id][1:] == ("created", None):
            assign(member, now)
        else:
            regroup(member, now)


def regroup(member: Member, now: datetime) -> str:
    """An edited or revived article: out of its story, then in again where it now fits."""
    leave(member.article_id)
    return assign(member, now)
