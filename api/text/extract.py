"""Turn a raw news-item dump into article fields.

A dump is a line naming the site, a few header lines (news ID, publish date), the
headline, then the body, whose first paragraph may open with a dateline such as
``KABUL (Dispatches) -`` (hyphen, en or em dash). Everything here is pure: no I/O,
standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.fields import Stamp, normalise_domain, parse_rfc3339


class NotAnArticle(ValueError):
    """The text is not a news item; .missing names the fields that could not be found."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = list(missing)


@dataclass(frozen=True)
class LocalTime:
    """A wall-clock time as printed, and an offset only if the text states one."""

    value: datetime  # naive
    stated_offset: str | None  # 'Z' or '+HH:MM'


# --- the dump's first lines ---------------------------------------------------------

_SOURCE_LINE = re.compile(r"^(?:https?://)?(?:www\.)?(?P<host>[^\s/:?#]+)(?::\d+)?(?:[/?#]\S*)?$",
                          re.IGNORECASE)
_HEADER = re.compile(
    r"^(?:(?P<id>news[\s_-]*(?:id|code)|id)"
    r"|(?P<date>publish(?:ed)?(?:\s*(?:date|on|at))?|publication\s*date|date))"
    r"\s*[:\uff1a]\s*(?P<value>.*)$", re.IGNORECASE)

# --- dates ---------------------------------------------------------------------------

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*", re.IGNORECASE)
# The time and any zone sit at the end of the value, whatever the date layout before them.
_TIME_AND_ZONE = re.compile(r"""
    (?<![\d:])(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d+))?)?
    \s*(?P<ampm>[ap]\.?m\.?)?
    \s*(?P<zone>z|utc|gmt|(?:utc|gmt)?\s*(?P<sign>[+-])(?P<oh>\d{1,2}):?(?P<om>\d{2})?)?
    \s*$""", re.IGNORECASE | re.VERBOSE)
# What sites put between a date and its time: '14 July 2021 - 21:46', '14 Jul 2021 | 21:46'.
_DATE_TIME_GLUE = re.compile(r"(?:[\s,|@\u2013\u2014-]|\bat\b|(?<=\d)T)+$", re.IGNORECASE)
_ORDINAL = r"(?:st|nd|rd|th)?"
# No layout is longer; the cap also keeps the regexes' work on a hostile line small.
_MAX_DATE_CHARS = 80
_DATE_LAYOUTS = (
    re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"),
    # Numeric dates with the year last are read day first, as the sites we take print them.
    re.compile(r"(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})"),
    re.compile(rf"(?P<day>\d{{1,2}}){_ORDINAL}\s+(?P<month>[A-Za-z]{{3,9}})\.?,?\s+(?P<year>\d{{4}})"),
    re.compile(rf"(?P<month>[A-Za-z]{{3,9}})\.?\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})"),
)

# --- datelines -------------------------------------------------------------------------

_PLACE_WORD = r"[^\W\d_][\w.'\u2019-]*"
_DATELINE = re.compile(rf"""
    (?P<text>
      (?P<city>{_PLACE_WORD}(?:\ {_PLACE_WORD}){{0,4}})
      (?:,\ *(?P<region>{_PLACE_WORD}(?:\ {_PLACE_WORD}){{0,3}}))?
      (?:,\ *(?P<date>[A-Za-z]{{3,9}}\.?\ \d{{1,2}}(?:,\ \d{{4}})?
                     |\d{{1,2}}\ [^\W\d_]{{3,9}}\.?(?:\ \d{{4}})?))?
      (?:\ *\((?P<credit>[^()\n]{{1,80}})\))?
    )
    (?P<dash>\ *[-\u2013\u2014]\ *)
    """, re.VERBOSE)
# All-caps words that open a paragraph and take a dash, yet name no place.
_NOT_PLACES = frozenset({"BREAKING", "UPDATE", "UPDATED", "EXCLUSIVE", "ANALYSIS", "OPINION",
                         "EDITORIAL", "WATCH", "VIDEO", "PHOTOS"})

# Control, surrogate, private-use and unassigned code points; format characters (Cf) are
# not among them, since Persian text needs the zero-width non-joiner.
_BINARY_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_MAX_BINARY_SHARE = 0.1


def extract(text: str) -> dict:
    """Article fields from a raw dump; raise NotAnArticle when it holds no news item.

    Returns source (lower-case domain or None), external_id (str or None), published
    (LocalTime or None when absent or in an unknown layout), headline, dateline
    ({"text", "place", "credit"} or None) and body: one paragraph a line, the dateline
    taken off the first.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise NotAnArticle("empty input: no headline and no body", ["headline", "body"])
    if _looks_binary(text):
        raise NotAnArticle("binary input: NUL or mostly non-printable characters",
                           ["headline", "body"])
    lines = [line.strip() for line in text.splitlines()]
    position = next(i for i, line in enumerate(lines) if line)
    source = _source(lines[position])
    if source is not None:
        position += 1

    external_id, published, position = _read_headers(lines, position)
    if position is None:
        raise NotAnArticle("no headline found", ["headline"])
    headline = " ".join(lines[position].split())
    paragraphs = [line for line in lines[position + 1:] if line]
    dateline = None
    if paragraphs:
        dateline, rest = _split_dateline(paragraphs[0])
        paragraphs[0:1] = [rest] if rest else []
    return {"source": source, "external_id": external_id, "published": published,
            "headline": headline, "dateline": dateline, "body": "\n".join(paragraphs)}


def _read_headers(lines: list[str], start: int) -> tuple[str | None, LocalTime | None, int | None]:
    """The news ID and publish time from the header block, and the headline's line index."""
    external_id = published = None
    for index in range(start, len(lines)):
        header = _HEADER.match(lines[index])
        if header is None:
            if lines[index]:
                return external_id, published, index
        elif header["id"]:
            external_id = external_id or _ascii_digits(header["value"].strip()) or None
        else:
            # A later date header (say 'Date:' after 'Published:') counts only if the first
            # could not be read.
            published = published or parse_local_time(header["value"])
    return external_id, published, None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    # U+FFFD counts too: it is what undecodable bytes become when decoded with 'replace'.
    bad = sum(1 for char in text if char not in "\t\n\r\f\v" and (
        char == "\ufffd" or unicodedata.category(char) in _BINARY_CATEGORIES))
    return bad > _MAX_BINARY_SHARE * len(text)


