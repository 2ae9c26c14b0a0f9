"""schema.org NewsArticle (JSON-LD) and IPTC ninjs 2.2 representations of an article."""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema.exceptions import ValidationError

from api.text.words import word_count
from api.web.representations import to_ninjs, to_schema_org
from api.writing.store import content_hash
from tests.conftest import SAMPLE_ARTICLE

BASE = "http://127.0.0.1:8000"
ARTICLE_ID = "0190b1a4-6f2e-7c3a-9d0e-5b8f1c2d3e4f"
RESOURCE = f"{BASE}/articles/{ARTICLE_ID}"
ORIGINATOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/origcont"
INFORMATION = "http://cv.iptc.org/newscodes/contentprodpartyrole/originfo"


def stored(written: dict, **read_only) -> dict:
    """An article as ArticleSchema dumps it: what a client wrote plus the derived fields."""
    return {
        **copy.deepcopy(written),
        "id": ARTICLE_ID,
        "word_count": word_count(written.get("body")),
        "content_hash": content_hash(written.get("body")),
        "version": 3,
        "created_at": "2026-11-23T10:00:00Z",
        "updated_at": "2026-11-24T08:30:00.25Z",
        **read_only,
    }


def sample_article(**changes) -> dict:
    return stored({**SAMPLE_ARTICLE, **changes})


def minimal_article() -> dict:
    return stored({
        "source": "kayhan.ir", "external_id": None, "url": None,
        "headline": "Border post closed", "summary": None, "body": None, "language": None,
        "published_at": "2021-07-14T21:46:00+04:30", "modified_at": None,
        "authors": [], "dateline": None, "tags": [], "people": [], "places": [],
        "organisations": [], "cited_sources": [],
    }, version=1)


# "Foreign news agencies": Persian joins a plural suffix with a zero-width non-joiner.
AGENCIES = "خبرگزاری‌های خارجی"


def persian_article() -> dict:
    return sample_article(
        source="kayhan.ir", external_id="۹۲۴۲۷", language="fa",
        url="https://kayhan.ir/fa/news/۹۲۴۲۷/گذرگاه-مرزی",
        headline="شبه‌نظامیان می‌گویند گذرگاه اصلی مرزی را در دست دارند",
        summary="ادعاهای متفاوت درباره یک پاسگاه مرزی در جنوب.",
        body="جنگجویان روز چهارشنبه اعلام کردند که گذرگاه مرزی اسپین بولدک را در اختیار دارند.",
        authors=["محمد رضایی", "فاطمة الزهراء"],
        dateline={"text": f"کابل ({AGENCIES})", "place": "کابل", "credit": AGENCIES},
        tags=["افغانستان"], people=["اشرف غنی", "عبد الله عبد الله"],
        places=["کابل", "سپین بولدک", "قندهار"], organisations=["طالبان", "حلف الناتو"],
        cited_sources=["الجزيرة", "اسپوتنیک"],
        modified_at="2021-07-15T08:00:00+04:30",
    )


ARTICLES = {
    "sample": sample_article,
    "minimal": minimal_article,
    "persian-arabic": persian_article,
    "with-authors-and-odd-url": lambda: sample_article(
        authors=["Ali Ahmadi", "Sara Karimi"], url="https://kayhan.ir/en/news/92427?q=a b%zz#x#y",
        dateline={"text": None, "place": None, "credit": None}, summary="", body=" \n "),
}


def _empties(value, path="") -> list[str]:
    """Paths of every null or empty member anywhere in a JSON document."""
    found = []
    if value is None or value in ("", [], {}):
        found.append(path or "/")
    if isinstance(value, dict):
        for key, member in value.items():
            found += _empties(member, f"{path}/{key}")
    elif isinstance(value, list):
        for index, member in enumerate(value):
            found += _empties(member, f"{path}/{index}")
    return found


# schema.org


