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

from . import gazetteer
from .gazetteer import Place

VERSION = 1
FIELDS = ("people", "places", "organisations", "cited_sources")
_MAX_CHARS = 200_000  # the first 200,000 characters name whom a story is about

_WORD_PATTERN = r"[^\W\d_](?:[\w&]|[.'’\-](?=\w)|(?<=\b[A-Z])\.)*"
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ſ"
# A capital, or l'/d' or al-/el-/as-/ad-/an- before one, not inside a word. The pattern
# opens with a character class so that the regex engine skips ahead to candidates
# instead of trying every position (a third of the scan's time).
_CAPITALISED = (rf"[{_UPPER}lLdDae](?<![\w.'’-].)(?:(?<=[{_UPPER}])|(?<=[lLdD])['’](?=[{_UPPER}])"
                r"[^\W\d_]|(?:(?<=a)[lsdn]|(?<=e)l)-(?=[A-Z])[^\W\d_])"
                r"(?:[\w&]|[.'’\-](?=\w)|(?<=\b[A-Z])\.)*")
_WORD = re.compile(r"(?:[lLdD]['’])?" + _WORD_PATTERN + "|&")
_SENTENCE_ENDS = frozenset(".!?:;\"“”«»—–-(")
_CONNECTORS = frozenset({"of", "the", "for", "and", "de", "du", "des", "la", "le", "al", "el",
                         "bin", "ibn", "van", "von", "der", "den", "da", "di", "do", "dos",
                         "y", "et", "&", "bint", "ul", "ud"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.casefold().split())


# Capitalised words, with the lower-case words that join them into one name between.
_RUN = re.compile(_CAPITALISED + r"(?:[ \t]+(?:(?:" + "|".join(
    sorted(_CONNECTORS, key=len, reverse=True)).replace("&", "&") + r")[ \t]+)*"
    + _CAPITALISED + ")*")
# Capitalised, yet never part of a name.
_CALENDAR = _words("""
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April June July August September October November December Lundi Mardi Mercredi
    Jeudi Vendredi Samedi Dimanche Janvier Février Mars Avril Mai Juin Juillet Août
    Septembre Octobre Novembre Décembre
""")
_TITLES = _words("""
    President Vice Prime Minister Ministers Foreign Defence Defense Interior Finance
    Deputy Secretary General Gen Gen. Lt Col Col. Maj Capt Sgt Admiral Adm Commander Mr
    Mr. Mrs Mrs. Ms Ms. Dr Dr. Prof Prof. Professor Sir Dame Lord Lady King Queen Prince
    Princess Sheikh Emir Sultan Pope Cardinal Bishop Archbishop Rabbi Imam Ayatollah
    Intérieur Défense Économie Armées Santé Éducation Travail Culture Counsel Father
    Reverend Rev Rev. Fr Fr. Pastor Brother Sister Datuk Dato Dato' Datin Tun Tan Sports
    Mullah Mawlawi Maulana Mufti Hojatoleslam Lawmaker MP Judge Justice Me Maître Chief
    Senator Sen Sen. Rep Rep. Representative Congressman Congresswoman Governor Gov
    Mayor Ambassador Envoy Chancellor Speaker Spokesman Spokeswoman Spokesperson
    Chairman Chairwoman Chair CEO Director Coach Captain Manager Striker Midfielder
    Defender Goalkeeper Officer Inspector Commissioner Attorney Prosecutor Lawyer Mme M.
    Ministre Président Présidente Premier Général Docteur Madame Monsieur Maître Juge
    Colonel Lieutenant Major Sergeant Senior Special Acting Former Opposition Leader
    Economy Health Trade Energy Labour Labor Education Culture Agriculture Transport
    Home Supreme Commander-in-Chief Minister- President President-elect Saint St St.
""")
_ORG_HEADS = _words("""
    Ministry Ministries Party Council Bank Company Corp Corp. Corporation Inc Inc. Ltd
    Ltd. LLC PLC Plc Group Holdings University Court Commission Agency Organisation
    Organization Association Union Front Movement Army Navy Committee Federation
    Institute Fund Authority Department Assembly Parliament Senate Congress Guard Guards
    Forces Alliance League Club FC Foundation Board Bureau Service Services Airlines
    Airways Motors Exchange Programme Program Coalition Society Centre Center Academy
    College Hospital Brigade Brigades Corps Tribunal Cabinet Secretariat Directorate
    Command Mission Energy Technologies Systems Pharmaceuticals Industries Bloc Trust
    Institution Observatory Office Police Network Cooperation Community Conference
    Reserve Treasury Kremlin Pentagon Chamber Consortium Monetary Ministère Conseil
    Parti Banque Assemblée Cour Comité Fédération Agence Syndicat Université Sénat
    Gendarmerie Armée Fondation Institut Rangers United Athletic Dynamo Telecom
    Petroleum Oil Gas Steel Mining Automotive Electric Electronics Capital Partners
    Securities Investments Insurance Railways Railway Ports
""")
_ORG_LEADS = frozenset({"ministry", "bank", "university", "council", "court", "department",
                        "organisation", "organization", "office", "house", "federation",
                        "union", "league", "party", "institute", "commission", "committee",
                        "ministère", "banque", "conseil", "cour", "parti", "fédération",
                        "agence", "assemblée", "institut",
                        "real", "inter", "national", "royal", "islamic", "federal", "central",
                        "supreme", "international", "european", "african", "arab", "world",
                        "united", "democratic", "people's", "popular", "free", "state"})
# Groups that wire copy names without an institution word: their names are not words.
_KNOWN_ORGS = frozenset({"taliban", "hamas", "hezbollah", "houthis", "houthi", "al-shabaab",
                         "al shabaab", "boko haram", "al-qaeda", "al qaeda", "isis", "isil",
                         "islamic state", "daesh", "wagner", "opec", "opec+", "nato", "interpol",
                         "europol", "unicef", "unesco", "fifa", "uefa", "kremlin", "pentagon",
                         "hashd al-shaabi", "tehreek-e-taliban pakistan", "ttp",
                         "irgc", "pkk", "un", "eu", "asean", "g7", "g20", "brics", "who",
                         "ypg", "sdf", "anc", "bjp", "fbi", "cia", "nasa"})
_OUTLETS = {name.strip().casefold(): name.strip() for name in """
    Reuters|AFP|Agence France-Presse|Agence France Presse|AP|Associated Press|Xinhua|TASS|Tass
    |RIA Novosti|RIA|Interfax|Sputnik|IRNA|ISNA|Fars|Tasnim|Mehr|Anadolu|Anadolu Agency
    |Al Jazeera|Al Arabiya|BBC|CNN|Bloomberg|Kyodo|Yonhap|ANI|PTI|Press Trust of India|Dawn
    |Geo News|Bernama|Antara|EFE|ANSA|dpa|DPA|Ukrinform|Haaretz|WAFA|SANA|SPA|WAM|KCNA|NHK
    |CCTV|Global Times|People's Daily|New York Times|Washington Post|Wall Street Journal
    |Financial Times|Guardian|The Guardian|Le Monde|Le Figaro|Libération|Der Spiegel|Spiegel
    |Axios|Politico|NPR|Fox News|CBS|CBS News|NBC|NBC News|ABC|ABC News|Sky News|France 24
    |RFI|Deutsche Welle|DW|Voice of America|VOA|Radio Free Europe|RFE/RL|TOLOnews|Tolo News
    |Pajhwok|Ariana News|Press TV|IRIB|Kayhan|Times of India|Hindustan Times|Express Tribune
    |Daily Star|Prothom Alo|Punch|Vanguard|Premium Times|Nation|Daily Nation|News24|SABC
    |ABC|Nikkei|Asahi|Yomiuri|Mainichi|South China Morning Post|SCMP|Straits Times|Jakarta Post
    |Arab News|Gulf News|Khaleej Times|Asharq Al-Awsat|Mehr News|Shargh|Etemad|Anadolu Ajansi
    |MENA|Ahram Online|Al-Ahram|Al Mayadeen|Al-Manar|TRT|TRT World|Daily Sabah|Hurriyet
    |Kommersant|Izvestia|RT|Meduza|Novaya Gazeta|PAP|CTK|MTI|Efe|Europa Press|El País
    |Clarín|Folha de S.Paulo|O Globo|Agência Brasil|La Nación|Notimex|Prensa Latina|AAP
    |Stuff|RNZ|ABC News|Sydney Morning Herald|The Australian|Irish Times|RTÉ|Euronews
    |Reuters news agency|Associated Press news agency|Xinhua News Agency|Nova|Ansa
    """.replace("\n", "").split("|") if name.strip()}
_OUTLET_ARTICLE = re.compile(r"^(?:the|l['’])\s*", re.IGNORECASE)
_OUTLET_AGENCY = re.compile(r"\s+(?:news\s+)?agency$", re.IGNORECASE)
_OUTLET_HEADS = frozenset({"news", "times", "post", "press", "television", "tv", "radio",
                           "herald", "tribune", "journal", "gazette", "daily", "telegraph",
                           "observer", "chronicle", "broadcasting", "channel", "wire",
                           "newspaper", "magazine", "monde", "figaro", "express"})
_CITE_BEFORE = re.compile(
    r"(?:\b(?:told|to|by|with|according\s+to|quoted\s+by|cited\s+by|reported\s+by|in|on|"
    r"selon|à|a\s+indiqué\s+à|a\s+déclaré\s+à|a\s+affirmé\s+à|a\s+rapporté|de|par)"
    r"(?:\s+(?:the|a|an|la|le|les|l'|l’))?(?:\s+[A-Z][\w-]*['’]s)?(?:\s+(?:official|state-run|state|semi-official|"
    r"state-owned|private|local|news|agency|broadcaster|daily|newspaper|channel|"
    r"television|outlet|agence|quotidien|chaîne|journal)){0,3}\s*)$", re.IGNORECASE)
_CITE_AFTER = re.compile(
    r"^['’]?s?\s*(?:\)|,)?\s*(?:news\s+agency\s+|agency\s+|television\s+|tv\s+|"
    r"newspaper\s+|daily\s+|correspondent\s+|reporters?\s+)?"
    r"(?:reported|reports|said|says|quoted|cited|wrote|writes|published|broadcast|"
    r"aired|learned|confirmed|revealed|rapporte|a\s+rapporté|indique|a\s+indiqué|"
    r"citant|annonce|précise)\b", re.IGNORECASE)
_PERSON_AFTER = re.compile(
    r"^['’]?s?\s*(?:,\s*(?:who|a|an|the|\d+|aged)\b|\s*(?:said|says|told|added|"
    r"stated|explained|insisted|argued|warned|noted|wrote|asked|declared|announced|"
    r"a\s+déclaré|a\s+dit|a\s+affirmé|a\s+indiqué|a\s+ajouté|estime|affirme)\b)",
    re.IGNORECASE)
_PERSON_BEFORE = re.compile(r"(?:\b(?:said|says|according\s+to|by|selon|with)\s*)$",
                            re.IGNORECASE)
_ACRONYM_DEFINED = re.compile(r"\(\s*([A-Z][A-Za-z&]{1,9})\s*\)")
_LEADING_ARTICLE = re.compile(r"^(?:the|la|le|les|l['’])\s*", re.IGNORECASE)
# 'told CNBC', 'ILNA reported': an unknown name in an outlet's place.
_STRONG_CITE = re.compile(
    r"\b(?:told|interview\s+with|quoted\s+by|a\s+déclaré\s+à|a\s+indiqué\s+à|"
    r"a\s+confié\s+à|contactée?s?\s+par|interrogée?s?\s+par|jointe?s?\s+par)(?:\s+(?:the|la|le|l['’]))?(?:\s+(?:official|state-run|state|"
    r"semi-official|private|local|news|broadcaster|daily|newspaper|channel|television|"
    r"outlet|magazine|weekly|quotidien|chaîne|hebdomadaire|journal|website)){0,3}\s*$",
    re.IGNORECASE)
# What an outlet does and an organisation seldom does: 'NDTV reported'.
_REPORTED = re.compile(r"^['’]?s?\s*(?:,\s*)?(?:reported|reports|quoted|broadcast|aired|"
                       r"rapporte|a\s+rapporté)\b", re.IGNORECASE)
_PLACE_BEFORE = re.compile(r"\b(?:in|at|near|from|outside|across|around|into|à|en|près\s+de)"
                           r"(?:\s+the)?\s*$", re.IGNORECASE)
# A speech verb after a word used on its own: 'Saka said' makes Saka a surname.
_SPEECH_AFTER = re.compile(r",?\s+(?:said|says|told|added|noted|warned|argued|wrote|"
                           r"a\s+déclaré|a\s+dit|a\s+ajouté)\b")
# 'Lake Victoria', 'Canary Islands': the kind of place is in the name.
_LAND_LEADS = frozenset({"lake", "mount", "mt", "mt.", "gulf", "bay", "cape", "isle"})
_LAND_HEADS = frozenset({"river", "islands", "island", "sea", "gulf", "bay", "valley",
                         "desert", "mountains", "hills", "strait", "peninsula", "plateau",
                         "basin", "coast", "delta", "lake", "highlands", "archipelago"})
_COMPASS = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern",
                      "western", "central", "upper", "lower", "greater", "north-west",
                      "north-east", "south-west", "south-east", "northwest", "northeast",
                      "southwest", "southeast"})
