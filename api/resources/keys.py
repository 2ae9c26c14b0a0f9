"""/keys: API keys, managed with an admin key."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from api.storage.models import ApiKey
from api.web import auth
from api.web.http import Blueprint
from api.web.spec import LOCATION_HEADER
from schemas.key import KeyCreatedSchema, KeyInputSchema, KeyListSchema, KeySchema

blp = Blueprint("keys", __name__, description="API keys (admin scope).")


@blp.route("/keys")
class Keys(MethodView):
    @blp.response(200, KeyListSchema)
    def get(self):
        """List API keys, revoked ones included"""
        return {"items": ApiKey.select().order_by(ApiKey.created_at, ApiKey.id)}

    @blp.arguments(KeyInputSchema)
    @blp.response(201, KeyCreatedSchema, headers=LOCATION_HEADER)
    @blp.alt_response(409, response="CONFLICT", description="The name is taken.")
    def post(self, data):
        """Create an API key; its secret is in this response only"""
        key, secret = auth.create_key(data["name"], data["scope"])
        location = url_for("keys.KeyItem", key_id=key.id)
        return {**key.__data__, "secret": secret}, 201, {"Location": location}


@blp.route("/keys/<key_ref:key_id>")
class KeyItem(MethodView):
    @blp.response(200, KeySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, key_id):
        """Fetch an API key by id or name"""
        return auth.find_key(key_id)

    @blp.response(200, KeySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, key_id):
        """Revoke an API key (it stays listed, marked revoked)"""
        return auth.revoke_key(key_id)
