"""The people, places, organisations and cited outlets a news text names.

Rules over capitalised spans, not a statistical model: a write pays well under a
millisecond for a thousand words, and every decision can be read here. A span is cut
free of sentence-opening words, demonyms and titles, then tried as an outlet (a known
name or an outlet-like one, kept only where the text attributes something to it), an
organisation (a known name, an institution word such as Ministry or Party, an acronym),
a place (the gazetteer) and a person (a given name, a title or a speech verb beside it).
Surnames alone fold into the fullest name the text gives, acronyms into the long form
the text spells out. Text in a script without capitals (Persian, Arabic) yields nothing
rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from api.text import cues, gazetteer
from api.text.gazetteer import Place

VERSION = 3
FIELDS = ("people", "places", "organisations", "cited_sources")
_MAX_CHARS = 200_000  # the first 200,000 characters name whom a story is about
_FUNCTION_LANGUAGES = ("en", "fr")  # the languages the rules read

_LONG_FORM_CHARS = 300
_MAX_RUN_CHARS = 300
_MAX_NAME_WORDS = 12
_MAX_NAMESAKES = 20
_MAX_EXPANSIONS = 50  # a story spells out a handful; a hostile text must not cost more
_UNMISTAKABLE_CITY_POPULATION = 500_000  # ... and if an everyday word, a very big one


@dataclass(slots=True)
class _Span:
    tokens: tuple[str, ...]
    start: int  # character offsets in the text
    end: int
    opens_sentence: bool
    title: bool = False  # a title or honorific stood before it
    beside_place: bool = False  # hyphened to a place: 'Chaman-Spin Boldak'



@dataclass
class Entities:
    people: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    cited_sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {name: getattr(self, name) for name in FIELDS}


def extract_entities(headline: str, body: str | None, dateline: dict | None = None,
                     language: str | None = None) -> Entities:
    """The names a text gives, in order of first appearance, one entry per entity."""
    # A Headline In Title Case capitalises every word: its names come again in the body.
    text = f"{'' if _title_case(headline) else headline}\n{body or ''}"[:_MAX_CHARS]
    reader = _Reader(text, gazetteer.everyday_words(language))
    credit = ((dateline or {}).get("credit") or "").strip()
    if credit:
        reader.cite(credit)
    place = ((dateline or {}).get("place") or "").split(",")[0].strip()
    if place:
        reader.add_place(place, dateline=True)
    spans = list(_spans(text))
    reader.surnames_used = {span.tokens[-1] for span in spans
                            if text.startswith(cues.SPEECH_OPENINGS, span.end)
                            and cues.SPEECH_AFTER.match(text, span.end)}
    for span in spans:
        reader.read(span)
    return reader.result()


class _Reader:
    def __init__(self, text: str, common: frozenset[str]):
        self.text = text
        self.common = common
        # (field, name) in order of appearance; fields 'maybe-person' and
        # 'titled-person' hold single words that may be surnames.
        self.found: list[tuple[str, str]] = []
        self.expansions = _expansions(text)  # acronym (folded) → (long form, its start)
        self.long_forms = [(start, end) for _, start, end in self.expansions.values()]
        self.long_forms_end = max((end for _, end in self.long_forms), default=0)
        # Last words of names a speech verb follows ('Saka said'): surnames.
        self.surnames_used: set[str] = set()
        self.read_until = 0  # spans before this offset were read as part of a longer name
        self.last_org = (-10, "")  # where the last organisation ended, and its name
        self.aliases: dict[str, str] = {}  # acronym (folded) → the name it stands for
        self._people_last: set[str] = set()
        self._people_read = 0

    def cite(self, credit: str) -> None:
        """The agencies a dateline credits: '(Reuters)', '(APP)', '(AFP/Reuters)'."""
        for name in re.split(r"\s*(?:/|,|\band\b|&)\s*", credit):
            outlet = _outlet(name) or (name if _is_acronym(name) else None)
            if outlet:
                self.found.append(("cited_sources", outlet))

    def add_place(self, name: str, dateline: bool = False) -> bool:
        canonical = _place_name(name, dateline, self.common)
        if canonical is not None:
            self.found.append(("places", canonical))
        return canonical is not None

    def read(self, span: _Span, whole: bool = False) -> None:
        """Classify one span; whole: it is a part of a split span, not to split again."""
        if span.start < self.read_until:
            span = _rest_after(span, self.read_until)
            if span is None:
                return  # read as the end of a longer name
        tokens = span.tokens
        name = _name(tokens)
        joined, folded = name.joined, name.folded
        start, end = span.start, span.end
        before = self.text[start - 60 if start > 60 else 0:start]
        after = self.text[end:end + 60]
        # The word before the name, which every cue before a name ends on.
        tail = before[-30:].rstrip()
        space, newline = tail.rfind(" "), tail.rfind("\n")
        last = tail[(space if space > newline else newline) + 1:].casefold()
        spaced = before[-1:].isspace()
        if start < self.long_forms_end and any(
                first <= start and end <= final for first, final in self.long_forms):
            return  # inside a long form spelled out before its acronym: read as one
        alias = cues.ALIAS_BEFORE.search(before) if name.acronym and len(tokens) == 1 and (
            before.endswith("(") or last in ("as", "called")) else None
        if alias and 0 <= span.start - self.last_org[0] <= len(alias[0]) + 1:
            # 'the Meteorology, Climatology and Geophysics Agency (BMKG)': the long form
            # is the organisation's name, whatever the acronym's letters.
            self.aliases.setdefault(folded, self.last_org[1])
            return
        if len(tokens) == 1 and folded in self.expansions and before.endswith("(") and not (
                _outlet_like(self.expansions[folded][0])):
            self.found.append(("organisations", self.expansions[folded][0]))
            return
        if name.of_not_and and self._person_of(span):
            return
        if not whole and not name.one_name:
            parts = _split_span(span)
            if len(parts) > 1:
                for part in parts:
                    for name in _retrim(part):
                        self.read(name, whole=True)
                return
        outlet = name.outlet
        described = None
        if outlet is None and not name.known_org:
            # 'the daily Dawn', 'la télévision publique ORTM'; 'the Herald newspaper',
            # 'Mwananchi, a Swahili-language daily,'
            described = (spaced and last in cues.DESCRIBED_PREV and (
                cues.DESCRIBED_BEFORE.search(before[-40:]))) or (
                cues.DESCRIBED_AFTER.match(after) if after.startswith(
                    cues.DESCRIBED_AFTER_OPENINGS)
                and not name.demonym and not name.placed else None)
            if described is not None and (len(tokens) > 1 or folded not in self.common):
                outlet = joined  # not 'la télévision d'État'
            else:
                described = None
        if outlet is not None or name.outlet_word:
            kind = cues.DESCRIBED_AFTER.match(after)
            if _cited_before(before, last) or cues.CITE_AFTER.match(after) or (
                    kind is not None and cues.CITE_AFTER.match(after[kind.end():])) or (
                    described is not None and described.re is cues.DESCRIBED_BEFORE
                    and cues.CITED_DESCRIPTION.search(
                        before[:max(0, len(before) - 40) + described.start()])):
                self.found.append(("cited_sources", outlet or joined))
                return
            if described is None:
                return
        if name.acronym and not name.known_org and (
                _strongly_cited(before, last) or cues.REPORTED.match(after)):
            self.found.append(("cited_sources", joined))
            return
        if name.no_entity:
            return
        if name.company and len(tokens) == 1 and not span.title and not name.region and not (
                name.placed and _placed_before(before, last)) and (
                folded not in self.common or not span.opens_sentence):
            # 'Boeing', 'Toyota'; 'Apple' in mid-sentence; a surname the text gives
            # ('Suzuki said') stays the person's
            self.found.append(("maybe-company", joined))
            return
        if (name.company and len(tokens) > 1) or name.org or ((
                (spaced and last in cues.ORG_NOUNS) or (
                cues.ORG_DESCRIBED_AFTER.match(after))) and not self._named_person(tokens)):
            # 'state energy company Sonatrach', 'Saudi club Al Hilal', 'Eni CEO …'
            self.found.append(("organisations", self._listed(span, joined, before, after)))
            return
        place = _place_name(joined, False, self.common)
        if place is not None:
            self.found.append(("places", place))
            return
        if span.beside_place or name.land or cues.REGION_AFTER.match(after):
            self.found.append(("places", joined))  # 'North Darfur', 'East Azerbaijan'
            return
        if len(tokens) == 1:
            if span.title:
                self.found.append(("titled-person", joined))
            elif _strongly_cited(before, last) and (
                    folded not in self.common) and (
                    joined not in gazetteer.given_names()):
                self.found.append(("maybe-outlet", joined))  # 'told Rudaw'
                self.found.append(("maybe-person", joined))
            elif not span.opens_sentence and _placed_before(before, last) and (
                    joined not in gazetteer.given_names()):
                if name.placed:
                    self.found.append(("places", joined))  # 'in Geneva': the city
                elif folded not in self.common:
                    self.found.append(("maybe-person", joined))
                    self.found.append(("unknown-place", joined))
                else:
                    self.found.append(("maybe-person", joined))
            else:
                self.found.append(("maybe-person", joined))
            return
        if len(tokens) <= 5 and self._person_like(tokens, lambda: span.title or bool(
                cues.PERSON_AFTER.match(after) or (last in cues.PERSON_WORDS and (
                    cues.PERSON_BEFORE.search(before))))):
            self.found.append(("people", joined))
        elif _strongly_cited(before, last) or cues.REPORTED.match(after):
            self.found.append(("cited_sources", joined))
        elif any(t.casefold() in self.common for t in tokens) or _place_word(
                tokens[0], strict=True) or gazetteer.is_demonym(tokens[0]):
            # 'Karachi Kings', 'Energy Aspects', 'National Rally': a name made of words.
            self.found.append(("maybe-organisation", joined))
        elif len(tokens) <= 4 and not any(_is_acronym(t) for t in tokens):
            self.found.append(("people", joined))  # 'Xóchitl Gálvez': names, not words

    def _listed(self, span: _Span, joined: str, before: str, after: str) -> str:
        """An organisation's whole name where a list of subjects runs across commas:
        'Ministry of Trade, Industry and Energy', 'Meteorology, Climatology and
        Geophysics Agency'."""
        end = span.end
        if span.tokens[0].casefold() in cues.ORG_HEADS and "of" in span.tokens:
            more = cues.LIST_AFTER.match(after)
            if more:
                joined, end = joined + more[0], span.end + more.end()
                self.read_until = end
        elif "and" in span.tokens and span.tokens[-1].casefold() in cues.ORG_HEADS:
            more = cues.LIST_BEFORE.search(before)
            if more:
                joined = more[0] + joined
        self.last_org = (end, joined)
        return joined

    def _named_person(self, tokens: list[str]) -> bool:
        """The last word of a person found before, or of a name used as a surname."""
        # Brought up to date with what was found since the last call: linear in all.
        for kind, name in self.found[self._people_read:]:
            if kind == "people":
                self._people_last.add(name.split()[-1])
        self._people_read = len(self.found)
        return tokens[-1] in self.surnames_used or tokens[-1] in self._people_last

    def _person_of(self, span: _Span) -> bool:
        """'Paolo Reyes of the University of the Philippines', 'Ana Ruiz of Neuquén': a
        person, then where they are from, read apart."""
        at = span.tokens.index("of")
        left, right = span.tokens[:at], span.tokens[at + 1:]
        while right and right[0] in cues.CONNECTORS:
            right = right[1:]
        # A given name opens the person's name, or no word of it is an everyday one
        # ('Amine Adli of Bayer Leverkusen'; not 'Bank of England', 'Islamic Republic').
        if not (2 <= len(left) <= 4 and right and (
                left[0] in gazetteer.given_names() or not any(
                    t.casefold() in self.common or _is_acronym(t) for t in left))
                and not any(_org_head(t) or _is_title(t) for t in left)):
            return False
        end = span.start + len(" ".join(left))
        self.read(_Span(left, span.start, end, span.opens_sentence, span.title), whole=True)
        self.read(_Span(right, span.end - len(" ".join(right)), span.end, False), whole=True)
        return True

    def _person_like(self, tokens: tuple[str, ...], cue) -> bool:
        if _name(tokens).unlike_person:
            return False
        if tokens[-1] in self.surnames_used or cue():
            return True
        first = tokens[0].split("-")[0]
        # Famous surnames are everyday words to a word list, and so are some middle
        # names ('Cristian Pop Dumitrescu'): a short name goes by its given name.
        return first in gazetteer.given_names() and (len(tokens) <= 3 or not any(
            t.casefold() in self.common and t not in gazetteer.given_names()
            and t not in cues.CONNECTORS for t in tokens[1:-1]))

    def result(self) -> Entities:
        people = _PeopleBySurname(name for kind, name in self.found if kind == "people")
        placed = {name.casefold() for kind, name in self.found if kind == "places"}
        entities = Entities()
        lists = entities.as_dict()
        seen: set[tuple[str, str]] = set()
        folded_people = people.surnames
        for kind, name in self.found:
            if kind in ("maybe-person", "titled-person"):  # the most frequent first
                full = people.fullest(name)
                if full is None and kind == "maybe-person":
                    continue
                kind, name = "people", full or name
            elif kind == "places":
                pass
            elif kind == "maybe-company":
                if people.fullest(name) is not None:
                    continue
                kind = "organisations"
            elif kind == "maybe-outlet":
                if people.fullest(name) is not None:
                    continue  # 'told Kakar': the surname of someone the text names
                kind = "cited_sources"
            elif kind == "maybe-organisation":
                if name.casefold() in placed:
                    continue  # 'Spin Boldak' read as a place where the text said so
                kind = "organisations"
            elif kind == "unknown-place":
                # A capitalised word after 'in' or 'near' that is no one's surname and
                # not in the gazetteer: a village, a district, a camp.
                if name in folded_people:
                    continue
                kind = "places"
            elif kind == "people":
                name = people.fullest(name) or name
            elif kind in ("organisations", "cited_sources"):
                if kind == "organisations" and name.casefold() in self.aliases:
                    name = self.aliases[name.casefold()]
                long_form = self.expansions.get(name.casefold())
                if long_form and (kind == "organisations") != _outlet_like(long_form[0]):
                    name = long_form[0]  # 'Saudi Press Agency (SPA)' cites the agency
                if kind == "organisations" and _outlet(name):
                    continue
            key = (kind, name.casefold())
            if key not in seen:
                seen.add(key)
                lists[kind].append(name)
        return entities