_REGIONAL_DEMONYMS = frozenset({"asian", "african", "european", "american", "arab", "latin",
                                "western", "eastern", "gulf", "nordic", "baltic", "balkan",
                                "caucasian", "sub-saharan", "pacific", "caribbean"})
# Capitalised abbreviations that name no organisation.
_NOT_NAMES = frozenset({"ai", "gdp", "ceo", "pdg", "tv", "pm", "mp", "dna", "hiv", "aids",
                        "covid", "lng", "ipo", "etf", "vat", "gmt", "utc", "am", "ok", "ev",
                        "uav", "id", "cfo", "coo", "cto", "vip", "faq", "pc", "sms", "gps",
                        "ceos", "mps", "evs", "ngo", "ngos", "un-", "it"})
_DIGIT = re.compile(r"\d")
_LETTERS_THEN_DIGITS = re.compile(r"[A-Z][A-Za-z]*\d{1,3}$")
# 'the daily Mwananchi', 'broadcaster TVN24', 'news agency Petra': an outlet named.
_OUTLET_DESCRIPTORS = frozenset({
    "agency", "daily", "newspaper", "broadcaster", "weekly", "channel", "television",
    "radio", "website", "outlet", "tabloid", "magazine", "quotidien", "hebdomadaire",
    "chaîne", "site"})
