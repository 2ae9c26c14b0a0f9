"""Alerts: subscriptions to article changes, sent to a webhook, and their deliveries."""

from __future__ import annotations

import copy

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .article import MAX_PAGE_SIZE, ArticleFilterSchema
from .fields import CommaList, OffsetDateTime, Text

EVENT_TYPES = ("article.created", "article.updated", "article.deleted")
STATES = ("active", "disabled")
DELIVERY_STATES = ("pending", "delivered", "failed")
# http(s), a host, no user name or password; the rest is checked by api.webhooks.guard.
TARGET_PATTERN = (r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?"
                  r"([/?][^\s\u0000]*)?$")


class TargetUrl(Text):
    """Where a subscription's webhooks go."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update({"pattern": TARGET_PATTERN, "format": "uri"})
        super().__init__(max_length=2048, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        from api.webhooks.guard import TargetRefused, parse_target

        url = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_target(url)
        except TargetRefused as refused:
            raise ValidationError(str(refused)) from None
        return url


class StrictBoolean(fields.Boolean):
    """true or false, not 0, 1 or "yes": a JSON body says what it means."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def refuse_nulled_required(schema: Schema, patch) -> None:
    """A merge patch's null removes a member; for one that cannot be null, the default
    would quietly take its place (enabled: null would enable), so it is refused."""
    if not isinstance(patch, dict):
        return
    refused = {name: ["Field may not be null."] for name, value in patch.items()
               if value is None and name in schema.load_fields
               and not schema.load_fields[name].allow_none}
    if refused:
        raise ValidationError(refused)


FILTER_DESCRIPTION = (
    "The article list's filters (GET /articles' query parameters, as JSON: lists where "
    "the query repeats a parameter): a change is sent when the article, as it stands "
    "when the change is matched, is selected; a deleted one by its tombstone. Empty: "
    "every change.")


def _filter_in_json(name: str, nullable: bool) -> type[Schema]:
    """The list's filters as a JSON body states them: a list is a JSON array (a query
    string's comma-separated form is for query strings). nullable: in a merge patch,
    where null removes a filter."""
    declared = {}
    for field_name, field in ArticleFilterSchema._declared_fields.items():
        if isinstance(field, CommaList):
            field = fields.List(field.inner, validate=list(field.validators),
                                metadata=dict(field.metadata))
        else:
            field = copy.deepcopy(field)
        field.allow_none = nullable
        declared[field_name] = field
    return Schema.from_dict(declared, name=name)


FilterSchema = _filter_in_json("SubscriptionFilterSchema", nullable=False)
FilterPatchSchema = _filter_in_json("SubscriptionFilterPatchSchema", nullable=True)


class SubscriptionInputSchema(Schema):
    class Meta:
        unknown = RAISE

    target_url = TargetUrl(required=True, metadata={
        "description": "The receiver: an http(s) URL whose host is, and resolves to, a "
                       "public address. Redirects are not followed.",
        "example": "https://hooks.example.org/dateline"})
    description = Text(max_length=500, allow_none=True, load_default=None, metadata={
        "example": "Border coverage for the Kabul desk"})
    filter = fields.Nested(FilterSchema, load_default=dict, metadata={
        "description": FILTER_DESCRIPTION,
        "example": {"q": "border", "source": ["kayhan.ir"], "person": ["Arif Kakar"]}})
    enabled = StrictBoolean(load_default=True, metadata={
        "description": "false pauses deliveries; true on a disabled subscription "
                       "resumes from the change that failed."})


class SubscriptionChangeSchema(SubscriptionInputSchema):
    """What PATCH documents: in a merge patch a filter's null removes it."""

    filter = fields.Nested(FilterPatchSchema, metadata={"description": FILTER_DESCRIPTION})


class SubscriptionSchema(Schema):
    id = fields.String(required=True)
    target_url = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    filter = fields.Dict(required=True, metadata={"description": FILTER_DESCRIPTION})
    enabled = fields.Boolean(required=True)
    state = fields.String(required=True, metadata={
        "enum": list(STATES),
        "description": "disabled: paused by its owner, or stopped by a change that failed "
                       "its whole retry schedule (or that the receiver answered 410)."})
    disabled_reason = fields.String(allow_none=True, required=True)
    key_id = fields.String(allow_none=True, required=True, metadata={
        "description": "The API key that owns it."})
    position = fields.String(required=True, metadata={
        "description": "The change-feed position up to which changes have been matched "
                       "(and queued when they matched)."})
    created_at = OffsetDateTime(required=True)
    updated_at = OffsetDateTime(required=True)


class SubscriptionCreatedSchema(SubscriptionSchema):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret (whsec_…) for a Standard Webhooks library. "
                       "Shown only in this response."})


class SubscriptionListSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


class AttemptSchema(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    status = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The receiver's status code; null when none came."})
    error = fields.String(allow_none=True, required=True)
    response = fields.String(allow_none=True, required=True, metadata={
        "description": "The start of the receiver's answer (2 KB at most)."})
    redelivery = fields.Boolean(required=True)


class DeliverySchema(Schema):
    id = fields.String(required=True)
    webhook_id = fields.String(required=True, metadata={
        "description": "The webhook-id header: the same for every attempt."})
    position = fields.String(required=True, metadata={
        "description": "The change's position in the change feed (GET /changes)."})
    event_type = fields.String(required=True, metadata={"enum": list(EVENT_TYPES)})
    article_id = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": list(DELIVERY_STATES)})
    redelivery_requested = fields.Boolean(required=True)
    next_attempt_at = OffsetDateTime(allow_none=True, required=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True, metadata={
        "description": "Oldest first (the last 40)."})
    created_at = OffsetDateTime(required=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "URL of the next page; null on the last page."})


class DeliveryQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf(DELIVERY_STATES), metadata={
        "description": "Only deliveries in this state."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                           metadata={"description": f"Page size, 1 to {MAX_PAGE_SIZE}."})
    cursor = Text(max_length=500, metadata={
        "description": "Opaque position from a previous page's `next` link."})