def _one_name(tokens: tuple[str, ...], folded: str) -> bool:
    """Whether a run joined by 'and' or a hyphen is one name ('Trinidad and Tobago',
    'Justice and Development Party', 'Ministry of Health and Child Care') rather than
    several ('China and India')."""
    if folded in cues.KNOWN_ORGS or _outlet(" ".join(tokens)) is not None or (
            gazetteer.candidates(" ".join(tokens))):
        return True
    if "and" in tokens or "&" in tokens or "et" in tokens:
        at = [t in ("and", "&", "et") for t in tokens].index(True)
        left, right = tokens[:at], tokens[at + 1:]
        if tokens[-1].casefold() in cues.ORG_HEADS:
            # 'Justice and Development Party' and 'Oil and Gas Development Company' are
            # one name; 'Zenith Bank and Guaranty Trust Holding Company', 'China and
            # India' and 'Pakistan and the IMF' two.
            return bool(left) and not (
                (len(left) > 1 and left[-1].casefold() in cues.ORG_HEADS)
                or gazetteer.candidates(" ".join(left))
                or " ".join(left).casefold() in cues.KNOWN_ORGS)
        # 'European Bank for Reconstruction and Development': an institution 'of' or
        # 'for' a subject in everyday words.
        return bool(right) and len(right) <= 3 and right[0] not in cues.CONNECTORS and any(
            _org_head(left[i]) and left[i + 1] in ("of", "for")
            for i in range(len(left) - 1)) and all(
            t.casefold() in gazetteer.known_words() and not _org_head(t) for t in right
        ) and not gazetteer.candidates(" ".join(right))
    return tokens[-1].casefold() in cues.ORG_HEADS