_NAMES_WITH_S = frozenset({"People", "Children", "Women", "Workers", "Men", "Veterans"})
_GENERIC_PLACE_WORDS = frozenset({"province", "provinces", "state", "region", "district",
                                  "county", "city", "governorate", "prefecture", "oblast",
                                  "territory", "valley", "island", "islands"})
_LONG_FORM_CHARS = 300
_MAX_RUN_CHARS = 300
_MAX_NAME_WORDS = 12
_MAX_NAMESAKES = 20
_MAX_EXPANSIONS = 50  # a story spells out a handful; a hostile text must not cost more
_UNMISTAKABLE_CITY_POPULATION = 500_000  # ... and if an everyday word, a very big one


@dataclass
class _Span:
    tokens: list[str]
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
                            if _SPEECH_AFTER.match(text, span.end)}
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
        # Last words of names a speech verb follows ('Saka said'): surnames.
        self.surnames_used: set[str] = set()

    def cite(self, name: str) -> None:
        outlet = _outlet(name)
        if outlet:
            self.found.append(("cited_sources", outlet))

    def add_place(self, name: str, dateline: bool = False) -> bool:
        canonical = _place_name(name, dateline, self.common)
        if canonical is not None:
            self.found.append(("places", canonical))
        return canonical is not None

    def read(self, span: _Span, whole: bool = False) -> None:
        """Classify one span; whole: it is a part of a split span, not to split again."""
        tokens = span.tokens
        joined = " ".join(tokens)
        folded = joined.casefold()
        before = self.text[max(0, span.start - 60):span.start]
        after = self.text[span.end:span.end + 60]
        if self.expansions and any(start <= span.start and span.end <= end
                                   for _, (_, start, end) in self.expansions.items()):
            return  # inside a long form spelled out before its acronym: read as one
        if len(tokens) == 1 and folded in self.expansions and before.endswith("(") and not (
                _outlet_like(self.expansions[folded][0])):
            self.found.append(("organisations", self.expansions[folded][0]))
            return
        if not whole and "of" in tokens and self._person_of(span):
            return
        if not whole and len(tokens) > 1 and not _one_name(tuple(tokens), folded):
            parts = _split_span(span)
            if len(parts) > 1:
                for part in parts:
                    self.read(part, whole=True)
                return
        outlet = _outlet(joined)
        if outlet is None and before[-12:].rstrip().rpartition(" ")[2].casefold() in (
                _OUTLET_DESCRIPTORS) and folded not in _KNOWN_ORGS:
            outlet = joined
        if outlet is not None or (len(tokens) > 1 and tokens[-1].casefold() in _OUTLET_HEADS
                                  and folded not in _KNOWN_ORGS):
            if _CITE_BEFORE.search(before) or _CITE_AFTER.match(after):
                self.found.append(("cited_sources", outlet or joined))
            return
        if _is_acronym(joined) and folded not in _KNOWN_ORGS and (
                _STRONG_CITE.search(before) or _REPORTED.match(after)):
            self.found.append(("cited_sources", joined))
            return
        if _is_demonym_phrase(tuple(tokens)) or folded in _NOT_NAMES:
            return
        if _is_org(tuple(tokens), folded):
            self.found.append(("organisations", joined))
            return
        if self.add_place(joined):
            return
        if span.beside_place or (len(tokens) > 1 and tokens[0].casefold() in _COMPASS
                                 and gazetteer.candidates(" ".join(tokens[1:]))) or (
                len(tokens) > 1 and (tokens[0].casefold() in _LAND_LEADS
                                     or tokens[-1].casefold() in _LAND_HEADS)):
            self.found.append(("places", joined))  # 'North Darfur', 'East Azerbaijan'
            return
        if len(tokens) == 1:
            if span.title:
                self.found.append(("titled-person", joined))
            elif not span.opens_sentence and _PLACE_BEFORE.search(before) and (
                    folded not in self.common and joined not in gazetteer.given_names()):
                self.found.append(("maybe-person", joined))
                self.found.append(("unknown-place", joined))
            else:
                self.found.append(("maybe-person", joined))
            return
        if len(tokens) <= 5 and self._person_like(tokens, lambda: span.title or bool(
                _PERSON_AFTER.match(after) or _PERSON_BEFORE.search(before))):
            self.found.append(("people", joined))
        elif _STRONG_CITE.search(before) or _CITE_AFTER.match(after):
            self.found.append(("cited_sources", joined))
        elif any(t.casefold() in self.common for t in tokens) or _place_word(
                tokens[0], strict=True) or gazetteer.is_demonym(tokens[0]):
            # 'Karachi Kings', 'Energy Aspects', 'National Rally': a name made of words.
            self.found.append(("maybe-organisation", joined))
        elif len(tokens) <= 4 and not any(_is_acronym(t) for t in tokens):
            self.found.append(("people", joined))  # 'Xóchitl Gálvez': names, not words

    def _person_of(self, span: _Span) -> bool:
        """'Paolo Reyes of the University of the Philippines', 'Ana Ruiz of Neuquén': a
        person, then where they are from, read apart."""
        at = span.tokens.index("of")
        left, right = span.tokens[:at], span.tokens[at + 1:]
        while right and right[0] in _CONNECTORS:
            right = right[1:]
        if not (2 <= len(left) <= 4 and right and left[0] in gazetteer.given_names()
                and left[-1].casefold() not in _ORG_HEADS and not _is_title(left[-1])):
            return False
        end = span.start + len(" ".join(left))
        self.read(_Span(left, span.start, end, span.opens_sentence, span.title), whole=True)
        self.read(_Span(right, span.end - len(" ".join(right)), span.end, False), whole=True)
        return True

    def _person_like(self, tokens: list[str], cue) -> bool:
        if any(t.isupper() and len(t) > 1 for t in tokens) or any(
                t.casefold() in _ORG_HEADS or t.casefold() in _OUTLET_HEADS for t in tokens):
            return False
        if tokens[-1] in self.surnames_used or cue():
            return True
        first = tokens[0].split("-")[0]
        # Famous surnames are everyday words to a word list, and so are some middle
        # names ('Cristian Pop Dumitrescu'): a short name goes by its given name.
        return first in gazetteer.given_names() and (len(tokens) <= 3 or not any(
            t.casefold() in self.common and t not in gazetteer.given_names()
            and t not in _CONNECTORS for t in tokens[1:-1]))

    def result(self) -> Entities:
        people = _PeopleBySurname(name for kind, name in self.found if kind == "people")
        placed = {name.casefold() for kind, name in self.found if kind == "places"}
        entities = Entities()
        seen: set[tuple[str, str]] = set()
        folded_people = people.surnames
        for kind, name in self.found:
            if kind in ("maybe-person", "titled-person"):
                full = people.fullest(name)
                if full is None and kind == "maybe-person":
                    continue
                kind, name = "people", full or name
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
                long_form = self.expansions.get(name.casefold())
                if long_form and kind == "organisations" and not _outlet_like(long_form[0]):
                    name = long_form[0]
                if kind == "organisations" and _outlet(name):
                    continue
            key = (kind, name.casefold())
            if key not in seen:
                seen.add(key)
                getattr(entities, kind).append(name)
        return entities


