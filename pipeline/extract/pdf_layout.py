"""Page geometry to table grids, shared by every PDF engine.

An engine reads a page into ``Char`` boxes and ruling ``HSeg``/``VSeg`` lines (top-down
coordinates, points); everything after that lives here, so pdfium and pdfplumber give the
same grids. Two table finders:

* ``ruled_tables``: cells from ruling lines (lattice): row/column bands between the lines,
  merged where no line separates two neighbouring bands.
* ``text_tables``: cells from text alignment (borderless): columns from the gaps that run
  through many lines, rows from the lines that carry values, wrapped label lines attached to
  the value row they sit next to, and group labels as rowspan cells.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass, field

from ..text import has_figure_shape, is_numbered_line

SNAP_TOL = 2.0  # points; ruling lines closer than this are one line
MIN_SEG_LEN = 3.0  # points; shorter path pieces are not ruling lines
SEGMENT_GAP = 0.6  # x gap (in line heights) that splits a text line into separate cells
SPACE_GAP = 0.25  # x gap (in line heights) printed as a space inside one cell
WORD_JOIN = 0.5  # overlap share above which two char boxes sit on one text line
BLOCK_GAP = 0.9  # vertical gap (in line heights) under which stacked lines form one label block
NEAR_WEIGHT = 0.3  # weight of a wrapped label line's distance from the values it is given to
SIZE_TOL = 0.2  # a one-cell line joins a borderless table only if its text height is within 20%
RUN_MAX = 12  # most label blocks one value row may gather
FULL_SLACK = 1.5  # a label line wraps only when full: within this many line heights of its column's widest


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
    y: float
    x0: float
    x1: float


@dataclass(slots=True)
class VSeg:
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
    bbox: tuple[float, float, float, float]
    chars: list[Char] = field(default_factory=list)
    text: str | None = None  # set directly by the text-table builder
    page: int | None = None  # 1-based, set once the page is known


@dataclass
class Grid:
    """One table found on one page."""

    n_rows: int
    n_cols: int
    cells: list[GridCell]
    bbox: tuple[float, float, float, float]

    def texts(self) -> list[tuple[int, int, int, int, str, tuple, int | None]]:
        return [(c.row, c.col, c.rowspan, c.colspan, cell_text(c), c.bbox, c.page) for c in self.cells]


# ---------------------------------------------------------------- text lines and joining


class _CharRun:
    """Chars left to right: the run spans from the first char's left edge to the last one's right edge."""

    chars: list[Char]

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        return self.chars[-1].x1


@dataclass
class Line(_CharRun):
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
    """Cluster chars into visual lines (vertical overlap), each sorted left to right."""
    lines: list[Line] = []
    for ch in sorted(chars, key=lambda c: (c.top, c.x0)):
        top, bottom = ch.top, ch.bottom
        placed = False
        # the char joins a recent line it overlaps by more than half the smaller height
        for ln in reversed(lines[-4:]):
            ov = min(ln.bottom, bottom) - max(ln.top, top)
            if ov > 0 and ov > WORD_JOIN * min(ln.bottom - ln.top, bottom - top):
                ln.chars.append(ch)
                if top < ln.top:
                    ln.top = top
                if bottom > ln.bottom:
                    ln.bottom = bottom
                placed = True
                break
        if not placed:
            lines.append(Line([ch], top, bottom))
    if len(lines) > 1:
        for ln in lines:
            ln.chars.sort(key=lambda c: c.x0)
        lines.sort(key=lambda ln: (ln.top, ln.chars[0].x0))
    else:
        for ln in lines:
            ln.chars.sort(key=lambda c: c.x0)
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
    return lines_text(chars_to_lines(c.chars))


def is_value_text(s: str) -> bool:
    """Looks like a table value (a number, a dash placeholder), judged only to lay out rows."""
    return has_figure_shape(s)


# ---------------------------------------------------------------- ruled (lattice) tables


def cluster_positions(values: list[float], tol: float) -> list[float]:
    """Sorted representative positions of values that lie within ``tol`` of each other."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _snap(v: float, reps: list[float]) -> float:
    i = bisect_right(reps, v)
    best = min((reps[j] for j in (i - 1, i) if 0 <= j < len(reps)), key=lambda r: abs(r - v))
    return best


def _merge_h(segs: list[HSeg]) -> list[HSeg]:
    reps = cluster_positions([s.y for s in segs], SNAP_TOL)
    by_y: dict[float, list[HSeg]] = {}
    for s in segs:
        y = _snap(s.y, reps)
        by_y.setdefault(y, []).append(HSeg(y, s.x0, s.x1))
    out = []
    for y, group in by_y.items():
        group.sort(key=lambda s: s.x0)
        cur = group[0]
        for s in group[1:]:
            if s.x0 <= cur.x1 + SNAP_TOL:
                cur.x1 = max(cur.x1, s.x1)
            else:
                out.append(cur)
                cur = s
        out.append(cur)
    return out


def _merge_v(segs: list[VSeg]) -> list[VSeg]:
    flipped = _merge_h([HSeg(s.x, s.y0, s.y1) for s in segs])
    return [VSeg(s.y, s.x0, s.x1) for s in flipped]


