"""Borderless (stream) tables: cell grids from where the text of a page is printed.

A table is a run of text lines of which at least two split into several cells (``text_regions``).
Its columns lie at the gaps that run through its lines (``_column_edges``); the first value
column is where the figures begin right of the row labels. Rows are then laid out by
``pdf_borderless_rows`` (one per line carrying values, wrapped label lines attached to the value
row they sit next to); group labels left of the row labels become cells spanning the rows they
head. Each grid position left without text becomes an empty cell, so the grid is whole.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from ..text import has_figure_shape, is_numbered_line
from .pdf_borderless_rows import BLOCK_GAP, Row, Seg, share_gaps, table_rows
from .pdf_layout import BBox, Grid, GridCell, Line, box_of

SEGMENT_GAP = 0.6  # x gap (in line heights) that splits a text line into separate cells
REGION_GAP = 1.5  # y gap (in line heights) above which the next line is no longer part of the table
SIZE_TOL = 0.2  # a one-cell line joins a borderless table only if its text height is within 20%
MIN_COL_OVERLAP = 0.5  # points; a cell reaches into a column only by more than this (a touching glyph box does not)


def text_tables(lines: list[Line]) -> tuple[list[Grid], list[int]]:
    """Borderless tables found by text alignment among the page's text lines.

    Returns the grids and the indices of the lines that belong to them.
    """
    grids: list[Grid] = []
    used: list[int] = []
    for start, end in text_regions(lines):
        grid = _region_to_grid(lines, start, end)
        if grid is not None:
            grids.append(grid)
            used.extend(range(start, end + 1))
    return grids, used


def line_segments(ln: Line, index: int) -> list[Seg]:
    """The line cut into cells at every gap wider than ``SEGMENT_GAP`` line heights, and where vertical text
    printed beside the line's own text begins or ends."""
    segs: list[Seg] = []
    for ch in ln.chars:
        prev = segs[-1].chars[-1] if segs else None
        if prev is not None and ch.x0 - prev.x1 <= SEGMENT_GAP * ln.h and ch.upright == prev.upright:
            segs[-1].chars.append(ch)
        else:
            segs.append(Seg([ch], index))
    return segs


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    return s[len(s) // 2] if s else 0.0


def text_regions(lines: list[Line]) -> list[tuple[int, int]]:
    """Runs of lines (first, last index) that look like one borderless table.

    A region holds at least two lines split into several cells; lines of one cell (captions,
    group headers) join it when they sit close and are printed at the table's text height.
    """
    multi = [len(line_segments(ln, i)) >= 2 for i, ln in enumerate(lines)]
    regions: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not multi[i]:
            i += 1
            continue
        end, h = _grow_down(lines, multi, i)
        # extend upwards over close one-cell lines of the same text height (captions, headers)
        start = _grow_up(lines, i, h, regions[-1][1] + 1 if regions else 0)
        if sum(multi[start : end + 1]) >= 2:
            regions.append((start, end))
        i = end + 1
    return regions


def _grow_down(lines: list[Line], multi: list[bool], first: int) -> tuple[int, float]:
    """The last line of the region starting at ``first``, and the region's median text height."""
    end = first
    heights = [lines[first].h]
    for j in range(first + 1, len(lines)):
        h = _median(heights)
        close = lines[j].top - lines[end].bottom <= REGION_GAP * h
        same = abs(lines[j].h - h) <= SIZE_TOL * h
        if not (close and (multi[j] or same)):
            break
        end = j
        heights.append(lines[j].h)
    return end, _median(heights)


def _grow_up(lines: list[Line], start: int, h: float, floor: int) -> int:
    """The region's first line once close lines of text height ``h`` above it (down to ``floor``) are added."""
    while start > floor:
        prev = lines[start - 1]
        if lines[start].top - prev.bottom <= REGION_GAP * h and abs(prev.h - h) <= SIZE_TOL * h:
            start -= 1
        else:
            break
    return start


def _column_edges(
    multi_lines: list[list[Seg]], x0: float, x1: float, all_segs: list[list[Seg]], lines: list[Line]
) -> list[float]:
    """Column edges from the gaps between cells: gaps that overlap share one boundary."""
    gaps = [(a.x1, b.x0) for segs in multi_lines for a, b in itertools.pairwise(segs)]
    gaps.extend(_band_gaps(lines, all_segs))
    # a boundary sits in the part of its gap that no lone text line reaching in from the left
    # crosses (a wrapped label line printed without values can be wider than the label beside
    # the values); text spanning columns on purpose (headers) leaves it in the middle
    spans = sorted((segs[0].x0, segs[0].x1) for segs in all_segs if len(segs) == 1)
    mids = sorted(_boundary(lo, hi, spans) for lo, hi in _gap_bounds(gaps))
    return [x0, *mids, x1]


def _gap_bounds(gaps: list[tuple[float, float]]) -> list[list[float]]:
    """Overlapping gaps narrowed to their shared part, narrowest gaps first (a gap overlapping two is dropped)."""
    bounds: list[list[float]] = []
    for lo, hi in sorted(gaps, key=lambda g: g[1] - g[0]):
        hits = [b for b in bounds if lo < b[1] and hi > b[0]]
        if len(hits) == 1:
            hits[0][0], hits[0][1] = max(hits[0][0], lo), min(hits[0][1], hi)
        elif not hits:
            bounds.append([lo, hi])
    return bounds


def _boundary(lo: float, hi: float, spans: list[tuple[float, float]]) -> float:
    """Where the column edge goes in the gap ``lo``..``hi``: the middle of its widest part free of ``spans``."""
    free: list[tuple[float, float]] = []
    at = lo
    for a, b in spans:
        if b <= at or a >= hi or a >= lo:
            continue
        if a > at:
            free.append((at, a))
        at = max(at, b)
    if at < hi:
        free.append((at, hi))
    if free and free != [(lo, hi)]:
        a, b = max(free, key=lambda f: f[1] - f[0])
        return (a + b) / 2
    return (lo + hi) / 2


def _band_gaps(lines: list[Line], all_segs: list[list[Seg]]) -> list[tuple[float, float]]:
    """Gaps between the cells of interleaved lines (lines whose boxes overlap vertically).

    Narrow stacked sub-headers ("结果/维持" beside "总计" set half a line lower) print as
    several text lines that each hold only every other cell, so no single line shows the gap
    between two neighbouring sub-headers. Taken together, a run of overlapping lines leaves
    blank x-strips where nothing in the run is printed: each strip at least a segment gap wide
    is a gap between cells.
    """
    out: list[tuple[float, float]] = []
    band: list[tuple[float, float, float]] = []  # (x0, x1, line height) of the run's cells
    n_lines = 0
    bottom: float | None = None
    for ln, segs in zip(lines, all_segs, strict=False):
        if bottom is not None and ln.top < bottom:
            n_lines += 1
            bottom = max(bottom, ln.bottom)
        else:
            if n_lines >= 2:
                out.extend(_strip_gaps(band))
            band, n_lines, bottom = [], 1, ln.bottom
        band.extend((s.chars[0].x0, s.chars[-1].x1, ln.h) for s in segs)
    if n_lines >= 2:
        out.extend(_strip_gaps(band))
    return out


def _strip_gaps(band: list[tuple[float, float, float]]) -> list[tuple[float, float]]:
    """The blank x-strips between the cells of one run of overlapping lines."""
    h = _median([c[2] for c in band])
    merged: list[list[float]] = []
    for a, b, _ in sorted(band):
        if merged and a <= merged[-1][1] + SEGMENT_GAP * h:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(p[1], q[0]) for p, q in itertools.pairwise(merged)]