@lru_cache(maxsize=65536)
def _one_name(tokens: tuple[str, ...], folded: str) -> bool:
    """Whether a run joined by 'and' or a hyphen is one name ('Trinidad and Tobago',
    'Justice and Development Party') rather than several ('China and India')."""
    if folded in _KNOWN_ORGS or _outlet(" ".join(tokens)) is not None or (
            gazetteer.candidates(" ".join(tokens))):
        return True
    if "and" in tokens or "&" in tokens or "et" in tokens:
        left = tokens[:[t in ("and", "&", "et") for t in tokens].index(True)]
        # 'Justice and Development Party' is one name; 'Zenith Bank and Guaranty
        # Trust Holding Company', 'China and India' and 'Pakistan and the IMF' two.
        return bool(left) and tokens[-1].casefold() in _ORG_HEADS and not (
            left[-1].casefold() in _ORG_HEADS or gazetteer.candidates(" ".join(left))
            or " ".join(left).casefold() in _KNOWN_ORGS)
    return tokens[-1].casefold() in _ORG_HEADS


def _split_span(span: _Span) -> list[_Span]:
    """The names in a run joined by 'and', '&' or a hyphen between two places."""
    parts, current, start = [], [], span.start
    position = span.start
    for token in span.tokens:
        if token in ("and", "et", "&"):
            if current:
                parts.append(_Span(current, start, position - 1, False))
            current = []
            position += len(token) + 1
            continue
        pieces = token.split("-")
        while len(pieces) > 1 and all(pieces) and pieces[-1][0].isupper() and _place_word(
                pieces[0]):
            current.append(pieces[0])
            parts.append(_Span(current, start, position + len(pieces[0]), False,
                               beside_place=True))
            position += len(pieces[0]) + 1
            current, start, pieces = [], position, pieces[1:]
        rest = "-".join(pieces)
        if not current:
            start = position
        current.append(rest)
        position += len(rest) + 1
    if current:
        parts.append(_Span(current, start, span.end, False,
                           beside_place=bool(parts) and parts[-1].beside_place))
    if len(parts) < 2:
        return [span]
    for part in parts:  # 'Pakistan and the IMF': the second name is 'IMF'
        while part.tokens and part.tokens[0] in _CONNECTORS:
            part.tokens = part.tokens[1:]
    return [part for part in parts if part.tokens]


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
    for match in _ACRONYM_DEFINED.finditer(text):
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
            long_form = _LEADING_ARTICLE.sub("", long_form).strip(" ,")
        if not (long_form and long_form[0].isupper() and " " in long_form):
            # 'Justice and Development Party (AKP)': named in another language.
            runs = list(_RUN.finditer(" ".join(words)))
            if runs and runs[-1].end() == len(" ".join(words)) and (
                    runs[-1][0].split()[-1].casefold() in _ORG_HEADS):
                # "Erdogan's Justice and Development Party": the name after the owner.
                named = runs[-1][0].split()
                owners = [i for i, word in enumerate(named) if word.endswith(("'s", "’s"))
                          and _bare(word) not in _NAMES_WITH_S]
                long_form = " ".join(named[owners[-1] + 1:] if owners else named)
        if long_form and long_form[0].isupper() and " " in long_form:
            end = match.start()
            start = text.rfind(long_form, window, end)
            found.setdefault(short.casefold(), (long_form, start, start + len(long_form)))
    return found


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
    bare = _OUTLET_AGENCY.sub("", _OUTLET_ARTICLE.sub("", name.strip()))
    if bare.casefold() in _OUTLETS or (
            "-" in bare and bare.split("-")[0].casefold() in _OUTLETS):  # Interfax-Ukraine
        return bare
    return None


