"""Label normalising and fuzzy scoring, shared by locating and matching.

Labels are compared after folding width (NFKC), traditional to simplified characters (OpenCC), whitespace and line
breaks, list numbering and punctuation; a second, shorter form also drops bracketed remarks such as the agency's
fill-in instructions ("規章(設區的市…應提供相關數據)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz

from .text import NUMBERING, fold

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)  # whitespace, punctuation, symbols


def strip_numbering(t: str) -> str:
    """The label without its list numbering, however many levels are printed (（三）1.)."""
    prev = None
    while prev != t:
        prev, t = t, NUMBERING.sub("", t, count=1)
    return t


@lru_cache(maxsize=65536)
def forms(text: str) -> tuple[str, ...]:
    """Comparable forms of a label: full (numbering and punctuation dropped) and short (bracketed remarks dropped)."""
    t = strip_numbering(fold(text))
    full = _DROP.sub("", t)
    short = _DROP.sub("", _BRACKETED.sub("", t))
    # a label cut inside an unclosed bracket: drop from the bracket on
    if "(" in t and ")" not in t.split("(")[-1]:
        short = _DROP.sub("", _BRACKETED.sub("", t).split("(")[0]) or short
    return (full, short) if short and short != full else (full,)


# a label that is a clear prefix of the other (cut-off text such as 社会公益 for 社会公益组织) scores at least this
# much: as close as a one-character slip in a ten-character label
PREFIX_SCORE = 90.0
PREFIX_MIN_SHARE = 0.6  # ...when it covers this share of the longer label (a stub such as 科研 of 科研机构 does not)


@lru_cache(maxsize=1 << 18)
def score(a: str, b: str) -> float:
    """Similarity 0..100 of two labels over their forms (rapidfuzz's ratio, lifted to ``PREFIX_SCORE`` for a clear
    prefix)."""
    best = 0.0
    for x in forms(a):
        for y in forms(b):
            if x and y:
                best = max(best, _form_score(x, y))
    return best


def _form_score(x: str, y: str) -> float:
    s = fuzz.ratio(x, y)
    if s < PREFIX_SCORE and len(x) >= 2 and len(y) >= 2:
        short, long_ = (x, y) if len(x) <= len(y) else (y, x)
        if long_.startswith(short) and len(short) >= max(2, PREFIX_MIN_SHARE * len(long_)):
            return PREFIX_SCORE
    return s


def best_score(text: str, labels: Iterable[str]) -> float:
    """The best score of ``text`` against any of ``labels`` (a tuple, so the result can be cached)."""
    return _best(text, tuple(labels))


@lru_cache(maxsize=1 << 18)
def _best(text: str, labels: tuple[str, ...]) -> float:
    return max((score(text, label) for label in labels), default=0.0)


def contains(text: str, label: str) -> bool:
    """Whether ``label`` (normalised) appears inside ``text`` (normalised), e.g. a group inside a merged heading."""
    lt = forms(label)[0]
    return bool(lt) and any(lt in f for f in forms(text))