def _org_head(word: str) -> bool:
    """An institution word, or its plural: 'Centres' in 'Africa Centres for …'."""
    folded = word.casefold()
    return folded in cues.ORG_HEADS or (folded.endswith("s") and folded[:-1] in cues.ORG_HEADS)


def _split_span(span: _Span) -> list[_Span]:
    """The names in a run joined by 'and', '&' or a hyphen between two places."""
    parts = _split_parts(span.tokens, span.end - span.start)
    if parts is None:
        return [span]
    return [_Span(tokens, span.start + first, span.start + last, False,
                  beside_place=beside_place) for first, last, tokens, beside_place in parts]


@lru_cache(maxsize=65536)
def _split_parts(tokens: tuple[str, ...], length: int):
    """_split_span's parts as (start, end relative to the span, words, beside a place),
    or None when the run is one name."""
    parts, current, start = [], [], 0
    position = 0
    for token in tokens:
        if token in ("and", "et", "&"):
            if current:
                parts.append([start, position - 1, current, False])
            current = []
            position += len(token) + 1
            continue
        pieces = token.split("-")
        while len(pieces) > 1 and all(pieces) and pieces[-1][0].isupper() and _place_word(
                pieces[0]):
            current.append(pieces[0])
            parts.append([start, position + len(pieces[0]), current, True])
            position += len(pieces[0]) + 1
            current, start, pieces = [], position, pieces[1:]
        rest = "-".join(pieces)
        if not current:
            start = position
        current.append(rest)
        position += len(rest) + 1
    if current:
        parts.append([start, length, current, bool(parts) and parts[-1][3]])
    if len(parts) < 2:
        return None
    for part in parts:  # 'Pakistan and the IMF': the second name is 'IMF'
        while part[2] and part[2][0] in cues.CONNECTORS:
            part[2] = part[2][1:]
    return tuple((first, last, tuple(words), beside) for first, last, words, beside in parts
                 if words)