def _assign_columns(segs_by_line: list[list[Seg]], edges: list[float]) -> None:
    for segs in segs_by_line:
        for s in segs:
            s.c0, s.c1 = _col_range(s, edges)


def _col_range(seg: Seg, edges: list[float]) -> tuple[int, int]:
    """The first and last column the segment reaches into."""
    cols = [k for k in range(len(edges) - 1) if min(seg.x1, edges[k + 1]) - max(seg.x0, edges[k]) > MIN_COL_OVERLAP]
    if not cols:  # a sliver: the column holding its centre
        cx = (seg.x0 + seg.x1) / 2
        k = max(0, min(len(edges) - 2, bisect_right(edges, cx) - 1))
        return k, k
    return cols[0], cols[-1]


def _region_to_grid(lines: list[Line], start: int, end: int) -> Grid | None:
    """The grid of the table on lines ``start``..``end`` (None if no row comes out)."""
    region = lines[start : end + 1]
    segs_by_line = [line_segments(ln, start + i) for i, ln in enumerate(region)]
    x0 = min(ln.x0 for ln in region)
    x1 = max(ln.x1 for ln in region)
    edges = _column_edges([s for s in segs_by_line if len(s) >= 2], x0, x1, segs_by_line, region)
    _assign_columns(segs_by_line, edges)
    vcol = _value_column(segs_by_line, len(edges) - 1)
    rows, groups = table_rows(segs_by_line, vcol)
    if not rows:
        return None
    for r in rows:
        r.top = min(s.top for s in r.segs)
        r.bottom = max(s.bottom for s in r.segs)
    cells = _grid_cells(rows, groups, vcol, edges)
    return Grid(len(rows), len(edges) - 1, cells, (x0, rows[0].top, x1, rows[-1].bottom), kind="text", xs=edges)


