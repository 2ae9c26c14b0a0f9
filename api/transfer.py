"""Reading article files for `dateline import` and writing NDJSON for `dateline export`."""

from __future__ import annotations

import csv
import io
import itertools
import json
import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from api.errors import Problem
from api.storage.db import database
from api.storage.models import LIST_FIELDS, Article, articles_from, drop_extracted, whole_rows
from api.web.http import parse_json
from api.web.ingest import article_from_text
from api.writing.bulk import Prepared, Rejected, prepare
from schemas.article import READ_ONLY_FIELDS, ArticleSchema

SUFFIXES = {".txt": "text", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson",
            ".csv": "csv"}
_CSV_LIST_SEPARATOR = ";"
# A body may be 2M characters; the csv module's default field limit is 131,072.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Encoded:
    """One article as JSON text, parsed where it is prepared (in a worker process)."""

    text: bytes


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
    if kind == "ndjson":
        # Read line by line: an NDJSON dump may be larger than memory.
        with path.open("rb") as handle:
            lines = (line for raw_line in handle for line in raw_line.splitlines())
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield Item(f"{path}:{number}", Encoded(line))
        return
    data = path.read_bytes()
    if kind == "text":
        yield Item(str(path), ("text", data))
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


def items_of(paths: Iterable[Path], size: int) -> Iterator[list[Item]]:
    """The items of the files, in lists of size; raw text is extracted on the way, as
    where it was published depends on its source's stored time zone."""
    chunk = []
    for path in paths:
        for item in read_items(path):
            if isinstance(item.value, tuple):
                try:
                    item = Item(item.origin, Prepared(article_from_text(item.value[1])))
                except Problem as problem:
                    item = Item(item.origin, problem)
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def prepared_chunks(chunks: Iterable[list[Item]],
                    jobs: int) -> Iterator[tuple[list[Item], list[Prepared | Rejected]]]:
    """Each chunk with its items prepared (bulk.prepare), in order. With jobs > 1 and
    more than one chunk, the validation and derived fields of later chunks are worked
    out in that many worker processes while the caller writes the earlier ones."""
    chunks = iter(chunks)
    opening = list(itertools.islice(chunks, 2))
    chunks = itertools.chain(opening, chunks)
    if jobs <= 1 or len(opening) < 2:
        for chunk in chunks:
            yield chunk, prepare_values([item.value for item in chunk])
        return
    # A fresh interpreter per worker: nothing of this process's open database goes along.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["api.transfer"])
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker)
    try:
        waiting: deque = deque()
        for chunk in chunks:
            waiting.append((chunk, pool.submit(prepare_values, [item.value for item in chunk])))
            # Two chunks per worker in flight keep the workers busy and memory bounded.
            if len(waiting) > 2 * jobs:
                done, future = waiting.popleft()
                yield done, future.result()
        while waiting:
            done, future = waiting.popleft()
            yield done, future.result()
    finally:
        # On an error or Ctrl-C in the writer, drop the chunks not yet prepared.
        pool.shutdown(cancel_futures=True)


def _start_worker() -> None:
    """Ctrl-C reaches the whole process group: the writer stops the import, the workers
    leave without tracebacks of their own. The gazetteer is read first, so that it
    stays out of the collector's full passes (api.settle_heap)."""
    from api import settle_heap
    from api.text import gazetteer

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gazetteer.load()
    settle_heap()


def prepare_values(values: list) -> list[Prepared | Rejected]:
    """bulk.prepare, parsing Encoded values first."""
    return prepare([_parsed(value.text) if isinstance(value, Encoded) else value
                    for value in values])


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
            basis = item.get("entity_basis")
            if isinstance(basis, dict):  # extracted lists are extracted again
                drop_extracted(item, basis)
            for name in READ_ONLY_FIELDS:
                item.pop(name, None)
    return value


def export_lines(batch_size: int = 1000) -> Iterator[str]:
    """Every article as one NDJSON line, in id order, a page of rows at a time."""
    schema = ArticleSchema()
    after = None
    while True:
        select = whole_rows(Article.select().where(Article.deleted_at.is_null()))
        if after is not None:
            select = select.where(Article.id > after)
        rows = articles_from(database.execute(select.order_by(Article.id).limit(batch_size)))
        for article in rows:
            yield json.dumps(schema.dump(article), ensure_ascii=False) + "\n"
        if len(rows) < batch_size:
            return
        after = rows[-1].id
