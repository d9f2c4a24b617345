"""A table continued over a page break, as one grid; two tables in one grid, apart.

The PDF extractor offers the last table of a page and the first of the next (when nothing but a
running header or footer lies between them) to ``stitch``; pieces of one kind only are joined:
ruled pieces by their shared column rules, borderless pieces by where their text is printed.
``split_at_new_header`` cuts a grid where a second table's header starts (tables printed touching).
"""

from __future__ import annotations

from bisect import bisect_right

from ..text import has_figure_shape
from .pdf_layout import SNAP_TOL, BBox, Grid, GridCell, Line, box_of, cell_text, cluster_positions

# points; text of a borderless piece may overhang the other piece's outer edges this much
TEXT_STITCH_TOL = 2 * SNAP_TOL
OVERFLOW_LINES = 1.5  # line heights: text this close under a table (or under such text) may be its cut row's rest
# points; a text box is narrowed this much per side before its columns are found (touching an edge is not
# reaching into the next column)
EDGE_NUDGE = 0.5


def stitch(first: Grid, second: Grid) -> Grid | None:
    """One table continued on the next page, as one grid (None if the two don't fit)."""
    if first.kind != second.kind:
        return None
    if first.kind == "text":
        return _stitch_text(first, second)
    return _stitch_ruled(first, second)


def _stitch_ruled(first: Grid, second: Grid) -> Grid | None:
    """Ruled pieces must share their outer left and right rules; their column rules are merged, so
    a piece that splits a column more finely (a header cut by the page break) still fits. A row
    cut by the break (no rule under the first piece nor over the second) becomes one row."""
    xa, xb = first.xs, second.xs
    if abs(xa[0] - xb[0]) > SNAP_TOL or abs(xa[-1] - xb[-1]) > SNAP_TOL:
        return None
    xs = cluster_positions(xa + xb, SNAP_TOL)
    head = _placed(first, xs, 0)
    if first.open_bottom and second.open_top:
        cut = first.n_rows - 1
        joined = _join_cut_row(head, _placed(second, xs, cut), cut)
        if joined is not None:
            return _ruled(first, first.n_rows + second.n_rows - 1, xs, joined, second.open_bottom)
    cells = head + _placed(second, xs, first.n_rows)
    return _ruled(first, first.n_rows + second.n_rows, xs, cells, second.open_bottom)


def _ruled(first: Grid, n_rows: int, xs: list[float], cells: list[GridCell], open_bottom: bool) -> Grid:
    return Grid(
        n_rows,
        len(xs) - 1,
        cells,
        first.bbox,
        kind="ruled",
        xs=xs,
        open_top=first.open_top,
        open_bottom=open_bottom,
    )


def _placed(grid: Grid, xs: list[float], row_offset: int) -> list[GridCell]:
    """The grid's cells moved down by ``row_offset`` rows and onto the merged column rules ``xs``."""

    # each column rule of the grid -> the nearest merged rule (worked out once per rule, not per cell edge)
    near = [min(range(len(xs)), key=lambda k: abs(xs[k] - x)) for x in grid.xs]
    out = []
    for c in grid.cells:
        c0, c1 = near[c.col], near[c.col + c.colspan]
        out.append(GridCell(c.row + row_offset, c0, c.rowspan, max(1, c1 - c0), c.bbox, c.chars, c.text, c.page))
    return out


def _join_cut_row(head: list[GridCell], tail: list[GridCell], row: int) -> list[GridCell] | None:
    """A row cut by the page break, its top part the last row of ``head``, its rest the first row
    of ``tail`` (already placed at ``row``): each tail cell of that row continues the head cell
    ending there over the same columns, its text after the head cell's. None unless every one does."""
    ending = {(c.col, c.colspan): c for c in head if c.row + c.rowspan - 1 == row}
    out = list(head)
    for c in tail:
        if c.row != row:
            out.append(c)
            continue
        h = ending.pop((c.col, c.colspan), None)
        if h is None:
            return None
        parts = [t for t in (cell_text(h), cell_text(c)) if t]
        joined = GridCell(
            h.row, h.col, h.rowspan + c.rowspan - 1, h.colspan, h.bbox, h.chars + c.chars, "\n".join(parts), h.page
        )
        out[out.index(h)] = joined
    if ending:
        return None
    return out


