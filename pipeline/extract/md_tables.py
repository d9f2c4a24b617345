"""Tables as Markdown converters write them, turned into ``RawTable`` grids.

Pipe tables come in several dialects: with or without a header separator, with or without outer pipes (html2text),
with an empty or generic header row (markitdown's empty one, pymupdf4llm's ``Col2``, an OCR or language-model tool's
``数据1``), with merged cells written once and their other positions left empty or left out (pandoc, markitdown,
html2text), or written again at every position they cover (pymupdf4llm). Grid tables (``+---+``) carry their spans in
their borders. Cells are laid out by display width: a Chinese character takes two columns, as the converters count.

A pipe table whose rows all have the same number of cells is a full grid: a label written again at the next position
to the right or below is one merged cell (never a figure: two equal figures side by side are two figures). A table
whose rows differ in length is kept as written, row by row, cell k of a row in column k, like a text dump; the
matching stage lines its figures up by their labels and headers, and reports any it cannot place.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Cell, RawTable
from ..text import NULL_TOKENS, has_figure_shape

_PIPE = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^\s*:?-+:?\s*$")
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BRACKETED_SPAN = re.compile(r"\[([^\[\]]*)\]\{[^{}]*\}")  # pandoc's [text]{style="..."}: the text
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation: the punctuation itself
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_SPACES = re.compile(r"[ \t\u3000]+")
# header names a tool makes up where the table had none: Col2 (pymupdf4llm), 数据1 (OCR and language-model tools)
_GENERIC = re.compile(r"^(?:col(?:umn)?|列|数据|data|field|字段|unnamed:?)\s*[_\-]?\s*(\d+)$|^第\s*(\d+)\s*列$", re.I)
_PYMUPDF_FILLER = re.compile(r"^Col(\d+)$")  # pymupdf4llm's name for a header position covered by a merged cell
# a space in a label cell before a list number (（一） 1. 一、): where a tool ran two row labels together
_LABEL_CUT = re.compile(r"\s+(?=(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．]\D))")
MIN_SEPARATOR_DASHES = 3  # a line of dashes without a pipe separates a table only with this many (else a list dash)


def split_pipe_row(line: str) -> list[str]:
    """The cells of one pipe-table line; escaped pipes stay in the text.

    A line between outer pipes loses both; a line without a leading pipe (html2text) keeps a trailing one, which
    ends an empty last cell there (``a| b|``: cells a, b and an empty one).
    """
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
        if s.endswith("|") and not s.endswith("\\|"):
            s = s[:-1]
    return [clean_cell(c) for c in _PIPE.split(s)]


def has_pipe(line: str) -> bool:
    return bool(_PIPE.search(line))


def is_separator(line: str) -> bool:
    """A pipe table's header separator: ``|---|:--:|``, ``---|---`` or (html2text, one column) ``---``."""
    s = line.strip()
    if not s or set(s) - set("|-: \t"):
        return False
    if not has_pipe(s):
        return s.count("-") >= MIN_SEPARATOR_DASHES and set(s) <= set("-: \t")
    parts = split_raw(s)
    return bool(parts) and all(_SEPARATOR_CELL.match(p) for p in parts)


def split_raw(line: str) -> list[str]:
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") else s
    return _PIPE.split(s)


