"""API key schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .fields import OffsetDateTime

SCOPES = ("read", "write", "admin")
KEY_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class KeyInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        KEY_NAME, error="Up to 100 letters, digits, '.', '_' and '-', starting with a letter "
                        "or digit."),
        metadata={"description": "Unique label, e.g. who or what holds the key.",
                  "example": "newsroom-ingest"})
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES), metadata={
        "description": "read: GET only; write: also create, change and delete articles "
                       "and sources; admin: also manage keys and purge articles."})


class KeySchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True)
    scope = fields.String(required=True, metadata={"enum": list(SCOPES)})
    prefix = fields.String(dump_only=True, metadata={
        "description": "The part of the secret after dl_ that identifies it in logs."})
    created_at = OffsetDateTime(dump_only=True)
    revoked_at = OffsetDateTime(dump_only=True, allow_none=True)


class KeyCreatedSchema(KeySchema):
    secret = fields.String(dump_only=True, metadata={
        "description": "Send as 'Authorization: Bearer <secret>'. Shown only in this "
                       "response: the service keeps a hash."})


class KeyListSchema(Schema):
    items = fields.List(fields.Nested(KeySchema), required=True)
