"""GET /articles/histogram: how many articles the list's filters select, per hour, day,
week or month of a time zone's calendar.

The database counts articles per quarter hour of UTC (every zone's offset is a whole
number of quarter hours, so no bucket boundary falls inside one); the quarter hours are
then added up into the zone's buckets, whose edges are worked out with the tz database:
a day across a DST change is 23 or 25 hours, a month its own number of days.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.views import MethodView
from peewee import SQL, fn

from api.errors import Problem
from api.reading.listing import filtered
from api.storage.db import is_sqlite
from api.storage.models import Article
from api.web.http import Blueprint
from schemas.timeline import MAX_BUCKETS, HistogramQuerySchema, HistogramSchema

blp = Blueprint("timelines", __name__, description="Coverage over time.")

SLOT_SECONDS = 900
_EPOCH = datetime(1970, 1, 1)


def _slot():
    """The UTC quarter hour an article was published in, as a whole number."""
    if is_sqlite():
        return fn.strftime("%s", Article.published_at).cast("INTEGER") / SLOT_SECONDS
    return fn.FLOOR(fn.date_part("epoch", Article.published_at) / SLOT_SECONDS).cast("bigint")


def _local_start(moment: datetime, interval: str, zone: ZoneInfo) -> datetime:
    """The start (aware, in zone) of the bucket holding the UTC instant moment."""
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    return day.replace(tzinfo=zone)


def _after(start: datetime, interval: str, zone: ZoneInfo) -> datetime:
    """The start of the bucket after the one starting at start."""
    if interval == "hour":  # an hour of elapsed time, whatever the clock does
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    wall = start.replace(tzinfo=None, hour=0, minute=0)
    if interval == "day":
        wall += timedelta(days=1)
    elif interval == "week":
        wall += timedelta(days=7)
    else:
        wall = wall.replace(year=wall.year + wall.month // 12, month=wall.month % 12 + 1)
    # A midnight the clock skips (DST starting at 00:00) is read before the change,
    # which names the instant the day really begins.
    return wall.replace(tzinfo=zone)


def _edges(first: datetime, last: datetime, interval: str, zone: ZoneInfo) -> list[datetime]:
    """Bucket starts (aware, in zone) from the bucket holding first to the one holding
    last (UTC instants), and the end of that one."""
    edges = [_local_start(first, interval, zone)]
    end = last.replace(tzinfo=UTC)
    while edges[-1] <= end:
        if len(edges) > MAX_BUCKETS:
            raise Problem(400, f"More than {MAX_BUCKETS} buckets: narrow published_after "
                               "and published_before, or ask for a longer interval.",
                          kind="invalid-parameters")
        edges.append(_after(edges[-1], interval, zone))
    return edges


# Filters the (published_at, id), (source, published_at, id) and (language, published_at,
# id) indexes answer without reading an article's row.
_ON_DATE_INDEXES = frozenset({"source", "language", "published_after", "published_before",
                              "interval", "tz", "duplicates"})


def _counts(query: dict) -> dict[int, int]:
    """Articles the query selects per UTC quarter hour."""
    slot = _slot()

    def per_slot(select) -> dict[int, int]:
        # By position: PostgreSQL does not see the slot's parameters in GROUP BY as
        # the same expression.
        return dict(select.select(slot, fn.COUNT(Article.id)).group_by(SQL("1")).tuples())

    if query.get("duplicates") != "include" or set(query) - _ON_DATE_INDEXES:
        return per_slot(filtered(query))
    counts = per_slot(filtered(query, state="any"))
    for number, deleted in per_slot(filtered(query, state="deleted")).items():
        counts[number] -= deleted
    return {number: count for number, count in counts.items() if count}


def histogram(query: dict) -> dict:
    zone, interval = ZoneInfo(query["tz"]), query["interval"]
    after, before = query.get("published_after"), query.get("published_before")
    if after and before and after.utc >= before.utc:
        raise Problem(400, "published_after must be before published_before.",
                      kind="invalid-parameters")
    counts = _counts(query)
    if not counts and not (after and before):
        return {"interval": interval, "tz": query["tz"], "total": 0, "buckets": []}
    first = after.utc if after else _EPOCH + timedelta(seconds=min(counts) * SLOT_SECONDS)
    last = (before.utc - timedelta(microseconds=1) if before
            else _EPOCH + timedelta(seconds=max(counts) * SLOT_SECONDS))
    edges = _edges(first, last, interval, zone)
    # Edges as quarter-hour numbers: a slot then finds its bucket by integer search.
    bounds = [int(edge.timestamp()) // SLOT_SECONDS for edge in edges]
    tally = [0] * (len(edges) - 1)
    for number, count in counts.items():
        tally[bisect.bisect_right(bounds, number) - 1] += count
    return {"interval": interval, "tz": query["tz"], "total": sum(tally),
            "buckets": [{"start": _rfc3339(edge), "count": count}
                        for edge, count in zip(edges, tally, strict=False)]}


def _rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@blp.route("/articles/histogram")
class ArticleHistogram(MethodView):
    @blp.arguments(HistogramQuerySchema, location="query", error_status_code=400)
    @blp.response(200, HistogramSchema)
    def get(self, query):
        """Count the articles a filter selects per hour, day, week or month"""
        return histogram(query)