def _rest_after(span: _Span, offset: int) -> _Span | None:
    """What is left of a span once the words before offset were read with a name before
    it: 'and the Oil and Gas Development Company' after 'Industry and Energy'."""
    starts = _starts(span)
    first = 0
    while first < len(span.tokens) and (
            starts[first] < offset or span.tokens[first] in cues.CONNECTORS
            or span.tokens[first] in ("and", "et", "&")):
        first += 1
    return _Span(span.tokens[first:], starts[first], span.end, False) if (
        first < len(span.tokens)) else None


def _starts(span: _Span) -> list[int]:
    """Where each of a span's words starts in the text (its words one space apart, as
    a run's are but for tabs and repeated spaces)."""
    starts = [span.start]
    for token in span.tokens[:-1]:
        starts.append(starts[-1] + len(token) + 1)
    return starts


def _retrim(part: _Span) -> list[_Span]:
    """A part of a split run cut free of its own demonyms and titles: 'Kazakh President
    Kassym-Jomart Tokayev' in 'Vladimir Putin and Kazakh President Kassym-Jomart
    Tokayev'."""
    trimmed = _trim(tuple(part.tokens), False)
    if trimmed is None:
        return []
    starts = _starts(part)
    first, last, words, _, title, office = trimmed
    names = []
    if office is not None:
        names.append(_Span(office[2], starts[office[0]],
                           starts[office[1]] + len(part.tokens[office[1]]), False))
    names.append(_Span(words, starts[first], starts[last] + len(part.tokens[last]),
                       False, title or part.title, part.beside_place))
    return names


def _place_word(word: str, strict: bool = False) -> bool:
    """A word that is a place before it is anyone's given name: 'Chaman', not 'Jean';
    strict: and not a small town's name ('Kent' in 'Kent Walker')."""
    places = gazetteer.candidates(word)
    if not places:
        return False
    big = places[0].kind != "city" or places[0].population >= gazetteer.BIG_CITY
    return big if strict else big or word not in gazetteer.given_names()


