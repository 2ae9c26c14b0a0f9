"""Source schemas: the publishers articles come from."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_load

from .fields import Domain, LanguageTag, Text, TimeZoneName, raise_for_read_only

READ_ONLY_FIELDS = frozenset({"article_count", "inferred_time_zone"})


class SourceInputSchema(Schema):
    """A source as a client writes it; on /sources/{domain} the path names it."""

    domain = Domain(required=True, metadata={"description": "The publisher's domain."})
    name = Text(max_length=200, allow_none=True, load_default=None,
                metadata={"example": "Kayhan International"})
    time_zone = TimeZoneName(allow_none=True, load_default=None,
                             metadata={"description": "IANA zone of the source's local times."})
    language = LanguageTag(allow_none=True, load_default=None)

    @pre_load
    def refuse_read_only(self, data, **kwargs):
        raise_for_read_only(data, READ_ONLY_FIELDS)
        return data


class SourceByDomainInputSchema(SourceInputSchema):
    """A source written at /sources/{domain}: domain may be left out (if sent, it must match)."""

    domain = Domain(metadata={"description": "Must equal the path's domain if sent."})


class SourceSchema(SourceInputSchema):
    article_count = fields.Integer(dump_only=True,
                                   metadata={"description": "Articles stored from this source."})
    inferred_time_zone = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "While time_zone is null: the zone the domain's country code "
                       "implies (a country with a single IANA zone), which raw items from "
                       "this source are read in (published_at_basis inferred_zone). Setting "
                       "time_zone does not move stored instants: `dateline rezone DOMAIN` "
                       "reads them again in the new zone.",
        "example": "Asia/Tehran"})


class SourceListSchema(Schema):
    items = fields.List(fields.Nested(SourceSchema), required=True)
    next = fields.String(required=True, allow_none=True,
                         metadata={"description": "URL of the next page; null on the last page."})