@lru_cache(maxsize=65536)
def _is_demonym_phrase(tokens: tuple[str, ...]) -> bool:
    """'South African', 'North Koreans', 'Asian': people of a place, not a place."""
    last = tokens[-1][:-1] if tokens[-1].endswith("s") else tokens[-1]
    whole = " ".join((*tokens[:-1], last))
    return gazetteer.is_demonym(whole) or (
        (gazetteer.is_demonym(last) or last.casefold() in _REGIONAL_DEMONYMS)
        and all(t.casefold() in _COMPASS for t in tokens[:-1]))


def _outlet_like(name: str) -> bool:
    """'Saudi Press Agency', 'Associated Press of Pakistan': an outlet by its name."""
    return _outlet(name) is not None or any(
        word.casefold() in ("press", "news", "television", "radio", "broadcasting")
        for word in name.split())


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "").replace("&", "")
    return letters.isalpha() and letters.isupper() and 2 <= len(letters) <= 6


@lru_cache(maxsize=65536)
def _is_org(tokens: tuple[str, ...], folded: str) -> bool:
    if folded in _KNOWN_ORGS:
        return True
    if len(tokens) == 1:
        return _is_acronym(tokens[0]) and not gazetteer.candidates(tokens[0])
    return tokens[-1].casefold() in _ORG_HEADS or (
        tokens[0].casefold() in _ORG_HEADS and "of" in tokens) or (
        tokens[0].casefold() in _ORG_LEADS and any(
            t.casefold() in _ORG_HEADS for t in tokens[1:]))


