"""Reproducible synthetic articles (fixed seed) for the benchmarks."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

SOURCES = [f"{name}.example" for name in (
    "kayhan", "presstv", "tehrantimes", "dawn", "tolonews", "aljazeera", "irna", "mehrnews",
    "arabnews", "thenational", "gulfnews", "hurriyet", "express", "khaama", "ariananews",
    "pajhwok", "geo", "samaa", "isna", "farsnews")]
ZONES = ["Asia/Tehran", "Asia/Karachi", "Asia/Kabul", "Asia/Dubai", "Europe/Istanbul", "UTC"]
PEOPLE = ["Ashraf Ghani", "Zamir Kabulov", "Arif Kakar", "Imran Khan", "Ebrahim Raisi",
          "Hassan Rouhani", "Javad Zarif", "Shah Mahmood Qureshi", "Zalmay Khalilzad",
          "محمد جواد ظریف", "ابراهیم رئیسی", "عبدالله عبدالله", "حامد کرزی", "Recep Erdoğan",
          "Mohammed bin Salman", "Emmanuel Macron", "Olaf Scholz", "Xi Jinping", "Narendra Modi",
          "Sergey Lavrov", "Antony Blinken", "Josep Borrell", "أنطونيو غوتيريش", "Tamim bin Hamad"]
PLACES = ["Kabul", "Kandahar", "Herat", "Spin Boldak", "Chaman", "Quetta", "Peshawar",
          "Tehran", "Mashhad", "Islamabad", "Karachi", "Doha", "Dubai", "Istanbul", "Moscow",
          "Balkh Province", "کابل", "تهران", "مشهد", "قندهار", "Washington", "Brussels"]
ORGANISATIONS = ["Taliban", "NATO", "United Nations", "European Union", "OPEC", "Red Crescent",
                 "World Bank", "IMF", "سازمان ملل", "Shanghai Cooperation Organisation"]
AGENCIES = ["Al Jazeera", "Reuters", "AFP", "AP", "Sputnik", "IRNA", "Tasnim", "Xinhua"]
WORDS = (
    "the", "officials", "said", "on", "tuesday", "that", "border", "crossing", "trade",
    "talks", "resumed", "after", "weeks", "of", "tension", "between", "the", "two",
    "neighbours", "while", "markets", "reported", "rising", "prices", "for", "fuel", "wheat",
    "and", "medicine", "as", "convoys", "waited", "at", "the", "frontier", "and", "elders",
    "called", "for", "calm", "in", "the", "province", "where", "fighting", "had", "displaced",
    "thousands", "of", "families", "according", "to", "aid", "agencies", "working", "in",
    "the", "region",
)


def articles(count: int, seed: int = 7, entity_lists: bool = True):
    """Yield count article dicts: ~20 sources, ~200 tags, dates over 10 years.
    entity_lists=False leaves people, places, organisations and cited_sources out,
    so that a write extracts them from the text."""
    rng = random.Random(seed)
    tags = [f"topic-{number:03d}" for number in range(200)]
    start = datetime(2015, 1, 1, tzinfo=UTC)
    for number in range(count):
        source = rng.choice(SOURCES)
        words = rng.randint(300, 1500)
        body = " ".join(rng.choices(WORDS, k=words))
        published = start + timedelta(seconds=rng.randrange(10 * 365 * 86400))
        article = {
            "source": source,
            "external_id": str(number),
            "url": f"https://{source}/news/{number}",
            "headline": f"Story {number}: " + " ".join(rng.choices(WORDS, k=8)),
            "body": body,
            "language": "en",
            "published_at": published.isoformat().replace("+00:00", "Z"),
            "dateline": {"text": "KABUL (Dispatches)", "place": "Kabul", "credit": "Dispatches"},
            "tags": rng.sample(tags, rng.randint(1, 4)),
            "people": rng.sample(PEOPLE, rng.randint(0, 3)),
            "places": rng.sample(PLACES, rng.randint(1, 3)),
            "organisations": rng.sample(ORGANISATIONS, rng.randint(0, 2)),
            "cited_sources": rng.sample(AGENCIES, rng.randint(0, 2)),
        }
        if not entity_lists:
            for name in ("people", "places", "organisations", "cited_sources"):
                del article[name]
        yield article


def write_ndjson(path: str, count: int, seed: int = 7, entity_lists: bool = True) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles(count, seed, entity_lists):
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
