"""Tables printed as lines of text, a row a line: a label, then its figures separated by spaces.

OCR tools (and PDF-to-text converters that see no table) write a statistics table so:
``一、本年新收政府信息公开申请数量 23 0 0 0 0 0 23``, its header lines as labels separated by spaces, a row
without a label (the appeals table's) as figures only. A run of such lines is a table when it holds at least
``MIN_ROWS`` figure rows or ``MIN_FIGURES`` figures; a few short lines before it or between its rows (headers,
captions) are rows of labels. The matching stage places a row's figures by their count and reports a row whose
count does not fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .md_tables import is_figure

MIN_ROWS = 3  # figure rows that make a run a table
MIN_FIGURES = 10  # ...or figures in all
MIN_BARE = 5  # figures a line without a label needs to be a row
MAX_GAP = 3  # short label lines a run may hold before its first figure row or between two
SHORT_LINE = 40  # characters: a longer word or line (or one ending a sentence) is running text and ends a run
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MARKUP = re.compile(r"[|<>]|^[#*+-]")  # a line of Markdown or HTML, read by the other readers


def figure_row(line: str) -> list[str] | None:
    """``[label, figure, ...]`` for a line of a label followed by figures (or of figures only), else None."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and is_figure(tokens[k - 1]):
        k -= 1
    if not any(ch.isdigit() for t in tokens[k:] for ch in t):
        return None  # dashes and slashes only: a rule, or a row printed blank
    if k == 0:
        return tokens if len(tokens) >= MIN_BARE else None
    label = " ".join(tokens[:k])
    return [label, *tokens[k:]] if _CJK.search(label) and not is_figure(label) else None


def _label_line(line: str) -> bool:
    """A caption or a header: short labels, not a sentence."""
    words = line.split()
    return (
        bool(words)
        and all(len(w) <= SHORT_LINE for w in words)
        and (len(line) <= SHORT_LINE or len(words) > 1)
        and not line.endswith(("。", "；", "."))
        and not _MARKUP.search(line)
        and bool(_CJK.search(line))
    )


def line_table_end(lines: Sequence[str], i: int) -> int:
    """The line after a table of text lines starting at line ``i`` (``i`` if none starts there)."""
    if figure_row(lines[i]) is None and not _label_line(lines[i].strip()):
        return i
    run = _Run()
    for j in range(i, len(lines)):
        if not run.take(lines[j].strip(), j):
            break
    return run.end if run.rows and (run.rows >= MIN_ROWS or run.figures >= MIN_FIGURES) else i


@dataclass
class _Run:
    """A run of figure rows read line by line, with the label lines between them."""

    rows: int = 0
    figures: int = 0
    end: int = 0  # the line after the last figure row
    gap: int = 0  # label lines since the last figure row

    def take(self, line: str, j: int) -> bool:
        """Take line ``j``; False where the run has ended (running text, or too many label lines)."""
        row = figure_row(line)
        if row is not None:
            self.rows, self.end, self.gap = self.rows + 1, j + 1, 0
            self.figures += sum(1 for t in row if is_figure(t))
        elif _label_line(line):
            self.gap += 1
        elif line:
            return False
        return self.gap <= MAX_GAP


def line_rows(lines: Sequence[str]) -> list[list[str]]:
    """The rows of a table of text lines: figure rows split into label and figures, other lines into labels."""
    return [figure_row(ln) or ln.split() for ln in lines if ln.strip()]
