"""Concurrent writers: races end in one consistent state, never in a 5xx."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def _in_parallel(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_racing_natural_key_puts_create_exactly_one_article(app, sample):
    def put(number):
        def call():
            client = app.test_client()
            response = client.put("/sources/kayhan.ir/articles/92427",
                                  json={**sample, "headline": f"Take {number}"})
            return response.status_code
        return call

    statuses = _in_parallel([put(number) for number in range(8)])

    assert sorted(statuses) == [200] * 7 + [201]
    client = app.test_client()
    assert len(client.get("/articles").json["items"]) == 1
    assert client.get("/sources/kayhan.ir").json["article_count"] == 1
    assert client.get("/sources/kayhan.ir/articles/92427").json["version"] == 8


def test_racing_posts_of_the_same_article_store_it_once(app, sample):
    def post():
        return app.test_client().post("/articles", json=sample).status_code

    statuses = _in_parallel([post] * 8)

    assert sorted(statuses) == [201] + [409] * 7
    assert len(app.test_client().get("/articles").json["items"]) == 1


def test_racing_patches_each_apply_once(app, create):
    article = create(tags=[])

    def patch(number):
        def call():
            client = app.test_client()
            return client.patch(f"/articles/{article['id']}",
                                json={"summary": f"edit {number}"}).status_code
        return call

    statuses = _in_parallel([patch(number) for number in range(8)])

    assert statuses == [200] * 8
    assert app.test_client().get(f"/articles/{article['id']}").json["version"] == 9


def test_racing_batches_never_fail_the_request(app, sample):
    """Overlapping keys and sources listed in opposite orders: every item gets an
    answer (no 5xx from unique-key races or lock-order deadlocks)."""
    def batch(order):
        def call():
            client = app.test_client()
            statuses = []
            for round_number in range(10):
                items = [{**sample, "source": source, "external_id": f"{round_number}",
                          "url": None} for source in order]
                response = client.post("/articles/batch", json=items)
                statuses.append(response.status_code)
            return statuses
        return call

    results = _in_parallel([batch(["a.example", "b.example"]),
                            batch(["b.example", "a.example"])] * 2)

    assert {status for statuses in results for status in statuses} == {200}
    listed = app.test_client().get("/articles?limit=100").json["items"]
    assert len(listed) == 20


def test_racing_batches_of_keyless_items_store_each_once(app, sample):
    """Items with neither external_id nor url have no unique index to race on: writers
    of the same one must still queue, not both create it."""
    items = [{**sample, "external_id": None, "url": None, "headline": f"Brief {number}"}
             for number in range(5)]

    def batch():
        return app.test_client().post("/articles/batch", json=items).json["counts"]

    counts = _in_parallel([batch] * 6)

    assert sum(count["created"] for count in counts) == 5
    assert sum(count["unchanged"] for count in counts) == 25
    assert len(app.test_client().get("/articles?limit=100").json["items"]) == 5


def test_conditional_read_modify_write_loses_no_update(app, create):
    """Clients each read, add their own tag and write back with If-Match, a fixed number
    of times: every 200 is in the final article, every refusal is a 412."""
    article = create(tags=[])
    path = f"/articles/{article['id']}"

    def client_loop(number):
        def call():
            client = app.test_client()
            written, refused, other = [], 0, []
            for attempt in range(12):
                current = client.get(path)
                tag = f"client{number}-{attempt}"
                response = client.patch(path, json={"tags": [*current.json["tags"], tag]},
                                        headers={"If-Match": current.headers["ETag"]})
                if response.status_code == 200:
                    written.append(tag)
                elif response.status_code == 412:
                    refused += 1
                else:
                    other.append(response.status_code)
            return written, refused, other
        return call

    outcomes = _in_parallel([client_loop(number) for number in range(6)])

    final = app.test_client().get(path).json
    written = [tag for tags, _, _ in outcomes for tag in tags]
    assert [code for _, _, other in outcomes for code in other] == []
    assert sorted(final["tags"]) == sorted(written)
    assert final["version"] == 1 + len(written)
    assert len(written) + sum(refused for _, refused, _ in outcomes) == 6 * 12
