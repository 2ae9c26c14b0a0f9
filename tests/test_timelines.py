"""GET /articles/histogram: counts per bucket of a zone's calendar, empty ones included."""

from __future__ import annotations

import pytest


@pytest.fixture
def at(client, sample):
    """Store an article published at each given instant (RFC 3339)."""
    def store(*instants, **changes):
        for number, instant in enumerate(instants):
            response = client.post("/articles", json={
                **sample, "external_id": f"{instant}-{number}-{len(changes)}", "url": None,
                "body": f"Item published {instant}, number {number}.",
                "published_at": instant, **changes})
            assert response.status_code == 201, response.json
    return store


def _histogram(client, query):
    response = client.get(f"/articles/histogram?{query}")
    assert response.status_code == 200, response.json
    return response.json


def test_days_are_cut_in_the_asked_zone_with_empty_days_included(client, at):
    # 22:00 UTC on the 1st is already the 2nd in Tehran (+03:30 in January).
    at("2024-01-01T10:00:00Z", "2024-01-01T22:00:00Z", "2024-01-04T08:00:00Z")

    tehran = _histogram(client, "interval=day&tz=Asia/Tehran"
                                "&published_after=2024-01-01T00:00:00%2B03:30"
                                "&published_before=2024-01-05T00:00:00%2B03:30")
    utc = _histogram(client, "interval=day&published_after=2024-01-01T00:00:00Z"
                             "&published_before=2024-01-05T00:00:00Z")

    assert [(b["start"], b["count"]) for b in tehran["buckets"]] == [
        ("2024-01-01T00:00:00+03:30", 1), ("2024-01-02T00:00:00+03:30", 1),
        ("2024-01-03T00:00:00+03:30", 0), ("2024-01-04T00:00:00+03:30", 1)]
    assert [b["count"] for b in utc["buckets"]] == [2, 0, 0, 1]
    assert utc["buckets"][0]["start"] == "2024-01-01T00:00:00Z"
    assert tehran["total"] == utc["total"] == 3


def test_a_day_across_a_dst_change_is_as_long_as_the_clock_makes_it(client, at):
    # New York springs forward on 10 March 2024: that day has 23 hours.
    at("2024-03-10T05:30:00Z", "2024-03-11T03:30:00Z", "2024-03-11T04:30:00Z")

    days = _histogram(client, "interval=day&tz=America/New_York"
                              "&published_after=2024-03-09T00:00:00-05:00"
                              "&published_before=2024-03-12T00:00:00-04:00")

    assert [(b["start"], b["count"]) for b in days["buckets"]] == [
        ("2024-03-09T00:00:00-05:00", 0), ("2024-03-10T00:00:00-05:00", 2),
        ("2024-03-11T00:00:00-04:00", 1)]


def test_hours_count_elapsed_time_through_a_clock_that_falls_back(client, at):
    # 1 November 2026, New York: 01:00-02:00 happens twice (EDT, then EST).
    at("2026-11-01T05:10:00Z", "2026-11-01T06:10:00Z", "2026-11-01T06:20:00Z")

    hours = _histogram(client, "interval=hour&tz=America/New_York"
                               "&published_after=2026-11-01T05:00:00Z"
                               "&published_before=2026-11-01T07:00:00Z")

    assert [(b["start"], b["count"]) for b in hours["buckets"]] == [
        ("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 2)]


def test_weeks_start_on_monday_and_months_on_the_first(client, at):
    at("2024-02-28T12:00:00Z", "2024-03-03T12:00:00Z", "2024-03-04T12:00:00Z")

    weeks = _histogram(client, "interval=week")
    months = _histogram(client, "interval=month")

    assert [(b["start"], b["count"]) for b in weeks["buckets"]] == [
        ("2024-02-26T00:00:00Z", 2), ("2024-03-04T00:00:00Z", 1)]
    assert [(b["start"], b["count"]) for b in months["buckets"]] == [
        ("2024-02-01T00:00:00Z", 1), ("2024-03-01T00:00:00Z", 2)]


def test_the_histogram_takes_the_lists_filters(client, at):
    at("2024-05-01T12:00:00Z", "2024-05-02T12:00:00Z")
    at("2024-05-02T13:00:00Z", source="presstv.ir", people=["Ebrahim Raisi"])

    by_source = _histogram(client, "interval=day&source=presstv.ir")
    by_person = _histogram(client, "interval=day&person=ebrahim+raisi")
    by_words = _histogram(client, "interval=day&q=published")

    assert [(b["start"], b["count"]) for b in by_source["buckets"]] == [
        ("2024-05-02T00:00:00Z", 1)]
    assert by_person["total"] == 1
    assert by_words["total"] == 3


def test_an_empty_selection_within_a_window_still_lists_its_buckets(client):
    empty = _histogram(client, "interval=month&published_after=2024-01-01T00:00:00Z"
                               "&published_before=2024-04-01T00:00:00Z")
    none = _histogram(client, "interval=day")

    assert [b["count"] for b in empty["buckets"]] == [0, 0, 0]
    assert none == {"interval": "day", "tz": "UTC", "total": 0, "buckets": []}


@pytest.mark.parametrize("query", [
    "interval=fortnight", "interval=day&tz=Mars/Olympus", "tz=UTC",
    "interval=day&published_after=2024-02-01T00:00:00Z&published_before=2024-01-01T00:00:00Z",
    "interval=hour&published_after=2020-01-01T00:00:00Z&published_before=2024-01-01T00:00:00Z",
])
def test_a_histogram_that_cannot_be_drawn_is_400(client, query):
    response = client.get(f"/articles/histogram?{query}")

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_deleted_articles_are_not_counted_with_or_without_filters(client, at):
    at("2024-06-01T12:00:00Z", "2024-06-01T13:00:00Z", "2024-06-02T12:00:00Z")
    doomed = client.get("/articles?published_before=2024-06-01T12:30:00Z").json["items"][0]
    client.delete(f"/articles/{doomed['id']}")

    plain = _histogram(client, "interval=day")
    by_source = _histogram(client, "interval=day&source=kayhan.ir")
    by_person = _histogram(client, "interval=day&person=arif+kakar")

    for answer in (plain, by_source, by_person):
        assert [b["count"] for b in answer["buckets"]] == [1, 1]