def _expansions(text: str) -> dict[str, tuple[str, int, int]]:
    """Acronyms the text spells out, 'the Indian Space Research Organisation (ISRO)', by
    Schwartz and Hearst's algorithm: acronym → (long form, start, end)."""
    found = {}
    for match in cues.ACRONYM_DEFINED.finditer(text):
        if len(found) >= _MAX_EXPANSIONS:
            break
        short = match[1]
        if sum(c.isupper() for c in short) < 2:
            continue
        # A long form is at most 18 words: look no further back (a linear scan).
        window = max(0, match.start() - _LONG_FORM_CHARS)
        sentence_start = max(text.rfind(". ", window, match.start()),
                             text.rfind("\n", window, match.start()), window - 1)
        words = text[sentence_start + 1:match.start()].split()[-min(len(short) + 10, 18):]
        long_form = _long_form(short, " ".join(words))
        if long_form:
            long_form = cues.LEADING_ARTICLE.sub("", long_form).strip(" ,")
        if not (long_form and long_form[0].isupper() and " " in long_form):
            # 'Justice and Development Party (AKP)': named in another language.
            phrase = " ".join(words)
            start, end = max(_runs(phrase), default=(0, -1))  # the last run
            named = phrase[start:end].split()
            if end == len(phrase) and named[-1].casefold() in cues.ORG_HEADS:
                # "Erdogan's Justice and Development Party": the name after the owner.
                owners = [i for i, word in enumerate(named) if word.endswith(("'s", "’s"))
                          and _bare(word) not in cues.NAMES_WITH_S]
                long_form = " ".join(named[owners[-1] + 1:] if owners else named)
        if long_form:
            long_form = cues.LEADING_ARTICLE.sub("", long_form).strip(" ,")
        if long_form and long_form[0].isupper() and " " in long_form:
            end = match.start()
            start = text.rfind(long_form, window, end)
            found.setdefault(short.casefold(), (long_form, start, start + len(long_form)))
    return found


@lru_cache(maxsize=4096)
def _long_form(short: str, long: str) -> str | None:
    s, position = len(short) - 1, len(long) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while position >= 0 and (long[position].lower() != char or (
                s == 0 and position > 0 and long[position - 1].isalnum())):
            position -= 1
        if position < 0:
            return None
        position -= 1
        s -= 1
    return long[long.rfind(" ", 0, position + 1) + 1:]


def _title_case(line: str) -> bool:
    words = [w for w in line.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


class _PeopleBySurname:
    """The people found, by last word: a surname finds the fullest name ending with it
    in time that does not grow with the number of people."""

    def __init__(self, names):
        self.by_last: dict[str, list[str]] = {}
        for name in names:
            self.by_last.setdefault(name.split()[-1], []).append(name)
        self.surnames = set(self.by_last)

    def fullest(self, name: str) -> str | None:
        """The longest person name that ends with (or is) this one, if the text gives one."""
        words = name.split()
        best = None
        for person in self.by_last.get(words[-1], ())[:_MAX_NAMESAKES]:
            parts = person.split()
            if len(parts) >= len(words) and parts[-len(words):] == words and (
                    best is None or len(parts) > len(best.split())):
                best = person
        return best


@lru_cache(maxsize=65536)
def _place_name(name: str, dateline: bool, common: frozenset[str]) -> str | None:
    """The place a name is, as the article list writes it, or None: a lone word is a
    town only if a big one, and an everyday word only if a very big one."""
    written = _strip_generic(name)
    places = gazetteer.candidates(written)
    if not places or (len(written.replace(".", "")) <= 3
                      and not written.replace(".", "").isupper()):
        return None  # 'LA' and 'UK' are places; French 'La' and Turkish 'Of' are not
    best = places[0]
    if not dateline and " " not in written and (
            (best.kind == "city" and best.population < gazetteer.BIG_CITY)
            or (best.kind in ("city", "admin1") and written.casefold() in common
                and best.population < _UNMISTAKABLE_CITY_POPULATION)):
        return None
    return best.name if best.kind == "country" else _title(written)


@lru_cache(maxsize=65536)
def _outlet(name: str) -> str | None:
    bare = cues.OUTLET_AGENCY.sub("", cues.OUTLET_ARTICLE.sub("", name.strip()))
    listed = cues.OUTLETS.get(bare.casefold())
    if listed is not None and listed.isupper() and not bare.isupper():
        return None  # 'Wafa' the governor, not the agency WAFA
    if listed is not None or (
            "-" in bare and bare.split("-")[0].casefold() in cues.OUTLETS):  # Interfax-Ukraine
        return bare
    return None


@lru_cache(maxsize=65536)
def _is_demonym_phrase(tokens: tuple[str, ...]) -> bool:
    """'South African', 'North Koreans', 'Asian': people of a place, not a place."""
    last = tokens[-1][:-1] if tokens[-1].endswith("s") else tokens[-1]
    whole = " ".join((*tokens[:-1], last))
    return gazetteer.is_demonym(whole) or (
        (gazetteer.is_demonym(last) or last.casefold() in cues.REGIONAL_DEMONYMS)
        and all(t.casefold() in cues.COMPASS for t in tokens[:-1]))


# Each test below first looks at how the text before ends, in C, and runs its pattern
# only where that allows a match: most spans have no cue before them.
def _cited_before(before: str, last: str) -> bool:
    """'told the', 'according to', 'Iran's', 'state-run': an outlet's name may follow."""
    return (last in cues.CITE_BEFORE_LAST or last.endswith(("'s", "’s"))) and (
        cues.CITE_BEFORE.match(before[::-1]) is not None)


def _strongly_cited(before: str, last: str) -> bool:
    return (last in cues.CITE_WORDS or before.endswith(("l'", "l’"))) and (
        cues.STRONG_CITE.match(before[::-1]) is not None)


def _placed_before(before: str, last: str) -> bool:
    return last in cues.PLACE_WORDS and cues.PLACE_BEFORE.search(before[-20:]) is not None


def _outlet_word(tokens: list[str]) -> bool:
    """'Times of Israel', 'Daily Trust', 'Press TV': a name an outlet would have."""
    return tokens[-1].casefold() in cues.OUTLET_HEADS or (
        tokens[0].casefold() in cues.OUTLET_HEADS and tokens[0] not in ("News", "Press"))


def _outlet_like(name: str) -> bool:
    """'Saudi Press Agency', 'Associated Press of Pakistan': an outlet by its name."""
    return _outlet(name) is not None or any(
        word.casefold() in ("press", "news", "television", "radio", "broadcasting")
        for word in name.split())


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "").replace("&", "")
    return letters.isalpha() and letters.isupper() and 2 <= len(letters) <= 6


