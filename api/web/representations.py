"""An article in the news industry's exchange formats: schema.org and IPTC ninjs 2.2.

Both functions are pure: they take the article as ArticleSchema dumps it (the native
JSON dict) and the service's base URL, and return a new JSON-ready dict. Members
whose value would be null or empty are left out rather than sent as null.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

SCHEMA_ORG_CONTEXT = "https://schema.org"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
# IPTC Content Production Party Role NewsCodes, used as ninjs infosource roles.
_CPP_ROLE = "http://cv.iptc.org/newscodes/contentprodpartyrole/"
ROLE_ORIGINATOR = _CPP_ROLE + "origcont"  # the party which originated the content
ROLE_INFORMATION = _CPP_ROLE + "originfo"  # a party which provided information used
ID_PROPERTY = "dateline:id"  # names this service's own id among an article's identifiers
# Characters RFC 3986 allows unescaped in a URI's path, query and fragment (with "%"
# kept for escapes already made); everything else is percent-encoded.
_URI_SAFE = "!$%&'()*+,-./:;=?@_~"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _compact(members: dict[str, Any]) -> dict[str, Any]:
    """The members whose value is not None, an empty string, list or dict."""
    return {key: value for key, value in members.items()
            if value is not None and value != "" and value != [] and value != {}}


def _unique(names: list[str] | None) -> list[str]:
    """Non-blank names in their first order, each once."""
    return list(dict.fromkeys(name for name in names or () if name and name.strip()))


def _as_uri(iri: str) -> str:
    """An IRI (which may hold non-ASCII characters) as an RFC 3986 URI (RFC 3987 3.1)."""
    head, hashmark, fragment = _STRAY_PERCENT.sub("%25", iri).partition("#")
    return quote(head, safe=_URI_SAFE) + hashmark + quote(fragment, safe=_URI_SAFE)


def _text(value: str | None) -> str | None:
    """The text, or None when it is missing or only white space (body and summary may be)."""
    return value if value and value.strip() else None


def resource_url(article: dict, base_url: str) -> str:
    """The URL of the article in this service: {base_url}/articles/{id}."""
    return f"{base_url.rstrip('/')}/articles/{quote(str(article['id']), safe='')}"


def _modified(article: dict) -> str | None:
    """When the article last changed: the source's own time, else this service's."""
    return article.get("modified_at") or article.get("updated_at")


def _dateline(article: dict) -> dict:
    return article.get("dateline") or {}


def _things(kind: str, names: list[str] | None) -> list[dict]:
    return [{"@type": kind, "name": name} for name in _unique(names)]


def geonames_uri(place: dict) -> str | None:
    gid = place.get("geonames_id")
    return None if gid is None else f"http://sws.geonames.org/{gid}/"


def _located(article: dict) -> dict[str, dict]:
    """The gazetteer's entry for each place name the article gives (see ArticleSchema.geo)."""
    geo = article.get("geo") or {}
    found = {place["name"]: place for place in geo.get("places") or []}
    if geo.get("dateline"):
        found.setdefault(geo["dateline"]["name"], geo["dateline"])
    return found


def _schema_org_place(name: str, place: dict | None) -> dict:
    if place is None:
        return {"@type": "Place", "name": name}
    return _compact({
        "@type": "Place", "name": name, "sameAs": geonames_uri(place),
        "address": {"@type": "PostalAddress", "addressCountry": place["country"]}
        if place.get("country") else None,
        "geo": {"@type": "GeoCoordinates", "latitude": place["latitude"],
                "longitude": place["longitude"]} if "latitude" in place else None,
    })


