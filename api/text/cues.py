"""The words and patterns the entity extractor reads a text by: titles, institution and
outlet words, cues before and after a name, and the runs of capitalised words themselves.

Each pattern is bounded by what it is matched against (a span's few words, or the 60
characters beside it), so none of them costs more on a hostile text.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.casefold().split())


def _phrases(text: str) -> list[str]:
    """Phrases one a line, or several on a line between '|'."""
    return [phrase.strip() for line in text.splitlines() for phrase in line.split("|")
            if phrase.strip()]


def _either(phrases: list[str]) -> str:
    """A regex alternative of the phrases, longest first, any whitespace between words."""
    return "|".join(r"\s+".join(re.escape(word) for word in phrase.split())
                    for phrase in sorted(phrases, key=len, reverse=True))


def _backwards(phrases: list[str]) -> str:
    """_either for a text read backwards."""
    return _either([phrase[::-1] for phrase in phrases])


def _last_words(*groups: list[str]) -> frozenset[str]:
    """The words a text before a name ends on where a pattern built of these groups may
    match: each is a test that is cheap before the pattern is run."""
    return frozenset(phrase.split()[-1].casefold() for group in groups for phrase in group)


# A word's letters after its first; a plural possessive before a capital stays in the
# name: 'Kurdistan Workers' Party' (with either apostrophe). Written as letters, then
# (a mark, letters) repeated: the engine takes a run of letters in one step where a
# repeated choice of one character tries each branch for each letter.
WORD_REST = (r"[\w&]*(?:(?:[.'’\-](?=\w)|(?<=\b[A-Z])\.|(?<=s)['’](?=[ \t]+[A-Z]))"
             r"[\w&]*)*")
WORD_PATTERN = r"[^\W\d_]" + WORD_REST
UPPER = "A-ZÀ-ÖØ-ÞĀ-ſ"
# A capital, or l'/d' or al-/el-/as-/ad-/an- before one, not inside a word. The pattern
# opens with a character class so that the regex engine skips ahead to candidates
# instead of trying every position (a third of the scan's time).
CAPITALISED = (rf"[{UPPER}lLdDae](?<![\w.'’-].)(?:(?<=[{UPPER}])|(?<=[lLdD])['’](?=[{UPPER}])"
                r"[^\W\d_]|(?:(?<=a)[lsdn]|(?<=e)l)-(?=[A-Z])[^\W\d_])"
                + WORD_REST)
WORD = re.compile(r"(?:[lLdD]['’])?" + WORD_PATTERN + "|&")
SENTENCE_ENDS = frozenset(".!?:;\"“”«»—–-(")
CONNECTORS = frozenset({"of", "the", "for", "and", "de", "du", "des", "la", "le", "al", "el",
                         "bin", "ibn", "van", "von", "der", "den", "da", "di", "do", "dos",
                         "y", "et", "&", "bint", "ul", "ud"})


# Runs of capitalised words, with the lower-case words that join them into one name
# between. A run opens on a capital only, so that the regex engine skips the many a, d,
# e and l letters a word may also open with (a third of the scan's time): a run that
# opens on "l'" or "d'" (two characters) or "al-", "as-", "ad-", "an-", "el-" (three),
# "l'Élysée", "al-Assad", is found at its capital, where CAPITALISED's prefixes are
# allowed before it, and widened to its prefix (entities._runs).
_MORE_WORDS = (r"(?:[ \t]+(?:(?:" + "|".join(sorted(CONNECTORS, key=len, reverse=True))
               + r")[ \t]+)*" + CAPITALISED + ")*")
_NOT_AFTER = r"[\w.'’-]"
RUN_FROM_CAPITAL = re.compile(
    rf"[{UPPER}](?:(?<!{_NOT_AFTER}.)|(?<=(?<!{_NOT_AFTER})[ld]['’].)"
    rf"|(?<=(?<!{_NOT_AFTER})a[lsdn]-[A-Z])|(?<=(?<!{_NOT_AFTER})el-[A-Z]))"
    + WORD_REST + _MORE_WORDS)
PREFIX_MARKS = "-'’"
# Capitalised, yet never part of a name.
CALENDAR = _words("""
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April June July August September October November December Lundi Mardi Mercredi
    Jeudi Vendredi Samedi Dimanche Janvier Février Mars Avril Mai Juin Juillet Août
    Septembre Octobre Novembre Décembre
