"""Two `dateline serve` instances sharing one PostgreSQL database, as behind a load balancer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.serving import DATELINE, create_key, free_port, wait_until_up

_KEY = {}


def _call(base: str, method: str, path: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {_KEY['secret']}",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or "null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or "null")


@pytest.fixture
def fleet(postgres_url, database_url):
    if postgres_url is None:
        pytest.skip("the fleet runs on PostgreSQL: set DATELINE_TEST_DATABASE_URL")
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url}
    _KEY["secret"] = create_key(env)
    instances = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(port, process)
        instances.append((f"http://127.0.0.1:{port}", process))
    yield instances
    for _, process in instances:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_write_through_one_read_through_the_other(fleet, sample):
    (first, _), (second, _) = fleet

    status, _, created = _call(first, "POST", "/articles", sample)
    _, _, read = _call(second, "GET", f"/articles/{created['id']}")
    _, _, listed = _call(second, "GET", "/articles?source=kayhan.ir")

    assert status == 201
    assert read == created
    assert [item["id"] for item in listed["items"]] == [created["id"]]


def test_racing_conditional_writes_across_instances_have_one_winner(fleet, sample):
    (first, _), (second, _) = fleet
    _, headers, created = _call(first, "POST", "/articles", sample)
    etag = headers["ETag"]

    def patch(number):
        base = (first, second)[number % 2]
        return _call(base, "PATCH", f"/articles/{created['id']}",
                     {"headline": f"Edit {number}"}, {"If-Match": etag})[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(patch, range(16)))

    assert sorted(statuses) == [200] + [412] * 15
    assert _call(second, "GET", f"/articles/{created['id']}")[2]["version"] == 2


def test_ids_never_collide_across_instances(fleet, sample):
    (first, _), (second, _) = fleet

    def create(number):
        base = (first, second)[number % 2]
        return _call(base, "POST", "/articles",
                     {**sample, "external_id": str(number), "url": None})[2]["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create, range(60)))

    assert len(set(ids)) == 60
    assert _call(first, "GET", "/sources/kayhan.ir")[2]["article_count"] == 60


def test_one_instance_stops_mid_load_and_the_other_keeps_serving(fleet, sample):
    (first, first_process), (second, _) = fleet
    _, _, created = _call(first, "POST", "/articles", sample)
    failures, answered, stop = [], [], threading.Event()

    def load():
        while not stop.is_set():
            status = _call(second, "GET", f"/articles/{created['id']}")[0]
            (answered if status == 200 else failures).append(status)

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    first_process.send_signal(signal.SIGTERM)
    assert first_process.wait(timeout=30) == 0
    time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join()

    assert failures == []
    assert len(answered) > 20
