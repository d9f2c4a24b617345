"""Ruled (lattice) tables: cell grids from a page's ruling lines.

Ruling lines that touch form a network; each network of at least two horizontal and two
vertical lines is one table. Its row and column bands lie between the lines, and neighbouring
bands with no line between them are one (merged) cell. Each char then goes to the cell holding
its centre.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ..settings import DEFAULTS
from .pdf_layout import SNAP_TOL, Char, Grid, GridCell, HSeg, VSeg, cluster_positions

MIN_SEG_LEN = 3.0  # points; shorter path pieces are glyph strokes or dots, not ruling lines


def ruled_tables(
    chars: list[Char],
    hsegs: list[HSeg],
    vsegs: list[VSeg],
    outside: list[Char] | None = None,
    max_cells: int = DEFAULTS.max_table_cells,
    too_large: list[tuple[int, int]] | None = None,
) -> list[Grid]:
    """Tables drawn with ruling lines: connected line networks turned into cell grids, top to bottom.

    ``outside``, when given, receives the chars whose centre lies in no grid (the page's text around its tables),
    from the same pass that puts the others in their cells. A network of more than ``max_cells`` grid positions is
    no table to read (its grid would fill memory): it is left out, and its (rows, columns) added to ``too_large``.
    """
    hs, vs = _ruling_lines(hsegs, vsegs)
    grids = []
    if len(hs) >= 2 and len(vs) >= 2:
        for gh, gv in _networks(hs, vs):
            grid = _lines_to_grid(gh, gv, max_cells, too_large) if len(gh) >= 2 and len(gv) >= 2 else None
            if grid is not None:
                grids.append(grid)
        grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    if grids:
        _assign_chars(grids, chars, outside)
    elif outside is not None:
        outside.extend(chars)
    return grids


def _ruling_lines(hsegs: list[HSeg], vsegs: list[VSeg]) -> tuple[list[HSeg], list[VSeg]]:
    """The page's path pieces long enough to be rules, snapped and joined into whole lines."""
    hs = _merge_h([s for s in hsegs if s.x1 - s.x0 >= MIN_SEG_LEN])
    vs = _merge_v([s for s in vsegs if s.y1 - s.y0 >= MIN_SEG_LEN])
    return hs, vs


def _snap(v: float, reps: list[float]) -> float:
    """The representative position nearest ``v`` (``reps`` sorted)."""
    i = bisect_right(reps, v)
    return min((reps[j] for j in (i - 1, i) if 0 <= j < len(reps)), key=lambda r: abs(r - v))


def _merge_h(segs: list[HSeg]) -> list[HSeg]:
    """Horizontal lines snapped to shared heights, and pieces of one line (touching or overlapping) joined."""
    reps = cluster_positions([s.y for s in segs], SNAP_TOL)
    by_y: dict[float, list[HSeg]] = {}
    for s in segs:
        y = _snap(s.y, reps)
        by_y.setdefault(y, []).append(HSeg(y, s.x0, s.x1))
    out = []
    for group in by_y.values():
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
    """Union-find over 0..n-1."""

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


def _networks(hs: list[HSeg], vs: list[VSeg]) -> list[tuple[list[HSeg], list[VSeg]]]:
    """The lines grouped into networks: a horizontal and a vertical line that cross (or touch) are one network."""
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
    return list(groups.values())


@dataclass
class _Rules:
    """The ruling lines of one network, asked whether a rule passes through a point."""

    hs: list[HSeg]
    vs: list[VSeg]

    def vertical_at(self, x: float, y: float) -> bool:
        t = SNAP_TOL
        return any(abs(v.x - x) <= t and v.y0 - t <= y <= v.y1 + t for v in self.vs)

    def horizontal_at(self, y: float, x: float) -> bool:
        t = SNAP_TOL
        return any(abs(h.y - y) <= t and h.x0 - t <= x <= h.x1 + t for h in self.hs)

    def open_edge(self, y: float, xs: list[float]) -> bool:
        """No rule at all at height ``y`` across the columns between ``xs`` (an outer edge cut by a page break)."""
        return not any(self.horizontal_at(y, (xs[c] + xs[c + 1]) / 2) for c in range(len(xs) - 1))


def _lines_to_grid(
    hs: list[HSeg], vs: list[VSeg], max_cells: int, too_large: list[tuple[int, int]] | None
) -> Grid | None:
    """One network's grid: bands between all line positions, merged where no rule parts them."""
    xs, ys = _line_positions(hs, vs)
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 1 or (nr < 2 and nc < 2):
        return None
    if nr * nc > max_cells:
        if too_large is not None:
            too_large.append((nr, nc))
        return None
    rules = _Rules(hs, vs)
    cells = [
        GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, r1, c0, c1 in sorted(_merged_regions(xs, ys, rules))
    ]
    return Grid(
        nr,
        nc,
        cells,
        (xs[0], ys[0], xs[-1], ys[-1]),
        kind="ruled",
        xs=xs,
        ys=ys,
        open_top=rules.open_edge(ys[0], xs),
        open_bottom=rules.open_edge(ys[-1], xs),
    )


def _line_positions(hs: list[HSeg], vs: list[VSeg]) -> tuple[list[float], list[float]]:
    """The network's column and row positions: where its lines lie, start or end."""
    xs = cluster_positions([v.x for v in vs] + [h.x0 for h in hs] + [h.x1 for h in hs], SNAP_TOL)
    ys = cluster_positions([h.y for h in hs] + [v.y0 for v in vs] + [v.y1 for v in vs], SNAP_TOL)
    return xs, ys


def _merged_regions(xs: list[float], ys: list[float], rules: _Rules) -> list[list[int]]:
    """Regions of grid positions with no rule between them, as [first row, last row, first col, last col]."""
    nr, nc = len(ys) - 1, len(xs) - 1
    t = SNAP_TOL
    # the rules along each column and row line, looked up once (``vertical_at``/``horizontal_at`` on those only)
    v_at = [[v for v in rules.vs if abs(v.x - x) <= t] for x in xs]
    h_at = [[h for h in rules.hs if abs(h.y - y) <= t] for y in ys]
    uf = _UF(nr * nc)
    for r in range(nr):
        ym = (ys[r] + ys[r + 1]) / 2
        for c in range(nc):
            xm = (xs[c] + xs[c + 1]) / 2
            if c + 1 < nc and not any(v.y0 - t <= ym <= v.y1 + t for v in v_at[c + 1]):
                uf.union(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and not any(h.x0 - t <= xm <= h.x1 + t for h in h_at[r + 1]):
                uf.union(r * nc + c, (r + 1) * nc + c)
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            b = spans.setdefault(uf.find(r * nc + c), [r, r, c, c])
            b[0], b[1], b[2], b[3] = min(b[0], r), max(b[1], r), min(b[2], c), max(b[3], c)
    return list(spans.values())


def _position_index(grid: Grid) -> dict[tuple[int, int], GridCell]:
    """Each (row, col) position of the grid to the cell covering it."""
    pos: dict[tuple[int, int], GridCell] = {}
    for cell in grid.cells:
        for r in range(cell.row, cell.row + cell.rowspan):
            for k in range(cell.col, cell.col + cell.colspan):
                pos[(r, k)] = cell
    return pos


def _assign_chars(grids: list[Grid], chars: list[Char], outside: list[Char] | None) -> None:
    """Put each char into the cell holding its centre (in the first grid whose box holds it); the chars in no grid's
    box go to ``outside`` (when given)."""
    index = [(g, _position_index(g)) for g in grids]
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        for g, pos in index:
            x0, y0, x1, y1 = g.bbox
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                col = bisect_right(g.xs, cx) - 1
                row = bisect_right(g.ys, cy) - 1
                cell = pos.get((min(row, g.n_rows - 1), min(col, g.n_cols - 1)))
                if cell is not None:
                    cell.chars.append(ch)
                break
        else:
            if outside is not None:
                outside.append(ch)
