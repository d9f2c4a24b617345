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

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Literal

SNAP_TOL = 2.0  # points; ruling lines (and column rules of two pages) closer than this are one line
SPACE_GAP = 0.25  # x gap (in line heights) printed as a space inside one cell
WORD_JOIN = 0.5  # overlap share above which two char boxes sit on one text line
LINE_LOOKBACK = 4  # a char joins one of the last few lines started (lines are met top-down, by char top)

# vertical text (``vertical_text``): a column of this many chars at least, centres within COLUMN_TOL of a char
# height, each under the one before at MIN_PITCH..MAX_PITCH heights, half of them off the line of the text beside
# them by more than OUT_OF_LINE of a height
MIN_VERTICAL = 3
COLUMN_TOL = 0.25
MIN_PITCH, MAX_PITCH = 0.6, 1.6
OUT_OF_LINE = 0.25
SHARED_HEIGHT = 0.3  # ...beside it: sharing this share of the smaller height (not the next line's touch)
NEAR = 2.0  # ...and no further off than this many heights

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom
GridKind = Literal["ruled", "text"]


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    upright: bool = False  # printed in a column of vertical text (``vertical_text``): a cell apart from its line

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
    upright = vertical_text(chars) if len(chars) >= MIN_VERTICAL else set()
    lines = _horizontal_lines([c for c in chars if id(c) not in upright] if upright else chars)
    if upright:
        _place_upright([c for c in chars if id(c) in upright], lines)
    for ln in lines:
        ln.chars.sort(key=lambda c: c.x0)
    if len(lines) > 1:
        lines.sort(key=lambda ln: (ln.top, ln.chars[0].x0))
    return lines


def _horizontal_lines(chars: list[Char]) -> list[Line]:
    # min/max written out as the comparisons they make, and the last lines indexed, not sliced: per char of a page
    lines: list[Line] = []
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        top, bottom = ch.top, ch.bottom
        for j in range(len(lines) - 1, max(len(lines) - LINE_LOOKBACK, 0) - 1, -1):
            ln = lines[j]
            lt, lb = ln.top, ln.bottom
            overlap = (bottom if bottom < lb else lb) - (top if top > lt else lt)
            if overlap > 0 and overlap > WORD_JOIN * (bottom - top if bottom - top < lb - lt else lb - lt):
                ln.chars.append(ch)
                if top < lt:
                    ln.top = top
                if bottom > lb:
                    ln.bottom = bottom
                break
        else:
            lines.append(Line([ch], top, bottom))
    return lines


def vertical_text(chars: list[Char]) -> set[int]:
    """The ids of chars printed one a line down a column of their own, out of step with the text beside them.

    WPS exports a group label such as 三、本年度办理结果 so, often in a larger type at a pitch of its own: each
    of its characters overlaps two lines of the row labels beside it, and joined to lines they would glue those
    lines into one, their characters interleaved (本年度（计二其）他部情分形公）开…). Such a char sits in a column
    of at least ``MIN_VERTICAL`` chars stacked at about a line's pitch, half of which are out of line with the text
    beside them. ``chars_to_lines`` puts each on the line nearest its middle without widening that line, so a
    char of a paragraph's column taken for one stays on its own line.
    """
    singles = sorted((c for c in chars if len(c.text) == 1 and not c.text.isascii()), key=lambda c: (c.x0 + c.x1) / 2)
    out: set[int] = set()
    near: _Near | None = None
    for column in _columns(singles):
        for run in _stacks(column):
            near = near or _Near(chars)
            if _mostly_out_of_line(run, near):
                out |= {id(c) for c in run}
    return out


def _mostly_out_of_line(run: list[Char], near: _Near) -> bool:
    """Whether half the run's chars at least are out of line with the text beside them (stops once it cannot be)."""
    ids = {id(c) for c in run}
    in_line = 0
    for ch in run:
        if not near.out_of_line(ch, ids):
            in_line += 1
            if 2 * in_line > len(run):
                return False
    return True