def _known_org(written: str, folded: str) -> bool:
    """A group wire copy names without an institution word; a short one only in capitals
    ('UN', not French 'Un'; 'WHO', not 'Who'; 'ISIS', not the given name)."""
    return folded in cues.KNOWN_ORGS and (len(folded) > 4 or written.isupper()
                                      or folded in cues.MIXED_CASE_ORGS)


class _Name(NamedTuple):
    """What a span's words say on their own, worked out once per distinct name."""
    joined: str
    folded: str
    acronym: bool
    of_not_and: bool  # 'Paolo Reyes of …', not 'Ana and Luis of …'
    one_name: bool  # read whole: no 'and' or hyphen in it parts names ('Ana Ruiz')
    outlet: str | None
    known_org: bool
    outlet_word: bool  # 'Times of Israel', 'Daily Trust'
    demonym: bool
    no_entity: bool  # people of a place, an abbreviation, an event: nothing to list
    company: bool
    region: bool  # a country, region or province by this name (not only a city)
    placed: bool  # the gazetteer knows the name
    org: bool
    land: bool  # 'North Darfur', 'Lake Victoria', 'Canary Islands'
    unlike_person: bool  # an acronym or an institution's or outlet's word in it


@lru_cache(maxsize=65536)
def _name(tokens: tuple[str, ...]) -> _Name:
    joined = " ".join(tokens)
    folded = joined.casefold()
    several = len(tokens) > 1
    demonym = _is_demonym_phrase(tokens)
    places = gazetteer.candidates(joined)
    return _Name(
        joined, folded, _is_acronym(joined),
        "of" in tokens and not ("and" in tokens or "&" in tokens),
        not several or _one_name(tokens, folded) or _split_parts(tokens, 0) is None,
        _outlet(joined),
        folded in cues.KNOWN_ORGS,
        several and _outlet_word(tokens) and folded not in cues.KNOWN_ORGS,
        demonym, demonym or folded in cues.NOT_NAMES or _is_event(tokens),
        joined in gazetteer.companies(), any(place.kind != "city" for place in places),
        bool(places), _is_org(tokens, folded),
        several and ((tokens[0].casefold() in cues.COMPASS and bool(gazetteer.candidates(
            " ".join(tokens[1:])))) or tokens[0].casefold() in cues.LAND_LEADS
            or tokens[-1].casefold() in cues.LAND_HEADS),
        any(t.isupper() and len(t) > 1 for t in tokens) or any(
            t.casefold() in cues.ORG_HEADS or t.casefold() in cues.OUTLET_HEADS for t in tokens))


def _is_event(tokens: tuple[str, ...]) -> bool:
    """'World Cup', 'Africa Cup of Nations', 'Storm Daniel': no organisation, nor place."""
    return tokens[-1].casefold() in cues.EVENT_HEADS or "Cup" in tokens or (
        len(tokens) > 1 and tokens[0].casefold() in cues.STORM_LEADS)


def _is_org(tokens: tuple[str, ...], folded: str) -> bool:
    if _known_org(" ".join(tokens), folded):
        return True
    if len(tokens) == 1:
        return _is_acronym(tokens[0]) and not gazetteer.candidates(tokens[0])
    return tokens[-1].casefold() in cues.ORG_HEADS or (
        tokens[0].casefold() in cues.ORG_HEADS and "of" in tokens) or (
        tokens[0].casefold() in cues.ORG_LEADS and any(
            t.casefold() in cues.ORG_HEADS for t in tokens[1:])) or any(
        _org_head(tokens[i]) and tokens[i + 1] in ("of", "for")
        for i in range(1, len(tokens) - 1))


def _title(written: str) -> str:
    return written.title() if written.isupper() else written


def _runs(text: str):
    """(start, end) of each run of capitalised words; one that opens on a prefix such as
    'al-' or "l'" is found at its capital and widened to the prefix (cues.RUN_FROM_CAPITAL)."""
    for match in cues.RUN_FROM_CAPITAL.finditer(text):
        at, end = match.span()
        if at and text[at - 1] in cues.PREFIX_MARKS:  # 'al-Assad', "l'Élysée"
            at -= 3 if text[at - 1] == "-" else 2
        yield at, end


def _spans(text: str):
    """Runs of capitalised words, cut free of what opens a sentence or names a role."""
    for at, end in _runs(text):
        if end - at > _MAX_RUN_CHARS:
            continue  # a line in capitals, a hostile run: no name is this long
        run = text[at:end]
        for first, last, words, opens, title in _run_spans(run, text[at - 3 if at > 3 else 0:at]):
            yield _Span(words, at + first, at + last, opens, title)