def _title(written: str) -> str:
    return written.title() if written.isupper() else written


def _spans(text: str):
    """Runs of capitalised words, cut free of what opens a sentence or names a role."""
    for match in _RUN.finditer(text):
        if match.end() - match.start() > _MAX_RUN_CHARS:
            continue  # a line in capitals, a hostile run: no name is this long
        at = match.start()
        for first, last, words, opens, title in _run_spans(match[0], text[max(0, at - 3):at]):
            yield _Span(list(words), at + first, at + last, opens, title)


@lru_cache(maxsize=65536)
def _run_spans(run: str, before: str) -> tuple[tuple[int, int, tuple[str, ...], bool, bool]]:
    """The names in a run, as (start, end in the run, words, opens a sentence, titled);
    before: the three characters before the run. Cached: names come again and again,
    within a story and across stories."""
    found = []
    context = before + run
    for segment in _segments(run):
        start = len(before) + segment[0][1]
        trimmed = _trim(tuple(word for word, _, _ in segment),
                        _opens_sentence(context[max(0, start - 3):start]))
        if trimmed is not None:
            first, last, words, opens, title = trimmed
            found.append((segment[first][1], segment[last][2], words, opens, title))
    return tuple(found)


def _opens_sentence(before: str) -> bool:
    """Whether a word after these few characters opens a sentence, a line or a quote."""
    kept = before.rstrip()
    return not kept or kept[-1] in _SENTENCE_ENDS or "\n" in before[len(kept):]