def test_schema_org_sample_key_fields():
    document = to_schema_org(sample_article(), BASE)

    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "NewsArticle"
    assert document["@id"] == RESOURCE
    assert document["url"] == "https://kayhan.ir/en/news/92427"
    assert document["headline"] == SAMPLE_ARTICLE["headline"]
    assert document["datePublished"] == "2021-07-14T21:46:00+04:30"
    assert document["dateModified"] == "2026-11-24T08:30:00.25Z"
    assert document["publisher"] == {
        "@type": "Organization", "name": "kayhan.ir", "url": "https://kayhan.ir"}
    assert document["dateline"] == "KABUL (Dispatches)"
    assert document["locationCreated"] == {"@type": "Place", "name": "Kabul"}
    assert document["creditText"] == "Dispatches"
    assert document["inLanguage"] == "en"
    assert document["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "dateline:id", "value": ARTICLE_ID},
        {"@type": "PropertyValue", "propertyID": "kayhan.ir", "value": "92427"},
    ]
    assert document["articleBody"] == SAMPLE_ARTICLE["body"]
    assert document["abstract"] == document["description"] == SAMPLE_ARTICLE["summary"]
    assert document["wordCount"] == word_count(SAMPLE_ARTICLE["body"]) > 0
    assert document["keywords"] == ["Afghanistan", "border security"]
    assert document["mentions"] == [
        {"@type": "Person", "name": "Ashraf Ghani"},
        {"@type": "Person", "name": "Zamir Kabulov"},
        {"@type": "Person", "name": "Arif Kakar"},
        {"@type": "Place", "name": "Kabul"},
        {"@type": "Place", "name": "Spin Boldak"},
        {"@type": "Place", "name": "Chaman"},
        {"@type": "Place", "name": "Balkh Province"},
        {"@type": "Organization", "name": "Taliban"},
        {"@type": "Organization", "name": "NATO"},
        {"@type": "Organization", "name": "Al Jazeera"},
        {"@type": "Organization", "name": "Sputnik"},
    ]
    assert "author" not in document  # the sample has no bylines


def test_schema_org_authors_and_source_modified_time():
    document = to_schema_org(
        sample_article(authors=["Ali Ahmadi", "Sara Karimi"],
                       modified_at="2021-07-15T06:10:00-03:00"), BASE)

    assert document["author"] == [{"@type": "Person", "name": "Ali Ahmadi"},
                                  {"@type": "Person", "name": "Sara Karimi"}]
    assert document["dateModified"] == "2021-07-15T06:10:00-03:00"


def test_schema_org_minimal_article_omits_what_it_lacks():
    document = to_schema_org(minimal_article(), BASE)

    assert document == {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": RESOURCE,
        "identifier": [
            {"@type": "PropertyValue", "propertyID": "dateline:id", "value": ARTICLE_ID}],
        "headline": "Border post closed",
        "datePublished": "2021-07-14T21:46:00+04:30",
        "dateModified": "2026-11-24T08:30:00.25Z",
        "publisher": {"@type": "Organization", "name": "kayhan.ir", "url": "https://kayhan.ir"},
    }


def test_schema_org_non_latin_names_kept_as_written():
    article = persian_article()
    document = to_schema_org(article, BASE)

    assert document["headline"] == article["headline"]
    assert document["inLanguage"] == "fa"
    assert document["url"] == article["url"]
    assert document["dateline"] == f"کابل ({AGENCIES})"
    assert document["locationCreated"] == {"@type": "Place", "name": "کابل"}
    assert document["creditText"] == AGENCIES
    assert {"@type": "PropertyValue", "propertyID": "kayhan.ir", "value": "۹۲۴۲۷"} \
        in document["identifier"]
    assert [a["name"] for a in document["author"]] == ["محمد رضایی", "فاطمة الزهراء"]
    names = {(m["@type"], m["name"]) for m in document["mentions"]}
    assert names == {("Person", "اشرف غنی"), ("Person", "عبد الله عبد الله"),
                     ("Place", "کابل"), ("Place", "سپین بولدک"), ("Place", "قندهار"),
                     ("Organization", "طالبان"), ("Organization", "حلف الناتو"),
                     ("Organization", "الجزيرة"), ("Organization", "اسپوتنیک")}
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document


