"""Which printed agency names are one agency, so that its reports can be followed from year to year.

Names are folded for comparison (width, script, spacing, 人民政府 → 政府, 街道办事处 → 街道, parentheses dropped).
Two names link when their folded forms are equal, when one contains the other (at least ``CONTAINS_MIN_CHARS``
characters), or when they are nearly equal: a similarity of at least ``FUZZY_MIN_SCORE`` *and* at most
``FUZZY_MAX_EDITS`` characters changed (a misprint or a misread changes a character or two; two long names that
differ in a whole place name are two agencies however similar the rest). Links are transitive: a group is named by
its first name in sorted order. Linking is near-linear in the number of names (exact keys and substrings are looked
up; only the near-equal test compares every pair, in C).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from .text import fold

# spellings of one agency that differ only in these parts link exactly ("淮安市人民政府" / "淮安市政府")
_NAME_FOLDS = (
    (re.compile(r"人民政府"), "政府"),
    (re.compile(r"街道办事处$"), "街道"),
    (re.compile(r"[（(][^（）()]*[）)]"), ""),
    (re.compile(r"[^\w]"), ""),
)
FUZZY_MIN_SCORE = 90.0  # rapidfuzz ratio of folded names for a "fuzzy" link
FUZZY_MAX_EDITS = 2  # and at most this many characters inserted, deleted or replaced (Levenshtein distance)
CONTAINS_MIN_CHARS = 4  # a name inside another links only when it is at least this long
_FUZZY_CHUNK = 512  # names compared at once against all others (a chunk × names matrix of small integers)


def agency_key(name: str | None) -> str:
    """The agency name folded for comparison across years."""
    t = fold(unicodedata.normalize("NFKC", name or ""))
    for rx, rep in _NAME_FOLDS:
        t = rx.sub(rep, t)
    return t


def _near(ka: str, kb: str) -> float | None:
    """The similarity of two folded names when they link as nearly equal, else None."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import Levenshtein

    score = fuzz.ratio(ka, kb)
    if score >= FUZZY_MIN_SCORE and Levenshtein.distance(ka, kb) <= FUZZY_MAX_EDITS:
        return round(score, 1)
    return None


def link_names(a: str, b: str) -> tuple[str, float] | None:
    """(method, score) when the two printed names are taken for one agency, else None."""
    if a == b:
        return "same-name", 100.0
    ka, kb = agency_key(a), agency_key(b)
    if not ka or not kb:
        return None
    if ka == kb:
        return "folded", 100.0
    short, long_ = sorted((ka, kb), key=len)
    if len(short) >= CONTAINS_MIN_CHARS and short in long_:
        return "contains", round(100.0 * len(short) / len(long_), 1)
    score = _near(ka, kb)
    return ("fuzzy", score) if score is not None else None


def may_be_one(a: str, b: str) -> bool:
    """Whether two printed names may name one agency: linked, or a misread apart (at most ``FUZZY_MAX_EDITS``
    characters changed, however short the names). Too loose to follow an agency across years (淮安区 and 淮阴区 are
    two), but what keeps "another agency" from being claimed of one agency's report read twice, once by OCR."""
    from rapidfuzz.distance import Levenshtein

    if link_names(a, b) is not None:
        return True
    ka, kb = agency_key(a), agency_key(b)
    return bool(ka and kb) and Levenshtein.distance(ka, kb) <= FUZZY_MAX_EDITS


def _printed_names(names: Iterable[Any]) -> list[str]:
    return sorted({n for n in names if isinstance(n, str) and n})


class _Groups:
    """Union-find over names: the root of a group is its first name in sorted order."""

    def __init__(self, names: list[str]) -> None:
        self.parent = {n: n for n in names}
        self.how: dict[str, tuple[str, float]] = {n: ("same-name", 100.0) for n in names}

    def root(self, n: str) -> str:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, a: str, b: str, how: tuple[str, float]) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        first, second = sorted((ra, rb))
        self.parent[second] = first
        later = max(a, b)
        if self.how[later][0] == "same-name":  # how a name joined its group: its first link
            self.how[later] = how


def _near_pairs(keys: list[str]) -> Iterable[tuple[int, int]]:
    """Index pairs (i < j) of folded names within ``FUZZY_MAX_EDITS`` edits of each other."""
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    for start in range(0, len(keys), _FUZZY_CHUNK):
        chunk = keys[start : start + _FUZZY_CHUNK]
        d = process.cdist(chunk, keys, scorer=Levenshtein.distance, score_cutoff=FUZZY_MAX_EDITS, dtype=np.int32)
        for i, j in zip(*np.nonzero(d <= FUZZY_MAX_EDITS), strict=True):
            if start + int(i) < int(j):
                yield start + int(i), int(j)


def _parts(key: str) -> Iterable[str]:
    """Every part of a folded name at least ``CONTAINS_MIN_CHARS`` long, the whole name left out."""
    for i in range(len(key)):
        for j in range(i + CONTAINS_MIN_CHARS, len(key) + 1):
            if j - i < len(key):
                yield key[i:j]


def agency_groups(names: Iterable[Any]) -> dict[str, tuple[str, str, float]]:
    """name -> (group name, method, score): names linked transitively; the group is named by its first name."""
    ordered = _printed_names(names)
    g = _Groups(ordered)
    by_key: dict[str, list[str]] = {}
    for n in ordered:
        k = agency_key(n)
        if k:
            by_key.setdefault(k, []).append(n)
    for members in by_key.values():
        for n in members[1:]:
            g.join(members[0], n, ("folded", 100.0))
    keys = sorted(by_key)
    for k in keys:  # a name inside another: look every long enough part of each name up
        for part in _parts(k):
            if part in by_key:
                g.join(by_key[part][0], by_key[k][0], ("contains", round(100.0 * len(part) / len(k), 1)))
    for i, j in _near_pairs(keys):
        score = _near(keys[i], keys[j])
        if score is not None:
            g.join(by_key[keys[i]][0], by_key[keys[j]][0], ("fuzzy", score))
    return {n: (g.root(n), *g.how[n]) for n in ordered}
