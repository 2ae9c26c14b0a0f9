"""Reading article files for `dateline import` and writing NDJSON for `dateline export`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from schemas.article import READ_ONLY_FIELDS, ArticleSchema

from .errors import Problem
from .http import parse_json
from .models import LIST_FIELDS, Article
from .store import annotate_duplicates

SUFFIXES = {".txt": "text", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
            ".csv": "csv"}
_CSV_LIST_SEPARATOR = ";"
# A body may be 2M characters; the csv module's default field limit is 131,072.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Item:
    """One article read from a file: a raw value to validate, or why it is unreadable."""

    origin: str
    value: object


def article_files(paths: list[Path]) -> list[Path]:
    """The files named, and the article files inside the folders named, in a stable order."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


def _csv_row(row: dict) -> dict:
    item = {name: value for name, value in row.items() if name and value not in ("", None)}
    for name in LIST_FIELDS:
        if name in item:
            item[name] = [part.strip() for part in item[name].split(_CSV_LIST_SEPARATOR)
                          if part.strip()]
    dateline = {part: item.pop(f"dateline_{part}") for part in ("text", "place", "credit")
                if f"dateline_{part}" in item}
    if dateline:
        item["dateline"] = dateline
    return item


def read_items(path: Path) -> Iterator[Item]:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        yield Item(str(path), Problem(422, f"Unknown file type {path.suffix!r}; expected "
                                           f"{', '.join(sorted(SUFFIXES))}."))
        return
    data = path.read_bytes()
    if kind == "text":
        yield Item(str(path), ("text", data))
    elif kind == "ndjson":
        for number, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                yield Item(f"{path}:{number}", _parsed(line))
    elif kind == "json":
        value = _parsed(data)
        values = value if isinstance(value, list) else [value]
        for number, item in enumerate(values, start=1):
            yield Item(f"{path}[{number}]", item)
    else:
        try:
            rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
            for number, row in enumerate(rows, start=2):
                yield Item(f"{path}:{number}", _csv_row(row))
        except (UnicodeDecodeError, csv.Error) as error:
            yield Item(str(path), Problem(422, f"Not a readable CSV file: {error}."))


def _parsed(data: bytes):
    """A JSON value from a file. Server-set fields (as in `dateline export` output) are
    dropped and derived again, so an export imports back into any database."""
    try:
        value = parse_json(data)
    except Problem as problem:
        return problem
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            for name in READ_ONLY_FIELDS:
                item.pop(name, None)
    return value


def export_lines(batch_size: int = 1000) -> Iterator[str]:
    """Every article as one NDJSON line, in id order, a page of rows at a time."""
    schema = ArticleSchema()
    after = ""
    while True:
        rows = annotate_duplicates(list(
            Article.select().where((Article.id > after) & Article.deleted_at.is_null())
            .order_by(Article.id).limit(batch_size)))
        for article in rows:
            yield json.dumps(schema.dump(article), ensure_ascii=False) + "\n"
        if len(rows) < batch_size:
            return
        after = rows[-1].id