def test_schema_org_names_an_organisation_that_is_also_a_cited_source_once():
    document = to_schema_org(sample_article(organisations=["Al Jazeera", "NATO"]), BASE)

    organisations = [m["name"] for m in document["mentions"] if m["@type"] == "Organization"]
    assert organisations == ["Al Jazeera", "NATO", "Sputnik"]


# ninjs


def test_ninjs_sample_key_fields():
    document = to_ninjs(sample_article(), BASE)

    assert document["uri"] == RESOURCE
    assert document["type"] == "text"
    assert document["version"] == "3"
    assert document["standard"] == {
        "name": "ninjs", "version": "2.2",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"}
    assert document["firstcreated"] == "2021-07-14T21:46:00+04:30"
    assert document["versioncreated"] == "2026-11-24T08:30:00.25Z"
    assert document["language"] == "en"
    assert document["headlines"] == [{"role": "main", "value": SAMPLE_ARTICLE["headline"]}]
    assert document["descriptions"] == [{"role": "summary", "contenttype": "text/plain",
                                         "value": SAMPLE_ARTICLE["summary"]}]
    assert document["bodies"] == [{
        "role": "main", "contenttype": "text/plain",
        "charcount": len(SAMPLE_ARTICLE["body"]),
        "wordcount": word_count(SAMPLE_ARTICLE["body"]),
        "value": SAMPLE_ARTICLE["body"]}]
    assert document["located"] == "Kabul"
    assert "by" not in document
    assert document["subjects"] == [{"name": "Afghanistan"}, {"name": "border security"}]
    assert document["people"] == [
        {"name": "Ashraf Ghani"}, {"name": "Zamir Kabulov"}, {"name": "Arif Kakar"}]
    assert document["places"] == [
        {"name": "Kabul"}, {"name": "Spin Boldak"}, {"name": "Chaman"},
        {"name": "Balkh Province"}]
    assert document["organisations"] == [{"name": "Taliban"}, {"name": "NATO"}]
    assert document["infosources"] == [
        {"name": "kayhan.ir", "uri": "https://kayhan.ir", "role": ORIGINATOR},
        {"name": "Al Jazeera", "role": INFORMATION},
        {"name": "Sputnik", "role": INFORMATION},
    ]
    assert document["altids"] == [{"role": "dateline:id", "value": ARTICLE_ID},
                                  {"role": "kayhan.ir", "value": "92427"}]
    assert {"role": "kayhan.ir", "value": "92427"} in document["altids"]
    assert document["renditions"] == [{"name": "web", "href": SAMPLE_ARTICLE["url"]}]


def test_ninjs_authors_and_source_modified_time():
    document = to_ninjs(sample_article(authors=["Ali Ahmadi", "Sara Karimi"],
                                       modified_at="2021-07-15T06:10:00-03:00"), BASE)

    assert document["by"] == "Ali Ahmadi, Sara Karimi"
    assert document["versioncreated"] == "2021-07-15T06:10:00-03:00"


def test_ninjs_minimal_article_omits_what_it_lacks():
    document = to_ninjs(minimal_article(), BASE)

    assert document == {
        "standard": {"name": "ninjs", "version": "2.2",
                     "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"},
        "uri": RESOURCE,
        "type": "text",
        "version": "1",
        "firstcreated": "2021-07-14T21:46:00+04:30",
        "versioncreated": "2026-11-24T08:30:00.25Z",
        "headlines": [{"role": "main", "value": "Border post closed"}],
        "infosources": [{"name": "kayhan.ir", "uri": "https://kayhan.ir", "role": ORIGINATOR}],
        "altids": [{"role": "dateline:id", "value": ARTICLE_ID}],
    }


def test_ninjs_non_latin_names_kept_as_written():
    article = persian_article()
    document = to_ninjs(article, BASE)

    assert document["headlines"] == [{"role": "main", "value": article["headline"]}]
    assert document["by"] == "محمد رضایی, فاطمة الزهراء"
    assert document["located"] == "کابل"
    assert document["people"] == [{"name": "اشرف غنی"}, {"name": "عبد الله عبد الله"}]
    assert document["organisations"] == [{"name": "طالبان"}, {"name": "حلف الناتو"}]
    assert [s["name"] for s in document["infosources"]] == ["kayhan.ir", "الجزيرة", "اسپوتنیک"]
    assert {"role": "kayhan.ir", "value": "۹۲۴۲۷"} in document["altids"]
    # The canonical URL is an IRI; ninjs wants a URI, so it is percent-encoded as UTF-8.
    href = document["renditions"][0]["href"]
    assert href.isascii()
    assert href.startswith("https://kayhan.ir/fa/news/%DB%B9%DB%B2")


def test_ninjs_escapes_what_a_uri_may_not_hold():
    document = to_ninjs(ARTICLES["with-authors-and-odd-url"](), BASE)

    assert "bodies" not in document  # a body of white space only is no body

    assert document["renditions"] == [
        {"name": "web", "href": "https://kayhan.ir/en/news/92427?q=a%20b%25zz#x%23y"}]


@pytest.mark.parametrize("name", list(ARTICLES))
def test_ninjs_validates_against_the_2_2_schema(ninjs_validator, name):
    document = to_ninjs(ARTICLES[name](), BASE)

    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in ninjs_validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("name", list(ARTICLES))
def test_no_null_or_empty_members(name):
    article = ARTICLES[name]()

    assert _empties(to_ninjs(article, BASE)) == []
    assert _empties(to_schema_org(article, BASE)) == []


@pytest.mark.parametrize(("path", "value"), [
    (("type",), 7),
    (("type",), "article"),
    (("uri",), "not a uri"),
    (("firstcreated",), "2021-07-14 21:46"),
    (("versioncreated",), "yesterday"),
    (("version",), 3),
    (("headlines", 0, "headline"), "unknown member"),
    (("bodies", 0, "wordcount"), "sixty"),
    (("infosources", 1, "uri"), "http://exa mple.com"),
    (("dateline",), "KABUL (Dispatches)"),
])
def test_the_ninjs_validator_rejects_broken_documents(ninjs_validator, path, value):
    document = to_ninjs(sample_article(), BASE)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    with pytest.raises(ValidationError):
        ninjs_validator.validate(document)


def test_the_ninjs_validator_requires_uri(ninjs_validator):
    document = to_ninjs(sample_article(), BASE)
    del document["uri"]

    with pytest.raises(ValidationError, match="'uri' is a required property"):
        ninjs_validator.validate(document)


def test_fields_outside_the_formats_are_ignored_and_input_is_left_alone():
    article = sample_article(published_at_basis="source", duplicate_of=None)
    before = copy.deepcopy(article)

    with_extras = (to_schema_org(article, BASE + "/"), to_ninjs(article, BASE + "/"))

    assert article == before
    plain = sample_article()
    assert with_extras == (to_schema_org(plain, BASE), to_ninjs(plain, BASE))
    assert "published_at_basis" not in json.dumps(with_extras)


def test_a_stored_article_from_the_api_converts_and_validates(create, request):
    article = create(authors=["Ali Ahmadi"])

    schema_org = to_schema_org(article, "http://localhost")
    ninjs = to_ninjs(article, "http://localhost")

    assert schema_org["@id"] == ninjs["uri"] == f"http://localhost/articles/{article['id']}"
    assert schema_org["datePublished"] == ninjs["firstcreated"] == "2021-07-14T21:46:00+04:30"
    assert ninjs["version"] == "1"
    request.getfixturevalue("ninjs_validator").validate(ninjs)
