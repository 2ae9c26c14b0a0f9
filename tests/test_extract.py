"""api.text.extract: raw news-item dumps to article fields, and local times to instants.

The fixtures under tests/fixtures/raw are invented items written for these tests.
"""

# The cases are about en and em dashes and Arabic and Persian text, which RUF001 would
# otherwise take for look-alikes of ASCII.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from api.text.extract import (
    LocalTime,
    NotAnArticle,
    extract,
    parse_local_time,
    resolve_published_at,
)
from schemas.fields import Stamp

RAW = Path(__file__).resolve().parent / "fixtures" / "raw"
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "kayhan-92427.txt"


def item(body: str, date: str = "2021-07-14 21:46", head: str = "example.com") -> str:
    """A minimal dump around the given first body paragraph and date header."""
    return f"{head}\nNews ID: 1\nDate: {date}\n\nA Headline\n\n{body}\n"


FIXTURES = {
    "presstv-658123.txt": {
        "source": "presstv.ir",
        "external_id": "658123",
        "published": LocalTime(datetime(2021, 7, 14, 21, 46), None),
        "headline": "Dock Workers Halt Loading Over Months of Unpaid Wages",
        "dateline": {"text": "TEHRAN", "place": "Tehran", "credit": None},
        "body": "Several hundred dock workers at a southern harbour downed tools on Tuesday, "
                "saying their pay was three months late.\n"
                "A union spokesman said talks with the harbour authority were expected to "
                "resume on Thursday.",
    },
    "tehrantimes-462210.txt": {
        "source": "tehrantimes.com",
        "external_id": "462210",
        "published": LocalTime(datetime(2021, 7, 14, 21, 46), "+04:30"),
        "headline": "Carpet Museum Reopens Restored Main Hall",
        "dateline": {"text": "TEHRAN (Tehran Times)", "place": "Tehran",
                     "credit": "Tehran Times"},
        "body": "The capital's carpet museum welcomed visitors back to its main gallery on "
                "Wednesday after two years of repair work.\n"
                "Curators said about forty pieces, some more than three centuries old, had "
                "been cleaned and rehung.\n"
                "The museum will open late on Fridays through the summer.",
    },
    "dawn-1634890.txt": {
        "source": "dawn.com",
        "external_id": "1634890",
        "published": LocalTime(datetime(2021, 7, 14, 21, 46), None),
        "headline": "Monsoon Rains Flood Low-Lying Streets in Twin Cities",
        "dateline": {"text": "RAWALPINDI, Pakistan (Reuters)", "place": "Rawalpindi, Pakistan",
                     "credit": "Reuters"},
        "body": "Heavy overnight rain left several low-lying neighbourhoods under water, the "
                "city's disaster management office said.\n"
                "Rescue teams used boats to reach families stranded on rooftops near the "
                "river bank.",
    },
    "aljazeera-2021-7-14.txt": {
        "source": "aljazeera.com",
        "external_id": "2021-7-14-un-water",
        "published": LocalTime(datetime(2021, 7, 14, 18, 46), "Z"),
        "headline": "UN Panel Warns of Shrinking Rivers Across Central Asia",
        "dateline": {"text": "NEW YORK (Al Jazeera)", "place": "New York",
                     "credit": "Al Jazeera"},
        "body": "A United Nations expert panel said on Wednesday that glacier loss was "
                "cutting summer river flows across the region.\n"
                "The panel urged governments to share data on reservoirs and canals.",
    },
    "aljazeera-net-45678.txt": {
        "source": "aljazeera.net",
        "external_id": "45678",
        "published": LocalTime(datetime(2021, 7, 14, 21, 46), None),
        "headline": "افتتاح معرض الدوحة الدولي للكتاب",
        "dateline": {"text": "الدوحة (الجزيرة)", "place": "الدوحة", "credit": "الجزيرة"},
        "body": "افتتح معرض الدوحة الدولي للكتاب أبوابه أمام الزوار يوم الأربعاء.\n"
                "ويشارك في المعرض أكثر من خمسمئة دار نشر من دول عدة.",
    },
    "irna-84391205.txt": {
        "source": "irna.ir",
        "external_id": "84391205",
        "published": LocalTime(datetime(2023, 7, 14, 9, 30), None),
        "headline": "بارش باران در استان\u200cهای شمالی ادامه دارد",
        "dateline": None,
        "body": "به گزارش ایرنا، سازمان هواشناسی اعلام کرد بارش\u200cها تا پایان هفته "
                "ادامه خواهد داشت.\n"
                "رانندگان به احتیاط در جاده\u200cهای کوهستانی توصیه شدند.",
    },
    "apnews-kabul.txt": {
        "source": "apnews.com",
        "external_id": None,
        "published": LocalTime(datetime(2021, 7, 14), None),
        "headline": "Aid Convoy Reaches Northern Province After Road Reopens",
        "dateline": {"text": "KABUL, July 14 (AP)", "place": "Kabul", "credit": "AP"},
        "body": "A convoy of food trucks reached a northern province on Wednesday after "
                "engineers cleared a landslide from the only highway.\n"
                "Officials said more deliveries would follow before winter.",
    },
    "no-source-no-dateline.txt": {
        "source": None,
        "external_id": None,
        "published": None,
        "headline": "NATO Ministers Meet in Brussels on Defence Spending",
        "dateline": None,
        "body": "NATO defence ministers gathered in Brussels on Thursday to review spending "
                "plans - and several promised larger budgets.\n"
                "Diplomats expect a joint statement on Friday.",
    },
    "unknown-date-layout.txt": {
        "source": "thenews.example.org",
        "external_id": "A-77",
        "published": None,
        "headline": "Local Bakery Wins Regional Bread Award",
        "dateline": {"text": "SPIN BOLDAK", "place": "Spin Boldak", "credit": None},
        "body": "A family bakery took first prize at a regional contest on Saturday.",
    },
}


