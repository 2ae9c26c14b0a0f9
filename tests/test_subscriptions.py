"""/subscriptions: who may see and change them, which targets are refused, the secret
shown once, the delivery log's pages, and the retry schedule setting."""

from __future__ import annotations

import socket

import pytest

from api.config import ConfigError, load_settings
from api.webhooks.guard import TargetRefused, parse_target, refusal, resolve

PUBLIC_URL = "https://93.184.215.14/hooks/dateline"  # a literal address: no lookup needed


def test_the_secret_is_shown_only_at_creation(client):
    created = client.post("/subscriptions", json={"target_url": PUBLIC_URL,
                                                  "description": "Kabul desk"})

    assert created.status_code == 201
    assert created.json["secret"].startswith("whsec_")
    assert created.headers["Location"] == f"/subscriptions/{created.json['id']}"
    assert created.headers["Cache-Control"] == "no-store"
    assert created.json["state"] == "active"
    assert created.json["filter"] == {}
    fetched = client.get(created.headers["Location"]).json
    listed = client.get("/subscriptions").json["items"]
    patched = client.patch(created.headers["Location"], json={"description": None}).json
    for shown in (fetched, *listed, patched):
        assert "secret" not in shown
        assert created.json["secret"] not in str(shown)


def test_a_subscription_is_visible_only_to_its_key_and_to_admins(app, key_for):
    mine, theirs = app.test_client(), app.test_client()
    mine.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key_for('write')}"
    theirs.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key_for('write')}"
    admin = app.test_client()
    made = mine.post("/subscriptions", json={"target_url": PUBLIC_URL}).json
    path = f"/subscriptions/{made['id']}"

    assert [item["id"] for item in mine.get("/subscriptions").json["items"]] == [made["id"]]
    assert theirs.get("/subscriptions").json["items"] == []
    for answer in (theirs.get(path), theirs.patch(path, json={"enabled": False}),
                   theirs.get(f"{path}/deliveries"), theirs.delete(path)):
        assert answer.status_code == 404
        assert answer.content_type == "application/problem+json"
    assert [item["id"] for item in admin.get("/subscriptions").json["items"]] == [made["id"]]
    assert admin.get(path).status_code == 200
    assert mine.delete(path).status_code == 204
    assert mine.get(path).status_code == 404


def test_subscriptions_need_a_write_key_even_to_read(app, anonymous, key_for):
    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key_for('read')}"

    assert anonymous.get("/subscriptions").status_code == 401
    assert anonymous.post("/subscriptions", json={"target_url": PUBLIC_URL}).status_code == 401
    assert reader.get("/subscriptions").status_code == 403


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://10.0.0.7/hook", "http://192.168.1.20/hook",
    "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest", "http://[::1]/hook", "http://224.0.0.1/hook",
    "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook", "http://100.64.0.1/hook",
    "http://localhost:8080/hook",
])
def test_a_target_on_a_non_public_address_is_refused(client, url):
    refused = client.post("/subscriptions", json={"target_url": url})

    assert refused.status_code == 422, refused.json
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("webhook-target-refused")
    assert client.get("/subscriptions").json["items"] == []


def test_a_change_of_target_to_a_non_public_address_is_refused(client):
    made = client.post("/subscriptions", json={"target_url": PUBLIC_URL}).json

    refused = client.patch(f"/subscriptions/{made['id']}",
                           json={"target_url": "http://169.254.169.254/"})

    assert refused.status_code == 422
    assert client.get(f"/subscriptions/{made['id']}").json["target_url"] == PUBLIC_URL


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/x", "file:///etc/passwd",
                                 "http://user:pw@93.184.215.14/", "gopher://a.example/",
                                 "https://i.example*", "http://bücher.de/"])
def test_only_plain_http_and_https_targets_are_accepted(client, url):
    assert client.post("/subscriptions", json={"target_url": url}).status_code == 422


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("192.168.0.1", "private"), ("fc00::1", "private"), ("169.254.10.10", "link-local"),
    ("fe80::1", "link-local"), ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"), ("::ffff:10.0.0.1", "private"),  # noqa: S104
    ("100.64.0.1", "public"),
])
def test_the_address_check_refuses_every_non_public_range(address, why):
    assert why in refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_the_address_check_lets_public_addresses_through(address):
    assert refusal(address) is None


def test_a_name_that_resolves_to_loopback_is_refused():
    if "127.0.0.1" not in {info[4][0] for info in socket.getaddrinfo("localhost", 80)}:
        pytest.skip("localhost does not resolve to 127.0.0.1 here")
    target = parse_target("http://localhost:9/hook")

    with pytest.raises(TargetRefused, match="loopback"):
        resolve(target, allow_private=False)
    assert "127.0.0.1" in resolve(target, allow_private=True)


def test_the_filter_is_the_article_lists_and_is_checked(client):
    made = client.post("/subscriptions", json={
        "target_url": PUBLIC_URL,
        "filter": {"q": "border", "source": ["kayhan.ir", "tehrantimes.com"],
                   "person": ["Arif Kakar"], "published_after": "2021-01-01T00:00:00+04:30"}})
    assert made.status_code == 201, made.json
    assert made.json["filter"]["source"] == ["kayhan.ir", "tehrantimes.com"]
    assert made.json["filter"]["published_after"] == "2021-01-01T00:00:00+04:30"

    for bad in ({"nonsense": "x"}, {"source": ["not a domain"]}, {"limit": 5},
                {"language": "en"}, {"q": None}):
        answer = client.post("/subscriptions", json={"target_url": PUBLIC_URL, "filter": bad})
        assert answer.status_code == 422, bad