@lru_cache(maxsize=65536)
def _run_spans(run: str, before: str) -> tuple[tuple[int, int, tuple[str, ...], bool, bool]]:
    """The names in a run, as (start, end in the run, words, opens a sentence, titled);
    before: the three characters before the run. Cached: names come again and again,
    within a story and across stories."""
    opens = _opens_sentence(before)
    found = []
    for segment in _segments(run):
        start = segment[0][1]
        # A segment after the run's first word is preceded by the run's own characters:
        # a name never starts within three characters of a run's start but at it.
        trimmed = _trim(tuple(word for word, _, _ in segment),
                        opens if start == 0 else _opens_sentence(run[max(0, start - 3):start]))
        if trimmed is not None:
            first, last, words, opens, title, office = trimmed
            if office is not None:
                found.append((segment[office[0]][1], segment[office[1]][2], office[2],
                              False, False))
            found.append((segment[first][1], segment[last][2], words, opens, title))
    return tuple(found)


def _opens_sentence(before: str) -> bool:
    """Whether a word after these few characters opens a sentence, a line or a quote."""
    kept = before.rstrip()
    return not kept or kept[-1] in cues.SENTENCE_ENDS or "\n" in before[len(kept):]


def _segments(run: str) -> tuple[tuple[tuple[str, int, int], ...], ...]:
    """A run's names: (word, start, end) in the run, split where a calendar word or a
    possessive ends a name ('Iran's', 'Putin's'), joining lower-case words shed."""
    segments, current = [], []
    for token in cues.WORD.finditer(run):
        word = token[0]
        if not _capital(word) and (word not in cues.CONNECTORS or not current):
            if current:  # a calendar word ends the run
                segments.append(current)
            current = []
            continue
        current.append((word, token.start(), token.end()))
        if word.endswith(("'s", "’s")) and _bare(word) not in cues.NAMES_WITH_S:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    # No name runs to more words: longer runs are read in pieces that long.
    pieces = [segment[i:i + _MAX_NAME_WORDS] for segment in segments
              for i in range(0, len(segment), _MAX_NAME_WORDS)]
    return tuple(tuple(_shed_connectors(piece)) for piece in pieces
                 if _shed_connectors(piece))


def _shed_connectors(run):
    while run and run[-1][0] in cues.CONNECTORS:
        run = run[:-1]
    return run


def _is_title(word: str) -> bool:
    folded = word.casefold()
    return folded in cues.TITLES or folded.rstrip(".") in cues.TITLES or ("-" in folded and all(
        part in cues.TITLES for part in folded.split("-")))


def _opens_no_name(words: list[str], head: str, opens: bool) -> bool:
    """Whether the first word is to be shed: an age, an affiliation ('Nairobi-based'), a
    demonym (not inside an institution's name: 'Indian National Congress'), a joining
    word or a generic one ('NGO'), or an everyday word that opens a sentence (not an
    acronym: 'PCB'; not a given name, place or institution word; not the first word of
    a place, 'South Africa', or of an institution, 'Human Rights Watch')."""
    if head.endswith(("-year-old", *cues.AFFILIATIONS)) or words[0] in cues.CONNECTORS or (
            head in cues.NOT_NAMES and len(words) > 1):
        return True
    if gazetteer.is_demonym(words[0]):
        return words[-1].casefold() not in cues.ORG_HEADS
    return (opens and not (words[0].isupper() and len(words[0]) > 1)
            and head in gazetteer.known_words()
            and words[0] not in gazetteer.given_names()
            and not (len(words[0]) > 3 and gazetteer.candidates(words[0]))
            and head not in cues.ORG_LEADS and head not in cues.KNOWN_ORGS
            and not (head not in gazetteer.everyday_words("en")
                     and words[0] in gazetteer.companies())
            and not (len(words) > 1 and gazetteer.candidates(" ".join(words[:2])))
            and not _opens_institution(words, head))


def _opens_institution(words: list[str], head: str) -> bool:
    """'Amnesty International', 'Human Rights Watch': a word that is no function word,
    before an institution word or opening a name that ends on one without 'of'."""
    if len(words) < 2 or head in gazetteer.stop_words(_FUNCTION_LANGUAGES):
        return False
    return words[1].casefold() in cues.ORG_HEADS or (
        words[-1].casefold() in cues.ORG_HEADS
        and not any(word in cues.CONNECTORS for word in words))