class _UF:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[rb] = ra


def ruled_tables(chars: list[Char], hsegs: list[HSeg], vsegs: list[VSeg]) -> list[Grid]:
    """Tables drawn with ruling lines: connected line networks turned into cell grids."""
    hs = _merge_h([s for s in hsegs if s.x1 - s.x0 >= MIN_SEG_LEN])
    vs = _merge_v([s for s in vsegs if s.y1 - s.y0 >= MIN_SEG_LEN])
    if len(hs) < 2 or len(vs) < 2:
        return []
    t = SNAP_TOL
    uf = _UF(len(hs) + len(vs))
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.x0 - t <= v.x <= h.x1 + t and v.y0 - t <= h.y <= v.y1 + t:
                uf.union(i, len(hs) + j)
    groups: dict[int, tuple[list[HSeg], list[VSeg]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(uf.find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(uf.find(len(hs) + j), ([], []))[1].append(v)
    grids = []
    for gh, gv in groups.values():
        if len(gh) < 2 or len(gv) < 2:
            continue
        grid = _lines_to_grid(gh, gv)
        if grid is not None:
            grids.append(grid)
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    if grids:
        _assign_chars(grids, chars)
    return grids


def _lines_to_grid(hs: list[HSeg], vs: list[VSeg]) -> Grid | None:
    t = SNAP_TOL
    xs = cluster_positions([v.x for v in vs] + [h.x0 for h in hs] + [h.x1 for h in hs], t)
    ys = cluster_positions([h.y for h in hs] + [v.y0 for v in vs] + [v.y1 for v in vs], t)
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 1:
        return None

    def v_line(x: float, y: float) -> bool:
        return any(abs(v.x - x) <= t and v.y0 - t <= y <= v.y1 + t for v in vs)

    def h_line(y: float, x: float) -> bool:
        return any(abs(h.y - y) <= t and h.x0 - t <= x <= h.x1 + t for h in hs)

    uf = _UF(nr * nc)
    for r in range(nr):
        ym = (ys[r] + ys[r + 1]) / 2
        for c in range(nc):
            xm = (xs[c] + xs[c + 1]) / 2
            if c + 1 < nc and not v_line(xs[c + 1], ym):
                uf.union(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and not h_line(ys[r + 1], xm):
                uf.union(r * nc + c, (r + 1) * nc + c)
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            b = spans.setdefault(uf.find(r * nc + c), [r, r, c, c])
            b[0], b[1], b[2], b[3] = min(b[0], r), max(b[1], r), min(b[2], c), max(b[3], c)
    # a region open on every side (no ruling around it) is outside the table, not a cell
    cells = []
    for r0, r1, c0, c1 in sorted(spans.values()):
        cells.append(GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])))
    if nr < 2 and nc < 2:
        return None
    grid = Grid(nr, nc, cells, (xs[0], ys[0], xs[-1], ys[-1]))
    grid._xs, grid._ys = xs, ys  # type: ignore[attr-defined]
    # an outer edge with no rule at all: a row cut by the page break (printed web pages cut a row
    # and draw its rest on the next page without closing or opening rules)
    mids = [(xs[c] + xs[c + 1]) / 2 for c in range(nc)]
    grid._open_top = not any(h_line(ys[0], xm) for xm in mids)  # type: ignore[attr-defined]
    grid._open_bottom = not any(h_line(ys[-1], xm) for xm in mids)  # type: ignore[attr-defined]
    return grid


def _assign_chars(grids: list[Grid], chars: list[Char]) -> None:
    """Put each char into the grid cell holding its centre."""
    index = []
    for g in grids:
        pos: dict[tuple[int, int], GridCell] = {}
        for c in g.cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    pos[(r, k)] = c
        index.append((g, pos))
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        for g, pos in index:
            x0, y0, x1, y1 = g.bbox
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                c = bisect_right(g._xs, cx) - 1  # type: ignore[attr-defined]
                r = bisect_right(g._ys, cy) - 1  # type: ignore[attr-defined]
                cell = pos.get((min(r, g.n_rows - 1), min(c, g.n_cols - 1)))
                if cell is not None:
                    cell.chars.append(ch)
                break


def in_any(ch: Char, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes)


def drop_empty_shell(grid: Grid) -> Grid | None:
    """A ruled box holding no text at all is decoration, not a table."""
    if not any(c.chars for c in grid.cells):
        return None
    if grid.n_rows < 2 and grid.n_cols < 2:
        return None
    return grid


# ---------------------------------------------------------------- borderless (text) tables


@dataclass
class _Seg(_CharRun):
    """A run of chars on one line, separated from its neighbours by a wide gap."""

    chars: list[Char]
    line: int
    c0: int = 0
    c1: int = 0
    _text: str | None = None

    @property
    def top(self) -> float:
        return min(c.top for c in self.chars)

    @property
    def bottom(self) -> float:
        return max(c.bottom for c in self.chars)

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2

    def text(self) -> str:
        if self._text is None:
            self._text = join_chars(self.chars)
        return self._text


def line_segments(ln: Line, index: int) -> list[_Seg]:
    segs: list[_Seg] = []
    for ch in ln.chars:
        if segs and ch.x0 - segs[-1].chars[-1].x1 <= SEGMENT_GAP * ln.h:
            segs[-1].chars.append(ch)
        else:
            segs.append(_Seg([ch], index))
    return segs


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    return s[len(s) // 2] if s else 0.0


def text_regions(lines: list[Line]) -> list[tuple[int, int]]:
    """Runs of lines (first, last index) that look like one borderless table.

    A region holds at least two lines split into several cells; lines of one cell (captions,
    group headers) join it when they sit close and are printed at the table's text height.
    """
    segs = [line_segments(ln, i) for i, ln in enumerate(lines)]
    multi = [len(s) >= 2 for s in segs]
    regions: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not multi[i]:
            i += 1
            continue
        start = end = i
        hs = [lines[i].h]
        j = i + 1
        while j < len(lines):
            h = _median(hs)
            close = lines[j].top - lines[end].bottom <= 1.5 * h
            same = abs(lines[j].h - h) <= SIZE_TOL * h
            if close and (multi[j] or same):
                end = j
                hs.append(lines[j].h)
                j += 1
            else:
                break
        # extend upwards over close one-cell lines of the same text height (captions, headers)
        h = _median(hs)
        while start > 0 and (not regions or start - 1 > regions[-1][1]):
            prev = lines[start - 1]
            if lines[start].top - prev.bottom <= 1.5 * h and abs(prev.h - h) <= SIZE_TOL * h:
                start -= 1
            else:
                break
        if sum(multi[start : end + 1]) >= 2:
            regions.append((start, end))
        i = end + 1
    return regions


def _column_edges(
    segs_by_line: list[list[_Seg]], x0: float, x1: float, all_segs: list[list[_Seg]] = (), lines: list[Line] = ()
) -> list[float]:
    """Column edges from the gaps between cells: gaps that overlap share one boundary."""
    gaps = []
    for segs in segs_by_line:
        for a, b in itertools.pairwise(segs):
            gaps.append((a.x1, b.x0))
    if lines:
        gaps.extend(_band_gaps(lines, all_segs))
    gaps.sort(key=lambda g: g[1] - g[0])
    bounds: list[list[float]] = []
    for lo, hi in gaps:
        hits = [b for b in bounds if lo < b[1] and hi > b[0]]
        if len(hits) == 1:
            hits[0][0], hits[0][1] = max(hits[0][0], lo), min(hits[0][1], hi)
        elif not hits:
            bounds.append([lo, hi])
    # a boundary sits in the part of its gap that no lone text line reaching in from the left
    # crosses (a wrapped label line printed without values can be wider than the label beside
    # the values); text spanning columns on purpose (headers) leaves it in the middle
    spans = sorted((segs[0].x0, segs[0].x1) for segs in all_segs if len(segs) == 1)
    mids = []
    for lo, hi in bounds:
        free, at = [], lo
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
            mids.append((a + b) / 2)
        else:
            mids.append((lo + hi) / 2)
    mids.sort()
    return [x0, *mids, x1]


def _band_gaps(lines: list[Line], all_segs: list[list[_Seg]]) -> list[tuple[float, float]]:
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
    bottom = None

    def flush() -> None:
        if n_lines < 2:
            return
        h = _median([c[2] for c in band])
        merged: list[list[float]] = []
        for a, b, _ in sorted(band):
            if merged and a <= merged[-1][1] + SEGMENT_GAP * h:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        out.extend((p[1], q[0]) for p, q in itertools.pairwise(merged))

    for ln, segs in zip(lines, all_segs, strict=False):
        if bottom is not None and ln.top < bottom:
            n_lines += 1
            bottom = max(bottom, ln.bottom)
        else:
            flush()
            band, n_lines, bottom = [], 1, ln.bottom
        h = ln.h
        band.extend((s.chars[0].x0, s.chars[-1].x1, h) for s in segs)
    flush()
    return out


def _col_range(seg: _Seg, edges: list[float]) -> tuple[int, int]:
    cols = [k for k in range(len(edges) - 1) if min(seg.x1, edges[k + 1]) - max(seg.x0, edges[k]) > 0.5]
    if not cols:  # a sliver: the column holding its centre
        cx = (seg.x0 + seg.x1) / 2
        k = max(0, min(len(edges) - 2, bisect_right(edges, cx) - 1))
        return k, k
    return cols[0], cols[-1]


def text_tables(lines: list[Line]) -> tuple[list[Grid], list[int]]:
    """Borderless tables found by text alignment among the page's text lines.

    Returns the grids and the indices of the lines that belong to them.
    """
    grids, used = [], []
    for start, end in text_regions(lines):
        grid = _region_to_grid(lines, start, end)
        if grid is not None:
            grids.append(grid)
            used.extend(range(start, end + 1))
    return grids, used


def _region_to_grid(lines: list[Line], start: int, end: int) -> Grid | None:
    region = lines[start : end + 1]
    segs_by_line = [line_segments(ln, start + i) for i, ln in enumerate(region)]
    x0 = min(ln.x0 for ln in region)
    x1 = max(ln.x1 for ln in region)
    edges = _column_edges([s for s in segs_by_line if len(s) >= 2], x0, x1, segs_by_line, region)
    n_cols = len(edges) - 1
    for segs in segs_by_line:
        for s in segs:
            s.c0, s.c1 = _col_range(s, edges)

    vcol = _value_column(segs_by_line, n_cols)
    leaf = vcol - 1  # the label column next to the values; columns left of it hold group labels

    def is_group(s: _Seg) -> bool:
        return leaf > 0 and s.c1 < leaf

    # header lines (up to the last line reaching the value columns before the first value) keep
    # one row per such line with the lines between them shared out; the body below is laid out
    # from its label blocks, so rows whose values are all blank keep a row of their own
    first_value = next(
        (i for i, segs in enumerate(segs_by_line) if any(s.c0 >= vcol and is_value_text(s.text()) for s in segs)), None
    )
    body_start = len(segs_by_line)
    if vcol > 0 and first_value is not None:
        body_start = 0
        for i in range(first_value):
            if any(s.c1 >= vcol for s in segs_by_line[i]):
                body_start = i + 1
    groups: list[_Seg] = []
    rows = _anchor_rows(segs_by_line[:body_start], vcol, is_group, groups)
    if rows:
        _attach_loose(rows, [(r["top"] + r["bottom"]) / 2 for r in rows], [s for r in rows for s in r.pop("loose")])
    rows += _body_rows(segs_by_line[body_start:], vcol, is_group, groups)
    if not rows:
        return None
    for r in rows:
        r["top"] = min(s.top for s in r["segs"])
        r["bottom"] = max(s.bottom for s in r["segs"])
    mids = [(r["top"] + r["bottom"]) / 2 for r in rows]

    def nearest(y: float) -> int:
        return min(range(len(rows)), key=lambda i: abs(mids[i] - y))

    cells: list[GridCell] = []
    occupied = [set() for _ in rows]
    ranges = [_merge_ranges(r["segs"]) for r in rows]
    _widen_under_headers(ranges, vcol)
    for ri, r in enumerate(rows):
        for c0, c1, segs in ranges[ri]:
            chs = [ch for s in segs for ch in s.chars]
            cells.append(GridCell(ri, c0, 1, c1 - c0 + 1, _box(chs), chs))
            occupied[ri].update(range(c0, c1 + 1))
    for c0, c1, a, b, chs in _group_blocks(groups, rows, nearest, occupied):
        cells.append(GridCell(a, c0, b - a + 1, c1 - c0 + 1, _box(chs), chs))
        for ri in range(a, b + 1):
            occupied[ri].update(range(c0, c1 + 1))
    for ri, r in enumerate(rows):
        for k in range(n_cols):
            if k not in occupied[ri]:
                cells.append(GridCell(ri, k, 1, 1, (edges[k], r["top"], edges[k + 1], r["bottom"])))
    cells.sort(key=lambda c: (c.row, c.col))
    grid = Grid(len(rows), n_cols, cells, (x0, rows[0]["top"], x1, rows[-1]["bottom"]))
    grid._edges = edges  # type: ignore[attr-defined]
    return grid


def _widen_under_headers(ranges: list[list[tuple[int, int, list[_Seg]]]], vcol: int) -> None:
    """A value printed under a header cell that spans several columns spans them too.

    A section of a table may have fewer value columns than the table (one amount under a
    header spanning three columns); its value then sits in one of the table's columns. The
    nearest header line above (text in the value columns, no values) tells the cell's span,
    as long as the row has nothing else in the spanned columns.
    """
    header: list[tuple[int, int]] = []
    for _ri, cells in enumerate(ranges):
        right = [(c0, c1, segs) for c0, c1, segs in cells if c1 >= vcol]
        if not right:
            continue
        if not any(is_value_text(s.text()) for _, _, segs in right for s in segs):
            header = [(c0, c1) for c0, c1, _ in right if c1 > c0]
            continue
        for j, (c0, c1, segs) in enumerate(cells):
            if c0 < vcol:
                continue
            span = next(((h0, h1) for h0, h1 in header if h0 <= c0 and c1 <= h1 and (h0, h1) != (c0, c1)), None)
            if span is None:
                continue
            if any(k != j and o0 <= span[1] and span[0] <= o1 for k, (o0, o1, _) in enumerate(cells)):
                continue
            cells[j] = (span[0], span[1], segs)


def _value_column(segs_by_line: list[list[_Seg]], n_cols: int) -> int:
    """The first value column: right of the row labels on the lines that carry values.

    On each line with a value, the columns of the non-value cells left of its first value end
    where the values begin; the most common such end wins (a stray wide label can't move it).
    Without labels beside values: the leftmost value of lines with two or more values.
    """
    ends: dict[int, int] = {}
    multi = n_cols
    for segs in segs_by_line:
        vals = [s for s in segs if is_value_text(s.text())]
        if not vals:
            continue
        if len(vals) >= 2:
            multi = min(multi, min(s.c0 for s in vals))
        first = min(vals, key=lambda s: s.x0)
        labels = [s for s in segs if s.x1 <= first.x0 and not is_value_text(s.text())]
        if labels:
            end = max(s.c1 for s in labels) + 1
            ends[end] = ends.get(end, 0) + 1
    if ends:
        return max(ends, key=lambda k: (ends[k], k))
    return multi if multi < n_cols else 0


def _anchor_rows(segs_by_line: list[list[_Seg]], vcol: int, is_group, groups: list[_Seg]) -> list[dict]:
    """One row per line reaching the value columns; overlapping lines share a row unless their
    cells would collide (a spanning caption over the cells it heads). Other lines' cells are
    left in each row's ``loose`` list (all of them in the last row's) for the caller."""
    rows: list[dict] = []
    loose: list[_Seg] = []
    for segs in segs_by_line:
        anchor = vcol == 0 or any(s.c1 >= vcol for s in segs)
        mine = [s for s in segs if not is_group(s)]
        groups.extend(s for s in segs if is_group(s))
        if not anchor:
            loose.extend(mine)
            continue
        top = min(s.top for s in mine)
        bottom = max(s.bottom for s in mine)
        h = bottom - top
        cur = rows[-1] if rows else None
        if cur is not None and top < cur["bottom"] - 0.02 * h and not _collides(cur["segs"], mine):
            cur["segs"].extend(mine)
            cur["bottom"] = max(cur["bottom"], bottom)
        else:
            rows.append({"segs": list(mine), "top": top, "bottom": bottom, "loose": []})
    if rows:
        rows[-1]["loose"] = loose
    return rows


def _is_numbered(text: str) -> bool:
    return is_numbered_line(text)


def _label_blocks(labels: list[_Seg]) -> list[list[_Seg]]:
    """Label cells stacked into the blocks of one printed cell each.

    A line continues the label above it only if that line is full (text wraps only when the
    cell is full: it reaches within ``FULL_SLACK`` line heights of the widest label aligned
    with it), it sits close below, within that line's x-range, and does not start a numbered
    item ("1.", "（三）", "一、").
    """
    # a cell's width is not printed: take the widest label aligned with this one (same centre,
    # or same left edge) as what fits in its cell
    widest: dict[int, float] = {}
    for p in labels:
        ph, pc = p.bottom - p.top, (p.x0 + p.x1) / 2
        widest[id(p)] = max(
            s.x1 - s.x0 for s in labels if abs((s.x0 + s.x1) / 2 - pc) <= ph or abs(s.x0 - p.x0) <= 0.5 * ph
        )
    blocks: list[list[_Seg]] = []
    block_of: dict[int, int] = {}
    done: list[_Seg] = []
    for s in sorted(labels, key=lambda s: (s.top, s.x0)):
        h = s.bottom - s.top
        above = [p for p in done if p.x0 < s.x1 and s.x0 < p.x1 and p.bottom <= s.top + 0.5 * h]
        p = max(above, key=lambda p: p.bottom, default=None)
        joined = False
        if p is not None:
            b = block_of[id(p)]
            ph = p.bottom - p.top
            if (
                blocks[b][-1] is p
                and s.top - p.bottom <= BLOCK_GAP * ph
                and (p.x1 - p.x0) + FULL_SLACK * ph >= widest[id(p)]
                and s.x0 >= p.x0 - FULL_SLACK * ph
                and s.x1 <= p.x1 + FULL_SLACK * ph
                and not _is_numbered(s.text())
            ):
                blocks[b].append(s)
                block_of[id(s)] = b
                joined = True
        if not joined:
            block_of[id(s)] = len(blocks)
            blocks.append([s])
        done.append(s)
    return blocks


def _body_rows(segs_by_line: list[list[_Seg]], vcol: int, is_group, groups: list[_Seg]) -> list[dict]:
    """Rows of a table body: one per value line (lines overlapping share a row) and one per
    label block; a block joins the value row whose line holds one of its lines, or (a label
    centred around its values) the label-less value row printed within its height; a block
    with no values is a row of its own (a row left blank)."""
    rows: list[dict] = []
    labels: list[_Seg] = []
    owner: dict[int, int] = {}  # id(label seg) -> value row printed on the same line
    for segs in segs_by_line:
        groups.extend(s for s in segs if is_group(s))
        mine = [s for s in segs if not is_group(s)]
        vals = [s for s in mine if s.c1 >= vcol]
        labs = [s for s in mine if s.c1 < vcol]
        labels.extend(labs)
        if not vals:
            continue
        top = min(s.top for s in vals)
        bottom = max(s.bottom for s in vals)
        h = bottom - top
        cur = rows[-1] if rows else None
        if cur is not None and top < cur["bottom"] - 0.02 * h and not _collides(cur["segs"], vals):
            cur["segs"].extend(vals)
            cur["bottom"] = max(cur["bottom"], bottom)
        else:
            rows.append({"segs": list(vals), "top": top, "bottom": bottom, "own": False})
        for s in labs:
            owner[id(s)] = len(rows) - 1
            rows[-1]["own"] = True
    if not labels:
        return rows
    blocks = _label_blocks(labels)
    mids = [(r["top"] + r["bottom"]) / 2 for r in rows]
    blank: list[dict] = []
    free = []
    for blk in blocks:
        owned = {owner[id(s)] for s in blk if id(s) in owner}
        if len(owned) == 1:
            rows[owned.pop()]["segs"].extend(blk)
        elif owned:  # lines of two value rows: each line to the nearest of them
            for s in blk:
                ri = owner.get(id(s))
                if ri is None:
                    ri = min(owned, key=lambda i: abs(mids[i] - s.mid))
                rows[ri]["segs"].append(s)
        else:
            free.append(blk)
    # a value row without a label of its own takes the run of free blocks around it whose
    # middle is nearest its line (a centred label whose lines did not all join one block)
    order = sorted(range(len(blocks)), key=lambda b: min(s.top for s in blocks[b]))
    is_free = {id(blk) for blk in free}
    box = {
        id(blk): (
            min(s.x0 for s in blk),
            min(s.top for s in blk),
            max(s.x1 for s in blk),
            max(s.bottom for s in blk),
            max(s.bottom - s.top for s in blk),
        )
        for blk in blocks
    }
    for ri, r in enumerate(rows):
        if r["own"]:
            continue
        best, run = None, None
        for a in range(len(order)):
            first = blocks[order[a]]
            if id(first) not in is_free:
                continue
            for e in range(a, min(len(order), a + RUN_MAX)):
                cur = blocks[order[e]]
                if id(cur) not in is_free:
                    break
                if e > a:
                    prev = box[id(blocks[order[e - 1]])]
                    bx = box[id(cur)]
                    if not (bx[0] < prev[2] and prev[0] < bx[2]) or bx[1] - prev[3] > BLOCK_GAP * prev[4]:
                        break
                    if _is_numbered(cur[0].text()):  # a numbered label starts the next item
                        break
                top, bottom = box[id(first)][1], box[id(cur)][3]
                h = max(box[id(blocks[order[k]])][4] for k in range(a, e + 1))
                if not top - 0.3 * h <= mids[ri] <= bottom + 0.3 * h:
                    continue
                # the best centred run; on a tie the fewer blocks (a short label is centred on its
                # values as well as the run of it and its neighbours above and below)
                d = (round(abs((top + bottom) / 2 - mids[ri]), 1), e - a)
                if best is None or d < best:
                    best, run = d, (a, e)
        if run is None:
            continue
        for k in range(run[0], run[1] + 1):
            blk = blocks[order[k]]
            rows[ri]["segs"].extend(blk)
            is_free.discard(id(blk))
        rows[ri]["own"] = True
    for blk in free:
        if id(blk) in is_free:
            blank.append({"segs": list(blk), "top": box[id(blk)][1], "bottom": box[id(blk)][3]})
    out = [{"segs": r["segs"], "top": r["top"], "bottom": r["bottom"]} for r in rows] + blank
    out.sort(key=lambda r: min(s.top for s in r["segs"]))
    return out


def _box(chs: list[Char]) -> tuple[float, float, float, float]:
    return (min(c.x0 for c in chs), min(c.top for c in chs), max(c.x1 for c in chs), max(c.bottom for c in chs))


def _collides(a: list[_Seg], b: list[_Seg]) -> bool:
    return any(s.c0 <= t.c1 and t.c0 <= s.c1 and (s.c0, s.c1) != (t.c0, t.c1) for s in a for t in b)


def _merge_ranges(segs: list[_Seg]) -> list[tuple[int, int, list[_Seg]]]:
    """Segments of one row grouped into cells: overlapping column ranges make one cell."""
    out: list[list] = []
    for s in sorted(segs, key=lambda s: (s.c0, s.c1)):
        if out and s.c0 <= out[-1][1]:
            out[-1][1] = max(out[-1][1], s.c1)
            out[-1][2].append(s)
        else:
            out.append([s.c0, s.c1, [s]])
    return [(a, b, sorted(g, key=lambda s: (s.top, s.x0))) for a, b, g in out]


def _group_blocks(groups: list[_Seg], rows: list[dict], nearest, occupied: list[set]):
    """Group labels (left of the row labels) as blocks spanning the rows they head.

    Stacked lines of one column form one block (a numbered line, "（四）", starts a new one);
    a block then spreads over the free rows around it, sharing free rows with its neighbours
    so that each label sits as near the middle of its rows as possible (renderers centre or
    top-align such labels).
    """
    blocks: list[dict] = []
    for s in sorted(groups, key=lambda s: (s.c0, s.c1, s.top)):
        b = blocks[-1] if blocks else None
        if (
            b is not None
            and (b["c0"], b["c1"]) == (s.c0, s.c1)
            and s.top - b["bottom"] <= BLOCK_GAP * (s.bottom - s.top)
            and not _is_numbered(s.text())
        ):
            b["segs"].append(s)
            b["bottom"] = max(b["bottom"], s.bottom)
        else:
            blocks.append({"c0": s.c0, "c1": s.c1, "segs": [s], "top": s.top, "bottom": s.bottom})
    for b in blocks:
        rs = [nearest(s.mid) for s in b["segs"]]
        b["a"], b["b"] = min(rs), max(rs)
        b["centre"] = (b["top"] + b["bottom"]) / 2

    def free(ri: int, b: dict) -> bool:
        return not any(k in occupied[ri] for k in range(b["c0"], b["c1"] + 1))

    def cost(b: dict, a: int, e: int) -> float:
        # centred in its rows, or top-aligned (a label cut by a page break sits at the top)
        centre = abs((rows[a]["top"] + rows[e]["bottom"]) / 2 - b["centre"])
        return min(centre, abs(rows[a]["top"] - b["top"]))

    by_col: dict[int, list[dict]] = {}
    for b in blocks:
        by_col.setdefault(b["c0"], []).append(b)
    for col_blocks in by_col.values():
        col_blocks.sort(key=lambda b: b["a"])
        # chains of blocks with only free rows between them; a used row breaks the chain
        chains: list[list[dict]] = [[col_blocks[0]]]
        for up, down in itertools.pairwise(col_blocks):
            if down["a"] > up["b"] and all(free(ri, up) for ri in range(up["b"] + 1, down["a"])):
                chains[-1].append(down)
            else:
                chains.append([down])
        for k, chain in enumerate(chains):
            lo = chain[0]["a"]
            while lo > 0 and free(lo - 1, chain[0]) and (k == 0 or lo - 1 > chains[k - 1][-1]["b"]):
                lo -= 1
            hi = chain[-1]["b"]
            while (
                hi < len(rows) - 1
                and free(hi + 1, chain[-1])
                and (k == len(chains) - 1 or hi + 1 < chains[k + 1][0]["a"])
            ):
                hi += 1
            gaps = [list(range(lo, chain[0]["a"]))]
            gaps += [list(range(u["b"] + 1, d["a"])) for u, d in itertools.pairwise(chain)]
            gaps.append(list(range(chain[-1]["b"] + 1, hi + 1)))
            takes = spread(
                len(chain),
                [len(g) for g in gaps],
                lambda i, up, down: cost(chain[i], chain[i]["a"] - up, chain[i]["b"] + down),
                optional_ends=True,
            )
            for b, (up, down) in zip(chain, takes, strict=False):
                b["a"] -= up
                b["b"] += down
    for b in blocks:
        chs = [ch for s in b["segs"] for ch in s.chars]
        yield b["c0"], b["c1"], b["a"], b["b"], chs


def spread(n: int, gaps: list[int], cost, optional_ends: bool) -> list[tuple[int, int]]:
    """Share the elements of the gaps between ``n`` items in a column, at least total cost.

    ``gaps[0]`` lies above item 0, ``gaps[i]`` between items i-1 and i, ``gaps[n]`` below the
    last item. Item i takes ``up`` elements from the gap above it (the nearest ones) and
    ``down`` from the gap below; every element of an inner gap goes to one of its two items.
    ``cost(i, up, down)`` scores item i; with ``optional_ends`` the outer gaps may be left
    partly untaken (at a small cost per element, so ties favour taking). Returns (up, down)
    per item.
    """
    eps = 1.0  # points per untaken end element: near-ties favour taking
    inf = float("inf")
    # dp[d] = best cost of items 0..i with item i taking d from the gap below it
    first = range(gaps[0] + 1) if optional_ends else [gaps[0]]
    back: list[dict[int, tuple[int, int]]] = []
    dp: dict[int, float] = {}
    choice: dict[int, tuple[int, int]] = {}
    for i in range(n):
        below = gaps[i + 1]
        downs = range(below + 1) if (i < n - 1 or optional_ends) else [below]
        new_dp: dict[int, float] = {}
        new_choice: dict[int, tuple[int, int]] = {}
        for d in downs:
            best, arg = inf, (0, 0)
            if i == 0:
                for u in first:
                    c = cost(0, u, d) + eps * (gaps[0] - u)
                    if c < best:
                        best, arg = c, (u, -1)
            else:
                for prev_d, prev_c in dp.items():
                    u = gaps[i] - prev_d
                    c = prev_c + cost(i, u, d)
                    if c < best:
                        best, arg = c, (u, prev_d)
            if i == n - 1:
                best += eps * (below - d)
            new_dp[d], new_choice[d] = best, arg
        dp, choice = new_dp, new_choice
        back.append(choice)
    d = min(dp, key=lambda k: dp[k])
    out: list[tuple[int, int]] = []
    for i in range(n - 1, -1, -1):
        u, prev_d = back[i][d]
        out.append((u, d))
        d = prev_d
    return out[::-1]


def _attach_loose(rows: list[dict], mids: list[float], loose: list[_Seg]) -> None:
    """Label lines without values go to the value row they belong to.

    A wrapped label prints its lines around (or beside) the row's values; the lines between
    two value rows are shared so that each row's label is as centred on its values as possible.
    """
    if not loose:
        return
    by_line: dict[int, list[_Seg]] = {}
    for s in loose:
        by_line.setdefault(s.line, []).append(s)
    units = sorted(by_line.values(), key=lambda g: min(s.top for s in g))
    n = len(rows)
    gaps: list[list[list[_Seg]]] = [[] for _ in range(n + 1)]
    for u in units:
        mid = (min(s.top for s in u) + max(s.bottom for s in u)) / 2
        gaps[bisect_right(mids, mid)].append(u)

    def cost(i: int, up: int, down: int) -> float:
        taken = gaps[i][len(gaps[i]) - up :] + gaps[i + 1][:down]
        segs = list(rows[i]["segs"]) + [s for u in taken for s in u]
        top = min(s.top for s in segs)
        bottom = max(s.bottom for s in segs)
        # centred on the values, and (between equally centred choices) the nearer lines
        near = sum(abs((min(s.top for s in u) + max(s.bottom for s in u)) / 2 - mids[i]) for u in taken)
        return abs((top + bottom) / 2 - mids[i]) + NEAR_WEIGHT * near

    takes = spread(n, [len(g) for g in gaps], cost, optional_ends=False)
    for i, (up, down) in enumerate(takes):
        if up:
            rows[i]["segs"].extend(s for u in gaps[i][len(gaps[i]) - up :] for s in u)
        if down:
            rows[i]["segs"].extend(s for u in gaps[i + 1][:down] for s in u)


def stitch(first: Grid, second: Grid) -> Grid | None:
    """One ruled table continued on the next page, as one grid (None if the two don't fit).

    The pieces must share their outer left and right rules; their column rules are merged, so
    a piece that splits a column more finely (a header cut by the page break) still fits.
    """
    if hasattr(first, "_edges") and hasattr(second, "_edges"):
        return _stitch_text(first, second)
    xa, xb = getattr(first, "_xs", None), getattr(second, "_xs", None)
    if not xa or not xb or abs(xa[0] - xb[0]) > SNAP_TOL or abs(xa[-1] - xb[-1]) > SNAP_TOL:
        return None
    xs = cluster_positions(xa + xb, SNAP_TOL)

    def col(x: float) -> int:
        return min(range(len(xs)), key=lambda k: abs(xs[k] - x))

    def placed(g: Grid, gx: list[float], off: int) -> list[GridCell]:
        out = []
        for c in g.cells:
            c0, c1 = col(gx[c.col]), col(gx[c.col + c.colspan])
            out.append(GridCell(c.row + off, c0, c.rowspan, max(1, c1 - c0), c.bbox, c.chars, c.text, c.page))
        return out

    head = placed(first, xa, 0)
    if getattr(first, "_open_bottom", False) and getattr(second, "_open_top", False):
        joined = _join_cut_row(head, placed(second, xb, first.n_rows - 1), first.n_rows - 1)
        if joined is not None:
            grid = Grid(first.n_rows + second.n_rows - 1, len(xs) - 1, joined, first.bbox)
            grid._xs = xs  # type: ignore[attr-defined]
            grid._open_bottom = second._open_bottom  # type: ignore[attr-defined]
            return grid
    grid = Grid(first.n_rows + second.n_rows, len(xs) - 1, head + placed(second, xb, first.n_rows), first.bbox)
    grid._xs = xs  # type: ignore[attr-defined]
    grid._open_bottom = getattr(second, "_open_bottom", False)  # type: ignore[attr-defined]
    return grid


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
    """One borderless table continued on the next page, as one grid (None if the two don't fit).

    The pieces may have different columns (a piece has only the columns holding text on its
    page; a header cut by the page break has coarse ones), so the cells of both are placed in
    the columns of the piece with more of them, by where their text is printed. They fit only
    if all text lies within that piece's width and no two cells land on one grid position.
    """
    ref = second if second.n_cols > first.n_cols else first
    edges: list[float] = ref._edges  # type: ignore[attr-defined]
    tol = 2 * SNAP_TOL
    inner = edges[1:-1]
    placed: list[GridCell] = []
    taken: set[tuple[int, int]] = set()
    bands: dict[int, tuple[float, float, int | None]] = {}
    for off, g in ((0, first), (first.n_rows, second)):
        for c in g.cells:
            if c.rowspan == 1:
                bands.setdefault(off + c.row, (c.bbox[1], c.bbox[3], c.page))
            if not c.chars:
                continue
            bx0, _, bx1, _ = _box(c.chars)
            if bx0 < edges[0] - tol or bx1 > edges[-1] + tol:
                return None
            c0, c1 = bisect_right(inner, bx0 + 0.5), bisect_right(inner, bx1 - 0.5)
            row = off + c.row
            spots = {(r, k) for r in range(row, row + c.rowspan) for k in range(c0, c1 + 1)}
            if spots & taken:
                return None
            taken |= spots
            placed.append(GridCell(row, c0, c.rowspan, c1 - c0 + 1, c.bbox, c.chars, c.text, c.page))
    n_rows = first.n_rows + second.n_rows
    for r in range(n_rows):
        top, bottom, page = bands.get(r, (0.0, 0.0, None))
        for k in range(len(edges) - 1):
            if (r, k) not in taken:
                placed.append(GridCell(r, k, 1, 1, (edges[k], top, edges[k + 1], bottom), page=page))
    placed.sort(key=lambda c: (c.row, c.col))
    grid = Grid(n_rows, len(edges) - 1, placed, first.bbox)
    grid._edges = edges  # type: ignore[attr-defined]
    return grid
