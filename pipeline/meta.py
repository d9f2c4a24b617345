"""Agency and report year, read from the title ("淮安市人民政府2024年政府信息公开工作年度报告"), else the file name.

A title line without a year ("秀洲区应急管理局政府信息公开工作年度报告") still names the agency when the line is that
title and nothing more; the year then comes from the file name (source "title+filename").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from .text import TITLE_CHARS, TITLE_LINES, compact

_TITLE_END = r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|報告)"
# agency then year: 淮安市人民政府2024年(度)政府信息公开工作年度报告
_AGENCY_YEAR = re.compile(
    r"(?P<agency>[\u4e00-\u9fff（）()·、]{2,40}?)\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*" + _TITLE_END
)
# year then agency: 2024年淮安市人民政府政府信息公开工作年度报告
_YEAR_AGENCY = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*年度?\s*(?P<agency>[\u4e00-\u9fff（）()·、]{2,40}?)\s*" + _TITLE_END
)
# the whole line is "<agency>政府信息公开工作年度报告", with no year
_AGENCY_ONLY = re.compile(r"(?P<agency>[\u4e00-\u9fff（）()·、]{2,40}?)\s*" + _TITLE_END)
_FILE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def agency_year(title: str | None, paragraphs: Sequence[str], path: str | Path) -> tuple[str | None, int | None, str]:
    """(agency, year, source) where source says what decided: "title" or "filename"."""
    readings = _title_readings(title, paragraphs)
    # first the readings whose brackets close (a title broken inside a bracket reads whole only joined to the line
    # before it), then any
    for whole in (True, False):
        for text in readings:
            found = _agency_and_year(text, whole)
            if found is not None:
                return found[0], found[1], "title"
    m = _FILE_YEAR.search(Path(str(path)).stem)
    year = int(m.group(1)) if m else None
    # without a year, only the very first line counts (a sentence further down may name a report too)
    heads = [compact(x) for x in [title, *paragraphs] if x and x.strip()][:1]
    agency = next((a for text in heads if (a := _agency_alone(text))), None)
    return agency, year, "title+filename" if agency else "filename"


def _title_readings(title: str | None, paragraphs: Sequence[str]) -> list[str]:
    """The title and the first lines, compacted; and each line joined with the next (a title broken over two). Each
    is cut to ``TITLE_CHARS``: what a title prints comes first, and the time spent stays small whatever a line holds.
    """
    heads = [p for p in ([title] if title else []) + list(paragraphs[:TITLE_LINES]) if p and p.strip()]
    lines = [compact(p[: 4 * TITLE_CHARS])[:TITLE_CHARS] for p in heads]
    return lines + [a + b for a, b in itertools.pairwise(lines)]


def _agency_and_year(text: str, whole: bool = False) -> tuple[str, int] | None:
    """The agency and year a title line names, in either order; None when it names no agency (or, ``whole``, when
    the agency closes a bracket the line does not open)."""
    for rx in (_AGENCY_YEAR, _YEAR_AGENCY):
        m = rx.search(text)
        if m:
            named = _bracketed(text, m)
            if named is None:
                if whole:
                    continue
                named = m.group("agency").rstrip(")")
            agency = re.sub(r"^(?:关于|關於)", "", named.strip("（(·、"))
            if agency not in ("", "政府", "年"):  # "2024年政府信息公开工作年度报告": the agency is on another line
                return agency, int(m.group("year"))
    return None


def _bracketed(text: str, m: re.Match) -> str | None:
    """The agency ``m`` read, from the name before a bracket it closes but does not open: a note in brackets with a
    comma in it ("镇人民政府(名称未在摘录中出现,尼勒克县)") is the name's, not all of it. None when ``text`` does not
    open the bracket."""
    agency, start = m.group("agency"), m.start("agency")
    if agency.count(")") <= agency.count("("):
        return agency
    opened = text.rfind("(", 0, start)
    if opened < 0:
        return None
    name = _NAME_BEFORE.search(text, 0, opened)
    return text[name.start() if name else opened : m.end("agency")]


_NAME_BEFORE = re.compile(r"[\u4e00-\u9fff·、]{0,40}$")


def _agency_alone(text: str) -> str | None:
    """The agency of a title line that is only "<agency>政府信息公开工作年度报告" (no year)."""
    m = _AGENCY_ONLY.fullmatch(text)
    if m is None:
        return None
    agency = re.sub(r"^(?:关于|關於)", "", m.group("agency").strip("（(·、"))
    return agency if agency not in ("", "政府", "年") and not agency.startswith(_PRONOUNS) else None


_PRONOUNS = ("我", "本")  # 我局, 本机关: a sentence about the report, not its title