def _stitch_text(first: Grid, second: Grid) -> Grid | None:
    """Borderless pieces may have different columns (a piece has only the columns holding text on
    its page; a header cut by the page break has coarse ones), so the cells of both are placed in
    the columns of the piece with more of them, by where their text is printed. They fit only if
    all text lies within that piece's width and no two cells land on one grid position."""
    edges = (second if second.n_cols > first.n_cols else first).xs
    placed: list[GridCell] = []
    taken: set[tuple[int, int]] = set()
    bands: dict[int, tuple[float, float, int | None]] = {}
    for row_offset, piece in ((0, first), (first.n_rows, second)):
        _note_bands(piece, row_offset, bands)
        if not _place_text(piece, row_offset, edges, placed, taken):
            return None
    n_rows = first.n_rows + second.n_rows
    placed += _blank_cells(n_rows, edges, taken, bands)
    placed.sort(key=lambda c: (c.row, c.col))
    return Grid(n_rows, len(edges) - 1, placed, first.bbox, kind="text", xs=edges)


def _note_bands(piece: Grid, row_offset: int, bands: dict[int, tuple[float, float, int | None]]) -> None:
    """Each row's top, bottom and page, from its first one-row cell (for the blank cells of the joined grid)."""
    for c in piece.cells:
        if c.rowspan == 1:
            bands.setdefault(row_offset + c.row, (c.bbox[1], c.bbox[3], c.page))


def _place_text(
    piece: Grid, row_offset: int, edges: list[float], placed: list[GridCell], taken: set[tuple[int, int]]
) -> bool:
    """Put the piece's text cells in the columns ``edges`` by where their text lies; False if one does not fit."""
    inner = edges[1:-1]
    for c in piece.cells:
        if not c.chars:
            continue
        bx0, _, bx1, _ = box_of(c.chars)
        if bx0 < edges[0] - TEXT_STITCH_TOL or bx1 > edges[-1] + TEXT_STITCH_TOL:
            return False
        c0, c1 = bisect_right(inner, bx0 + EDGE_NUDGE), bisect_right(inner, bx1 - EDGE_NUDGE)
        row = row_offset + c.row
        spots = {(r, k) for r in range(row, row + c.rowspan) for k in range(c0, c1 + 1)}
        if spots & taken:
            return False
        taken |= spots
        placed.append(GridCell(row, c0, c.rowspan, c1 - c0 + 1, c.bbox, c.chars, c.text, c.page))
    return True


def _blank_cells(
    n_rows: int, edges: list[float], taken: set[tuple[int, int]], bands: dict[int, tuple[float, float, int | None]]
) -> list[GridCell]:
    """An empty one-position cell wherever no text cell landed."""
    out = []
    for r in range(n_rows):
        top, bottom, page = bands.get(r, (0.0, 0.0, None))
        for k in range(len(edges) - 1):
            if (r, k) not in taken:
                box: BBox = (edges[k], top, edges[k + 1], bottom)
                out.append(GridCell(r, k, 1, 1, box, page=page))
    return out


def split_at_new_header(grid: Grid) -> list[Grid]:
    """A grid that holds two tables one under the other, cut where the second one's header starts.

    Tables printed touching (a web page's appeals table right under its requests table), or joined over a page
    break with nothing between them, share one grid. The second starts with a header: a row without figures,
    below rows with figures, that draws a column border none of the rows above it has (a change of header). No
    cell may run across the cut. Each part keeps only the column borders its cells use.
    """
    cut = _header_change(grid)
    if cut is None:
        return [grid]
    return [_rows_of(grid, 0, cut), *split_at_new_header(_rows_of(grid, cut, grid.n_rows))]


