"""What one article costs to ingest, step by step, and the rates those costs allow.

    python -m bench.floors [--articles 5000]

Each step runs alone in one thread over the same bench.synthetic articles (which
carry their language, so language detection is not among them): reading the NDJSON
line and each part of bulk.prepare (validation and the derived fields), in CPU time;
and the write into a fresh SQLite database by three paths, in elapsed time with its
commits: the article's text alone into a bare table, the same with an FTS5 index kept
by trigger, and Dateline's own bulk write (write_prepared, with bulk_loading's final
checkpoint).

Two ceilings follow. An import spends every one of these CPU seconds somewhere, so
CPUs ÷ (their sum) bounds its rate however the steps are spread over processes; and
SQLite has one writer, so no import outruns 1 ÷ (the write). Writes
bench/results/floors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from api.storage.migrations.m0006_search import _SQLITE as _FTS5_STATEMENTS
from bench.synthetic import articles

RESULTS = Path(__file__).resolve().parent / "results"
_CHUNK = 1000
_FTS5_INDEX_AND_INSERT_TRIGGER = _FTS5_STATEMENTS[:2]


def _micros_each(step: Callable, values: list) -> float:
    """CPU µs per value."""
    started = time.process_time()
    for value in values:
        step(value)
    return (time.process_time() - started) / len(values) * 1e6


def _micros_per_chunk(step: Callable[[list], object], values: list,
                      clock: Callable[[], float] = time.process_time) -> float:
    started = clock()
    for start in range(0, len(values), _CHUNK):
        step(values[start:start + _CHUNK])
    return (clock() - started) / len(values) * 1e6


def prepare_steps(lines: list[str]) -> dict[str, float]:
    """CPU µs per article of each part of bulk.prepare, and of the whole of it."""
    import hashlib

    from api.text import similarity
    from api.text.entities import extract_entities
    from api.text.words import word_count
    from api.writing import bulk
    from api.writing.store import folded_body
    from schemas.article import ArticleInputSchema
    from schemas.fields import fold_name

    items = [json.loads(line) for line in lines]
    schema = ArticleInputSchema()
    datas = [schema.load(item) for item in items]
    bodies = [data["body"] for data in datas]
    folded = [fold_name(body) for body in bodies]
    folded_body.cache_clear()
    return {
        "parse_json_line": _micros_each(json.loads, lines),
        "validate_marshmallow": _micros_each(schema.load, items),
        "word_count": _micros_each(word_count, bodies),
        "fold_body": _micros_each(fold_name, bodies),
        "content_hash_of_folded": _micros_each(
            lambda text: hashlib.sha256(text.encode()).hexdigest(), folded),
        "minhash_signature": _micros_each(similarity.signature, folded),
        "extract_entities": _micros_each(
            lambda data: extract_entities(data["headline"], data["body"],
                                          data.get("dateline"), data.get("language")), datas),
        "prepare_whole": _micros_per_chunk(bulk.prepare, items),
    }


def extraction_per_thousand_words(article_words: int = 0) -> float:
    """CPU µs the entity extractor spends per 1,000 words of the hand-written wire items
    in bench/data (real prose: synthetic bodies are not); with article_words, on
    articles of at least that many words made by joining consecutive items (the items
    run to about 450 words, and each article pays a fixed cost once)."""
    from api.text.entities import extract_entities
    from api.text.extract import extract
    from bench.entities import load

    items = [extract(item["text"]) for name in ("dev", "heldout") for item in load(name)]
    texts, joined, joined_words = [], [], 0
    for item in items:
        joined.append(item)
        joined_words += len(f"{item['headline']} {item['body']}".split())
        if joined_words >= article_words:
            texts.append((joined[0]["headline"], "\n".join(i["body"] for i in joined),
                          joined[0]["dateline"]))
            joined, joined_words = [], 0
    words = sum(len(f"{headline} {body}".split()) for headline, body, _ in texts)
    for headline, body, dateline in texts:  # warm: the gazetteer loads once per process
        extract_entities(headline, body, dateline, "en")
    rounds, best = 10, float("inf")
    for _ in range(3):  # the least disturbed of three measures
        started = time.process_time()
        for _ in range(rounds):
            for headline, body, dateline in texts:
                extract_entities(headline, body, dateline, "en")
        best = min(best, time.process_time() - started)
    return best / rounds / words * 1000 * 1e6


def _fresh_sqlite(folder: Path, name: str) -> sqlite3.Connection:
    connection = sqlite3.connect(folder / name, isolation_level=None)
    connection.execute("PRAGMA journal_mode = wal")
    connection.execute("PRAGMA synchronous = full")
    return connection


def text_insert_steps(folder: Path, lines: list[str]) -> dict[str, float]:
    """Elapsed µs per article of inserting headline, summary and body into a bare
    table, with and without an FTS5 index kept by trigger (migration 6's),
    committed per chunk."""
    rows = [(item["headline"], item.get("summary"), item["body"])
            for item in map(json.loads, lines)]
    found = {}
    for name, indexed in (("insert_text_bare", False), ("insert_text_with_fts5", True)):
        connection = _fresh_sqlite(folder, f"{name}.db")
        connection.execute("CREATE TABLE article (headline, summary, body)")
        if indexed:
            # Dateline's own index and insert trigger, as its migration creates them.
            for statement in _FTS5_INDEX_AND_INSERT_TRIGGER:
                connection.execute(statement)

        def insert(chunk: list, connection=connection) -> None:
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO article (headline, summary, body) VALUES (?, ?, ?)", chunk)
            connection.execute("COMMIT")

        found[name] = _micros_per_chunk(insert, rows, time.perf_counter)
        connection.close()
    return found


def dateline_write(folder: Path, lines: list[str]) -> float:
    """Elapsed µs per article of write_prepared into a fresh SQLite database, as
    `dateline import` calls it, items prepared beforehand."""
    from api.app import create_app
    from api.storage.db import bulk_loading, database
    from api.storage.migrations import upgrade
    from api.web.http import item_preconditions
    from api.writing.bulk import prepare, write_prepared

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'dateline.db'}"})
    prepared = prepare([json.loads(line) for line in lines])
    with app.app_context():
        database.connect(reuse_if_open=True)
        upgrade(database.obj)
        started = time.perf_counter()
        with bulk_loading():
            for start in range(0, len(prepared), _CHUNK):
                write_prepared(prepared[start:start + _CHUNK], item_preconditions())
        micros = (time.perf_counter() - started) / len(prepared) * 1e6
        database.close()
    return micros


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    lines = [json.dumps(item, ensure_ascii=False) for item in articles(args.articles, seed=13)]
    with tempfile.TemporaryDirectory() as folder:
        micros = prepare_steps(lines)
        micros["extract_entities_per_1000_words_of_wire_copy"] = extraction_per_thousand_words()
        micros["extract_entities_per_1000_word_article"] = extraction_per_thousand_words(1000)
        micros |= text_insert_steps(Path(folder), lines)
        micros["dateline_write"] = dateline_write(Path(folder), lines)
    cpus = len(os.sched_getaffinity(0))
    per_article = micros["parse_json_line"] + micros["prepare_whole"] + micros["dateline_write"]
    report = {
        "articles": args.articles,
        "mean_body_bytes": round(sum(len(json.loads(line)["body"].encode()) for line in lines)
                                 / len(lines)),
        "cpus": cpus,
        "micros_per_article": {name: round(value, 1) for name, value in micros.items()},
        "ceiling_all_cpus_per_second": round(cpus * 1e6 / per_article),
        "ceiling_one_writer_per_second": round(1e6 / micros["dateline_write"]),
        "ceiling_text_and_fts5_alone_per_second": round(1e6 / micros["insert_text_with_fts5"]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "floors.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
