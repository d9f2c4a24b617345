"""pandoc's simple and multiline tables: columns given by runs of dashes, cells by where their text starts.

A simple table is a header line, a line of dash runs (one run per column, a space between runs) and one line per
row up to a blank line; a multiline table opens and closes with a line of one dash run, and its rows run over
several lines with a blank line between rows. Either may lack the header, and then opens and closes with the line
of dash runs. A cell's text is every word that starts inside its column: a long label may run past its column's
end, as pandoc writes it, without spilling into the next cell. Columns are display columns (a Chinese character is
two wide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import RawTable
from .md_tables import WIDE, clean_cell, display_grid, rows_to_table

_DASH_LINE = re.compile(r"^ *-{3,}(?: +-{3,})* *$")
_WORD = re.compile(r"\S+")
MAX_HEADER_LINES = 3  # header lines a simple table's dash line may follow


def dash_runs(line: str) -> list[tuple[int, int]]:
    """The (start, end) display columns of the dash runs of a dash line; [] for any other line."""
    if not _DASH_LINE.match(line):
        return []
    return [(m.start(), m.end()) for m in re.finditer(r"-+", line)]


def dash_table_end(lines: Sequence[str], i: int) -> int:
    """The line after a simple or multiline table starting at line ``i``, or ``i`` if none starts there."""
    runs = len(dash_runs(lines[i]))
    if runs == 1:
        return _multiline_end(lines, i)
    if runs > 1:  # headerless: closed by the same kind of line
        close = _next_dash_line(lines, i + 1, blank_ends=False)
        return close + 1 if close is not None else i
    return _simple_end(lines, i)


def _multiline_end(lines: Sequence[str], i: int) -> int:
    """A multiline table: its opening rule (line ``i``), header lines, column runs, rows, and a closing rule."""
    j = _next_dash_line(lines, i + 1, blank_ends=True)
    if j is None or len(dash_runs(lines[j])) < 2:
        return i
    close = _next_dash_line(lines, j + 1, blank_ends=False)
    return close + 1 if close is not None and len(dash_runs(lines[close])) == 1 else i


def _simple_end(lines: Sequence[str], i: int) -> int:
    """A simple table: a few header lines from line ``i``, its column runs, and rows up to a blank line (or a
    closing line of runs)."""
    for k in range(i + 1, min(i + MAX_HEADER_LINES + 1, len(lines))):
        if not lines[k - 1].strip():
            return i
        if len(dash_runs(lines[k])) > 1:
            j = k + 1
            while j < len(lines) and lines[j].strip() and not dash_runs(lines[j]):
                j += 1
            return j + 1 if j < len(lines) and dash_runs(lines[j]) else j
    return i


def _next_dash_line(lines: Sequence[str], j: int, blank_ends: bool) -> int | None:
    while j < len(lines):
        if dash_runs(lines[j]):
            return j
        if blank_ends and not lines[j].strip():
            return None
        j += 1
    return None


def dash_table(lines: Sequence[str], index: int) -> RawTable:
    """A simple or multiline table (``lines`` from its first line to its last) as a RawTable."""
    columns_at = next(k for k, ln in enumerate(lines) if len(dash_runs(ln)) > 1)
    columns = dash_runs(lines[columns_at])
    header = [ln for ln in lines[:columns_at] if ln.strip() and not dash_runs(ln)]
    body = [ln for ln in lines[columns_at + 1 :] if not dash_runs(ln)]
    rows = [_row(b, columns) for b in ([header] if header else []) + _body_rows(body)]
    return rows_to_table(rows, index)


def _body_rows(body: list[str]) -> list[list[str]]:
    """A multiline table's rows are parted by blank lines; a simple table's are a line each."""
    if any(not ln.strip() for ln in body):
        return _blocks(body)
    return [[ln] for ln in body if ln.strip()]


def _blocks(lines: Sequence[str]) -> list[list[str]]:
    """Lines grouped into rows at blank lines."""
    out: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            out[-1].append(ln)
        elif out[-1]:
            out.append([])
    return [b for b in out if b]


def _row(block: Sequence[str], columns: list[tuple[int, int]]) -> list[str]:
    """One row's cells: each word goes to the last column that starts at or before it."""
    cells: list[list[str]] = [[] for _ in columns]
    for line in display_grid(block):
        parts: list[list[str]] = [[] for _ in columns]
        for m in _WORD.finditer(line):
            k = max((n for n, (start, _) in enumerate(columns) if start <= m.start()), default=0)
            parts[k].append(m.group(0).replace(WIDE, ""))
        for k, words in enumerate(parts):
            if words:
                cells[k].append(" ".join(words))
    return [clean_cell("\n".join(c)) for c in cells]
