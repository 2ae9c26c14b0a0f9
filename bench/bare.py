"""The throughput ceiling: a bare Flask app returning a fixed JSON document, served by
gunicorn with the same settings as `dateline serve` (see bench.reads)."""

from __future__ import annotations

from flask import Flask, jsonify

from api.server import THREADS

DOCUMENT = {"id": "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f", "headline": "A fixed document",
            "source": "bench.example", "published_at": "2021-07-14T21:46:00+04:30",
            "tags": ["bench"], "version": 1}

app = Flask(__name__)


@app.get("/articles/<article_id>")
def article(article_id):
    return jsonify(DOCUMENT)


def gunicorn_command(port: int, workers: int = 2) -> list[str]:
    return ["gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "api.worker.Worker", "--threads", str(THREADS), "bench.bare:app"]
