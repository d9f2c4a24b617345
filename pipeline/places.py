"""Where a report comes from: province, city and county with their GB/T 2260 codes, and the agency's level.

The places come from jionlp's location parser and its China administrative-division table (shipped inside the
jionlp wheel, with the GB/T 2260 six-digit codes), never from hand-made lists; ``divisions`` indexes the table once
and runs the parser's rules on it in well under a millisecond a name. Doubts stay null with the reason
as an issue: ``place-unknown`` (no province, city or county named) and ``place-ambiguous`` (a name that fits
several divisions, e.g. 鼓楼区 without its city).

Levels: ``province``, ``city``, ``county`` (a people's government or zone of that place), ``township`` (镇/乡/苏木),
``street`` (街道办事处) and ``department`` (any other body of a government: 局, 委员会, 办公厅 …).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

from .divisions import DIRECT_COUNTIES, divisions, parse
from .issues import Issue
from .text import TITLE_CHARS, TITLE_LINES, compact

# how an agency's name ends tells a government from its departments (names, not places: the gazetteer has those)
_STREET = re.compile(r"街道(办事处|办)?$")
_TOWNSHIP = re.compile(r"(镇|乡|苏木)(人民政府|政府)?$")
_GOVERNMENT = re.compile(
    r"^(人民政府|政府|行政公署|管理委员会|管委会)?$|(区|新区|实验区|开发区|示范区|管理区)(管理委员会|管委会)?$"
)
_YEAR = re.compile(r"(?:19|20)\d{2}\s*年")
_BRACKETS = re.compile(r"[（(][^（）()]*[）)]?")


@dataclass(frozen=True)
class Place:
    """One report's place; any field may be None (unknown or ambiguous)."""

    province: str | None = None
    province_code: str | None = None
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    county_code: str | None = None
    town: str | None = None
    level: str | None = None

    def as_record(self) -> dict:
        return asdict(self)


def heading_candidates(agency: str | None, title: str | None = None, paragraphs: Sequence[str] = ()) -> list[str]:
    """Title-line readings of the agency, best first: the line holding it, then that line joined to the one before
    (a title broken over two lines, as PDFs print long ones), then the agency alone."""
    if not agency:
        return []
    key = compact(agency)
    lines = [compact((x or "")[: 4 * TITLE_CHARS])[:TITLE_CHARS] for x in [title, *list(paragraphs)[:TITLE_LINES]]]
    out = next((heads for i in range(len(lines)) if (heads := _heads_at(lines, i, key))), [])
    return out + ([key] if key not in out else [])


def _heads_at(lines: list[str], i: int, key: str) -> list[str]:
    """What line ``i`` prints before its year, alone and joined to the line before, where that holds the agency."""
    out: list[str] = []
    for reading in (lines[i], lines[i - 1] + lines[i]) if i else (lines[i],):
        head = _before_year(reading)
        if key and key in head and head not in out:
            out.append(head)
    return out


def _before_year(line: str) -> str:
    """What a title line prints before its year (the agency, maybe with more); "" for a line with no year."""
    m = _YEAR.search(line)
    return line[: m.start()] if m else ""


def place_of(name: str | None) -> tuple[Place, list[Issue]]:
    """Province, city, county (with codes), town and level of the agency called ``name``."""
    if not name:
        return Place(), [Issue("place-unknown", "no agency name to place")]
    text = compact(name)
    plain = _BRACKETS.sub("", text) or text
    loc = parse(text)
    prov, city, county = loc.get("province"), loc.get("city"), loc.get("county")
    if county:
        doubt = _county_doubt(name, text, prov, city, county)
        if doubt is not None:
            # the place is unknown but its depth is not: a county's government or department
            return Place(level=_level(plain, "county", loc.get("detail"))), [doubt]
    if not (prov or city or county):
        message = f"{name!r} names no province, city or county known to the gazetteer; place left null"
        return Place(level=_level(plain, None)), [Issue("place-unknown", message, raw=name)]
    return _coded(plain, loc), []