def _header_change(grid: Grid) -> int | None:
    """The first row that starts another table's header (see ``split_at_new_header``), or None."""
    borders: set[int] = set()
    figures_above = False
    for r, cells in enumerate(_covering(grid)):
        mine = {b for c in cells for b in (c.col, c.col + c.colspan)}
        has_figures = any(has_figure_shape(_raw_text(c)) for c in cells if c.row == r)
        if figures_above and not has_figures and _starts_here(cells, r) and mine - borders:
            return r
        borders |= mine
        figures_above = figures_above or has_figures
    return None


def _starts_here(cells: list[GridCell], r: int) -> bool:
    """Every cell covering row ``r`` starts in it: no cell from above runs across its top."""
    return all(c.row == r for c in cells)


def _covering(grid: Grid) -> list[list[GridCell]]:
    """For each row, the cells that cover it."""
    out: list[list[GridCell]] = [[] for _ in range(grid.n_rows)]
    for c in grid.cells:
        for r in range(c.row, min(c.row + c.rowspan, grid.n_rows)):
            out[r].append(c)
    return out


def _raw_text(c: GridCell) -> str:
    """The cell's chars run together: enough to tell a figure (lines are not needed)."""
    return c.text if c.text is not None else "".join(ch.text for ch in c.chars)


def _rows_of(grid: Grid, r0: int, r1: int) -> Grid:
    """Rows ``r0`` to ``r1`` of the grid as a grid of their own, on the column borders they use."""
    cells = [c for c in grid.cells if r0 <= c.row < r1]
    used = sorted({b for c in cells for b in (c.col, c.col + c.colspan)})
    first, last = r0 == 0, r1 == grid.n_rows
    return Grid(
        r1 - r0,
        len(used) - 1,
        _moved(cells, r0, {b: k for k, b in enumerate(used)}),
        _part_box(grid, [c.bbox for c in cells], first, last),
        kind=grid.kind,
        xs=[grid.xs[b] for b in used],
        ys=grid.ys[r0 : r1 + 1],
        open_top=grid.open_top and first,
        open_bottom=grid.open_bottom and last,
    )


def _moved(cells: list[GridCell], r0: int, at: dict[int, int]) -> list[GridCell]:
    """The cells moved up ``r0`` rows and onto the columns ``at`` gives their borders."""
    return [
        GridCell(c.row - r0, at[c.col], c.rowspan, at[c.col + c.colspan] - at[c.col], c.bbox, c.chars, c.text, c.page)
        for c in cells
    ]


def _part_box(grid: Grid, boxes: list[BBox], first: bool, last: bool) -> BBox:
    """The box of a part's cells; the first part reaches up and the last down as far as the whole did (over a row
    cut by the page's edge, drawn past the rules)."""
    top = grid.bbox[1] if first else min(b[1] for b in boxes)
    bottom = grid.bbox[3] if last else max(b[3] for b in boxes)
    return (min(b[0] for b in boxes), top, max(b[2] for b in boxes), bottom)


def absorb_cut_row(grid: Grid, lines: list[Line]) -> list[Line]:
    """Text printed just under a table cut by the page break, that belongs to its last row: given to that row.

    A browser that breaks a table row over two pages may print the row's text past the rules it drew on the first
    page. Lines that follow the table's bottom closely, each char inside one of the last row's cells (running text
    under a table crosses its column borders), are that row's rest. Returns the lines left over.
    """
    last = [c for c in grid.cells if c.row + c.rowspan == grid.n_rows]
    bottom, kept = grid.bbox[3], []
    for ln in sorted(lines, key=lambda ln: ln.top):
        near = bottom <= ln.top <= bottom + OVERFLOW_LINES * ln.h
        homes = [_cell_under(last, ch.x0, ch.x1) for ch in ln.chars] if near else []
        if homes and all(homes):
            for ch, cell in zip(ln.chars, homes, strict=True):
                cell.chars.append(ch)  # type: ignore[union-attr]
            bottom = ln.bottom
        else:
            kept.append(ln)
    return kept


def _cell_under(cells: list[GridCell], x0: float, x1: float) -> GridCell | None:
    return next((c for c in cells if c.bbox[0] <= x0 and x1 <= c.bbox[2]), None)
