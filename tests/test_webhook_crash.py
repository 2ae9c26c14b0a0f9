"""Alerts survive a crash: SIGKILL a served instance while it writes and delivers, start
it again, and every change reaches the receiver at least once, first deliveries in
feed order. Runs on the test run's backend, like the other serve tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.receiving import Receiver
from tests.serving import DATELINE, create_key, free_port, wait_until_up


def _post(port: int, secret: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


class Server:
    def __init__(self, env: dict, port: int):
        self.env, self.port, self.process = env, port, None

    def start(self) -> None:
        # A session of its own, so SIGKILL takes the arbiter and every worker at once.
        self.process = subprocess.Popen(
            [*DATELINE, "serve", "--port", str(self.port), "--workers", "2"], env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until_up(self.port, self.process)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


@pytest.fixture
def receiver():
    started = Receiver().start()
    started.delay = 0.02  # deliveries are under way when the server dies
    yield started
    started.stop()


def test_no_change_is_lost_when_the_server_is_killed_mid_stream(database_url, receiver,
                                                                 sample):
    env = {**os.environ, "DATELINE_DATABASE_URL": database_url,
           "DATELINE_WEBHOOK_ALLOW_PRIVATE": "true", "DATELINE_WEBHOOK_TIMEOUT": "1",
           "DATELINE_WEBHOOK_RETRY_SCHEDULE": ",".join(["1s"] * 20)}
    secret = create_key(env)
    server = Server(env, free_port())
    server.start()
    acknowledged: list[str] = []

    def write(numbers) -> None:
        for n in numbers:
            try:
                created = _post(server.port, secret, "/articles", {
                    **sample, "external_id": str(n), "url": f"https://kayhan.ir/en/news/{n}"})
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return  # the server is gone: this write may or may not have committed
            acknowledged.append(created["id"])

    try:
        _post(server.port, secret, "/subscriptions", {"target_url": receiver.url})
        writer = threading.Thread(target=write, args=(range(200),))
        writer.start()
        deadline = time.monotonic() + 30
        while len(receiver.received) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        writer.join()
        assert len(receiver.received) >= 10, "nothing was delivered before the kill"
        killed_at = len(acknowledged)

        server.start()
        write(range(1000, 1020))
        expected = set(acknowledged)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            received = {json.loads(body)["data"]["id"] for body in receiver.bodies()}
            if expected <= received:
                break
            time.sleep(0.2)
    finally:
        server.stop()

    payloads = [json.loads(body) for body in receiver.bodies()]
    first_seen: dict[str, int] = {}
    for payload in payloads:
        seq = int(payload["data"]["position"].rpartition("-")[2])
        first_seen.setdefault(payload["data"]["id"], seq)
    assert killed_at < len(acknowledged)
    assert set(acknowledged) <= set(first_seen), "an acknowledged change was never delivered"
    # In feed order by first delivery: a repeat is only ever a change sent again.
    order = list(first_seen.values())
    assert order == sorted(order)
    assert {payload["type"] for payload in payloads} == {"article.created"}
