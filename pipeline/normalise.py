"""Turn a printed cell into a number without ever raising: ``parse_value(raw) -> Parsed``.

A blank is null (never 0); "/", "-", "—", "无" are null with the raw text kept; full-width digits, signs,
thousands separators and units (元, 万元) are understood. Money is returned in yuan.

Nothing that is not a digit becomes one: a footnote marker after a figure (①, ¹ ², ``*``, ``※``, ``注1``; a
superscript run in Word or ``<sup>`` in a web page arrives as superscript characters) is separated from it and
named in ``Parsed.marker`` (the raw text keeps it), and a circled or superscript digit anywhere else leaves the cell
unread. Digits grouped other than by thousands (``2,3710``) or parted by white space (``5 7``, a figure broken over
two lines) are never joined: the cell is left blank with the reason, for a person to look at.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .text import DASHES, NULL_TOKENS, compact

ZERO_WORDS = {"零": 0}
UNIT_SCALE = {"万元": Decimal(10000), "元": Decimal(1)}
COUNT_UNITS = ("件", "个", "项", "次", "条", "宗", "人次")
_NUMBER = re.compile(r"^(?P<sign>[+-]?)(?P<num>\d+(?:\.\d+)?|\.\d+)(?P<unit>万元|元|" + "|".join(COUNT_UNITS) + ")?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,.])")  # the whole figure, never 2,3710
# characters that NFKC would turn into digits but that print as marks: circled and parenthesised numbers,
# superscripts and subscripts
_SCRIPT = (
    "\u00b2\u00b3\u00b9\u2070-\u209f\u2460-\u24ff\u2776-\u2793\u3220-\u3229\u3251-\u325f\u3280-\u3289\u32b1-\u32bf"
)
_SCRIPT_CHAR = re.compile(f"[{_SCRIPT}]")
# a footnote marker after a figure: those characters, an asterisk or reference mark, or 注 with its number
_MARKER = re.compile(f"(?:[{_SCRIPT}*＊※]|[注註]\\s*[0-9０-９{_SCRIPT}]*)+\\s*$")
_GROUPED = re.compile(r"^[+-]?\d+(?:,\d+)+(?:\.\d+)?(?:万元|元|" + "|".join(COUNT_UNITS) + ")?$")  # 2,3710 12,34
_SPACED_DIGITS = re.compile(r"[\d.,][^\S\n]*\n\s*[\d.,]|\d\s+[\d.,]|[\d.,]\s+\d")


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one cell: value (float or None), the unit it is in, and why when not a number."""

    value: float | None
    raw: str
    unit: str | None = None  # "yuan" for money, None otherwise
    # None (a number or a blank), "null-token", "unparsed", "digit-grouping", "unit-unknown", "scaled-wan"
    note: str | None = None
    marker: str | None = None  # a footnote marker printed after the figure and left out of it (①, ², *, 注1)


def clean(raw: str) -> str:
    """The cell text with width folded and all whitespace removed."""
    return compact(raw).replace("﹣", "-").replace("−", "-")


def is_value_like(raw: str) -> bool:
    """Whether a cell reads as a figure, a blank or a null token (not as a label)."""
    p = parse_value(raw)
    return p.note != "unparsed"  # digits grouped oddly are still a figure's cell, just not read


@lru_cache(maxsize=1 << 16)  # the same few texts ("0", "", "/") fill most cells of every report
def parse_value(raw: str, unit_hint: str | None = None) -> Parsed:
    """Read ``raw`` as a number; ``unit_hint`` ("万元", "元", "unknown") is the unit the header gives.

    A unit in the cell overrides the header's. A leading "+" is dropped, "-" kept. Never raises.
    """
    raw = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    figure, marker = _split_marker(raw.strip())
    if _SCRIPT_CHAR.search(figure):  # a circled or superscript digit inside: no reading of it is safe
        return Parsed(None, raw, note="unparsed")
    t = clean(figure)
    if not t:
        return Parsed(None, raw)
    if t.lower() in NULL_TOKENS or set(t) <= DASHES:
        return Parsed(None, raw, note="null-token")
    if t in ZERO_WORDS:
        return dataclasses.replace(Parsed(float(ZERO_WORDS[t]), raw), marker=marker)
    m = _NUMBER.match(_without_separators(t))
    if not m:
        return Parsed(None, raw, note="digit-grouping" if _GROUPED.match(t) else "unparsed")
    if _SPACED_DIGITS.search(unicodedata.normalize("NFKC", figure)):
        return Parsed(None, raw, note="digit-grouping")
    try:
        num = Decimal(m.group("num"))
    except InvalidOperation:
        return Parsed(None, raw, note="unparsed")
    parsed = _in_unit(-num if m.group("sign") == "-" else num, m.group("unit"), unit_hint, raw)
    return dataclasses.replace(parsed, marker=marker) if marker else parsed


def _split_marker(text: str) -> tuple[str, str | None]:
    """(figure, marker): a footnote marker printed after a figure, split off; (text, None) when there is none."""
    m = _MARKER.search(text)
    if m is None or m.start() == 0 or not text[: m.start()].strip():
        return text, None
    return text[: m.start()], m.group(0).strip()


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