@pytest.mark.parametrize(("name", "expected"), FIXTURES.items(), ids=list(FIXTURES))
def test_fixture_fields(name, expected):
    assert extract((RAW / name).read_text(encoding="utf-8")) == expected


def test_every_fixture_file_is_checked():
    assert sorted(p.name for p in RAW.glob("*.txt")) == sorted(FIXTURES)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_windows_line_endings_bom_and_trailing_space(name):
    text = (RAW / name).read_text(encoding="utf-8")
    windows = "\ufeff" + text.replace("\n", "  \r\n") + "\r\n\r\n"
    assert extract(windows) == FIXTURES[name]


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared sample not present")
def test_real_kayhan_sample():
    fields = extract(SAMPLE.read_text(encoding="utf-8"))
    assert fields["source"] == "kayhan.ir"
    assert fields["external_id"] == "92427"
    assert fields["published"] == LocalTime(datetime(2021, 7, 14, 21, 46), None)
    assert fields["headline"].startswith("Taliban Seize Border")
    assert fields["dateline"] == {"text": "KABUL (Dispatches)", "place": "Kabul",
                                  "credit": "Dispatches"}
    assert not fields["body"].startswith("KABUL")
    assert fields["body"].count("\n") == 14  # 15 paragraphs, one a line
    stamp, basis = resolve_published_at(fields["published"], "Asia/Tehran", "UTC")
    assert (stamp.isoformat(), basis) == ("2021-07-14T21:46:00+04:30", "source_zone")


@pytest.mark.parametrize(("first_line", "source"), [
    ("kayhan.ir", "kayhan.ir"),
    ("www.Dawn.com", "dawn.com"),
    ("https://www.tehrantimes.com/", "tehrantimes.com"),
    ("http://presstv.ir/Detail/2021", "presstv.ir"),
    ("AlJazeera.com.", "aljazeera.com"),
    ("Kayhan International", None),
    ("localhost", None),
])
def test_source_line(first_line, source):
    fields = extract(f"{first_line}\nID: 5\n\nHeadline Here\nBody text.")
    assert fields["source"] == source
    # A first line that is not a domain is the headline itself.
    assert fields["headline"] == ("Headline Here" if source else first_line)


@pytest.mark.parametrize("header", [
    "News ID: 92427", "News ID : 92427", "NewsID:92427", "news id:   92427", "NEWS-ID: 92427",
    "ID: 92427", "id : 92427", "News Code: 92427", "News ID\uff1a 92427",
])
def test_id_header_variants(header):
    fields = extract(f"example.com\n{header}\nPublish Date : 14 July 2021 - 21:46\nHeadline\nBody")
    assert fields["external_id"] == "92427"
    assert fields["headline"] == "Headline"


@pytest.mark.parametrize("header", [
    "Publish Date : 14 July 2021 - 21:46", "Publish Date: 14 July 2021 - 21:46",
    "Published: 14 July 2021 - 21:46", "published on : 14 July 2021 - 21:46",
    "Date: 14 July 2021 - 21:46", "DATE:14 July 2021 - 21:46",
    "Publication date: 14 July 2021 - 21:46",
])
def test_date_header_variants(header):
    fields = extract(f"example.com\nNews ID: 1\n{header}\n\nHeadline\nBody")
    assert fields["published"] == LocalTime(datetime(2021, 7, 14, 21, 46), None)
    assert fields["headline"] == "Headline"