def _value_column(segs_by_line: list[list[Seg]], n_cols: int) -> int:
    """The first value column: right of the row labels on the lines that carry values.

    On each line with a value, the columns of the non-value cells left of its first value end
    where the values begin; the most common such end wins (a stray wide label can't move it).
    Without labels beside values: the leftmost value of lines with two or more values.
    """
    ends: dict[int, int] = {}
    multi = n_cols
    for segs in segs_by_line:
        vals = [s for s in segs if has_figure_shape(s.text())]
        if not vals:
            continue
        if len(vals) >= 2:
            multi = min(multi, min(s.c0 for s in vals))
        end = _label_end(segs, vals)
        if end is not None:
            ends[end] = ends.get(end, 0) + 1
    if ends:
        return max(ends, key=lambda k: (ends[k], k))
    return multi if multi < n_cols else 0


def _label_end(segs: list[Seg], vals: list[Seg]) -> int | None:
    """The column after the last label printed left of the line's first value (None without such labels)."""
    first = min(vals, key=lambda s: s.x0)
    labels = [s for s in segs if s.x1 <= first.x0 and not has_figure_shape(s.text())]
    if not labels:
        return None
    return max(s.c1 for s in labels) + 1


def _grid_cells(rows: list[Row], groups: list[Seg], vcol: int, edges: list[float]) -> list[GridCell]:
    """The cells of the laid-out rows, the group-label cells spanning rows, and an empty cell at every free position."""
    occupied: list[set[int]] = [set() for _ in rows]
    cells = _row_cells(rows, vcol, occupied)
    mids = [r.mid for r in rows]

    def nearest(y: float) -> int:
        return min(range(len(rows)), key=lambda i: abs(mids[i] - y))

    for b in _group_blocks(groups, rows, nearest, occupied):
        chs = [ch for s in b.segs for ch in s.chars]
        cells.append(GridCell(b.first, b.c0, b.last - b.first + 1, b.c1 - b.c0 + 1, box_of(chs), chs))
        for ri in range(b.first, b.last + 1):
            occupied[ri].update(range(b.c0, b.c1 + 1))
    for ri, r in enumerate(rows):
        for k in range(len(edges) - 1):
            if k not in occupied[ri]:
                box: BBox = (edges[k], r.top, edges[k + 1], r.bottom)
                cells.append(GridCell(ri, k, 1, 1, box))
    cells.sort(key=lambda c: (c.row, c.col))
    return cells


