"""The `dateline` command: serving under gunicorn, migrations, settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.serving import DATELINE, free_port, wait_until_up


def _run(args, env, **kwargs):
    return subprocess.run([*DATELINE, *args], env=env, capture_output=True, text=True,
                          timeout=60, **kwargs)


@pytest.fixture
def env(database_url):
    return {**os.environ, "DATELINE_DATABASE_URL": database_url}


def _printed_key(process) -> str:
    """The write key a first start prints (it comes before the server's own lines)."""
    for _ in range(50):
        line = process.stdout.readline()
        if line.startswith("dl_"):
            return line.strip()
    pytest.fail("serve did not print a write key on a database without keys")


def test_serve_answers_and_stops_cleanly_on_sigterm(env, sample):
    port = free_port()
    process = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        secret = _printed_key(process)
        wait_until_up(port, process)
        anonymous = urllib.request.Request(
            f"http://127.0.0.1:{port}/articles", data=json.dumps(sample).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(anonymous, timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/articles", data=json.dumps(sample).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
            method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
            created = json.load(response)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/articles/{created['id']}",
                                    timeout=5) as response:
            assert json.load(response) == created
            assert "Server" not in response.headers
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        for _ in range(30):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Shutting down" in output
    # Both workers' counts, whichever worker answered the scrape.
    assert ('dateline_http_requests_total{method="GET",route="/healthz",status="200"} 30.0'
            in metrics)
    request_lines = [json.loads(line) for line in output.splitlines()
                     if line.startswith("{") and '"logger": "dateline.access"' in line]
    assert {line["route"] for line in request_lines} >= {"/articles", "/healthz", "/metrics"}


def test_a_request_line_too_long_for_the_server_is_refused_as_a_problem_document(env):
    port = free_port()
    process = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, process)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/articles?tag={'a' * 9000}",
                                   timeout=5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert refused.value.code == 414
    assert refused.value.headers["Content-Type"] == "application/problem+json"
    assert json.load(refused.value)["status"] == 414


def test_bad_setting_stops_the_server_with_a_clear_message(env):
    result = _run(["serve"], {**env, "DATELINE_WORKERS": "many"})

    assert result.returncode != 0
    assert "DATELINE_WORKERS='many' is not valid" in result.stderr


def test_serve_refuses_pending_migrations_when_auto_migrate_is_off(tmp_path):
    env = {**os.environ, "DATELINE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
           "DATELINE_AUTO_MIGRATE": "false"}

    result = _run(["serve", "--port", str(free_port())], env)

    assert result.returncode != 0
    assert "dateline db upgrade" in result.stderr


def test_db_upgrade_then_status(tmp_path):
    env = {**os.environ, "DATELINE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}

    before = _run(["db", "status"], env)
    first = _run(["db", "upgrade"], env)
    second = _run(["db", "upgrade"], env)
    after = _run(["db", "status"], env)

    assert "0001 pending" in before.stdout
    assert "applied migration 0001" in first.stdout
    assert "up to date" in second.stdout
    assert "0001 applied" in after.stdout


def test_readme_documents_every_setting():
    from pathlib import Path

    from api.config import SETTINGS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert [s.env for s in SETTINGS if f"| `{s.env}` |" not in readme] == []


def test_held_long_polls_and_streams_do_not_stall_sixteen_busy_clients(env, sample):
    """Every thread a waiting client holds is one fewer for everyone else: with each
    worker's waiting allowance taken by long polls and event streams, sixteen clients on
    keep-alive connections still get every answer, and promptly."""
    import http.client
    import threading
    import time

    from api.resources.changes import WAITING_PER_WORKER

    port = free_port()
    process = subprocess.Popen([*DATELINE, "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    waiting, answers, slowest = [], [], [0.0]
    try:
        wait_until_up(port, process)

        def hold(path, headers):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers=headers)
            waiting.append(connection.getresponse().status)

        holders = [threading.Thread(target=hold, args=(path, headers)) for path, headers in [
            ("/changes?feed=longpoll&timeout=4", {}),
            ("/changes?timeout=4", {"Accept": "text/event-stream"}),
        ] * (2 * WAITING_PER_WORKER)]
        for thread in holders:
            thread.start()
        time.sleep(0.5)

        def busy():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for _ in range(15):
                started = time.monotonic()
                connection.request("GET", "/articles?limit=5")
                response = connection.getresponse()
                response.read()
                answers.append(response.status)
                slowest[0] = max(slowest[0], time.monotonic() - started)
                if response.getheader("Connection") == "close":
                    connection.close()

        clients = [threading.Thread(target=busy) for _ in range(16)]
        for thread in clients:
            thread.start()
        for thread in clients + holders:
            thread.join(timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert answers == [200] * 16 * 15
    assert slowest[0] < 2, slowest
    # Some of the waiting clients held a thread until their timeout; the rest were told
    # at once to come back later.
    assert len(waiting) == 4 * WAITING_PER_WORKER
    assert set(waiting) <= {200, 503}
    assert 200 in waiting
