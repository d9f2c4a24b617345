"""China's administrative divisions as an index built once, and jionlp's location parser run on that index.

The division table and the parser's rules are jionlp's (``jionlp.parse_location`` with ``town_village=True,
change2new=True``; the table ships in the jionlp wheel with the GB/T 2260 codes). What differs is the cost:

- jionlp reads its 700,000-line table on every start (about a second, and twice when the codes are wanted too) and
  then tests every one of its 3,557 (province, city, county) entries against the text by substring search. Here the
  table is read once into ``Divisions``, pickled in the user's cache folder (keyed by the table files' size and time
  and this module's ``VERSION``), and loaded in milliseconds by every later process.
- ``parse`` looks up which division names occur in the text (every substring of it, against a dict of the names)
  and runs jionlp's candidate rules on the entries that hold one of them only: the same candidates, in the same
  order, so the same answer (``tests/test_places.py`` compares the two on the corpus titles and on generated names).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import hashlib
import importlib.util
import io
import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

VERSION = 2  # of the pickled index: bump when ``Divisions`` or ``_build`` changes
MUNICIPALITIES = frozenset({"北京", "上海", "天津", "重庆", "香港", "澳门"})  # jionlp's: their city is the province
_MARK = "【loc_alias】"
_ALIAS_THEN_STREET = re.compile("(【loc_alias】(路|大街|街))")  # 太原 in 太原路 is a street, not the city
Pair = tuple[str | None, str | None]  # (full name, alias) of one level of an entry
Entry = tuple[str, Pair, Pair, Pair, bool]  # (code, province, city, county, current name?) as jionlp lists them


@dataclass(frozen=True)
class Divisions:
    """jionlp's parser tables, and the GB/T 2260 codes and aliases of the divisions."""

    entries: tuple[Entry, ...]  # jionlp's ``administrative_map_list``, in its order
    by_name: dict[str, tuple[int, ...]]  # every full name or alias -> the entries holding it
    name_lengths: tuple[int, ...]  # the lengths of those names, for the substring lookup
    old2new: dict[str, tuple[str | None, ...]]  # renamed divisions: old province+city+county -> the new names
    towns: dict[str, str]  # province+city+county -> its towns and streets in the table's order, "\n"-joined
    codes: dict[tuple, str]  # (province,), (province, city), (province, city|None, county) -> six-digit code
    counties: dict[str, list[tuple]]  # county name or alias -> every (province, city|None, county) it names
    aliases: dict[str, list[str]]  # province or city -> its short names (江苏省 -> 江苏)


# ---------------------------------------------------------------------------------------------------------------------
# the index, built once per machine


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    """The index: from the cache file when it matches the installed table, else built (about 2 s) and cached."""
    folder = cache_dir()
    path = folder / f"divisions-{_table_key()}.pickle" if folder else None
    if path is not None:
        gc.disable()  # unpickling some 100,000 objects: the collector would walk them again and again
        try:
            with open(path, "rb") as f:
                d = pickle.load(f)
            if isinstance(d, Divisions):
                return d
        except Exception:  # missing, unreadable, torn or from another version: build it again
            pass
        finally:
            gc.enable()
    d = _build()
    if path is not None:
        _store(path, d)
    return d