def _row_cells(rows: list[Row], vcol: int, occupied: list[set[int]]) -> list[GridCell]:
    """Each row's segments as one-row cells (overlapping column ranges make one cell)."""
    ranges = [_merge_ranges(r.segs) for r in rows]
    _widen_under_headers(ranges, vcol)
    cells = []
    for ri, row_ranges in enumerate(ranges):
        for c0, c1, segs in row_ranges:
            chs = [ch for s in segs for ch in s.chars]
            cells.append(GridCell(ri, c0, 1, c1 - c0 + 1, box_of(chs), chs))
            occupied[ri].update(range(c0, c1 + 1))
    return cells


def _merge_ranges(segs: list[Seg]) -> list[tuple[int, int, list[Seg]]]:
    """Segments of one row grouped into cells: overlapping column ranges make one cell."""
    out: list[tuple[int, int, list[Seg]]] = []
    for s in sorted(segs, key=lambda s: (s.c0, s.c1)):
        if out and s.c0 <= out[-1][1]:
            c0, c1, members = out[-1]
            members.append(s)
            out[-1] = (c0, max(c1, s.c1), members)
        else:
            out.append((s.c0, s.c1, [s]))
    return [(a, b, sorted(g, key=lambda s: (s.top, s.x0))) for a, b, g in out]


def _widen_under_headers(ranges: list[list[tuple[int, int, list[Seg]]]], vcol: int) -> None:
    """A value printed under a header cell that spans several columns spans them too.

    A section of a table may have fewer value columns than the table (one amount under a
    header spanning three columns); its value then sits in one of the table's columns. The
    nearest header line above (text in the value columns, no values) tells the cell's span,
    as long as the row has nothing else in the spanned columns.
    """
    header: list[tuple[int, int]] = []
    for cells in ranges:
        right = [(c0, c1, segs) for c0, c1, segs in cells if c1 >= vcol]
        if not right:
            continue
        if not any(has_figure_shape(s.text()) for _, _, segs in right for s in segs):
            header = [(c0, c1) for c0, c1, _ in right if c1 > c0]
            continue
        _widen_row(cells, header, vcol)


def _widen_row(cells: list[tuple[int, int, list[Seg]]], header: list[tuple[int, int]], vcol: int) -> None:
    """Each value cell of a row takes the span of the header cell above it, where the row leaves that span free."""
    for j, (c0, c1, segs) in enumerate(cells):
        span = _header_span(c0, c1, header) if c0 >= vcol else None
        if span is not None and not _overlaps_other(cells, j, span):
            cells[j] = (span[0], span[1], segs)


