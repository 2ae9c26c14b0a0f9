"""The change feed: a strict order that lets a client rebuild the collection exactly."""

from __future__ import annotations

import random
import threading
import time

from api.storage.models import Article
from api.writing.journal import new_feed_epoch


def _feed(client, url="/changes"):
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.json


def test_feed_lists_every_change_in_order(client, create):
    created = create()
    client.patch(f"/articles/{created['id']}", json={"summary": "changed"})
    client.delete(f"/articles/{created['id']}")

    page = _feed(client)

    assert [(c["id"], c["op"], c["version"]) for c in page["changes"]] == [
        (created["id"], "created", 1), (created["id"], "updated", 2),
        (created["id"], "deleted", 3)]
    seqs = [c["seq"] for c in page["changes"]]
    assert all(isinstance(seq, str) for seq in seqs)
    assert page["last_seq"] == seqs[-1]
    assert _feed(client, f"/changes?since={seqs[0]}")["changes"][0]["seq"] == seqs[1]


def test_an_idle_feed_keeps_its_position(client, create):
    create()
    first = _feed(client)

    again = _feed(client, f"/changes?since={first['last_seq']}")

    assert again == {"changes": [], "last_seq": first["last_seq"]}


def test_feed_pages_follow_last_seq(client, sample):
    client.post("/articles/batch", json=[{**sample, "external_id": str(n), "url": None}
                                         for n in range(7)])

    seen, since = [], "0"
    while True:
        page = _feed(client, f"/changes?since={since}&limit=3")
        if not page["changes"]:
            break
        seen += [change["id"] for change in page["changes"]]
        since = page["last_seq"]

    assert len(seen) == len(set(seen)) == 7


def test_feed_filters_by_source_and_tag(client, create):
    kayhan = create(tags=["Border"])
    other = create(source="example.org", external_id="9", url=None, tags=["Sport"])

    by_source = _feed(client, "/changes?source=example.org")["changes"]
    by_tag = _feed(client, "/changes?tag=border")["changes"]

    assert [c["id"] for c in by_source] == [other["id"]]
    assert [c["id"] for c in by_tag] == [kayhan["id"]]


def test_a_forged_position_is_400(client):
    response = client.get("/changes?since=abc")

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_positions_carry_the_feeds_epoch(client, create):
    create()

    page = _feed(client)
    epoch = page["last_seq"].partition("-")[0]

    assert len(epoch) == 8
    assert all(c["seq"].startswith(f"{epoch}-") for c in page["changes"])


def test_a_position_from_another_epoch_is_gone(app, client, create):
    create()
    position = _feed(client)["last_seq"]
    with app.app_context():
        new_feed_epoch()

    response = client.get(f"/changes?since={position}")

    assert response.status_code == 410
    assert response.content_type == "application/problem+json"
    assert "resync" in response.json["detail"]
    assert _feed(client)["last_seq"].partition("-")[0] == response.json["epoch"]


def test_a_position_past_the_end_is_gone_in_every_form(client, create):
    create()
    epoch, _, last = _feed(client)["last_seq"].partition("-")
    ahead = f"{epoch}-{int(last) + 5}"

    answers = [client.get(f"/changes?since={ahead}"),
               client.get(f"/changes?since={int(last) + 5}"),
               client.get(f"/changes?since={ahead}&feed=longpoll&timeout=1"),
               client.get("/changes", headers={"Accept": "text/event-stream",
                                               "Last-Event-ID": ahead})]

    assert [answer.status_code for answer in answers] == [410] * 4
    assert answers[0].json["last_seq"] == f"{epoch}-{last}"


def test_a_bare_position_from_an_earlier_release_still_reads(client, create):
    create()
    create(external_id="2", url=None)

    page = _feed(client, "/changes?since=1")

    assert [change["version"] for change in page["changes"]] == [1]


def test_long_poll_answers_when_a_change_arrives(app, client, create, sample):
    create()
    position = _feed(client)["last_seq"]

    def write_later():
        time.sleep(0.5)
        app.test_client().post("/articles", json={**sample, "external_id": "2", "url": None})

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    page = _feed(client, f"/changes?since={position}&feed=longpoll&timeout=10")
    writer.join()

    assert [c["op"] for c in page["changes"]] == ["created"]
    assert 0.4 < time.monotonic() - started < 8