""")
TITLES = _words("""
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
    Alhaji Alhaja Hajiya Malam Mallam Engr Engr. Barrister Hon Hon. Honourable
""")
# Titles that are a person's office: 'Parliament Speaker Nabih Berri' names a speaker,
# while 'Foreign' in 'Ministry of Foreign Affairs' is part of the ministry's name.
OFFICES = _words("""
    President Minister Speaker Spokesman Spokeswoman Spokesperson Chairman Chairwoman
    Chair Governor Mayor Director Ambassador Envoy Chancellor Commander CEO Coach
    Captain Manager Judge Justice Senator Prosecutor Attorney Commissioner Secretary
    General Chief Inspector Officer Ministre Président Présidente
""")
ORG_HEADS = _words("""
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
    Securities Investments Insurance Railways Railway Ports Limited International Watch
    Crescent Cross Forum Initiative Caucus Centres Centers Agencies Institutes Laboratory
    Laboratories
""")
# Offices that only a company has: 'Vodacom CEO Shameel Joosub' names Vodacom.
CORPORATE_OFFICES = _words("CEO Chairman Chairwoman")
# What a name of an event or a storm ends or opens with: not an organisation.
EVENT_HEADS = _words("Cup Games Olympics Championship Championships Prix Marathon Festival "
                      "Expo Biennale Open Summit Derby Tour")
STORM_LEADS = _words("Storm Hurricane Cyclone Typhoon Tropical")
# 'Nairobi-based', 'Russian-led': how the name after is placed, not part of it.
AFFILIATIONS = ("-based", "-led", "-backed", "-owned", "-run", "-funded", "-linked",
                 "-allied", "-born", "-controlled", "-held", "-listed", "-headquartered",
                 "-aligned", "-sponsored", "-affiliated")
ORG_LEADS = frozenset({"ministry", "bank", "university", "council", "court", "department",
                        "organisation", "organization", "office", "house", "federation",
                        "union", "league", "party", "institute", "commission", "committee",
                        "ministère", "banque", "conseil", "cour", "parti", "fédération",
                        "agence", "assemblée", "institut",
                        "real", "inter", "national", "royal", "islamic", "federal", "central",
                        "supreme", "international", "european", "african", "arab", "world",
                        "united", "democratic", "people's", "popular", "free", "state"})
# Groups that wire copy names without an institution word: their names are not words.
KNOWN_ORGS = frozenset({"taliban", "hamas", "hezbollah", "houthis", "houthi", "al-shabaab",
                         "al shabaab", "boko haram", "al-qaeda", "al qaeda", "isis", "isil",
                         "islamic state", "daesh", "wagner", "opec", "opec+", "nato", "interpol",
                         "europol", "unicef", "unesco", "fifa", "uefa", "kremlin", "pentagon",
                         "hashd al-shaabi", "tehreek-e-taliban pakistan", "ttp",
                         "irgc", "pkk", "un", "eu", "asean", "g7", "g20", "brics", "who",
                         "ypg", "sdf", "anc", "bjp", "fbi", "cia", "nasa", "al-qaïda",
                         "al-qaida", "état islamique", "etat islamique", "human rights watch",
                         "amnesty international", "médecins sans frontières",
                         "doctors without borders", "red cross", "red crescent", "world bank",
                         "imf", "wto", "iaea", "gavi", "mossad", "shin bet", "sbu", "fsb",
                         "congress", "senate", "knesset", "duma", "state duma", "bundestag",
                         "majlis", "lok sabha", "rajya sabha", "jnim", "ecowas", "cedeao"})
MIXED_CASE_ORGS = frozenset({"gavi", "duma"})
OUTLETS = {name.strip().casefold(): name.strip() for name in """
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
    |TF1|France 2|France 3|France Inter|franceinfo|France Info|BFMTV|BFM TV|LCI|Le Parisien
    |Les Echos|La Presse|Le Devoir|Radio-Canada|CBC|CTV|Jeune Afrique|Ouest-France
    |Le Point|L'Express|Mediapart|Libération|Europe 1|RTL|TV5Monde|El Mundo|ABC News
    |Corriere della Sera|La Repubblica|Gazzetta dello Sport|Süddeutsche Zeitung|Bild
    |Frankfurter Allgemeine Zeitung|Die Zeit|Der Standard|NZZ|ARD|ZDF|Al-Quds Al-Arabi
    |Asharq Al-Awsat|An-Nahar|Al-Akhbar|Rudaw|Kurdistan 24|Shafaq News|Al Sumaria
    |Times of Israel|Jerusalem Post|Ynet|Channel 12|i24NEWS|Middle East Eye
    |Tehran Times|Shargh Daily|Hamshahri|Fars News Agency|Mehr News Agency|ILNA|YJC
    |Ettelaat|Entekhab|Daily Trust|Channels Television|Channels TV|Daily Nation
    |Citizen TV|Mail & Guardian|Daily Maverick|eNCA
    |Nikkei Asia|Kyodo News|Korea Herald|Korea Times|JoongAng Ilbo|Chosun Ilbo|Caixin
    |Yicai|Dawn News|Business Recorder|Samaa|ARY News|Aaj News
    |NDTV|India Today|The Hindu|Indian Express|Economic Times
    |bdnews24|The Daily Star|Kathmandu Post|Daily Mirror|Ada Derana
    |Malaysiakini|New Straits Times|Rappler|Inquirer|Philippine Daily Inquirer
    |VnExpress|Tuoi Tre|Bangkok Post|Kompas|Detik
    """.replace("\n", "").split("|") if name.strip()}
OUTLET_ARTICLE = re.compile(r"^(?:the|l['’])\s*", re.IGNORECASE)
OUTLET_AGENCY = re.compile(r"\s+(?:news\s+)?agency$", re.IGNORECASE)
OUTLET_HEADS = frozenset({"news", "times", "post", "press", "television", "tv", "radio",
                           "herald", "tribune", "journal", "gazette", "daily", "telegraph",
                           "observer", "chronicle", "broadcasting", "channel", "wire",
                           "newspaper", "magazine", "monde", "figaro", "express"})
# What the text says before it names an outlet's kind: 'told the news (portal X)', 'selon
# le (quotidien économique X)'.
CITED_DESCRIPTION = re.compile(
    r"\b(?:told|according\s+to|quoted\s+by|cited\s+by|interview\s+with|selon|à|par|sur|"
    r"avec)(?:\s+(?:the|a|an|its|their|la|le|les|l'|l’))?(?:\s+[\w'’-]+){0,2}\s*$",
    re.IGNORECASE)
CITE_AFTER = re.compile(
    r"^['’]?s?\s*(?:\)|,)?\s*(?:news\s+agency\s+|agency\s+|television\s+|tv\s+|"
    r"newspaper\s+|daily\s+|correspondent\s+|reporters?\s+)?"
    r"(?:reported|reports|said|says|quoted|cited|wrote|writes|published|broadcast|"
    r"aired|learned|confirmed|revealed|rapporte|a\s+rapporté|indique|a\s+indiqué|"
    r"citant|annonce|précise)\b", re.IGNORECASE)
PERSON_AFTER = re.compile(
    r"^['’]?s?\s*(?:,\s*(?:who|a|an|the|\d+|aged)\b|\s*(?:said|says|told|added|"
    r"stated|explained|insisted|argued|warned|noted|wrote|asked|declared|announced|"
    r"a\s+déclaré|a\s+dit|a\s+affirmé|a\s+indiqué|a\s+ajouté|estime|affirme)\b)",
    re.IGNORECASE)
ACRONYM_DEFINED = re.compile(r"\(\s*([A-Z][A-Za-z&]{1,9})\s*\)")
LEADING_ARTICLE = re.compile(r"^(?:the|la|le|les|l['’])\s*", re.IGNORECASE)
# What an outlet does and an organisation seldom does: 'NDTV reported'.
REPORTED = re.compile(r"^['’]?s?\s*(?:,\s*)?(?:reported|reports|quoted|broadcast|aired|"
                       r"rapporte|a\s+rapporté)\b", re.IGNORECASE)
# 'West Sumatra province', 'Kerala state': a place, whatever the gazetteer knows.
REGION_AFTER = re.compile(r"^\s+(?:province|region|state|district|county|governorate|"
                           r"prefecture|oblast|territory|municipality|island|islands)\b")
# What comes between a name and its acronym: 'Agency (BMKG)', 'Agency, known as BMKG'.
ALIAS_BEFORE = re.compile(r"(?:\(|,?\s+(?:known\s+as|also\s+called|called)\s+)$")
# The rest of a list of subjects in an institution's name, after or before a span.
LIST_AFTER = re.compile(r"^(?:,[ \t]*[A-Z][\w’'-]+)+,?[ \t]+and[ \t]+[A-Z][\w’'-]+")
LIST_BEFORE = re.compile(r"(?<!\S)(?:[A-Z][\w’'-]+,[ \t]*)+$")
# 'state energy company Sonatrach', 'Saudi club Al Hilal', 'chipmaker SK Hynix': the word
# before a name that says it is an organisation's.
ORG_NOUNS = _words("""
    company firm club giant maker carmaker automaker chipmaker lender carrier operator
    alliance insurer miner conglomerate retailer startup start-up airline producer
    manufacturer regulator developer exporter supplier brokerage société groupe entreprise
    constructeur géant opérateur""")
# 'Eni CEO Claudio Descalzi', 'Gazprom chief executive', 'Samsung's shares'
ORG_DESCRIBED_AFTER = re.compile(
    r"^(?:['’]s)?\s+(?:shares|stock|chief\s+executive|CEO|chairman|chairwoman|"
    r"chief\s+financial\s+officer|CFO|board\s+of\s+directors|co-founder|founder)\b")
# A speech verb after a word used on its own: 'Saka said' makes Saka a surname.
SPEECH_OPENINGS = (" said", " says", " told", " added", " noted", " warned", " argued",
                   " wrote", " a ", ", ", "\nsaid", "  ")
SPEECH_AFTER = re.compile(r",?\s+(?:said|says|told|added|noted|warned|argued|wrote|"
                           r"a\s+déclaré|a\s+dit|a\s+ajouté)\b")
# 'Lake Victoria', 'Canary Islands': the kind of place is in the name.
LAND_LEADS = frozenset({"lake", "mount", "mt", "mt.", "gulf", "bay", "cape", "isle"})
LAND_HEADS = frozenset({"river", "islands", "island", "sea", "gulf", "bay", "valley",
                         "desert", "mountains", "hills", "strait", "peninsula", "plateau",
                         "basin", "coast", "delta", "lake", "highlands", "archipelago"})
COMPASS = frozenset({"north", "south", "east", "west", "northern", "southern", "eastern",
                      "western", "central", "upper", "lower", "greater", "north-west",
                      "north-east", "south-west", "south-east", "northwest", "northeast",
                      "southwest", "southeast"})
REGIONAL_DEMONYMS = frozenset({"asian", "african", "european", "american", "arab", "latin",
                                "western", "eastern", "gulf", "nordic", "baltic", "balkan",
                                "caucasian", "sub-saharan", "pacific", "caribbean"})
# Capitalised abbreviations that name no organisation.
NOT_NAMES = frozenset({"ai", "gdp", "ceo", "pdg", "tv", "pm", "mp", "dna", "hiv", "aids",
                        "covid", "lng", "ipo", "etf", "vat", "gmt", "utc", "am", "ok", "ev",
                        "uav", "id", "cfo", "coo", "cto", "vip", "faq", "pc", "sms", "gps",
                        "ceos", "mps", "evs", "ngo", "ngos", "un-", "it"})
DIGIT = re.compile(r"\d")
LETTERS_THEN_DIGITS = re.compile(r"[A-Z][A-Za-z]*\d{1,3}$")
# Cues before and after a name, each word list written once: the pattern and the cheap
# test of the word before a name that guards it are both built from it. The costliest
# cues before a name are matched against the text before it read backwards (reversed,
# their phrases reversed): anchored where the name starts, the engine tries that one
# position instead of each of the sixty characters before it.
_ARTICLES = _phrases("the | a | an | its | their | la | le | les | l' | l’")
_OUTLET_KINDS = _phrases("""
    official | state-run | state | semi-official | state-owned | private | local | news
    agency | broadcaster | daily | newspaper | channel | television | outlet | agence
    quotidien | chaîne | journal | portal | website | weekly | magazine | site | télévision
    radio | tv""")
# 'told the state-run', 'according to', 'selon l'': an outlet's name may follow.
_CITE_CUES = _phrases("""
    told | to | by | with | according to | quoted by | cited by | reported by | in | on
    selon | à | a indiqué à | a déclaré à | a affirmé à | a rapporté | de | par | sur""")
# Read backwards: '(cue) (article)? (Name's)? (kind){0,3}' ending where the name starts.
CITE_BEFORE = re.compile(
    rf"\s*(?:(?:{_backwards(_OUTLET_KINDS)})\s+){{0,3}}(?:s['’][\w-]*[A-Z]\s+)?"
    rf"(?:(?:{_backwards(_ARTICLES)})\s+)?(?:{_backwards(_CITE_CUES)})\b", re.IGNORECASE)
CITE_BEFORE_LAST = _last_words(_CITE_CUES, _ARTICLES, _OUTLET_KINDS)
# 'told CNBC', 'ILNA reported': an unknown name in an outlet's place.
_STRONG_CUES = _phrases("""
    told | interview with | entretien avec | quoted by | a déclaré à | a indiqué à
    a confié à""") + [f"{verb}{ending} par" for verb in ("contacté", "interrogé", "joint")
                      for ending in ("", "e", "s", "es")]
_STRONG_ARTICLES = _phrases("the | la | le | l' | l’")
_STRONG_KINDS = _phrases("""
    official | state-run | state | semi-official | private | local | news | broadcaster
    daily | newspaper | channel | television | outlet | magazine | weekly | quotidien
    chaîne | hebdomadaire | journal | website""")
# Read backwards: '(cue) (article)? (kind){0,3}' ending where the name starts.
STRONG_CITE = re.compile(
    rf"\s*(?:(?:{_backwards(_STRONG_KINDS)})\s+){{0,3}}(?:(?:{_backwards(_STRONG_ARTICLES)})"
    rf"\s+)?(?:{_backwards(_STRONG_CUES)})\b", re.IGNORECASE)
CITE_WORDS = _last_words(_STRONG_CUES, _STRONG_ARTICLES, _STRONG_KINDS)
# 'said Saka', 'according to Saka': a person's name may follow.
_PERSON_CUES = _phrases("said | says | according to | by | selon | with")
PERSON_BEFORE = re.compile(rf"(?:\b(?:{_either(_PERSON_CUES)})\s*)$", re.IGNORECASE)
PERSON_WORDS = _last_words(_PERSON_CUES)
# 'in Geneva', 'near the …': a place may follow.
_PLACE_CUES = _phrases("in | at | near | from | outside | across | around | into | à | en"
                       " | près de")
PLACE_BEFORE = re.compile(rf"\b(?:{_either(_PLACE_CUES)})(?:\s+the)?\s*$", re.IGNORECASE)
PLACE_WORDS = _last_words(_PLACE_CUES, ["the"])
# 'the daily Mwananchi', 'broadcaster TVN24', 'news agency Petra', 'the news portal
# Malaysiakini', 'le quotidien économique Valor': an outlet named.
_DESCRIPTIONS = _phrases("""
    news agency | press agency | daily | newspaper | broadcaster | weekly | channel
    television | radio | website | outlet | tabloid | magazine | portal | quotidien
    hebdomadaire | chaîne | site | télévision | journal""")
_DESCRIBING = _phrases("""
    news | économique | publique | public | privée | privé | nationale | national
    officielle | officiel | d'État | d’État | d'Etat | d’Etat | d'information
    d’information | en ligne""")
DESCRIBED_BEFORE = re.compile(
    rf"\b(?:{_either(_DESCRIPTIONS)})(?:\s+(?:{_either(_DESCRIBING)}))?\s+$", re.IGNORECASE)
DESCRIBED_PREV = _last_words(_DESCRIPTIONS, _DESCRIBING)
# 'the Herald newspaper', 'the Libya Al-Ahrar channel', 'its Amaq news agency',
# 'Mwananchi, a Swahili-language daily,'
_KINDS_AFTER = _phrases("""
    newspaper | daily | channel | broadcaster | television | tv | radio | agency | news agency
    website | weekly | magazine | portal | news portal | news website""")
_DESCRIBING_AFTER = _phrases("business | financial | sports | sport | news | online | state"
                             " | private")
DESCRIBED_AFTER = re.compile(
    rf"^(?:\s+|,\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,2}})(?:(?:{_either(_DESCRIBING_AFTER)}"
    rf"|\w+-language)\s+)?(?:{_either(_KINDS_AFTER)})\b,?", re.IGNORECASE)
# How what follows an outlet's name opens where DESCRIBED_AFTER may match.
DESCRIBED_AFTER_OPENINGS = (
    *sorted({f" {phrase.split()[0]}" for phrase in _KINDS_AFTER + _DESCRIBING_AFTER}),
    ", a ", ", an ", ", the ")
NAMES_WITH_S = frozenset({"People", "Children", "Women", "Workers", "Men", "Veterans"})
GENERIC_PLACE_WORDS = frozenset({"province", "provinces", "state", "region", "district",
                                  "county", "city", "governorate", "prefecture", "oblast",
                                  "territory", "valley", "island", "islands"})