def test_a_merge_patch_changes_filter_and_description_and_pauses(client):
    made = client.post("/subscriptions", json={
        "target_url": PUBLIC_URL, "description": "desk", "filter": {"q": "border"}}).json
    path = f"/subscriptions/{made['id']}"

    paused = client.patch(path, json={"enabled": False, "description": None,
                                      "filter": {"q": None, "tag": ["economy"]}},
                          content_type="application/merge-patch+json")

    assert paused.status_code == 200, paused.json
    assert paused.json["enabled"] is False
    assert paused.json["state"] == "disabled"
    assert paused.json["disabled_reason"] == "paused by its owner"
    assert paused.json["description"] is None
    assert paused.json["filter"] == {"tag": ["economy"]}
    assert client.patch(path, json={"enabled": True}).json["state"] == "active"
    assert client.patch(path, json={"secret": "whsec_x"}).status_code == 422
    for nulled in ({"enabled": None}, {"filter": None}, {"target_url": None},
                   {"enabled": 0}):
        assert client.patch(path, json=nulled).status_code == 422, nulled


def test_the_delivery_log_is_paged_by_cursor_newest_first(make_app, sample):
    from api.webhooks import deliver_due

    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    client = app.test_client()
    made = client.post("/subscriptions", json={"target_url": "http://127.0.0.1:9/"}).json
    for n in range(5):
        client.post("/articles", json={**sample, "external_id": str(n),
                                       "url": f"https://kayhan.ir/en/news/{n}"})
    with app.app_context():
        deliver_due()  # port 9 (discard) is closed: the first attempt fails at once

    first = client.get(f"/subscriptions/{made['id']}/deliveries?limit=2")
    assert first.status_code == 200
    seen, page = [], first
    while True:
        seen += page.json["items"]
        if page.json["next"] is None:
            break
        assert page.headers["Link"] == f'<{page.json["next"]}>; rel="next"'
        page = client.get(page.json["next"])
    positions = [int(item["position"].rpartition("-")[2]) for item in seen]
    assert len(seen) == 5
    assert positions == sorted(positions, reverse=True)
    assert {item["state"] for item in seen} == {"pending"}
    # Head of line: the oldest change failed and waits for its retry; the rest wait on it.
    assert [len(item["attempts"]) for item in seen] == [0, 0, 0, 0, 1]
    assert seen[-1]["attempts"][0]["error"] == "could not connect"
    assert seen[-1]["next_attempt_at"] is not None
    forged = client.get(f"/subscriptions/{made['id']}/deliveries?cursor=abc")
    assert forged.status_code == 400


def test_the_retry_schedule_is_a_list_of_durations():
    default = load_settings({})["WEBHOOK_RETRY_SCHEDULE"]
    assert default == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert sum(default) >= 24 * 3600
    assert load_settings({"DATELINE_WEBHOOK_RETRY_SCHEDULE": "1s, 1s"})[
        "WEBHOOK_RETRY_SCHEDULE"] == (1, 1)
    with pytest.raises(ConfigError, match="DATELINE_WEBHOOK_RETRY_SCHEDULE"):
        load_settings({"DATELINE_WEBHOOK_RETRY_SCHEDULE": "5s,soon"})


def test_the_delivery_logs_retention_is_a_duration():
    assert load_settings({})["WEBHOOK_LOG_RETENTION"] == 30 * 86400
    assert load_settings({"DATELINE_WEBHOOK_LOG_RETENTION": "7d"})[
        "WEBHOOK_LOG_RETENTION"] == 7 * 86400
    with pytest.raises(ConfigError, match="DATELINE_WEBHOOK_LOG_RETENTION"):
        load_settings({"DATELINE_WEBHOOK_LOG_RETENTION": "forever"})


def test_a_targets_name_is_looked_up_outside_any_transaction(client, monkeypatch):
    from api.storage.db import database
    from api.webhooks import manage

    looked_up = []

    def check(url, allow_private, timeout=None):
        looked_up.append((url, database.in_transaction()))

    monkeypatch.setattr(manage, "check_new_target", check)
    made = client.post("/subscriptions", json={"target_url": "https://hooks.example.org/a"})
    assert made.status_code == 201, made.json
    changed = client.patch(f"/subscriptions/{made.json['id']}",
                           json={"target_url": "https://hooks.example.net/b"})
    assert changed.status_code == 200, changed.json

    assert looked_up == [("https://hooks.example.org/a", False),
                         ("https://hooks.example.net/b", False)]


@pytest.mark.parametrize(("address", "why"), [
    ("2002:7f00:1::", "loopback address wrapped in 6to4"),
    ("2002:a00:1::1", "private address wrapped in 6to4"),
    ("2002:a9fe:a9fe::", "metadata service wrapped in 6to4"),
    ("fec0::1", "site-local"),
    ("::7f00:1", "loopback address wrapped in IPv4-compatible"),
    ("64:ff9b::a00:1", "private address wrapped in NAT64"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("::ffff:0:7f00:1", "loopback address wrapped in IPv4-translated"),
    ("::ffff:10.0.0.1", "private address"),
])
def test_ipv6_forms_of_forbidden_addresses_are_refused(address, why):
    assert why in (refusal(address) or "")


@pytest.mark.parametrize("address", ["2002:5db8:d70e::1", "2606:4700::1111"])
def test_ipv6_forms_of_public_addresses_are_taken(address):
    assert refusal(address) is None