def test_long_poll_gives_up_after_its_timeout(client):
    started = time.monotonic()

    page = _feed(client, "/changes?feed=longpoll&timeout=0.5")

    assert page["changes"] == []
    assert page["last_seq"].endswith("-0")
    assert time.monotonic() - started >= 0.5


def test_event_stream_sends_each_change_with_its_seq(client, create):
    created = create()

    response = client.get("/changes?timeout=0.3", headers={"Accept": "text/event-stream"})
    text = response.get_data(as_text=True)

    assert response.mimetype == "text/event-stream"
    assert "event: change" in text
    assert f'"id": "{created["id"]}"' in text
    seq = _feed(client)["last_seq"]
    assert f"id: {seq}\n" in text
    resumed = client.get("/changes?timeout=0.3", headers={
        "Accept": "text/event-stream", "Last-Event-ID": seq}).get_data(as_text=True)
    assert "event: change" not in resumed


def test_a_mirror_built_from_the_feed_equals_the_collection(app, sample):
    """Writers create, edit, delete and purge while a reader applies the feed page by page;
    once the writers stop and the reader catches up, its copy is the collection."""
    stop = threading.Event()
    failures, created = [], []

    def writer(number):
        client = app.test_client()
        rng = random.Random(number)
        ids = []
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.5 or not ids:
                response = client.post("/articles/batch", json=[
                    {**sample, "external_id": f"{number}-{rng.randrange(10**9)}", "url": None,
                     "body": f"text {rng.random()}"} for _ in range(rng.randint(1, 4))])
                ids += [item["id"] for item in response.json["results"]]
                created.extend(ids[-len(response.json["results"]):])
            elif roll < 0.85:
                response = client.patch(f"/articles/{rng.choice(ids)}",
                                        json={"summary": str(rng.random())})
            elif roll < 0.95:
                response = client.delete(f"/articles/{rng.choice(ids)}")
            else:
                response = client.post(f"/articles/{rng.choice(ids)}/purge",
                                       json={"reason": "takedown"})
            if response.status_code >= 500:
                failures.append(response.status_code)

    mirror, seqs, since = {}, [], "0"
    reader = app.test_client()

    def catch_up():
        nonlocal since
        while True:
            page = _feed(reader, f"/changes?since={since}&limit=50")
            for change in page["changes"]:
                if change["op"] == "purged":
                    mirror.pop(change["id"], None)
                else:
                    mirror[change["id"]] = (change["version"], change["op"] != "deleted")
                seqs.append(int(change["seq"].rpartition("-")[2]))
            since = page["last_seq"]
            if not page["changes"]:
                return

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    # At least 3 s of concurrent writing, longer on a slow machine until 30 creates.
    started = time.monotonic()
    while time.monotonic() < started + 3 or (len(created) < 30
                                             and time.monotonic() < started + 30):
        catch_up()
    stop.set()
    for thread in writers:
        thread.join()
    catch_up()

    with app.app_context():
        stored = {article.id: (article.version, article.deleted_at is None)
                  for article in Article.select(Article.id, Article.version,
                                                Article.deleted_at)}
    assert not failures
    assert len(stored) > 20
    assert mirror == stored
    assert seqs == list(range(1, len(seqs) + 1)), "the feed skipped or repeated a position"


def test_waiting_clients_beyond_the_limit_get_503(app, client):
    """Waiting requests hold a server thread each; past the limit, new ones are told to
    come back instead of taking the last thread."""
    from api.resources.changes import WAITING_PER_WORKER

    def long_poll():
        return app.test_client().get("/changes?feed=longpoll&timeout=2").status_code

    waiting = [threading.Thread(target=long_poll) for _ in range(WAITING_PER_WORKER)]
    for thread in waiting:
        thread.start()
    time.sleep(0.5)
    refused = client.get("/changes?feed=longpoll&timeout=2")
    stream = client.get("/changes?timeout=2", headers={"Accept": "text/event-stream"})
    quick = client.get("/changes")
    for thread in waiting:
        thread.join()
    after = client.get("/changes?feed=longpoll&timeout=0.2")

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert stream.status_code == 503
    assert quick.status_code == 200
    assert after.status_code == 200