def _segments(run: str) -> tuple[tuple[tuple[str, int, int], ...], ...]:
    """A run's names: (word, start, end) in the run, split where a calendar word or a
    possessive ends a name ('Iran's', 'Putin's'), joining lower-case words shed."""
    segments, current = [], []
    for token in _WORD.finditer(run):
        word = token[0]
        if not _capital(word) and (word not in _CONNECTORS or not current):
            if current:  # a calendar word ends the run
                segments.append(current)
            current = []
            continue
        current.append((word, token.start(), token.end()))
        if word.endswith(("'s", "’s")) and _bare(word) not in _NAMES_WITH_S:
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
    while run and run[-1][0] in _CONNECTORS:
        run = run[:-1]
    return run


def _is_title(word: str) -> bool:
    folded = word.casefold()
    return folded in _TITLES or folded.rstrip(".") in _TITLES or ("-" in folded and all(
        part in _TITLES for part in folded.split("-")))


def _opens_no_name(words: list[str], head: str, opens: bool) -> bool:
    """Whether the first word is to be shed: an age, a demonym (not inside an institution's
    name: 'Indian National Congress'), a joining word, or an everyday word that opens a
    sentence (not an acronym: 'PCB'; not a given name, place or institution word)."""
    if head.endswith("-year-old") or words[0] in _CONNECTORS:
        return True
    if gazetteer.is_demonym(words[0]):
        return words[-1].casefold() not in _ORG_HEADS
    return (opens and not (words[0].isupper() and len(words[0]) > 1)
            and head in gazetteer.known_words()
            and words[0] not in gazetteer.given_names()
            and not (len(words[0]) > 3 and gazetteer.candidates(words[0]))
            and head not in _ORG_LEADS and head not in _KNOWN_ORGS)