def _county_doubt(name: str, text: str, prov: str | None, city: str | None, county: str) -> Issue | None:
    """A county name that fits several divisions, none of whose province or city the name also prints (鼓楼区),
    or that the parser placed in no province: ``place-ambiguous``."""
    fits = divisions().counties.get(county, [])
    if prov is not None and (len(fits) <= 1 or _names_one_of(text, prov, city)):
        return None
    where = "; ".join("".join(x for x in f if x) for f in fits) or "no division known"
    return Issue(
        "place-ambiguous",
        f"{county!r} in {name!r} fits several divisions ({where}); province, city and county left null",
        raw=name,
    )


def _names_one_of(text: str, prov: str, city: str | None) -> bool:
    """Whether the text prints the province or the city, in full or short (江苏省 or 江苏)."""
    names = [prov, *_short(prov), *([city, *_short(city)] if city else [])]
    return any(n in text for n in names)


def _coded(plain: str, loc: dict) -> Place:
    """The place the parser read, with the GB/T 2260 code of each division it names, and the agency's level."""
    prov, city, county = loc.get("province"), loc.get("city"), loc.get("county")
    # province-administered counties have no prefecture-level city
    if city and DIRECT_COUNTIES.match(city):
        city = None
    named, depth = _divisions(prov, city, county)
    return Place(**named, town=loc.get("town"), level=_level(plain, depth, loc.get("detail")))


def _divisions(prov: str | None, city: str | None, county: str | None) -> tuple[dict[str, str | None], str]:
    """The names with their GB/T 2260 codes, and the depth they reach (province, city or county)."""
    codes = divisions().codes
    depth = "county" if county else "city" if city and city != prov else "province"
    return {
        "province": prov,
        "province_code": codes.get((prov,)),
        "city": city,
        "city_code": codes.get((prov, city)) if city else None,
        "county": county,
        "county_code": codes.get((prov, city, county)) if county else None,
    }, depth


def _short(name: str) -> list[str]:
    """Short forms of a province or city name printed in titles (江苏省 → 江苏), from the gazetteer's aliases."""
    return [a for a in divisions().aliases.get(name, []) if len(a) >= 2]


def _level(plain: str, depth: str | None, detail: str | None = None) -> str | None:
    """The agency's level from how its name ends, and the deepest division it names."""
    if _STREET.search(plain):
        return "street"
    if _TOWNSHIP.search(plain):
        return "township"
    if depth is None:
        return None
    rest = _BRACKETS.sub("", compact(detail or ""))
    return depth if _GOVERNMENT.search(rest) else "department"


def report_place(
    agency: str | None, title: str | None = None, paragraphs: Sequence[str] = ()
) -> tuple[dict, list[Issue]]:
    """Place columns for one report's ``reports`` row, and the issues explaining any null (none when the agency
    itself is unknown: ``agency-unknown`` already says so)."""
    return place_from_candidates(heading_candidates(agency, title, paragraphs))


def place_from_candidates(candidates: list[str]) -> tuple[dict, list[Issue]]:
    """The place of the first title-line reading (see ``heading_candidates``) that names one."""
    if not candidates:
        return Place().as_record(), []
    readings = map(place_of, candidates)  # lazily: each reading is a parse of the gazetteer's
    first = next(readings)
    place, issues = next((r for r in itertools.chain([first], readings) if r[0].province or r[0].level), first)
    return place.as_record(), issues


def place_of_code(code: str, agency: str | None) -> Place | None:
    """The place a GB/T 2260 code names (from a metadata side file), with the agency's level from its name; None
    for a code the gazetteer does not hold."""
    key = _code_index().get(code)
    if key is None:
        return None
    prov, city, county = (*key, None, None)[:3]
    named, depth = _divisions(prov, city, county)
    plain = _BRACKETS.sub("", compact(agency or "")) or compact(agency or "")
    # the part of the name after the place it names tells a government from its departments
    rest = plain.split(county or city or prov or "", 1)[-1] if plain else ""
    return Place(**named, level=_level(plain, depth, rest) if agency else None)


@lru_cache(maxsize=1)
def _code_index() -> dict[str, tuple]:
    """GB/T 2260 code -> (province, city, county) of the gazetteer; where two entries share a code (a municipality
    is its own city; a city without counties has a pseudo-county), the longest real one."""
    out: dict[str, tuple] = {}
    for key, code in divisions().codes.items():
        if any(n and _PSEUDO.search(n) for n in key[1:]):
            continue
        if code not in out or len(key) > len(out[code]):
            out[code] = key
    return out


_PSEUDO = re.compile(r"直辖")