def to_schema_org(article: dict, base_url: str) -> dict:
    """schema.org NewsArticle as JSON-LD (application/ld+json)."""
    domain = article["source"]
    dateline = _dateline(article)
    body, summary = _text(article.get("body")), _text(article.get("summary"))
    identifiers = [{"@type": "PropertyValue", "propertyID": ID_PROPERTY, "value": article["id"]}]
    if article.get("external_id"):
        identifiers.append({"@type": "PropertyValue", "propertyID": domain,
                            "value": article["external_id"]})
    located = _located(article)
    places = [_schema_org_place(name, located.get(name)) for name in _unique(
        article.get("places"))]
    mentions = [
        *_things("Person", article.get("people")),
        *places,
        # Organisations named and outlets quoted are both Organizations: list each once.
        *_things("Organization",
                 (article.get("organisations") or []) + (article.get("cited_sources") or [])),
    ]
    place = dateline.get("place")
    return _compact({
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "NewsArticle",
        "@id": resource_url(article, base_url),
        "url": article.get("url"),
        "identifier": identifiers,
        "headline": article["headline"],
        "abstract": summary,
        "description": summary,
        "articleBody": body,
        "wordCount": article.get("word_count") if body else None,
        "inLanguage": article.get("language"),
        "datePublished": article["published_at"],
        "dateModified": _modified(article),
        "author": _things("Person", article.get("authors")),
        "publisher": {"@type": "Organization", "name": domain, "url": f"https://{domain}"},
        "dateline": dateline.get("text"),
        "locationCreated": _schema_org_place(place, located.get(place)) if place else None,
        "contentLocation": places,
        "creditText": dateline.get("credit"),
        "keywords": _unique(article.get("tags")),
        "mentions": mentions,
    })


def _named(names: list[str] | None) -> list[dict]:
    return [{"name": name} for name in _unique(names)]


def _ninjs_place(name: str, place: dict | None) -> dict:
    if place is None:
        return {"name": name}
    return _compact({
        "name": name, "uri": geonames_uri(place),
        # GeoJSON positions are longitude first (RFC 7946).
        "geojson": {"type": "Point", "coordinates": [place["longitude"], place["latitude"]]}
        if "latitude" in place else None,
    })


def to_ninjs(article: dict, base_url: str) -> dict:
    """IPTC ninjs 2.2 (application/vnd.iptc.ninjs+json)."""
    domain = article["source"]
    body, summary = _text(article.get("body")), _text(article.get("summary"))
    altids = [{"role": ID_PROPERTY, "value": str(article["id"])}]
    if article.get("external_id"):
        altids.append({"role": domain, "value": article["external_id"]})
    infosources = [{"name": domain, "uri": f"https://{domain}", "role": ROLE_ORIGINATOR}]
    infosources += [{"name": name, "role": ROLE_INFORMATION}
                    for name in _unique(article.get("cited_sources"))]
    bodies = [_compact({
        "role": "main",
        "contenttype": "text/plain",
        "charcount": len(body),
        "wordcount": article.get("word_count"),
        "value": body,
    })] if body else []
    url = article.get("url")
    version = article.get("version")
    located = _located(article)
    return _compact({
        "standard": {"name": "ninjs", "version": "2.2", "schema": NINJS_SCHEMA},
        "uri": resource_url(article, base_url),
        "type": "text",
        "version": None if version is None else str(version),
        "firstcreated": article["published_at"],
        "versioncreated": _modified(article),
        "language": article.get("language"),
        "headlines": [{"role": "main", "value": article["headline"]}],
        "descriptions": [{"role": "summary", "contenttype": "text/plain", "value": summary}]
        if summary else [],
        "bodies": bodies,
        "by": ", ".join(_unique(article.get("authors"))),
        "located": _dateline(article).get("place"),
        "subjects": _named(article.get("tags")),
        "people": _named(article.get("people")),
        "places": [_ninjs_place(name, located.get(name))
                   for name in _unique(article.get("places"))],
        "organisations": _named(article.get("organisations")),
        "infosources": infosources,
        "altids": altids,
        # ninjs 2.2 has no link member: the publisher's own page is the item's web rendition.
        "renditions": [{"name": "web", "href": _as_uri(url)}] if url else [],
    })
