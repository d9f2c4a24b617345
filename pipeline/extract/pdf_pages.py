"""The page loop every PDF reading shares: a reader's positioned text and ruling lines in, tables and text out.

A reader (pdfium's or pdfplumber's text layer, or OCR of a scanned page) gives each page as ``Char`` boxes and
``HSeg``/``VSeg`` ruling lines in points. From there on every PDF is read by the same code: ruled and borderless
tables found on each page (``page_tables``), a table that runs to the foot of a page joined with the one at the top
of the next (``DocumentTables``), the text outside tables kept as paragraphs (``read_pages``), and each grid made a
``RawTable`` (``grid_to_raw_table``), carrying the OCR confidence of its characters where they have one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..model import Cell, RawTable
from ..settings import DEFAULTS
from .pdf_borderless import text_tables
from .pdf_layout import BBox, Char, Grid, GridCell, HSeg, Line, VSeg, chars_to_lines
from .pdf_ruled import ruled_tables
from .pdf_stitch import absorb_cut_row, split_at_new_header, stitch

EDGE_TEXT_CHARS = 12  # a table continues over the page break if at most this many chars (running
# header or footer, page number) lie between it and the page edge
BBOX_DECIMALS = 2  # cell boxes are kept to 0.01 pt: finer digits are noise of font metrics and float arithmetic


class PageReader(Protocol):
    """What the page loop reads: the number of pages, and each page's chars and rules (points, top-down)."""

    n_pages: int

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]: ...


@dataclass
class Pages:
    """What ``read_pages`` found: the grids in document order, the text outside them, the number of chars read."""

    grids: list[Grid] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    n_chars: int = 0
    warnings: list[str] = field(default_factory=list)  # ruled networks left out for their size


def read_pages(reader: PageReader, max_cells: int = DEFAULTS.max_table_cells) -> Pages:
    """Every page of ``reader``: its tables (a table cut by a page break stitched back into one) and other text; a
    ruled network of more than ``max_cells`` grid positions is left out, with a warning."""
    tables = DocumentTables()
    out = Pages(grids=tables.grids)
    for pno in range(reader.n_pages):
        chars, hsegs, vsegs = reader.page(pno)
        out.n_chars += len(chars)
        too_large: list[tuple[int, int]] = []
        found, rest = page_tables(chars, hsegs, vsegs, max_cells, too_large)
        out.warnings += [
            f"page {pno + 1}: a ruled table of {r} rows x {c} columns left out, over {max_cells} grid positions "
            "(max_table_cells)"
            for r, c in too_large
        ]
        tables.add_page(pno + 1, found, rest)
        out.paragraphs.extend(t for t in (ln.text() for ln in rest) if t.strip())
    return out


class DocumentTables:
    """The document's tables as its pages are read; a table continued over a page break is stitched into one."""

    def __init__(self) -> None:
        self.grids: list[Grid] = []
        self.open_end = False  # the last table runs to the foot of its page

    def add_page(self, page: int, found: list[Grid], rest: list[Line]) -> None:
        """Add one page's tables (``rest``: its text lines outside them)."""
        for g in found:
            for c in g.cells:
                c.page = page
        if found and self.open_end and _text_above(rest, found[0]) <= EDGE_TEXT_CHARS:
            joined = stitch(self.grids[-1], found[0])
            if joined is not None and len(split_at_new_header(joined)) == 1:  # not another table's header
                self.grids[-1] = joined
                found = found[1:]
        self.grids.extend(found)
        self.open_end = bool(self.grids) and self._runs_to_foot(self.grids[-1], page, rest)

    @staticmethod
    def _runs_to_foot(grid: Grid, page: int, rest: list[Line]) -> bool:
        """Whether ``grid`` is on ``page`` with no more than a running footer below it (the bottom of its cells
        on this page: a grid stitched from pieces has the box of its first)."""
        bottoms = [c.bbox[3] for c in grid.cells if c.page == page]
        return bool(bottoms) and sum(len(ln.chars) for ln in rest if ln.top >= max(bottoms)) <= EDGE_TEXT_CHARS


def page_tables(
    chars: list[Char],
    hsegs: list[HSeg],
    vsegs: list[VSeg],
    max_cells: int = DEFAULTS.max_table_cells,
    too_large: list[tuple[int, int]] | None = None,
) -> tuple[list[Grid], list[Line]]:
    """Tables on one page, top to bottom (ruled and borderless), and the text lines outside them (a ruled network of
    more than ``max_cells`` grid positions left out, its size added to ``too_large``)."""
    outside: list[Char] = []
    ruled = _ruled(chars, hsegs, vsegs, outside, max_cells, too_large)
    lines = chars_to_lines(outside)
    if ruled:
        lines = absorb_cut_row(max(ruled, key=lambda g: g.bbox[3]), lines)
    loose, used = text_tables(lines)
    if used:
        used_set = set(used)
        lines = [ln for i, ln in enumerate(lines) if i not in used_set]
    grids = sorted(ruled + loose, key=lambda g: (g.bbox[1], g.bbox[0]))
    return grids, lines


def _ruled(
    chars: list[Char],
    hsegs: list[HSeg],
    vsegs: list[VSeg],
    outside: list[Char],
    max_cells: int,
    too_large: list[tuple[int, int]] | None,
) -> list[Grid]:
    """The page's ruled tables with text, two tables drawn as one grid taken apart; ``outside`` receives the chars
    in no table, from the pass that puts the others in their cells (a part without chars holds no char's centre,
    and the parts cover every char their grid holds)."""
    grids = ruled_tables(chars, hsegs, vsegs, outside, max_cells, too_large)
    parts = [part for g in grids for part in split_at_new_header(g)]
    return [g for g in parts if any(c.chars for c in g.cells)]


def cell_confidence(cell: GridCell) -> float | None:
    """The OCR confidence of a cell: its least confident character's (None for a text layer's chars)."""
    # a text layer's chars (plain ``Char``, slotted: no ``conf``) are passed over without a failed lookup each
    confs = [c for c in (getattr(ch, "conf", None) for ch in cell.chars if type(ch) is not Char) if c is not None]
    return round(min(confs), 1) if confs else None


def grid_to_raw_table(g: Grid, index: int) -> RawTable:
    cells = tuple(
        Cell(
            text=text,
            row=r,
            col=c,
            rowspan=rs,
            colspan=cs,
            page=page,
            bbox=_rounded(bbox),
            confidence=cell_confidence(gc),
        )
        for gc, (r, c, rs, cs, text, bbox, page) in zip(g.cells, g.texts(), strict=True)
    )
    return RawTable(
        index=index,
        cells=cells,
        n_rows=g.n_rows,
        n_cols=g.n_cols,
        page=min((c.page for c in cells if c.page), default=None),
    )


def _rounded(bbox: BBox) -> BBox:
    x0, top, x1, bottom = bbox
    return (round(x0, BBOX_DECIMALS), round(top, BBOX_DECIMALS), round(x1, BBOX_DECIMALS), round(bottom, BBOX_DECIMALS))


def _text_above(lines: list[Line], g: Grid) -> int:
    return sum(len(ln.chars) for ln in lines if ln.bottom <= g.bbox[1])
