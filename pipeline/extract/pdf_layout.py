"""Page geometry and the records every PDF table finder shares.

An engine reads a page into ``Char`` boxes and ruling ``HSeg``/``VSeg`` lines (top-down
coordinates, points). This module holds those records, the text ``Line`` they form, and the
``Grid`` of ``GridCell``s a finder makes of a table, plus the small geometry helpers all finders
use. The finders live beside it, one job each (as camelot keeps lattice apart from stream):

* ``pdf_ruled``: cells from ruling lines (lattice);
* ``pdf_borderless``: cells from text alignment (stream);
* ``pdf_stitch``: a table continued over a page break, as one grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SNAP_TOL = 2.0  # points; ruling lines (and column rules of two pages) closer than this are one line
SPACE_GAP = 0.25  # x gap (in line heights) printed as a space inside one cell
WORD_JOIN = 0.5  # overlap share above which two char boxes sit on one text line
LINE_LOOKBACK = 4  # a char joins one of the last few lines started (lines are met top-down, by char top)

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom
GridKind = Literal["ruled", "text"]


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def h(self) -> float:
        return self.bottom - self.top


@dataclass(slots=True)
class HSeg:
    """A horizontal ruling line at ``y`` from ``x0`` to ``x1``."""

    y: float
    x0: float
    x1: float


@dataclass(slots=True)
class VSeg:
    """A vertical ruling line at ``x`` from ``y0`` (top) to ``y1``."""

    x: float
    y0: float
    y1: float


@dataclass
class GridCell:
    """A cell before it becomes a model ``Cell``: grid position, spans, box and chars."""

    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    chars: list[Char] = field(default_factory=list)
    text: str | None = None  # set directly where two cut pieces of one cell are joined
    page: int | None = None  # 1-based, set once the page is known


@dataclass
class Grid:
    """One table found on one page (or stitched from pieces on consecutive pages).

    ``kind`` says which finder made it: pieces are stitched only with pieces of their own kind.
    ``xs`` are the column boundaries, left to right (``n_cols + 1`` of them): the column rules of
    a ruled grid, the column edges of a borderless one. ``ys`` are the row rules of a ruled grid
    found on one page (empty otherwise); they place the page's chars in their cells.
    ``open_top``/``open_bottom``: no rule at all along that outer edge of a ruled grid, i.e. a
    row cut by the page break (printed web pages cut a row and draw its rest on the next page
    without closing or opening rules).
    """

    n_rows: int
    n_cols: int
    cells: list[GridCell]
    bbox: BBox
    kind: GridKind
    xs: list[float]
    ys: list[float] = field(default_factory=list)
    open_top: bool = False
    open_bottom: bool = False

    def texts(self) -> list[tuple[int, int, int, int, str, BBox, int | None]]:
        """Each cell as (row, col, rowspan, colspan, text, bbox, page)."""
        return [(c.row, c.col, c.rowspan, c.colspan, cell_text(c), c.bbox, c.page) for c in self.cells]


class CharRun:
    """Chars left to right: the run spans from the first char's left edge to the last one's right edge."""

    chars: list[Char]

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        return self.chars[-1].x1


@dataclass
class Line(CharRun):
    """Chars on one visual line, left to right."""

    chars: list[Char]
    top: float
    bottom: float

    @property
    def h(self) -> float:
        return self.bottom - self.top

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2

    def text(self) -> str:
        return join_chars(self.chars)


def chars_to_lines(chars: list[Char]) -> list[Line]:
    """Cluster chars into visual lines (vertical overlap), each sorted left to right.

    A char joins the latest of the recent lines it overlaps by more than ``WORD_JOIN`` of the
    smaller height; the loop is inline (no helper call per char) because every page and every
    ruled cell runs through it.
    """
    lines: list[Line] = []
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        top, bottom = ch.top, ch.bottom
        for ln in reversed(lines[-LINE_LOOKBACK:]):
            overlap = min(ln.bottom, bottom) - max(ln.top, top)
            if overlap > 0 and overlap > WORD_JOIN * min(ln.bottom - ln.top, bottom - top):
                ln.chars.append(ch)
                if top < ln.top:
                    ln.top = top
                if bottom > ln.bottom:
                    ln.bottom = bottom
                break
        else:
            lines.append(Line([ch], top, bottom))
    for ln in lines:
        ln.chars.sort(key=lambda c: c.x0)
    if len(lines) > 1:
        lines.sort(key=lambda ln: (ln.top, ln.chars[0].x0))
    return lines


def join_chars(chars: list[Char]) -> str:
    """Chars of one line as a string, with a space where the printed gap is wide."""
    out: list[str] = []
    prev = None
    for ch in chars:
        if prev is not None and ch.x0 - prev.x1 > SPACE_GAP * max(ch.h, prev.h):
            out.append(" ")
        out.append(ch.text)
        prev = ch
    return "".join(out)


def lines_text(lines: list[Line]) -> str:
    return "\n".join(t for t in (ln.text() for ln in lines) if t)


def cell_text(c: GridCell) -> str:
    if c.text is not None:
        return c.text
    chars = c.chars
    if not chars:
        return ""
    if _one_line(chars):  # as most cells are: the line ``chars_to_lines`` would make, without clustering
        return join_chars(sorted(chars, key=lambda ch: (ch.x0, ch.top)))
    return lines_text(chars_to_lines(chars))


def _one_line(chars: list[Char]) -> bool:
    """Whether ``chars_to_lines`` puts all ``chars`` on one line: the band every char covers is deeper than
    ``WORD_JOIN`` of the tallest char, so each overlaps the line by more than it needs to join it."""
    band = min(ch.bottom for ch in chars) - max(ch.top for ch in chars)
    return band > WORD_JOIN * max(ch.bottom - ch.top for ch in chars)


def cluster_positions(values: list[float], tol: float) -> list[float]:
    """Sorted representative positions of values that lie within ``tol`` of each other."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def in_any(ch: Char, boxes: list[BBox]) -> bool:
    """Whether the char's centre lies in one of ``boxes``."""
    cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes)


def box_of(chars: list[Char]) -> BBox:
    """The box around ``chars`` (not empty)."""
    return (
        min(c.x0 for c in chars),
        min(c.top for c in chars),
        max(c.x1 for c in chars),
        max(c.bottom for c in chars),
    )