@lru_cache(maxsize=65536)
def _trim(raw: tuple[str, ...], opens: bool):
    """The name in a run of words: (first, last index kept, words, opens, title) after
    shedding what opens a sentence, demonyms and titles; None when nothing is left."""
    # "People's" inside a name stays: 'Republican People's Party'.
    words = [w if w.endswith(("'s", "’s")) and i < len(raw) - 1 else _bare(w)
             for i, w in enumerate(raw)]
    first, title = 0, False
    while words:
        head = words[0].casefold()
        if _is_title(words[0]):
            if words[-1].casefold() in _ORG_HEADS:
                break  # 'Foreign Ministry', 'Justice Department'
            title = True
        elif not _opens_no_name(words, head, opens):
            break
        words, first, opens = words[1:], first + 1, False
    while words and words[-1] in _CONNECTORS:
        words = words[:-1]
    if not words:
        return None
    # A title inside the run ('Defence Minister Ana Ruiz', 'Judge Ana Ruiz') ends an
    # organisation-less prefix: keep the name after it. 'Foreign Ministry' keeps all.
    if words[-1].casefold() not in _ORG_HEADS and words[0].casefold() not in _ORG_HEADS:
        # ('Ministry of Foreign Affairs' keeps all too.)
        for position in range(len(words) - 2, 0, -1):
            if _is_title(words[position]) and words[position].casefold() not in _ORG_HEADS:
                words, first, title, opens = words[position + 1:], first + position + 1, \
                    True, False
                break
    return first, first + len(words) - 1, tuple(words), opens, title


def _bare(word: str) -> str:
    """The word without a possessive or a French elision."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    elif word.endswith(("'", "’")):
        word = word[:-1]
    if len(word) > 2 and word[1] in "'’" and word[0] in "lLdD":
        word = word[2:]
    return word


def _capital(word: str) -> bool:
    bare = _bare(word)
    if _DIGIT.search(bare) and not _LETTERS_THEN_DIGITS.match(bare):
        return False  # N8.2bn, Chandrayaan-3; but TVN24, TF1, G20
    if bare[:3] in ("al-", "el-", "as-", "ad-", "an-") and len(bare) > 3:
        return bare[3].isupper()  # al-Sisi, el-Sayed
    return bool(bare) and bare[0].isupper() and bare.casefold() not in _CALENDAR


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
    words = name.split()
    while len(words) > 1 and words[-1].casefold() in _GENERIC_PLACE_WORDS:
        words.pop()
    return " ".join(words)