def _place_upright(upright: list[Char], lines: list[Line]) -> None:
    """Each char of vertical text onto the line nearest its middle (within a height; else a line of its own),
    its band left as it is: the char cannot join two lines into one."""
    for ch in upright:
        ch.upright = True
        mid = (ch.top + ch.bottom) / 2
        near = min(lines, key=lambda ln: abs(ln.mid - mid), default=None)
        if near is not None and abs(near.mid - mid) <= ch.h:
            near.chars.append(ch)
        else:
            lines.append(Line([ch], ch.top, ch.bottom))


def _columns(chars: list[Char]) -> list[list[Char]]:
    """Chars (sorted by their centre) grouped into columns of one centre, each sorted top down."""
    out: list[list[Char]] = []
    for ch in chars:
        xc = (ch.x0 + ch.x1) / 2
        last = out[-1][-1] if out else None
        if last is not None and abs(xc - (last.x0 + last.x1) / 2) <= COLUMN_TOL * ch.h:
            out[-1].append(ch)
        else:
            out.append([ch])
    return [sorted(col, key=lambda c: c.top) for col in out if len(col) >= MIN_VERTICAL]


def _stacks(column: list[Char]) -> list[list[Char]]:
    """Runs of a column's chars each under the one before at about a line's pitch."""
    runs: list[list[Char]] = [[column[0]]]
    for ch in column[1:]:
        prev = runs[-1][-1]
        step = ch.top - prev.top
        if MIN_PITCH * prev.h <= step <= MAX_PITCH * prev.h:
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return [r for r in runs if len(r) >= MIN_VERTICAL]


class _Near:
    """A page's chars by height, asked which lie beside a char."""

    def __init__(self, chars: list[Char]):
        self.chars = sorted(chars, key=lambda c: c.top)
        self.tops = [c.top for c in self.chars]
        self.tallest = max((c.h for c in chars), default=0.0)

    def beside(self, ch: Char, skip: set[int]) -> list[Char]:
        """The chars, not in ``skip``, near ``ch`` that share a good part of its height (a line's, not the next's)."""
        lo, hi = bisect_left(self.tops, ch.top - self.tallest), bisect_left(self.tops, ch.bottom)
        return [
            c
            for c in self.chars[lo:hi]
            if id(c) not in skip
            and min(c.bottom, ch.bottom) - max(c.top, ch.top) > SHARED_HEIGHT * min(c.h, ch.h)
            and min(abs(c.x0 - ch.x1), abs(ch.x0 - c.x1)) < NEAR * ch.h
        ]

    def out_of_line(self, ch: Char, skip: set[int]) -> bool:
        """Whether ``ch`` has text beside it and sits on the line of none of it (a word's chars sit on one line)."""
        beside = self.beside(ch, skip)
        return bool(beside) and all(abs(c.top - ch.top) > OUT_OF_LINE * min(c.h, ch.h) for c in beside)


def join_chars(chars: list[Char]) -> str:
    """Chars of one line as a string, with a space where the printed gap is wide."""
    out: list[str] = []
    prev = None
    for ch in chars:  # heights inline (not ``.h``): every char of every page and cell passes here
        if prev is not None and (
            ch.x0 - prev.x1 > SPACE_GAP * max(ch.bottom - ch.top, prev.bottom - prev.top) or ch.upright != prev.upright
        ):
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
    ``WORD_JOIN`` of the tallest char, so each overlaps the line by more than it needs to join it; and their tops
    lie closer together than ``MIN_PITCH`` of that band (every char is taller than it), so no char stands under
    another as vertical text does."""
    top = max(ch.top for ch in chars)
    band = min(ch.bottom for ch in chars) - top
    return band > WORD_JOIN * max(ch.bottom - ch.top for ch in chars) and top - min(ch.top for ch in chars) < (
        MIN_PITCH * band
    )


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
