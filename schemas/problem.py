"""The problem details body (RFC 9457) every error response carries."""

from marshmallow import INCLUDE, Schema, fields

from .key import SCOPES


class FieldErrorSchema(Schema):
    pointer = fields.String(required=True, metadata={
        "description": "JSON Pointer (RFC 6901) to the offending member; for a query "
                       "parameter, its name after '#/'.",
        "example": "/dateline/place"})
    detail = fields.String(required=True, metadata={"example": "Missing data for required field."})


class ProblemSchema(Schema):
    class Meta:
        # RFC 9457 §3.2: a problem type may add members and clients ignore those they do
        # not know, so the published shape lists Dateline's and stays open to more.
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Not Found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(required=True, metadata={"example": "No article has this id."})
    instance = fields.String(metadata={"description": "The request path."})
    request_id = fields.String(metadata={"description": "Also in the X-Request-ID header."})
    errors = fields.List(fields.Nested(FieldErrorSchema),
                         metadata={"description": "One entry per invalid field."})
    existing = fields.String(metadata={"description": "On a conflict, the URL of the "
                                                      "resource already holding the key."})
    existing_id = fields.String(metadata={"description": "On a duplicate article, its id."})
    missing = fields.List(fields.String(), metadata={
        "description": "For text that is not a news item, the fields that could not be found."})
    available = fields.List(fields.String(), metadata={
        "description": "On 406, the media types this resource is available as."})
    current_version = fields.Integer(metadata={
        "description": "On 412 and 410, the stored version."})
    deleted_at = fields.String(metadata={
        "format": "date-time",
        "description": "On 410, when the article was deleted (RFC 3339).",
        "example": "2021-07-15T08:00:00Z"})
    key_scope = fields.String(metadata={
        "description": "On 403, the scope of the key the request was sent with.",
        "enum": list(SCOPES)})
    needed_scope = fields.String(metadata={
        "description": "On 403, the scope the request needs.", "enum": list(SCOPES)})