def _header_span(c0: int, c1: int, header: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first header cell wider than columns ``c0``..``c1`` that covers them."""
    return next(((h0, h1) for h0, h1 in header if h0 <= c0 and c1 <= h1 and (h0, h1) != (c0, c1)), None)


def _overlaps_other(cells: list[tuple[int, int, list[Seg]]], j: int, span: tuple[int, int]) -> bool:
    return any(k != j and o0 <= span[1] and span[0] <= o1 for k, (o0, o1, _) in enumerate(cells))


@dataclass
class _GroupBlock:
    """A group label (left of the row labels): stacked lines of one column, spanning rows ``first``..``last``."""

    c0: int
    c1: int
    segs: list[Seg]
    top: float
    bottom: float
    first: int = 0
    last: int = 0

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2


def _group_blocks(
    groups: list[Seg], rows: list[Row], nearest: Callable[[float], int], occupied: list[set[int]]
) -> list[_GroupBlock]:
    """Group labels (left of the row labels) as blocks spanning the rows they head.

    Stacked lines of one column form one block (a numbered line, "（四）", starts a new one);
    a block then spreads over the free rows around it, sharing free rows with its neighbours
    so that each label sits as near the middle of its rows as possible (renderers centre or
    top-align such labels). ``occupied`` holds the columns each row's own cells take.
    """
    blocks = _stack_group_labels(groups)
    for b in blocks:
        rs = [nearest(s.mid) for s in b.segs]
        b.first, b.last = min(rs), max(rs)
    by_col: dict[int, list[_GroupBlock]] = {}
    for b in blocks:
        by_col.setdefault(b.c0, []).append(b)
    for col_blocks in by_col.values():
        col_blocks.sort(key=lambda b: b.first)
        chains = _chains(col_blocks, occupied)
        for k in range(len(chains)):
            _spread_chain(chains, k, rows, occupied)
    return blocks


def _stack_group_labels(groups: list[Seg]) -> list[_GroupBlock]:
    """Group-label lines of one column stacked close (``BLOCK_GAP``) into blocks; a numbered line starts a new one."""
    blocks: list[_GroupBlock] = []
    for s in sorted(groups, key=lambda s: (s.c0, s.c1, s.top)):
        b = blocks[-1] if blocks else None
        if (
            b is not None
            and (b.c0, b.c1) == (s.c0, s.c1)
            and s.top - b.bottom <= BLOCK_GAP * (s.bottom - s.top)
            and not is_numbered_line(s.text())
        ):
            b.segs.append(s)
            b.bottom = max(b.bottom, s.bottom)
        else:
            blocks.append(_GroupBlock(s.c0, s.c1, [s], s.top, s.bottom))
    return blocks


def _free(occupied: list[set[int]], ri: int, b: _GroupBlock) -> bool:
    """Whether row ``ri`` has nothing of its own in the block's columns."""
    return not any(k in occupied[ri] for k in range(b.c0, b.c1 + 1))


def _chains(col_blocks: list[_GroupBlock], occupied: list[set[int]]) -> list[list[_GroupBlock]]:
    """Blocks of one column in chains with only free rows between them; a used row breaks the chain."""
    chains: list[list[_GroupBlock]] = [[col_blocks[0]]]
    for up, down in itertools.pairwise(col_blocks):
        if down.first > up.last and all(_free(occupied, ri, up) for ri in range(up.last + 1, down.first)):
            chains[-1].append(down)
        else:
            chains.append([down])
    return chains


def _spread_chain(chains: list[list[_GroupBlock]], k: int, rows: list[Row], occupied: list[set[int]]) -> None:
    """Share the free rows around and between the blocks of chain ``k`` among them."""
    chain = chains[k]
    lo, hi = _chain_reach(chains, k, len(rows), occupied)
    gaps = [len(range(lo, chain[0].first))]
    gaps += [len(range(u.last + 1, d.first)) for u, d in itertools.pairwise(chain)]
    gaps.append(len(range(chain[-1].last + 1, hi + 1)))
    takes = share_gaps(
        len(chain),
        gaps,
        lambda i, up, down: _label_cost(chain[i], rows, chain[i].first - up, chain[i].last + down),
        optional_ends=True,
    )
    for b, (up, down) in zip(chain, takes, strict=False):
        b.first -= up
        b.last += down


def _chain_reach(chains: list[list[_GroupBlock]], k: int, n_rows: int, occupied: list[set[int]]) -> tuple[int, int]:
    """The free rows chain ``k`` may reach: up to the chain above (already spread), down to the one below."""
    chain = chains[k]
    lo = chain[0].first
    while lo > 0 and _free(occupied, lo - 1, chain[0]) and (k == 0 or lo - 1 > chains[k - 1][-1].last):
        lo -= 1
    hi = chain[-1].last
    while (
        hi < n_rows - 1
        and _free(occupied, hi + 1, chain[-1])
        and (k == len(chains) - 1 or hi + 1 < chains[k + 1][0].first)
    ):
        hi += 1
    return lo, hi


def _label_cost(b: _GroupBlock, rows: list[Row], first: int, last: int) -> float:
    """How far the label sits from the middle of rows ``first``..``last``, or from their top
    (a label cut by a page break sits at the top)."""
    centre = abs((rows[first].top + rows[last].bottom) / 2 - b.centre)
    return min(centre, abs(rows[first].top - b.top))
