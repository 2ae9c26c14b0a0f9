"""DATELINE_READ_DATABASE_URL: reads go to the replica, writes and their checks to the primary."""

from __future__ import annotations

from api.storage.db import open_database
from api.storage.migrations import upgrade


def test_reads_use_the_replica_and_writes_the_primary(make_app, tmp_path, sample):
    replica_path = tmp_path / "replica.db"
    replica = open_database(f"sqlite:///{replica_path}")
    with replica.connection_context():
        upgrade(replica)
    client = make_app(READ_DATABASE_URL=f"sqlite:///{replica_path}").test_client()

    created = client.post("/articles", json=sample)
    before = client.get(f"/articles/{created.json['id']}")
    patched = client.patch(f"/articles/{created.json['id']}", json={"headline": "Second"},
                           headers={"If-Match": created.headers["ETag"]})

    assert created.status_code == 201
    assert before.status_code == 404  # the stand-in replica has not caught up
    assert patched.status_code == 200  # the conditional write was checked on the primary
    assert client.get("/articles").json["items"] == []