def cache_dir() -> Path | None:
    """Where built indexes are kept: ``$XXGK_CACHE``, else ``$XDG_CACHE_HOME/xxgk``, else ``~/.cache/xxgk``; None
    when there is no home folder either (the index is then built by every process)."""
    if os.environ.get("XXGK_CACHE"):
        return Path(os.environ["XXGK_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "xxgk"
    try:
        return Path.home() / ".cache" / "xxgk"
    except RuntimeError:
        return None


def _store(path: Path, d: Divisions) -> None:
    """Write the cache file atomically; a folder that cannot be written only means building again next time."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(d, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _table_key() -> str:
    """Names the installed division table (its files' paths, sizes and times) without importing jionlp."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jionlp is not installed (it provides the China division table)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    parts = [str(VERSION)]
    # the wheel ships the table zipped and jionlp unzips it beside on first use: the zip names it when it is there
    # (the key stays the same across that first use); a text file alone where a package was unpacked by hand
    for name in ("china_location", "china_location_change"):
        f = next((p for p in (folder / f"{name}.zip", folder / f"{name}.txt") if p.exists()), None)
        if f is None:
            raise ImportError(f"jionlp's division table {name} is missing from {folder}")
        st = f.stat()
        parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _build() -> Divisions:
    """Read jionlp's tables through jionlp itself, so the entries are exactly those its parser tests."""
    with contextlib.redirect_stdout(io.StringIO()):  # jionlp prints a banner on import
        import jionlp
        from jionlp.gadget.location_parser import LocationParser

    lp: Any = LocationParser()  # jionlp ships no types
    lp.town_village = True
    lp._prepare()
    entries = tuple((e[0], tuple(e[1]), tuple(e[2]), tuple(e[3]), bool(e[4])) for e in lp.administrative_map_list)
    by_name: dict[str, list[int]] = collections.defaultdict(list)
    for i, e in enumerate(entries):
        for name in {n for pair in e[1:4] for n in pair if n}:
            by_name[name].append(i)
    codes, counties, aliases = _codes(jionlp.china_location_loader(detail=False))
    return Divisions(
        entries=entries,
        by_name={k: tuple(v) for k, v in by_name.items()},
        name_lengths=tuple(sorted({len(n) for n in by_name})),
        old2new={k: tuple(v) for k, v in lp.old2new_loc_map.items()},
        towns={k: "\n".join(v) for k, v in lp.town_village_dict.items()},  # the node's keys, as jionlp scans them
        codes=codes,
        counties=counties,
        aliases=aliases,
    )


# table nodes that group counties directly under a province (no prefecture-level city)
DIRECT_COUNTIES = re.compile(r"^(省|自治区)直辖")


def _codes(table: dict) -> tuple[dict, dict, dict]:
    codes: dict[tuple, str] = {}
    counties: dict[str, list[tuple]] = {}
    aliases: dict[str, list[str]] = {}
    for prov, pnode in _named(table):
        codes[(prov,)] = pnode["_admin_code"]
        aliases[prov] = _aliases(pnode)
        for city, cnode in _named(pnode):
            aliases[city] = _aliases(cnode)
            real_city = None if DIRECT_COUNTIES.match(city) else city
            if real_city:
                codes[(prov, real_city)] = cnode["_admin_code"]
            for county, knode in _named(cnode):
                codes[(prov, real_city, county)] = knode["_admin_code"]
                for n in {county} | set(_aliases(knode)):
                    counties.setdefault(n, []).append((prov, real_city, county))
    return codes, counties, aliases


def _named(node: dict) -> list[tuple[str, dict]]:
    """The divisions under a table node (its other keys, such as ``_admin_code``, start with "_")."""
    return [(k, v) for k, v in node.items() if not k.startswith("_") and isinstance(v, dict)]


def _aliases(node: dict) -> list[str]:
    a = node.get("_alias")
    return [a] if isinstance(a, str) else list(a or [])


# ---------------------------------------------------------------------------------------------------------------------
# jionlp's parser on the index


@dataclass
class _Candidate:
    entry: Entry
    count: int  # levels matched
    offsets: list[list[int]]  # per level: [where in the text, 0 full name / 1 alias], [-1, -1] when not matched


def parse(text: str) -> dict[str, str | None]:
    """``jionlp.parse_location(text, town_village=True, change2new=True)``: province, city, county, detail, town."""
    d = divisions()
    cands = _candidates(d, text)
    if not cands:
        return _nothing(text)
    cands = [c for c in cands if not _full_and_alias_at_one_offset(c)]  # 湖南省长沙市 is not 长沙县
    top = max(c.count for c in cands)
    cands = [c for c in cands if c.count == top]
    if len(cands) == 2 and (
        [o[0] for o in cands[0].offsets] == [o[0] for o in cands[1].offsets]
        or [p[1] for p in cands[0].entry[1:4]] == [p[1] for p in cands[1].entry[1:4]]
    ):
        cands = [c for c in cands if c.entry[4]]  # an old and a new name read the same: the new one
    if len(cands) == 1:
        return _final(d, cands[0], text, [])
    cands = _first_in_order(sorted(cands, key=lambda c: sum(o[0] for o in c.offsets)))
    if not cands:
        return _nothing(text)
    cands = _full_names_first(cands)
    cands = _current_names(d, cands)
    return _final(d, cands[0], text, _shared_county_names(cands))


def _nothing(text: str) -> dict[str, str | None]:
    return {"province": None, "city": None, "county": None, "detail": text, "town": None}


def _candidates(d: Divisions, text: str) -> list[_Candidate]:
    """jionlp's ``get_candidates``, on the entries that hold a name occurring in ``text`` (no other can match)."""
    first: dict[str, int] = {}  # every division name in the text -> where it first occurs (``text.index``)
    n = len(text)
    for i in range(n):
        for size in d.name_lengths:
            if i + size > n:
                break
            name = text[i : i + size]
            if name not in first and name in d.by_name:
                first[name] = i
    streets: dict[str, bool] = {}
    out = []
    for i in sorted({e for name in first for e in d.by_name[name]}):
        c = _candidate(d.entries[i], text, first, streets)
        if c is not None:
            out.append(c)
    return out


def _candidate(entry: Entry, text: str, first: dict[str, int], streets: dict[str, bool]) -> _Candidate | None:
    count = 0
    offsets = [[-1, -1], [-1, -1], [-1, -1]]
    for level, pair in enumerate(entry[1:4]):
        found = ((k, n) for k, n in enumerate(pair) if n is not None and n in first)
        hit = next(((k, n) for k, n in found if k == 0 or not _street(n, text, streets)), None)
        if hit is None:
            continue
        count += 1
        offsets[level] = [first[hit[1]], hit[0]]
        # two levels found one character apart are one misread name (青海西宁 holds 海西)
        if any(offsets[up][0] >= 0 and offsets[level][0] - offsets[up][0] == 1 for up in range(level)):
            return None
    if count == 0:
        return None
    if entry[1][1] in MUNICIPALITIES and entry[1][1] in text:
        count -= 1
    return _Candidate(entry, count, offsets)


def _street(alias: str, text: str, seen: dict[str, bool]) -> bool:
    """Whether ``alias`` is followed by 路, 街 or 大街 in the text: a street (北海市重庆路), not the division."""
    if alias not in seen:
        seen[alias] = _ALIAS_THEN_STREET.search(text.replace(alias, _MARK)) is not None
    return seen[alias]


def _full_and_alias_at_one_offset(c: _Candidate) -> bool:
    found = [o[0] for o in c.offsets if o[0] > -1]
    if len(found) == len(set(found)):
        return False
    same = collections.Counter(found).most_common()[0][0]
    at = [o for o in c.offsets if o[0] == same]
    return at[0][1] == 0 and at[1][1] == 1


def _first_in_order(cands: list[_Candidate]) -> list[_Candidate]:
    """Entries matched at all three levels must be matched province, city, county from left to right; then the
    ones matched earliest in the text."""
    kept = [
        c
        for c in cands
        if c.entry[1][1] in MUNICIPALITIES
        or -1 in (c.offsets[0][0], c.offsets[1][0], c.offsets[2][0])
        or c.offsets[0][0] < c.offsets[1][0] < c.offsets[2][0]
    ]
    if not kept:
        return []
    least = sum(o[0] for o in kept[0].offsets)
    return [c for c in kept if sum(o[0] for o in c.offsets) == least]


def _full_names_first(cands: list[_Candidate]) -> list[_Candidate]:
    """Full names before aliases (海南藏族自治州 is not 海南省; 科尔沁左翼后旗 is not 科尔沁区); all aliases and one
    level matched: the highest level first (海南大学 is 海南省)."""
    kinds = [min(o[1] for o in c.offsets if o[1] > -1) for c in cands]
    cands = [c for k, c in zip(kinds, cands, strict=True) if k == min(kinds)]
    sums = [sum(o[1] for o in c.offsets if o[1] > -1) for c in cands]
    least = min(sums)
    cands = [c for s, c in zip(sums, cands, strict=True) if s == least]
    if least == 1 and max(len([o for o in c.offsets if o[0] > -1]) for c in cands) == 1:
        cands = sorted(cands, key=lambda c: next(i for i, o in enumerate(c.offsets) if o[0] != -1))
    return cands


def _current_names(d: Divisions, cands: list[_Candidate]) -> list[_Candidate]:
    """An old name whose new division is also a candidate is dropped."""
    out = []
    for c in cands:
        e = c.entry
        if e[0] == "000000" and None not in (e[1][0], e[2][0], e[3][0]):
            new = d.old2new.get(f"{e[1][0]}{e[2][0]}{e[3][0]}")
            if new is not None and any(
                o.entry[0] != "000000" and (o.entry[1][0], o.entry[2][0], o.entry[3][0]) == tuple(new[:3])
                for o in cands
            ):
                continue
        out.append(c)
    return out


def _shared_county_names(cands: list[_Candidate]) -> list[str | None]:
    """County names that several candidates print (鼓楼区, 高新区), unless all candidates are of one city."""
    names = [c.entry[3][c.offsets[-1][1]] for c in cands]
    one_city = len({c.entry[2][0] for c in cands}) == 1
    return [n for n, k in collections.Counter(names).most_common() if k > 1 and not one_city]


def _final(d: Divisions, c: _Candidate, text: str, shared: list[str | None]) -> dict[str, str | None]:
    """jionlp's ``_get_final_res``: the chosen entry's names, renamed to current ones, and the rest of the text."""
    e = c.entry
    levels = (e[1], e[2], e[3])
    prov = city = county = None
    detail_at = 0
    for level, (at, kind) in enumerate(c.offsets):
        if at == -1:
            continue
        name = levels[level][kind]
        detail_at = at + len(name or "")
        if name not in shared:
            prov = e[1][0]
            if level >= 1:
                city = e[2][0]
        if level >= 2 and name not in shared:
            county = e[3][0]
        else:
            county = e[3][kind]
    key = "".join(x or "" for x in (prov, city, county))
    if key in d.old2new:
        prov, city, county = d.old2new[key][:3]
    detail = text[detail_at:]
    if detail[:1] == "县":
        detail = detail[1:]
    if city is not None and "直辖" in city:
        city = None
    if county is not None and "直辖" in county:
        county = None
    return {
        "province": prov,
        "city": city,
        "county": county,
        "detail": detail,
        "town": _town(d, prov, city, county, detail),
    }


def _town(d: Divisions, prov: str | None, city: str | None, county: str | None, detail: str) -> str | None:
    towns = d.towns.get(f"{prov or ''}{city or '省直辖行政区划'}{county or '市直辖行政区划'}")
    return next((t for t in towns.split("\n") if t in detail), None) if towns else None