def _source(line: str) -> str | None:
    match = _SOURCE_LINE.match(line)
    return normalise_domain(match["host"]) if match else None


def _ascii_digits(value: str) -> str:
    # Persian and Arabic sites print IDs in their own digits; the API keys on ASCII ones.
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None
                   else c for c in value)


def parse_local_time(value: str) -> LocalTime | None:
    """The wall-clock time a header value names, or None for a layout not known here."""
    value = " ".join(value.split())
    if len(value) > _MAX_DATE_CHARS:
        return None
    clock = _TIME_AND_ZONE.search(value)
    if clock is None or clock.start() == 0:
        date_part, clock = value, None
    else:
        date_part = _DATE_TIME_GLUE.sub("", value[:clock.start()])
    try:
        date = _parse_date(_WEEKDAY.sub("", date_part))
        if clock is None:
            return LocalTime(date, None)  # a date alone is taken as local midnight
        return LocalTime(_at_clock_time(date, clock), _stated_offset(clock))
    except ValueError:  # no known layout, or an impossible day, hour or offset
        return None


def _parse_date(text: str) -> datetime:
    for layout in _DATE_LAYOUTS:
        match = layout.fullmatch(text)
        if match:
            month = _month_number(match["month"]) or 0  # 0: datetime refuses unknown names
            return datetime(int(match["year"]), month, int(match["day"]))
    raise ValueError(text)


def _month_number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    word = token.lower()
    if len(word) < 3:
        return None
    return next((i for i, name in enumerate(_MONTHS, 1) if name.startswith(word)), None)


def _at_clock_time(date: datetime, clock: re.Match) -> datetime:
    hour = int(clock["hour"])
    if clock["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(clock["ampm"])
        hour = hour % 12 + (12 if clock["ampm"][0] in "pP" else 0)
    micro = int((clock["frac"] or "0").ljust(6, "0")[:6])
    return date.replace(hour=hour, minute=int(clock["minute"]),
                        second=int(clock["second"] or 0), microsecond=micro)


def _stated_offset(clock: re.Match) -> str | None:
    if not clock["zone"]:
        return None
    if not clock["sign"]:
        return "Z"
    hours, minutes = int(clock["oh"]), int(clock["om"] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(clock["zone"])
    return f"{clock['sign']}{hours:02d}:{minutes:02d}"


def _split_dateline(paragraph: str) -> tuple[dict | None, str]:
    """The dateline opening a paragraph and the rest, or (None, paragraph) when there is none."""
    match = _DATELINE.match(paragraph)
    if match is None:
        return None, paragraph
    city, region, credit = match["city"], match["region"], match["credit"]
    letters = [c for c in city if c.isalpha()]
    # A dateline's place is printed in capitals (uncased scripts such as Arabic pass);
    # a capitalised sentence opening merely stops at its first lower-case word.
    if len(letters) < 2 or city != city.upper() or city in _NOT_PLACES:
        return None, paragraph
    if region and any(word[0].islower() for word in region.split()):
        return None, paragraph
    if match["date"] and _month_number(match["date"].split()[0].rstrip(".")) is None:
        return None, paragraph
    # Without a credit to close it, an unspaced dash is a compound (COVID-19, US-Iran).
    if not credit and match["dash"] == match["dash"].strip():
        return None, paragraph
    place = city.title() if any(c.isupper() for c in letters) else city
    if region:
        place = f"{place}, {region}"
    dateline = {"text": match["text"].strip(), "place": place,
                "credit": (credit or "").strip() or None}
    return dateline, paragraph[match.end():]


def resolve_published_at(local: LocalTime, zone_name: str | None, default_zone: str,
                         inferred_zone: str | None = None) -> tuple[Stamp, str]:
    """The instant a local time names, with its offset, and the basis used.

    The basis is 'stated' when the text printed an offset, else 'source_zone' when the
    source has a time zone, else 'inferred_zone' when its domain implies one, else
    'default_zone'. Zones are IANA names read with zoneinfo.
    A wall time that happens twice (clocks going back) or never (clocks going forward) is
    read with fold=0: the offset in force before the change. The offset is whole minutes,
    so the Stamp prints back the wall time as given even for old local-mean-time offsets.
    """
    if local.stated_offset is not None:
        return parse_rfc3339(local.value.isoformat() + local.stated_offset), "stated"
    name, basis = ((zone_name, "source_zone") if zone_name
                   else (inferred_zone, "inferred_zone") if inferred_zone
                   else (default_zone, "default_zone"))
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    delta = local.value.replace(tzinfo=zone, fold=0).utcoffset()
    minutes = round(delta.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return parse_rfc3339(local.value.isoformat() + offset), basis

