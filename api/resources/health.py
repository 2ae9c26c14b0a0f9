"""/healthz and /readyz: liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields
from peewee import DatabaseError

from api.errors import Problem
from api.storage.db import database
from api.storage.migrations import pending_migrations
from api.web.http import Blueprint

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class StatusSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200, StatusSchema)
    def get(self):
        """Report that the process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, StatusSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """Report whether the database is reachable and migrated"""
        try:
            database.execute_sql("SELECT 1")
            pending = pending_migrations(database.obj)
        except DatabaseError as error:
            raise Problem(503, f"The database is unreachable: {type(error).__name__}.",
                          kind="not-ready") from None
        if pending:
            raise Problem(503, f"{len(pending)} schema migration(s) pending; "
                               "run `dateline db upgrade`.", kind="not-ready")
        return {"status": "ok"}