@lru_cache(maxsize=65536)
def _trim(raw: tuple[str, ...], opens: bool):
    """The name in a run of words: (first, last index kept, words, opens, title, office)
    after shedding what opens a sentence, demonyms and titles; None when nothing is
    left. office: (first, last, words) of an institution named before a person's
    office ('NATO' in 'NATO Secretary General Mark Rutte'), or None."""
    # A possessive inside a name stays: 'Republican People's Party', 'Workers' Party'; so
    # does the particle d' after its first word: 'Côte d'Ivoire', 'Giscard d'Estaing'.
    words = [w if w.endswith(("'s", "’s", "s'", "s’")) and i < len(raw) - 1
             else _bare(w, particle=i > 0) for i, w in enumerate(raw)]
    first, title = 0, False
    while words:
        head = words[0].casefold()
        if _is_title(words[0]):
            if words[-1].casefold() in cues.ORG_HEADS or (
                    len(words) > 1 and words[1].casefold() in cues.ORG_HEADS):
                break  # 'Foreign Ministry', 'Justice Department', 'Supreme Council of …'
            title = True
        elif not _opens_no_name(words, head, opens):
            break
        words, first, opens = words[1:], first + 1, False
    while words and (words[-1] in cues.CONNECTORS or words[-1] in ("Resolution", "Resolutions")):
        words = words[:-1]
    if not words:
        return None
    words[0] = _without_elision(words[0])  # 'le PDG d'Air France': the name opens here
    # A title inside the run ('Defence Minister Ana Ruiz', 'Judge Ana Ruiz') ends an
    # organisation-less prefix: keep the name after it. 'Foreign Ministry' and 'Ministry
    # of Foreign Affairs' keep all; an office after an institution ('Bank of England
    # Governor Andrew Bailey') names both. A title never reaches across 'and'.
    office = None
    if words[-1].casefold() not in cues.ORG_HEADS and not any(
            word in ("and", "et", "&") for word in words):  # split first, then each part
        named_org = words[0].casefold() in cues.ORG_HEADS
        for position in range(len(words) - 2, 0, -1):
            word = words[position]
            if not _is_title(word) or word.casefold() in cues.ORG_HEADS:
                continue
            rest = words[position + 1:]
            if named_org and not (word.casefold() in cues.OFFICES and not any(
                    t in cues.CONNECTORS or t.casefold() in cues.ORG_HEADS or _is_title(t)
                    for t in rest)):
                continue
            before = list(words[:position])
            while before and _is_title(before[-1]):
                before.pop()
            prefix = _name(tuple(before)) if before else None
            if prefix and (prefix.org or prefix.acronym or prefix.company
                           or word.casefold() in cues.CORPORATE_OFFICES):
                office = (first, first + len(before) - 1, tuple(before))
            words, first, title, opens = rest, first + position + 1, True, False
            words[0] = _without_elision(words[0])
            break
    return first, first + len(words) - 1, tuple(words), opens, title, office


def _without_elision(word: str) -> str:
    return word[2:] if len(word) > 2 and word[1] in "'’" and word[0] in "lLdD" else word


def _bare(word: str, particle: bool = False) -> str:
    """The word without a possessive or a French elision; particle: d' stays."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    elif word.endswith(("'", "’")):
        word = word[:-1]
    return _without_elision(word) if not particle or word[:1] in "lL" else word


def _capital(word: str) -> bool:
    bare = _bare(word)
    if cues.DIGIT.search(bare) and not cues.LETTERS_THEN_DIGITS.match(bare):
        return False  # N8.2bn, Chandrayaan-3; but TVN24, TF1, G20
    if bare[:3] in ("al-", "el-", "as-", "ad-", "an-") and len(bare) > 3:
        return bare[3].isupper()  # al-Sisi, el-Sayed
    return bool(bare) and bare[0].isupper() and bare.casefold() not in cues.CALENDAR


def place_details(names: tuple[str, ...], dateline_place: str | None = None) -> dict:
    """Each named place that the gazetteer knows, as {name, kind, geonames_id, country,
    latitude, longitude}, and the dateline's place likewise (or None)."""
    places, dateline = _resolve(names, dateline_place)
    return {"places": [place.as_json(name) for name, place in places],
            "dateline": dateline[1].as_json(dateline[0]) if dateline else None}


def countries(names: tuple[str, ...], dateline_place: str | None = None) -> list[str]:
    """The ISO codes of the countries the places are in, in order, once each."""
    places, dateline = _resolve(names, dateline_place)
    found = [place.country for _, place in places] + ([dateline[1].country] if dateline
                                                       else [])
    return list(dict.fromkeys(code for code in found if code))


@lru_cache(maxsize=8192)
def _resolve(names: tuple[str, ...], dateline_place: str | None):
    """A country named in the same article decides among places that share a name;
    else the more populous one wins."""
    found = [(name, _candidates(name)) for name in names]
    named_countries = {c[0].country for _, c in found if c and c[0].kind == "country"}

    def best(candidates: list[Place]) -> Place:
        return next((p for p in candidates if p.country in named_countries), candidates[0])

    places = [(name, best(c)) for name, c in found if c]
    dateline = None
    if dateline_place:
        candidates = _candidates(dateline_place.split(",")[0].strip())
        if candidates:
            dateline = (dateline_place, best(candidates))
    return places, dateline


def _candidates(name: str) -> list[Place]:
    """'Balkh Province' is the province, plain 'Balkh' the city first."""
    bare = _strip_generic(name)
    candidates = gazetteer.candidates(bare)
    if bare != name:
        candidates = sorted(candidates, key=lambda p: p.kind not in ("admin1", "region"))
    return candidates


def _strip_generic(name: str) -> str:
    """'Balkh Province' → 'Balkh'; 'Mexico City' is a city's whole name."""
    if gazetteer.candidates(name):
        return name
    words = name.split()
    while len(words) > 1 and words[-1].casefold() in cues.GENERIC_PLACE_WORDS:
        words.pop()
    return " ".join(words)