def clean_cell(text: str) -> str:
    """A cell's printed text: ``<br>`` a line break, markup and escapes gone, white space tidied."""
    text = _BR.sub("\n", text)
    text = _BRACKETED_SPAN.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _ESCAPE.sub(r"\1", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = (_SPACES.sub(" ", ln).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


def is_figure(text: str) -> bool:
    """A cell that holds a figure or a printed nothing: never merged with its neighbours."""
    t = text.strip()
    return t.lower() in NULL_TOKENS or has_figure_shape(t)


def generic_header(row: list[str]) -> list[str]:
    """A header row with made-up names blanked (a row made up of them, the whole row).

    pymupdf4llm names ``ColN`` the header positions it found no text at: in a row of labels, the positions a
    merged cell covers (so they continue the cell to their left); in a row of figures (a table continued from the
    page before, its first row taken as the header), empty cells.
    """
    if _made_up(row):
        return [""] * len(row)  # 项目 | 数据1 | 数据2 ...: no row of the report
    labels_only = not any(is_figure(t) for t in row if t.strip() and not _GENERIC.match(t))
    out: list[str] = []
    for k, text in enumerate(row):
        if _is_filler(text, k) and out and labels_only:
            out.append(out[-1])  # a repeat: merged with the cell to its left (if any) below
        else:
            out.append("" if _GENERIC.match(text) else text)
    return out


def _made_up(row: list[str]) -> bool:
    """Half the row or more are names a tool made up (not pymupdf4llm's fillers, which stand for merged cells)."""
    return sum(1 for k, t in enumerate(row) if _GENERIC.match(t) and not _is_filler(t, k)) * 2 >= len(row)


def _is_filler(text: str, k: int) -> bool:
    m = _PYMUPDF_FILLER.match(text)
    return m is not None and int(m.group(1)) == k + 1


@dataclass
class _Span:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


def rows_to_table(rows: Sequence[Sequence[str]], index: int) -> RawTable:
    """Rows of cell texts as a RawTable: a full grid with its merged cells rebuilt, ragged rows as written."""
    kept = [list(r) for r in rows if any(c.strip() for c in r)]
    widest = max((len(r) for r in kept), default=0)
    if kept and all(len(r) == widest for r in kept):
        spans = _FullGrid(kept).spans()
    else:
        spans = [_Span(t, r, k) for r, row in enumerate(kept) for k, t in enumerate(row)]
    return _table(spans, len(kept), widest, index)


def split_label_column(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """Row labels that a tool ran together (``三、本年度办理结果 （一）予以公开``) given a column each again.

    A first cell that holds several numbered labels (each after a space starts with a list number) is cut
    there; the table gets as many label columns as the most cut cell has parts, each row's parts at the right of
    them, so that the last is the row's own label and the ones before it its groups. Returns the rows and the
    number of columns added.
    """
    parts = [_label_parts(r[0]) if r else [] for r in rows]
    n = max((len(p) for p in parts), default=1)
    if n < 2:
        return rows, 0
    return [[""] * (n - len(p)) + p + r[1:] if r else r for p, r in zip(parts, rows, strict=True)], n - 1


def _label_parts(text: str) -> list[str]:
    if not text.strip() or is_figure(text):
        return [text]
    return [p for p in _LABEL_CUT.split(text) if p.strip()] or [text]


def align_rows(rows: list[list[str]], width: int) -> tuple[list[list[str]], list[str]]:
    """The rows of a table whose width is stated (a pipe table's separator) made that wide; with the doubts.

    A row that falls short or runs over has lost or gained a cell somewhere (an OCR or language-model tool's
    displaced cell). Its figures are put under the figure columns when they fill them exactly, right-aligned
    (the cell went missing among the labels); otherwise which figure belongs to which column is in doubt, so
    the row is left out of the table and said in a doubt, raw. Empty cells past the width are dropped.
    """
    full = [r for r in rows if len(r) == width]
    first = min((_first_figure(r) for r in full if _first_figure(r) < width), default=0)
    out: list[list[str]] = []
    doubts: list[str] = []
    for r, row in enumerate(rows):
        while len(row) > width and not row[-1].strip():
            row = row[:-1]
        fitted, doubt = _fit(row, width, first)
        if fitted is not None:  # else the row is left out: a label without its figures reads as figures left blank
            out.append(fitted)
        if doubt:
            doubts.append(f"row {r}: {len(row)} cells for {width} columns; {doubt}")
    return out, doubts


def _first_figure(row: list[str]) -> int:
    """The index of the row's first figure (its length if it has none)."""
    return next((k for k, c in enumerate(row) if c.strip() and is_figure(c)), len(row))


def _fit(row: list[str], width: int, first: int) -> tuple[list[str] | None, str | None]:
    """The row made ``width`` wide (its figures from column ``first`` on), or None; and a doubt to say, if any."""
    start = _first_figure(row)
    labels, values = row[:start], row[start:]
    if len(row) == width or (not values and len(row) < width):
        return row + [""] * (width - len(row)), None
    if len(values) == width - first and len(labels) <= first:
        return labels + [""] * (first - len(labels)) + values, f"its figures set under the last {len(values)}"
    return None, f"which column each figure belongs to is in doubt, so they are not read: {' | '.join(row)}"


def fill_rowspans(rows: list[list[str]], width: int) -> list[list[str]] | None:
    """Short rows made full by empty cells where labels of the rows above run down into them, or None.

    markitdown writes a merged cell's other positions in its row as empty cells but leaves out those in the rows
    below, so a row falls short by exactly the widths of the cells above that run down into it. Those may be row
    labels one column wide, or a label block starting at the first column (the 勾稽关系 note over the label
    columns); a label wider than one column elsewhere is a heading over its own sub-headings. Where several
    choices make up the width, the leftmost is taken (row labels nest from the left); where none does, None.
    """
    out: list[list[str]] = []
    open_spans: list[tuple[int, int]] = []  # (first column, width) of the labels that may run down into this row
    for row in rows:
        covered = _choose(open_spans, width - len(row)) if len(row) < width else []
        if covered is None:
            return None
        full, own = _spread(row, covered, width)
        out.append(full)
        open_spans = sorted([*covered, *own])
    return out


def _spread(row: list[str], covered: list[tuple[int, int]], width: int) -> tuple[list[str], list[tuple[int, int]]]:
    """The row laid over the positions left free by ``covered``, and the spans of its own labels that may run on."""
    taken = {c for start, w in covered for c in range(start, start + w)}
    cells = iter(row)
    full = ["" if c in taken else next(cells) for c in range(width)]
    return full, [span for c in range(width) if (span := _own_span(full, taken, c)) is not None]


def _own_span(full: list[str], taken: set[int], c: int) -> tuple[int, int] | None:
    """(column, width) of the label at column ``c`` with the empty cells after it, if it may run down: one column
    wide, or a block starting at the first column."""
    if c in taken or not _mergeable(full[c]):
        return None
    w = 1
    while c + w < len(full) and c + w not in taken and not full[c + w].strip():
        w += 1
    return (c, w) if w == 1 or c == 0 else None


def _choose(spans: list[tuple[int, int]], need: int) -> list[tuple[int, int]] | None:
    """The leftmost choice of ``spans`` whose widths add up to ``need`` (None if none do)."""
    if need == 0:
        return []
    for k, (start, w) in enumerate(spans):
        if w <= need:
            rest = _choose(spans[k + 1 :], need - w)
            if rest is not None:
                return [(start, w), *rest]
    return None


def _figure_col_below(figures: list[list[bool]]) -> list[int]:
    """For each row, the rightmost column holding a figure in some row below it (-1: none)."""
    out = [-1] * len(figures)
    for r in range(len(figures) - 2, -1, -1):
        out[r] = max([out[r + 1], *(k for k, f in enumerate(figures[r + 1]) if f)])
    return out


class _FullGrid:
    """A grid whose every row has every cell: its merged cells rebuilt from what the converters write at the
    positions a merged cell covers besides its first: nothing (pandoc, markitdown) or its text again (pymupdf4llm).

    An empty position in the header rows (those above the first figure) is covered by the label above it or, failing
    that, the one to its left, when that keeps every merged cell a rectangle (and, at the end of a row, as far as
    columns right of it hold figures below: a trailing empty header over a blank column is its own). Below the
    header an empty position is a figure printed blank, or the blank a label's merge left, which the matching stage
    reads as such. In pymupdf4llm's dialect (no header position left empty) a label written again right of or
    below itself is one merged cell; two equal figures side by side are one merged figure only under one merged
    heading, and otherwise two figures.
    """

    def __init__(self, rows: list[list[str]]):
        self.rows = rows
        self.owner: list[list[_Span | None]] = [[None] * len(r) for r in rows]
        self.out: list[_Span] = []
        self.heading: list[list[_Span | None]] = []  # the owners of the rows of the last heading
        figures = [[bool(c.strip()) and is_figure(c) for c in r] for r in rows]
        self.figure_rows = [any(f) for f in figures]
        # the header rows: those above the first figure (none in a table without figures: nothing to line up)
        self.header_end = next((r for r, f in enumerate(self.figure_rows) if f), 0)
        # pymupdf4llm's dialect: a merged cell written at every position, so no header position is left empty
        self.repeats = all(t.strip() for row in rows[: self.header_end] for t in row)
        self.figure_col_below = _figure_col_below(figures)

    def spans(self) -> list[_Span]:
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row):
                if self.owner[r][c] is None:
                    self._place(r, c, text)
            if not self.figure_rows[r]:  # a heading row: the first after figures starts a new heading
                self.heading = [*(self.heading if r and not self.figure_rows[r - 1] else []), self.owner[r]]
        return self.out

    def _place(self, r: int, c: int, text: str) -> None:
        if not text.strip():
            if self._cover_empty(r, c):
                return
        elif self.repeats and self._repeated(r, c, text):
            return
        span = _Span(text, r, c)
        self.out.append(span)
        self.owner[r][c] = span

    def _repeated(self, r: int, c: int, text: str) -> bool:
        if _mergeable(text):
            return self._right(r, c, text) or self._down(r, c, text)
        return is_figure(text) and self._merged_figure(r, c, text)

    def _merged_figure(self, r: int, c: int, text: str) -> bool:
        """A figure repeated under one merged heading: one figure over the heading's columns."""
        left = self.owner[r][c - 1] if c else None
        if left is None or left.row != r or left.text != text or not self.heading:
            return False
        if any(h[k] is not h[c] for h in self.heading for k in range(left.col, c)):
            return False
        left.colspan += 1
        self.owner[r][c] = left
        return True

    def _cover_empty(self, r: int, c: int) -> bool:
        if r >= self.header_end:
            return False
        trailing = not any(t.strip() for t in self.rows[r][c:])
        return self._down(r, c, "") or ((not trailing or self.figure_col_below[r] >= c) and self._right(r, c, ""))

    def _right(self, r: int, c: int, text: str) -> bool:
        """Extend the label left of (r, c), begun in this row, over it (when ``text`` is empty or the same)."""
        left = self.owner[r][c - 1] if c else None
        if left is None or left.row != r or not _mergeable(left.text) or text not in ("", left.text):
            return False
        if r and not self.figure_rows[r - 1] and self.owner[r - 1][c - 1] is not self.owner[r - 1][c]:
            return False  # a merged cell does not cross a border of the heading row above it (headings nest)
        left.colspan += 1
        self.owner[r][c] = left
        return True

    def _down(self, r: int, c: int, text: str) -> bool:
        """Extend the label above (r, c), which starts in column c, down over its whole width in this row."""
        above = self.owner[r - 1][c] if r else None
        if above is None or above.col != c or not _mergeable(above.text):
            return False
        cols = range(c, c + above.colspan)
        if text not in ("", above.text) or any(self.rows[r][k] != text or self.owner[r][k] for k in cols):
            return False
        above.rowspan += 1
        for k in cols:
            self.owner[r][k] = above
        return True


def _mergeable(text: str) -> bool:
    return bool(text.strip()) and not is_figure(text)


def _table(spans: list[_Span], n_rows: int, n_cols: int, index: int) -> RawTable:
    cells = tuple(Cell(text=s.text, row=s.row, col=s.col, rowspan=s.rowspan, colspan=s.colspan) for s in spans)
    return RawTable(index=index, cells=cells, n_rows=n_rows, n_cols=n_cols)


# Grid tables --------------------------------------------------------------------------------------------------------

WIDE = "\x00"  # fills the second display column of a wide character


def display_grid(lines: Sequence[str]) -> list[str]:
    """Lines with each wide character followed by a filler, so that string positions are display columns."""
    out = []
    for line in lines:
        out.append("".join(ch + WIDE if unicodedata.east_asian_width(ch) in "WF" else ch for ch in line.rstrip()))
    width = max((len(s) for s in out), default=0)
    return [s.ljust(width) for s in out]


def is_grid_border(line: str) -> bool:
    s = line.strip()
    return len(s) > 2 and s[0] == "+" and s[-1] == "+" and not set(s) - set("+-=:")


def grid_to_table(lines: Sequence[str], index: int) -> RawTable:
    """A grid table (``+---+`` borders) as a RawTable, its spans read from where the borders run."""
    g = display_grid([ln.strip() for ln in lines])
    boxes = _GridScan(g).boxes()
    col_edges = sorted({b[1] for b in boxes} | {b[3] for b in boxes})
    row_edges = sorted({b[0] for b in boxes} | {b[2] for b in boxes})
    spans = []
    for top, left, bottom, right in sorted(boxes):
        text = "\n".join(g[y][left + 1 : right].replace(WIDE, "") for y in range(top + 1, bottom))
        spans.append(
            _Span(
                clean_cell(text),
                row_edges.index(top),
                col_edges.index(left),
                row_edges.index(bottom) - row_edges.index(top),
                col_edges.index(right) - col_edges.index(left),
            )
        )
    return _table(spans, max(len(row_edges) - 1, 0), max(len(col_edges) - 1, 0), index)


@dataclass
class _GridScan:
    """Finds the boxes of a grid table from its corners, as docutils does: right along the top, down, back, up."""

    g: list[str]

    def boxes(self) -> list[tuple[int, int, int, int]]:
        if not self.g or not self.g[0].startswith("+"):
            return []
        found: list[tuple[int, int, int, int]] = []
        todo, seen = [(0, 0)], set()
        while todo:
            top, left = todo.pop()
            if (top, left) in seen:
                continue
            seen.add((top, left))
            box = self._scan(top, left)
            if box:
                found.append(box)
                todo += [(top, box[3]), (box[2], left)]
        return found

    def _at(self, y: int, x: int) -> str:
        return self.g[y][x] if 0 <= y < len(self.g) and 0 <= x < len(self.g[y]) else " "

    def _scan(self, top: int, left: int) -> tuple[int, int, int, int] | None:
        """The box whose top-left corner is (top, left): the first right corner from which the rest closes."""
        x = left + 1
        while self._at(top, x) in "-=:+":
            if self._at(top, x) == "+":
                bottom = self._down(top, x, left)
                if bottom is not None:
                    return top, left, bottom, x
            x += 1
        return None

    def _down(self, top: int, right: int, left: int) -> int | None:
        y = top + 1
        while self._at(y, right) in "|+":
            if self._at(y, right) == "+" and self._closes(top, left, y, right):
                return y
            y += 1
        return None

    def _closes(self, top: int, left: int, bottom: int, right: int) -> bool:
        bottom_ok = all(self._at(bottom, x) in "-=:+" for x in range(left + 1, right)) and self._at(bottom, left) == "+"
        left_ok = all(self._at(y, left) in "|+" for y in range(top + 1, bottom))
        return bottom_ok and left_ok
