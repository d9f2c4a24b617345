"""Turn a printed cell into a number without ever raising: ``parse_value(raw) -> Parsed``.

A blank is null (never 0); "/", "-", "—", "无" are null with the raw text kept; full-width digits, signs,
thousands separators and units (元, 万元) are understood. Money is returned in yuan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .text import DASHES, NULL_TOKENS, compact

ZERO_WORDS = {"零": 0}
UNIT_SCALE = {"万元": Decimal(10000), "元": Decimal(1)}
COUNT_UNITS = ("件", "个", "项", "次", "条", "宗", "人次")
_NUMBER = re.compile(r"^(?P<sign>[+-]?)(?P<num>\d+(?:\.\d+)?|\.\d+)(?P<unit>万元|元|" + "|".join(COUNT_UNITS) + ")?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one cell: value (float or None), the unit it is in, and why when not a number."""

    value: float | None
    raw: str
    unit: str | None = None  # "yuan" for money, None otherwise
    note: str | None = None  # None (a number or a blank), "null-token", "unparsed", "unit-unknown", "scaled-wan"


def clean(raw: str) -> str:
    """The cell text with width folded and all whitespace removed."""
    return compact(raw).replace("﹣", "-").replace("−", "-")


def is_value_like(raw: str) -> bool:
    """Whether a cell reads as a figure, a blank or a null token (not as a label)."""
    p = parse_value(raw)
    return p.note != "unparsed"


@lru_cache(maxsize=1 << 16)  # the same few texts ("0", "", "/") fill most cells of every report
def parse_value(raw: str, unit_hint: str | None = None) -> Parsed:
    """Read ``raw`` as a number; ``unit_hint`` ("万元", "元", "unknown") is the unit the header gives.

    A unit in the cell overrides the header's. A leading "+" is dropped, "-" kept. Never raises.
    """
    raw = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    t = clean(raw)
    if not t:
        return Parsed(None, raw)
    if t.lower() in NULL_TOKENS or set(t) <= DASHES:
        return Parsed(None, raw, note="null-token")
    if t in ZERO_WORDS:
        return Parsed(float(ZERO_WORDS[t]), raw)
    m = _NUMBER.match(_without_separators(t))
    if not m:
        return Parsed(None, raw, note="unparsed")
    try:
        num = Decimal(m.group("num"))
    except InvalidOperation:
        return Parsed(None, raw, note="unparsed")
    return _in_unit(-num if m.group("sign") == "-" else num, m.group("unit"), unit_hint, raw)


def _without_separators(t: str) -> str:
    """Thousands separators dropped (1,234,567 only, never 1,2) and a full-width plus made plain."""
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    return t.replace("＋", "+")


def _in_unit(num: Decimal, unit: str | None, unit_hint: str | None, raw: str) -> Parsed:
    """Money in yuan, whether the cell or the header names its unit; a count as printed."""
    if unit in UNIT_SCALE:
        return Parsed(float(num * UNIT_SCALE[unit]), raw, unit="yuan")
    if unit_hint in UNIT_SCALE:
        note = "scaled-wan" if unit_hint == "万元" else None
        return Parsed(float(num * UNIT_SCALE[unit_hint]), raw, unit="yuan", note=note)
    if unit_hint == "unknown":
        return Parsed(float(num), raw, unit=None, note="unit-unknown")
    return Parsed(float(num), raw)


def header_unit(texts: Iterable[str]) -> str | None:
    """The unit a header annotation gives (单位：万元 / 元), or None."""
    for t in texts:
        c = clean(t)
        if "万元" in c:
            return "万元"
        if re.search(r"(单位|單位)[:：]?元|\(元\)|（元）", c):
            return "元"
    return None
