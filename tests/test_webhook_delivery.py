"""Alerts delivered: signed, matched by filter, in feed order, retried, disabled when the
schedule runs out, sent again on request, one deliverer at a time."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from api.webhooks import deliver_due
from api.writing.store import utc_now
from tests.receiving import Receiver

SCHEDULE = (1, 1)


@pytest.fixture
def app(make_app):
    return make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_RETRY_SCHEDULE=SCHEDULE)


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def deliver(app):
    def run(now=None, owner=None):
        with app.app_context():
            return deliver_due(now=now, owner=owner)
    return run


@pytest.fixture
def subscribe(client, receiver):
    def make(**body):
        response = client.post("/subscriptions", json={"target_url": receiver.url, **body})
        assert response.status_code == 201, response.json
        return response.json
    return make


@pytest.fixture
def write(client, sample):
    """Create article number n from the sample with changes; return its JSON."""
    def post(n, **changes):
        body = {**sample, "external_id": str(n), "url": f"https://kayhan.ir/en/news/{n}",
                **changes}
        response = client.post("/articles", json=body)
        assert response.status_code == 201, response.json
        return response.json
    return post


def events(receiver) -> list[tuple[str, str]]:
    return [(payload["type"], payload["data"]["id"])
            for payload in (json.loads(body) for body in receiver.bodies())]


def log(client, subscription) -> list[dict]:
    response = client.get(f"/subscriptions/{subscription['id']}/deliveries?limit=100")
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_receiver_verifies_each_delivery_with_a_standard_webhooks_library(
        subscribe, write, deliver, receiver):
    subscription = subscribe()
    article = write(1)

    assert deliver() == 1

    [(headers, body, path)] = receiver.received
    payload = Webhook(subscription["secret"]).verify(body, headers)
    assert path == "/hook"
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-id"].startswith("msg_")
    assert payload["type"] == "article.created"
    assert payload["timestamp"] == article["updated_at"]
    assert payload["data"]["id"] == article["id"]
    assert payload["data"]["version"] == 1
    assert payload["data"]["source"] == "kayhan.ir"
    assert payload["data"]["subscription"] == subscription["id"]
    with pytest.raises(Exception, match="signature"):
        Webhook(subscribe()["secret"]).verify(body, headers)


@pytest.mark.parametrize("filters", [
    {"q": "frontier"},
    {"source": ["kayhan.ir"], "person": ["arif kakar"]},
    {"source": ["kayhan.ir"], "tag": ["Border Security"]},
])
def test_only_changes_that_match_the_filter_are_sent(subscribe, write, deliver, receiver,
                                                      filters):
    subscribe(filter=filters)
    matching = write(1)
    write(2, source="tehrantimes.com", headline="Rates held steady",
          body="The central bank left its rate unchanged.", summary=None, people=["Ali Salehi"],
          tags=["economy"])
    write(3, headline="Markets calm", body="Nothing moved on the exchange today.",
          summary=None, people=[], tags=["economy"])

    deliver()

    assert events(receiver) == [("article.created", matching["id"])]


def test_created_updated_and_deleted_changes_arrive_in_feed_order(
        client, subscribe, write, deliver, receiver):
    subscribe(filter={"source": ["kayhan.ir"]})
    first, second = write(1), write(2)
    assert client.patch(f"/articles/{first['id']}", json={"headline": "Revised"}).status_code == 200
    assert client.delete(f"/articles/{second['id']}").status_code == 204
    assert client.delete(f"/articles/{first['id']}").status_code == 204

    deliver()

    assert events(receiver) == [
        ("article.created", first["id"]), ("article.created", second["id"]),
        ("article.updated", first["id"]), ("article.deleted", second["id"]),
        ("article.deleted", first["id"])]
    positions = [json.loads(body)["data"]["position"] for body in receiver.bodies()]
    seqs = [int(position.rpartition("-")[2]) for position in positions]
    assert seqs == sorted(seqs)


def test_a_subscription_starts_at_the_end_of_the_feed(subscribe, write, deliver, receiver):
    write(1)
    subscribe()
    later = write(2)

    deliver()

    assert events(receiver) == [("article.created", later["id"])]


def test_a_failing_receiver_is_retried_on_the_schedule_until_it_recovers(
        client, subscribe, write, deliver, receiver):
    subscription = subscribe()
    article = write(1)
    receiver.statuses = [500, 503]
    start = utc_now()

    deliver(now=start)
    deliver(now=start + timedelta(milliseconds=500))  # not due yet
    assert len(receiver.received) == 1
    deliver(now=start + timedelta(seconds=1))
    deliver(now=start + timedelta(seconds=2))

    assert len(receiver.received) == 3
    assert len({headers["webhook-id"] for headers, _, _ in receiver.received}) == 1
    [delivery] = log(client, subscription)
    assert delivery["state"] == "delivered"
    assert delivery["article_id"] == article["id"]
    assert delivery["event_type"] == "article.created"
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 503, 204]
    assert delivery["attempts"][0]["error"] == "the receiver answered 500"
    assert delivery["attempts"][0]["response"] == "answered 500"
    assert delivery["next_attempt_at"] is None
    assert client.get(f"/subscriptions/{subscription['id']}").json["state"] == "active"


def test_a_change_that_runs_out_of_retries_disables_the_subscription_until_enabled(
        client, subscribe, write, deliver, receiver):
    subscription = subscribe()
    first, second = write(1), write(2)
    receiver.statuses = [500, 500, 500]
    start = utc_now()

    for seconds in range(6):
        deliver(now=start + timedelta(seconds=seconds))

    # The first change held the second back (head of line), then stopped everything.
    assert events(receiver) == [("article.created", first["id"])] * 3
    stopped = client.get(f"/subscriptions/{subscription['id']}").json
    assert stopped["state"] == "disabled"
    assert stopped["enabled"] is False
    assert "failed 3 times" in stopped["disabled_reason"]
    failed = [d for d in log(client, subscription) if d["state"] == "failed"]
    assert [d["article_id"] for d in failed] == [first["id"]]
    assert len(failed[0]["attempts"]) == 3

    resumed = client.patch(f"/subscriptions/{subscription['id']}", json={"enabled": True})
    assert resumed.status_code == 200
    assert resumed.json["state"] == "active"
    assert resumed.json["disabled_reason"] is None
    deliver(now=start + timedelta(seconds=7))

    assert events(receiver)[3:] == [("article.created", first["id"]),
                                    ("article.created", second["id"])]
    assert {d["state"] for d in log(client, subscription)} == {"delivered"}


def test_a_receiver_that_answers_gone_disables_the_subscription_at_once(
        client, subscribe, write, deliver, receiver):
    subscription = subscribe()
    write(1)
    receiver.statuses = [410]

    deliver()

    stopped = client.get(f"/subscriptions/{subscription['id']}").json
    assert stopped["state"] == "disabled"
    assert "410" in stopped["disabled_reason"]


def test_a_delivery_is_sent_again_on_request(client, subscribe, write, deliver, receiver):
    subscription = subscribe()
    write(1)
    deliver()
    [delivery] = log(client, subscription)

    asked = client.post(f"/subscriptions/{subscription['id']}/deliveries/{delivery['id']}"
                        "/redeliver")
    assert asked.status_code == 202
    assert asked.json["redelivery_requested"] is True
    deliver()

    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]
    [again] = log(client, subscription)
    assert again["redelivery_requested"] is False
    assert [attempt["redelivery"] for attempt in again["attempts"]] == [False, True]
    missing = client.post(f"/subscriptions/{subscription['id']}/deliveries/"
                          "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f/redeliver")
    assert missing.status_code == 404


def test_a_redirect_is_a_failure_and_is_not_followed(client, subscribe, write, deliver,
                                                      receiver):
    subscription = subscribe()
    write(1)
    receiver.statuses = [302]

    deliver()

    assert [path for _, _, path in receiver.received] == ["/hook"]
    [delivery] = log(client, subscription)
    assert delivery["state"] == "pending"
    assert delivery["attempts"][0]["status"] == 302
    assert "redirects are not followed" in delivery["attempts"][0]["error"]


def test_the_address_is_checked_again_when_delivering(make_app, client, subscribe, write,
                                                       receiver):
    subscription = subscribe()
    write(1)
    strict = make_app(WEBHOOK_RETRY_SCHEDULE=SCHEDULE)  # private addresses not allowed

    with strict.app_context():
        deliver_due()

    assert receiver.received == []
    [delivery] = log(client, subscription)
    assert delivery["attempts"][0]["status"] is None
    assert "loopback" in delivery["attempts"][0]["error"]


def test_a_purged_article_is_sent_as_deleted_to_subscriptions_told_of_it(
        client, subscribe, write, deliver, receiver):
    subscribe()
    told = write(1)
    deliver()
    late = client.post("/subscriptions", json={"target_url": receiver.url + "?late"})
    assert late.status_code == 201, late.json
    assert client.post(f"/articles/{told['id']}/purge",
                       json={"reason": "court order"}).status_code == 200

    deliver()

    payloads = [json.loads(body) for body in receiver.bodies()]
    assert [(p["type"], p["data"].get("purged")) for p in payloads] == [
        ("article.created", None), ("article.deleted", True)]
    assert [path for _, _, path in receiver.received] == ["/hook", "/hook"]
    assert log(client, late.json) == []  # not told of it, so not sent its purge


def test_a_lease_held_by_one_deliverer_keeps_another_out(subscribe, write, deliver, receiver,
                                                         app):
    from api.storage.db import database
    from api.storage.models import Subscription

    subscription = subscribe()
    write(1)
    now = utc_now()
    with app.app_context(), database.connection_context():
        Subscription.update(lease_owner="elsewhere", lease_until=now + timedelta(seconds=30)
                            ).where(Subscription.id == subscription["id"]).execute()

    assert deliver(now=now, owner="here") == 0
    assert receiver.received == []
    assert deliver(now=now + timedelta(seconds=31), owner="here") == 1  # the lease ran out


def test_two_deliverers_never_work_one_subscription_at_once(subscribe, write, deliver,
                                                            receiver):
    subscribe()
    articles = [write(n) for n in range(6)]
    receiver.delay = 0.1
    barrier = threading.Barrier(2)

    def work(owner):
        barrier.wait()
        for _ in range(4):
            deliver(owner=owner)

    threads = [threading.Thread(target=work, args=(owner,)) for owner in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert receiver.most_in_flight == 1
    assert events(receiver) == [("article.created", article["id"]) for article in articles]


def test_a_deleted_subscription_is_sent_nothing_more(client, subscribe, write, deliver,
                                                     receiver):
    subscription = subscribe()
    write(1)
    assert client.delete(f"/subscriptions/{subscription['id']}").status_code == 204

    assert deliver() == 0
    assert receiver.received == []


@pytest.mark.parametrize("head", [True, False], ids=["trickled-head", "trickled-body"])
def test_a_trickling_receiver_is_cut_off_at_the_attempts_deadline(head):
    from api.webhooks.guard import parse_target
    from api.webhooks.sender import new_secret, send
    from tests.receiving import Trickler

    trickler = Trickler(every=0.3, head=head).start()
    try:
        started = time.monotonic()
        outcome = send(parse_target(trickler.url), "127.0.0.1", "msg_1", new_secret(),
                       b"{}", timeout=1)
        took = time.monotonic() - started
    finally:
        trickler.stop()

    assert 1.9 < took < 3.0  # two timeouts, the whole attempt's deadline
    if head:
        assert outcome.status is None
        assert "cut off" in outcome.error
    else:  # the status came in time: it counts, with the start of the answer
        assert outcome.status == 200
        assert outcome.response.startswith("xxx")


def test_a_lookup_that_does_not_answer_is_given_up_at_its_timeout(monkeypatch):
    from api.webhooks import guard

    def hang(*args, **kwargs):
        time.sleep(2)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]

    monkeypatch.setattr(guard.socket, "getaddrinfo", hang)
    target = guard.parse_target("https://hooks.example.org/dateline")
    started = time.monotonic()

    with pytest.raises(guard.TargetRefused, match="does not resolve"):
        guard.resolve(target, allow_private=False, timeout=0.3)

    assert time.monotonic() - started < 1.0
    # As when a subscription is saved: a name that does not resolve in time is taken.
    guard.check_new_target("https://hooks.example.org/dateline", False, timeout=0.3)


def test_a_deliverer_that_lost_its_lease_drops_its_result(app, client, subscribe, write,
                                                          deliver, receiver):
    from api.storage.db import database
    from api.storage.models import Subscription

    subscription = subscribe()
    write(1)
    receiver.statuses = [410]  # would disable the subscription
    receiver.delay = 0.5
    stale = threading.Thread(target=deliver, kwargs={"owner": "stale"})
    stale.start()
    for _ in range(200):
        if receiver.in_flight:
            break
        time.sleep(0.01)
    assert receiver.in_flight == 1
    # Meanwhile its lease ran out and another deliverer took the subscription.
    with app.app_context(), database.connection_context():
        Subscription.update(lease_owner="fresh").where(
            Subscription.id == subscription["id"]).execute()
    stale.join()

    assert len(receiver.received) == 1
    assert client.get(f"/subscriptions/{subscription['id']}").json["state"] == "active"
    [delivery] = log(client, subscription)
    assert delivery["state"] == "pending"
    assert delivery["attempts"] == []


def test_a_revoked_keys_subscriptions_are_sent_nothing_more(app, client, key_for, write,
                                                            deliver, receiver):
    owner = app.test_client()
    owner.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key_for('write', 'desk')}"
    subscription = owner.post("/subscriptions", json={"target_url": receiver.url}).json
    write(1)
    deliver()
    assert len(receiver.received) == 1

    assert client.delete("/keys/desk").status_code == 200
    write(2)
    redo = log(client, subscription)[0]
    assert client.post(f"/subscriptions/{subscription['id']}/deliveries/{redo['id']}"
                       "/redeliver").status_code == 202

    assert deliver() == 0
    assert len(receiver.received) == 1


def test_names_with_commas_stay_whole(subscribe, write, deliver, receiver):
    subscribe(filter={"organisation": ["Apple, Inc."]})
    write(1, organisations=["Apple"])
    write(2, organisations=["Inc."])
    whole = write(3, organisations=["Apple, Inc."])

    deliver()

    assert events(receiver) == [("article.created", whole["id"])]


def test_delivered_deliveries_are_pruned_after_the_retention(make_app, client, subscribe,
                                                              write, deliver, receiver):
    from api.webhooks.engine import prune_delivered

    subscription = subscribe()
    write(1)
    deliver()
    receiver.statuses = [500]
    write(2)
    deliver()
    assert [d["state"] for d in log(client, subscription)] == ["pending", "delivered"]
    kept = make_app(WEBHOOK_LOG_RETENTION=30 * 86400)

    with kept.app_context():
        assert prune_delivered(now=utc_now() + timedelta(days=29)) == 0
        assert prune_delivered(now=utc_now() + timedelta(days=31)) == 1

    assert [d["state"] for d in log(client, subscription)] == ["pending"]


def test_an_attempt_takes_the_subscription_before_its_delivery(postgres_url, client,
                                                                 subscribe, write, deliver,
                                                                 receiver):
    """DELETE locks the subscription, then deletes its deliveries: an attempt recording
    a 410 (which disables the subscription) must wait for the subscription before it
    locks the delivery, or the two deadlock."""
    if postgres_url is None:
        pytest.skip("row locks: PostgreSQL only")
    import psycopg

    subscription = subscribe()
    write(1)
    receiver.statuses = [410]
    receiver.delay = 0.5
    failures = []

    def work():
        try:
            deliver()
        except Exception as error:  # a deadlock detected, say
            failures.append(error)

    deliverer = threading.Thread(target=work)
    deliverer.start()
    for _ in range(300):
        if receiver.in_flight:
            break
        time.sleep(0.01)
    with psycopg.connect(postgres_url) as other:
        # As DELETE begins, while the attempt is sending.
        other.execute("SELECT id FROM subscription WHERE id = %s FOR UPDATE",
                      (subscription["id"],))
        for _ in range(500):  # until the attempt, sent, waits for a lock
            with psycopg.connect(postgres_url, autocommit=True) as watcher:
                if watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted"
                                   ).fetchone()[0]:
                    break
            time.sleep(0.01)
        # As DELETE goes on: its deliveries, which the attempt must not hold.
        other.execute("SET lock_timeout = '2s'")
        other.execute("DELETE FROM delivery WHERE subscription_id = %s",
                      (subscription["id"],))
        other.execute("DELETE FROM subscription WHERE id = %s", (subscription["id"],))
        other.commit()
        deliverer.join()

    assert failures == []
    assert len(receiver.received) == 1
    assert client.get(f"/subscriptions/{subscription['id']}").status_code == 404


def test_the_clock_is_read_for_each_attempt_not_once_a_pass(client, subscribe, write,
                                                            deliver, receiver):
    subscription = subscribe()
    write(1), write(2)
    start = utc_now()
    readings = iter(range(1000))

    def clock():  # a minute passes at each reading
        return start + timedelta(minutes=next(readings))

    assert deliver(now=clock) == 2

    times = [d["attempts"][0]["at"] for d in log(client, subscription)]
    assert len(set(times)) == 2