@pytest.mark.parametrize(("value", "local", "offset"), [
    ("14 July 2021 - 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("July 14, 2021 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("Jul. 14, 2021, 9:46 PM", datetime(2021, 7, 14, 21, 46), None),
    ("July 14th 2021 at 12:05 a.m.", datetime(2021, 7, 14, 0, 5), None),
    ("2021-07-14 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("2021/07/14 21:46:30", datetime(2021, 7, 14, 21, 46, 30), None),
    ("2021-07-14T21:46:00+04:30", datetime(2021, 7, 14, 21, 46), "+04:30"),
    ("2021-07-14T17:16:00.250Z", datetime(2021, 7, 14, 17, 16, 0, 250000), "Z"),
    ("2021-07-14T16:46:00-05:00", datetime(2021, 7, 14, 16, 46), "-05:00"),
    ("14/07/2021 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("02/03/2021 08:00", datetime(2021, 3, 2, 8, 0), None),
    ("14.07.2021 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("Wed, 14 Jul 2021 21:46:00 +0430", datetime(2021, 7, 14, 21, 46), "+04:30"),
    ("Wednesday, 14 July 2021 17:16 GMT", datetime(2021, 7, 14, 17, 16), "Z"),
    ("14 Jul 2021 17:16 UTC", datetime(2021, 7, 14, 17, 16), "Z"),
    ("14 Jul 2021 21:46 GMT+4:30", datetime(2021, 7, 14, 21, 46), "+04:30"),
    ("14 Jul 2021 | 21:46", datetime(2021, 7, 14, 21, 46), None),
    ("14 July 2021", datetime(2021, 7, 14), None),
    ("2021-07-14", datetime(2021, 7, 14), None),
    ("Sept 3, 2021", datetime(2021, 9, 3), None),
    ("۱۴ July ۲۰۲۱ - ۲۱:۴۶", datetime(2021, 7, 14, 21, 46), None),
])
def test_date_layouts(value, local, offset):
    assert parse_local_time(value) == LocalTime(local, offset)
    assert extract(item("Body.", date=value))["published"] == LocalTime(local, offset)


@pytest.mark.parametrize("value", [
    "", "yesterday", "21:46", "14 Julember 2021", "31 June 2021 10:00", "2021-07-14 25:00",
    "14/13/2021", "July 14 21:46", "14 July 2021 21:46 IRDT", "2021-07-14 21:46 +25:00",
    "14 July 2021 13:00 PM",
])
def test_unknown_or_impossible_dates_give_none(value):
    assert parse_local_time(value) is None
    assert extract(item("Body.", date=value))["published"] is None


def test_overlong_date_value_is_refused_quickly():
    assert parse_local_time("14 July 2021" + " -" * 50_000 + " x 21:46") is None


@pytest.mark.parametrize(("paragraph", "dateline", "rest"), [
    ("KABUL (Dispatches) – Fighting spread.",
     {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": "Dispatches"}, "Fighting spread."),
    ("KABUL (Dispatches)–Fighting spread.",
     {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": "Dispatches"}, "Fighting spread."),
    ("NEW YORK (AP) — Markets fell.",
     {"text": "NEW YORK (AP)", "place": "New York", "credit": "AP"}, "Markets fell."),
    ("SPIN BOLDAK (AFP/Reuters) - Trucks queued.",
     {"text": "SPIN BOLDAK (AFP/Reuters)", "place": "Spin Boldak", "credit": "AFP/Reuters"},
     "Trucks queued."),
    ("RAWALPINDI, Pakistan (Reuters) -Rain fell.",
     {"text": "RAWALPINDI, Pakistan (Reuters)", "place": "Rawalpindi, Pakistan",
      "credit": "Reuters"}, "Rain fell."),
    ("TEHRAN – Prices rose.", {"text": "TEHRAN", "place": "Tehran", "credit": None},
     "Prices rose."),
    ("DERA ISMAIL KHAN — Schools shut.",
     {"text": "DERA ISMAIL KHAN", "place": "Dera Ismail Khan", "credit": None}, "Schools shut."),
    ("KABUL, July 14 (AP) — Aid arrived.",
     {"text": "KABUL, July 14 (AP)", "place": "Kabul", "credit": "AP"}, "Aid arrived."),
    ("WASHINGTON, D.C., Jul. 14, 2021 (Reuters) - Talks ended.",
     {"text": "WASHINGTON, D.C., Jul. 14, 2021 (Reuters)", "place": "Washington, D.C.",
      "credit": "Reuters"}, "Talks ended."),
    ("AL-QUDS (IRNA) – Rain fell.",
     {"text": "AL-QUDS (IRNA)", "place": "Al-Quds", "credit": "IRNA"}, "Rain fell."),
    ("بيروت – ارتفعت الأسعار.", {"text": "بيروت", "place": "بيروت", "credit": None},
     "ارتفعت الأسعار."),
])
def test_dateline_shapes(paragraph, dateline, rest):
    fields = extract(item(paragraph + "\nSecond paragraph."))
    assert fields["dateline"] == dateline
    assert fields["body"] == rest + "\nSecond paragraph."


@pytest.mark.parametrize("paragraph", [
    "NATO leaders met on Tuesday - and agreed a plan.",
    "THE UNITED NATIONS SAID ON MONDAY - nothing more.",
    "COVID-19 cases rose again this week.",
    "US–Iran talks resumed in Vienna.",
    "UN envoys arrived (quietly) - then left.",
    "Kabul (Dispatches) – lower-case places are not datelines.",
    "BREAKING – A headline-style opener.",
    "KABUL, officials said - the road is open.",
    "KABUL (Dispatches) said on Wednesday that talks would go on.",
    "I – a single letter is no place.",
    "به گزارش ایرنا، بارش ادامه دارد.",
])
def test_not_a_dateline(paragraph):
    fields = extract(item(paragraph))
    assert fields["dateline"] is None
    assert fields["body"] == paragraph


def test_dateline_alone_on_its_line_is_dropped_from_body():
    fields = extract(item("TEHRAN (IRNA) –\nThe text starts here."))
    assert fields["dateline"] == {"text": "TEHRAN (IRNA)", "place": "Tehran", "credit": "IRNA"}
    assert fields["body"] == "The text starts here."


def test_body_paragraphs_trimmed_and_blank_lines_dropped():
    text = "example.com\n\n\nHead  line\t here \n\n   First.   \n\n\n\tSecond.\nThird.\n\n  \n"
    fields = extract(text)
    assert fields["headline"] == "Head line here"
    assert fields["body"] == "First.\nSecond.\nThird."


def test_headline_without_body():
    fields = extract("example.com\nID: 9\nOnly a Headline\n")
    assert (fields["headline"], fields["body"], fields["dateline"]) == ("Only a Headline", "", None)


def test_first_readable_date_header_wins():
    text = "example.com\nPublished: soon\nDate: 2021-07-14 21:46\nDate: 2020-01-01\nHead\nBody"
    assert extract(text)["published"] == LocalTime(datetime(2021, 7, 14, 21, 46), None)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\r\n", "\ufeff", "\ufeff \r\n"])
def test_empty_input_is_not_an_article(text):
    with pytest.raises(NotAnArticle, match="empty input") as caught:
        extract(text)
    assert caught.value.missing == ["headline", "body"]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", [
    "example.com\nHeadline\x00\nBody",
    "\x00",
    "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r\x0b\x0c") * 4 + "Head\nBody",
    "\ufffd\ufffdPNG\ufffd\ufffd\ufffd\x1a\ufffd\ufffd\nIHDR\ufffd",
])
def test_binary_input_is_not_an_article(text):
    with pytest.raises(NotAnArticle, match="binary input") as caught:
        extract(text)
    assert caught.value.missing == ["headline", "body"]


def test_a_few_stray_control_characters_are_tolerated():
    fields = extract(item("One stray \x07 bell in a sentence that is long enough to dilute it."))
    assert fields["headline"] == "A Headline"


@pytest.mark.parametrize("text", ["kayhan.ir", "kayhan.ir\n\nNews ID: 1\nDate: 2021-07-14\n",
                                  "ID: 1\n\n"])
def test_no_headline_is_not_an_article(text):
    with pytest.raises(NotAnArticle, match="no headline found") as caught:
        extract(text)
    assert caught.value.missing == ["headline"]


@pytest.mark.parametrize(("local", "zone", "default", "iso", "utc", "basis"), [
    # Iran kept daylight saving time until 2022: +04:30 in July 2021, +03:30 in July 2023.
    (LocalTime(datetime(2021, 7, 14, 21, 46), None), "Asia/Tehran", "UTC",
     "2021-07-14T21:46:00+04:30", datetime(2021, 7, 14, 17, 16), "source_zone"),
    (LocalTime(datetime(2023, 7, 14, 21, 46), None), "Asia/Tehran", "UTC",
     "2023-07-14T21:46:00+03:30", datetime(2023, 7, 14, 18, 16), "source_zone"),
    (LocalTime(datetime(2021, 1, 14, 21, 46), None), "Asia/Tehran", "UTC",
     "2021-01-14T21:46:00+03:30", datetime(2021, 1, 14, 18, 16), "source_zone"),
    (LocalTime(datetime(2021, 7, 14, 21, 46), None), None, "Asia/Karachi",
     "2021-07-14T21:46:00+05:00", datetime(2021, 7, 14, 16, 46), "default_zone"),
    (LocalTime(datetime(2021, 7, 14, 21, 46), None), "", "Asia/Kathmandu",
     "2021-07-14T21:46:00+05:45", datetime(2021, 7, 14, 16, 1), "default_zone"),
    (LocalTime(datetime(2021, 7, 14, 9, 0), None), None, "UTC",
     "2021-07-14T09:00:00+00:00", datetime(2021, 7, 14, 9, 0), "default_zone"),
    (LocalTime(datetime(2021, 7, 14, 21, 46), None), "America/New_York", "UTC",
     "2021-07-14T21:46:00-04:00", datetime(2021, 7, 15, 1, 46), "source_zone"),
    # A stated offset wins over any zone.
    (LocalTime(datetime(2021, 7, 14, 21, 46), "+04:30"), "America/New_York", "UTC",
     "2021-07-14T21:46:00+04:30", datetime(2021, 7, 14, 17, 16), "stated"),
    (LocalTime(datetime(2021, 7, 14, 17, 16), "Z"), "Asia/Tehran", "UTC",
     "2021-07-14T17:16:00Z", datetime(2021, 7, 14, 17, 16), "stated"),
    (LocalTime(datetime(2021, 7, 14, 17, 16, 0, 250000), "-05:00"), None, "UTC",
     "2021-07-14T17:16:00.25-05:00", datetime(2021, 7, 14, 22, 16, 0, 250000), "stated"),
    # Clocks going back: 01:30 happens twice; fold=0 takes the first, still on -04:00.
    (LocalTime(datetime(2021, 11, 7, 1, 30), None), "America/New_York", "UTC",
     "2021-11-07T01:30:00-04:00", datetime(2021, 11, 7, 5, 30), "source_zone"),
    # Clocks going forward: 02:30 never happens; fold=0 reads it with the -05:00 before.
    (LocalTime(datetime(2021, 3, 14, 2, 30), None), "America/New_York", "UTC",
     "2021-03-14T02:30:00-05:00", datetime(2021, 3, 14, 7, 30), "source_zone"),
])
def test_resolve_published_at(local, zone, default, iso, utc, basis):
    stamp, got_basis = resolve_published_at(local, zone, default)
    assert stamp == Stamp(utc, stamp.offset)
    assert (stamp.isoformat(), got_basis) == (iso, basis)


def test_resolve_old_local_mean_time_keeps_the_wall_time():
    # Tehran ran on local mean time (+03:25:44) until 1946; the offset is kept to the minute.
    stamp, _ = resolve_published_at(LocalTime(datetime(1930, 5, 1, 12, 0), None),
                                    "Asia/Tehran", "UTC")
    assert stamp == Stamp(datetime(1930, 5, 1, 8, 34), "+03:26")
    assert stamp.isoformat() == "1930-05-01T12:00:00+03:26"


@pytest.mark.parametrize(("zone", "default"), [("Mars/Olympus", "UTC"), (None, "Nowhere")])
def test_resolve_unknown_zone(zone, default):
    with pytest.raises(ValueError, match="unknown time zone"):
        resolve_published_at(LocalTime(datetime(2021, 7, 14), None), zone, default)


@pytest.mark.parametrize(("local", "zone"), [
    (LocalTime(datetime(1, 1, 1, 0, 30), None), "Asia/Tehran"),
    (LocalTime(datetime(9999, 12, 31, 23, 0), "-05:00"), None),
])
def test_resolve_outside_the_datetime_range(local, zone):
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        resolve_published_at(local, zone, "UTC")


def test_extract_then_resolve_end_to_end():
    fields = extract((RAW / "irna-84391205.txt").read_text(encoding="utf-8"))
    stamp, basis = resolve_published_at(fields["published"], "Asia/Tehran", "UTC")
    assert (stamp.isoformat(), basis) == ("2023-07-14T09:30:00+03:30", "source_zone")
    assert stamp.utc == datetime(2023, 7, 14, 6, 0)
