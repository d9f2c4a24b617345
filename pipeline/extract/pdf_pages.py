"""The page loop every PDF reading shares: a reader's positioned text and ruling lines in, tables and text out.

A reader (pdfium's or pdfplumber's text layer, or OCR of a scanned page) gives each page as ``Char`` boxes and
``HSeg``/``VSeg`` ruling lines in points. From there on every PDF is read by the same code: ruled and borderless
tables found on each page (``page_tables``), a table that runs to the foot of a page joined with the one at the top
of the next (``read_pages``), the text outside tables kept as paragraphs, and each grid made a ``RawTable``
(``grid_to_raw_table``), carrying the OCR confidence of its characters where they have one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..model import Cell, RawTable
from .pdf_layout import (
    Char,
    Grid,
    GridCell,
    HSeg,
    Line,
    VSeg,
    chars_to_lines,
    in_any,
    ruled_tables,
    stitch,
    text_tables,
)

EDGE_TEXT_CHARS = 12  # a table continues over the page break if at most this many chars (running
# header or footer, page number) lie between it and the page edge


class PageReader(Protocol):
    n_pages: int

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]: ...


@dataclass
class Pages:
    """What ``read_pages`` found: the grids in document order, the text outside them, the number of chars read."""

    grids: list[Grid] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    n_chars: int = 0


def read_pages(reader: PageReader) -> Pages:
    """Every page of ``reader``: its tables (a table cut by a page break stitched back into one) and other text."""
    out = Pages()
    grids = out.grids
    open_end = False  # the last table found runs to the foot of its page
    for pno in range(reader.n_pages):
        chars, hsegs, vsegs = reader.page(pno)
        out.n_chars += len(chars)
        found, rest = page_tables(chars, hsegs, vsegs)
        for g in found:
            for c in g.cells:
                c.page = pno + 1
        if found and open_end and grids and _text_above(rest, found[0]) <= EDGE_TEXT_CHARS:
            joined = stitch(grids[-1], found[0])
            if joined is not None:
                grids[-1] = joined
                found = found[1:]
        grids.extend(found)
        if found or (grids and open_end):
            open_end = (
                bool(grids)
                and _text_below(rest, grids[-1]) <= EDGE_TEXT_CHARS
                and any(c.page == pno + 1 for c in grids[-1].cells)
            )
        else:
            open_end = False
        out.paragraphs.extend(ln.text() for ln in rest)
    out.paragraphs = [p for p in out.paragraphs if p.strip()]
    return out


def page_tables(chars: list[Char], hsegs: list[HSeg], vsegs: list[VSeg]) -> tuple[list[Grid], list[Line]]:
    """Tables on one page, top to bottom (ruled and borderless), and the text lines outside them."""
    ruled = [g for g in ruled_tables(chars, hsegs, vsegs) if any(c.chars for c in g.cells)]
    boxes = [g.bbox for g in ruled]
    rest = [ch for ch in chars if not in_any(ch, boxes)] if boxes else chars
    lines = chars_to_lines(rest)
    loose, used = text_tables(lines)
    if used:
        used_set = set(used)
        lines = [ln for i, ln in enumerate(lines) if i not in used_set]
    grids = sorted(ruled + loose, key=lambda g: (g.bbox[1], g.bbox[0]))
    return grids, lines


def cell_confidence(cell: GridCell) -> float | None:
    """The OCR confidence of a cell: its least confident character's (None for text-layer chars)."""
    confs = [c for c in (getattr(ch, "conf", None) for ch in cell.chars) if c is not None]
    return round(min(confs), 1) if confs else None


def grid_to_raw_table(g: Grid, index: int) -> RawTable:
    cells = tuple(
        Cell(
            text=text,
            row=gc.row,
            col=gc.col,
            rowspan=gc.rowspan,
            colspan=gc.colspan,
            page=gc.page,
            bbox=tuple(round(v, 2) for v in bbox),
            confidence=cell_confidence(gc),
        )
        for gc, (_, _, _, _, text, bbox, _) in zip(g.cells, g.texts(), strict=True)
    )
    return RawTable(
        index=index,
        cells=cells,
        n_rows=g.n_rows,
        n_cols=g.n_cols,
        page=min((c.page for c in cells if c.page), default=None),
    )


def _text_below(lines: list[Line], g: Grid) -> int:
    return sum(len(ln.chars) for ln in lines if ln.top >= g.bbox[3])


def _text_above(lines: list[Line], g: Grid) -> int:
    return sum(len(ln.chars) for ln in lines if ln.bottom <= g.bbox[1])
