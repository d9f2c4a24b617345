"""The text lexicon shared by every stage: how text is folded, what a figure, a null token and a list number look
like, and where a report's title sits. One definition each, so extractors, matching and normalising agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

TITLE_LINES = 8  # a report's title sits in its first lines (often broken over two)

# what a printed "nothing" looks like in a statistics cell: null with its raw text kept, never 0
NULL_TOKENS = frozenset(
    {"/", "-", "—", "——", "–", "―", "－", "--", "---", "无", "空", "不适用", "n/a", "na", "\\", "、", "×", "x"}
)
DASHES = frozenset("/-—–―－\\")  # a cell of only these is a null token however many are printed

# list numbering at the start of a label, to strip before comparing labels: 一、 （三） (1) 1. 1、 "1 " (not 1.5)
NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]"
    r"|\(?[一二三四五六七八九十]+\)"
    r"|\(?\d{1,2}\)"
    r"|\d{1,2}(?:[.、．](?!\d)|\s))"
)
# a printed line that starts a new numbered item, as laid out on a page (full-width digits and brackets too)
NUMBERED_LINE = re.compile(
    r"^\s*(?:[0-9０-９]+\s*[.．、)）]|[（(][一二三四五六七八九十0-9０-９]+[)）]|[一二三四五六七八九十]+\s*[、.．])"
)
# a cell text laid out like a figure: digits with separators, signs, units, or a placeholder dash. A quick test of
# shape for page layout; whether the text *is* a number is ``normalise.parse_value``'s to say
FIGURE_SHAPE = re.compile(r"^[\s0-9０-９.,，．+\-−—–/／%％()（）万元]*[0-9０-９\-—–/／][\s0-9０-９.,，．%％万元]*$")


def compact(text: str | None) -> str:
    """Width folded (NFKC) and every white space removed: the text as compared character by character."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


@lru_cache(maxsize=1)
def _t2s() -> Any:  # opencc ships no types
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def fold(text: str | None) -> str:
    """``compact``, with traditional characters made simplified: a label as a person would read it."""
    t = unicodedata.normalize("NFKC", text or "")
    if any("\u4e00" <= ch <= "\u9fff" for ch in t):
        t = _t2s().convert(t)
    return re.sub(r"\s+", "", t)


def has_figure_shape(text: str) -> bool:
    """Whether a cell text is laid out like a figure (see ``FIGURE_SHAPE``)."""
    return bool(FIGURE_SHAPE.match(text))


def is_numbered_line(text: str) -> bool:
    return bool(NUMBERED_LINE.match(text))


def format_figure(x: float | int | None) -> str:
    """A figure as a person writes it, in full: 242523110.82, 7, -18 (never 2.42523e+08); "" for none.

    Six decimals at most (money is to the cent, counts are whole), trailing zeros dropped.
    """
    if x is None or x != x:  # None or NaN
        return ""
    s = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s
