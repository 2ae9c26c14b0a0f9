"""/subscriptions: alerts. Article changes that match a subscription's filter are sent
to its webhook, signed as Standard Webhooks (api/webhooks)."""

from __future__ import annotations

from flask import current_app, g, url_for
from flask.views import MethodView

from api.reading.pagination import link_header
from api.storage.db import database
from api.web.http import Blueprint, load_merge_patch, next_page_url, request_json
from api.web.spec import LINK_HEADER, LOCATION_HEADER, merge_patch_body
from api.webhooks import manage
from schemas.subscription import (
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    SubscriptionChangeSchema,
    SubscriptionCreatedSchema,
    SubscriptionInputSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
    refuse_nulled_required,
)

blp = Blueprint("subscriptions", __name__,
                description="Alerts: article changes sent to a webhook (write scope; each "
                            "key sees its own, admin keys all).")

_PATCH_EXAMPLE = {"enabled": True, "description": None}


def _caller() -> manage.Caller:
    key = g.get("key")
    return manage.Caller(key_id=g.get("key_id"), admin=key is not None and key.scope == "admin")


def _allow_private() -> bool:
    return current_app.config["WEBHOOK_ALLOW_PRIVATE"]


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionListSchema)
    def get(self):
        """List subscriptions (an admin key sees every key's)"""
        return {"items": manage.list_subscriptions(_caller())}

    @blp.arguments(SubscriptionInputSchema)
    @blp.response(201, SubscriptionCreatedSchema, headers=LOCATION_HEADER)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY",
                      description="Invalid, or the target is not a public address.")
    def post(self, data):
        """Subscribe a webhook to matching article changes; the secret is shown only here"""
        created, secret = manage.create(_caller(), data, _allow_private())
        location = url_for("subscriptions.SubscriptionItem", subscription_id=created["id"])
        return {**created, "secret": secret}, 201, {"Location": location}


@blp.route("/subscriptions/<uuid:subscription_id>")
class SubscriptionItem(MethodView):
    @blp.response(200, SubscriptionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, subscription_id):
        """Fetch a subscription"""
        return manage.represent(manage.find(_caller(), str(subscription_id)))

    @blp.doc(requestBody=merge_patch_body(SubscriptionChangeSchema, _PATCH_EXAMPLE))
    @blp.response(200, SubscriptionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def patch(self, subscription_id):
        """Change a subscription (JSON Merge Patch); enabled: true resumes a disabled one"""
        patch = request_json()
        refuse_nulled_required(SubscriptionInputSchema(), patch)
        # A new target's name is looked up before the transaction, not while it holds
        # the database.
        checked = manage.check_patched_target(manage.find(_caller(), str(subscription_id)),
                                              patch, _allow_private())
        with database.atomic():
            subscription = manage.find(_caller(), str(subscription_id), lock=True)
            data = load_merge_patch(SubscriptionInputSchema(), manage.editable(subscription),
                                    patch)
            return manage.update(subscription, data, _allow_private(), checked)

    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, subscription_id):
        """Delete a subscription and its delivery log"""
        with database.atomic():
            manage.delete(manage.find(_caller(), str(subscription_id), lock=True))
        return "", 204


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuerySchema, location="query", error_status_code=400)
    @blp.response(200, DeliveryPageSchema, headers=LINK_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query, subscription_id):
        """List a subscription's deliveries, newest change first, with every attempt"""
        subscription = manage.find(_caller(), str(subscription_id))
        items, cursor = manage.deliveries(subscription, query)
        url = next_page_url(cursor)
        return {"items": items, "next": url}, 200, link_header(url)


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries/<uuid:delivery_id>")
class DeliveryItem(MethodView):
    @blp.response(200, DeliverySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, subscription_id, delivery_id):
        """Fetch one delivery of a subscription"""
        subscription = manage.find(_caller(), str(subscription_id))
        delivery = manage.find_delivery(subscription, str(delivery_id))
        return manage.represent_delivery(delivery, manage.feed_epoch())


@blp.route("/subscriptions/<uuid:subscription_id>/deliveries/<uuid:delivery_id>/redeliver")
class Redelivery(MethodView):
    @blp.response(202, DeliverySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, subscription_id, delivery_id):
        """Send a delivery once more, at the next pass of the deliverer"""
        with database.atomic():
            subscription = manage.find(_caller(), str(subscription_id), lock=True)
            return manage.redeliver(subscription, str(delivery_id)), 202
