"""Rows of a borderless table: which printed text segments make up each row.

A borderless table prints no rules, so its rows come from its lines: the header keeps one row per
line reaching the value columns (the lines between them shared out); the body has one row per
line carrying values, and one per label block with no values (a row left blank). Wrapped label
lines go to the value row they are printed beside or around. Where lines between two rows could
go either way, they are shared so that each label sits as near the middle of its row as possible
(``share_gaps``), since renderers centre or top-align a cell's text. Group labels (left of the
row labels) are set aside here and laid over the finished rows by ``pdf_borderless``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from ..text import has_figure_shape, is_numbered_line
from .pdf_layout import Char, CharRun, join_chars

BLOCK_GAP = 0.9  # vertical gap (in line heights) under which stacked lines form one label block
NEAR_WEIGHT = 0.3  # weight of a wrapped label line's distance from the values it is given to
RUN_MAX = 12  # most label blocks one value row may gather
FULL_SLACK = 1.5  # a label line wraps only when full: within this many line heights of its column's widest
ROW_OVERLAP = 0.02  # lines overlapping by more than this share of a line height are one row (glyph boxes of
# one printed row differ a little in height, those of consecutive rows touch at most)
ABOVE_SLACK = 0.5  # a label line counts as above another if its bottom reaches at most half a line into it
LEFT_ALIGN = 0.5  # labels whose left edges lie within half a line height are aligned (one column of labels)
CENTRE_SLACK = 0.3  # a run of free label blocks may serve a value row whose middle lies this many line heights
# outside the run (the run's box is its glyph boxes; the row's middle is its values')
DIST_DECIMALS = 1  # label-to-row distances are compared to 0.1 pt, so near-ties go to the run of fewer blocks
UNTAKEN_COST = 1.0  # points per element an outer gap leaves untaken: near-ties favour taking


@dataclass
class Seg(CharRun):
    """A run of chars on one line, separated from its neighbours by a wide gap: one cell's text on that line."""

    chars: list[Char]
    line: int
    c0: int = 0  # first and last column the segment reaches, once the columns are known
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


@dataclass
class Row:
    """A table row being laid out: the segments of its cells and its vertical extent."""

    segs: list[Seg]
    top: float
    bottom: float

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class _BodyRow(Row):
    """A body row made from a line with values; ``labelled`` once a label line was given to it."""

    labelled: bool = False


@dataclass
class _LabelBlock:
    """Row-label lines stacked into one printed cell; ``free`` while no value row has taken it.

    The box is read only once the block is complete.
    """

    segs: list[Seg]
    free: bool = False

    @cached_property
    def x0(self) -> float:
        return min(s.x0 for s in self.segs)

    @cached_property
    def top(self) -> float:
        return min(s.top for s in self.segs)

    @cached_property
    def x1(self) -> float:
        return max(s.x1 for s in self.segs)

    @cached_property
    def bottom(self) -> float:
        return max(s.bottom for s in self.segs)

    @cached_property
    def h(self) -> float:
        """The tallest line's height."""
        return max(s.bottom - s.top for s in self.segs)


_R = TypeVar("_R", bound=Row)
IsGroup = Callable[[Seg], bool]


def table_rows(segs_by_line: list[list[Seg]], vcol: int) -> tuple[list[Row], list[Seg]]:
    """The table's rows top to bottom, and its group-label segments (laid out later, over the rows).

    Header lines (up to the last line reaching the value columns before the first value) keep
    one row per such line with the lines between them shared out; the body below is laid out
    from its label blocks, so rows whose values are all blank keep a row of their own.
    """
    leaf = vcol - 1  # the label column next to the values; columns left of it hold group labels

    def is_group(s: Seg) -> bool:
        return leaf > 0 and s.c1 < leaf

    body_start = _body_start(segs_by_line, vcol)
    groups: list[Seg] = []
    rows, loose = _anchor_rows(segs_by_line[:body_start], vcol, is_group, groups)
    if rows:
        _attach_loose(rows, [r.mid for r in rows], loose)
    rows += _body_rows(segs_by_line[body_start:], vcol, is_group, groups)
    return rows, groups


def _body_start(segs_by_line: list[list[Seg]], vcol: int) -> int:
    """The first body line: after the last line reaching the value columns above the first value."""
    first_value = next(
        (i for i, segs in enumerate(segs_by_line) if any(s.c0 >= vcol and has_figure_shape(s.text()) for s in segs)),
        None,
    )
    if vcol <= 0 or first_value is None:
        return len(segs_by_line)
    body_start = 0
    for i in range(first_value):
        if any(s.c1 >= vcol for s in segs_by_line[i]):
            body_start = i + 1
    return body_start


def _add_line(rows: list[_R], segs: list[Seg], make: type[_R]) -> None:
    """Add one line's segments to the last row when they overlap it without colliding, else start a row."""
    top = min(s.top for s in segs)
    bottom = max(s.bottom for s in segs)
    h = bottom - top
    cur = rows[-1] if rows else None
    if cur is not None and top < cur.bottom - ROW_OVERLAP * h and not _collides(cur.segs, segs):
        cur.segs.extend(segs)
        cur.bottom = max(cur.bottom, bottom)
    else:
        rows.append(make(list(segs), top, bottom))


def _collides(a: list[Seg], b: list[Seg]) -> bool:
    """Whether a segment of ``a`` and one of ``b`` overlap in columns without covering the same ones."""
    return any(s.c0 <= t.c1 and t.c0 <= s.c1 and (s.c0, s.c1) != (t.c0, t.c1) for s in a for t in b)


def _anchor_rows(
    segs_by_line: list[list[Seg]], vcol: int, is_group: IsGroup, groups: list[Seg]
) -> tuple[list[Row], list[Seg]]:
    """One row per line reaching the value columns; overlapping lines share a row unless their
    cells would collide (a spanning caption over the cells it heads). Returns the rows and the
    cells of the other lines, left for the caller to attach."""
    rows: list[Row] = []
    loose: list[Seg] = []
    for segs in segs_by_line:
        anchor = vcol == 0 or any(s.c1 >= vcol for s in segs)
        mine = [s for s in segs if not is_group(s)]
        groups.extend(s for s in segs if is_group(s))
        if anchor:
            _add_line(rows, mine, Row)
        else:
            loose.extend(mine)
    return rows, loose


def _attach_loose(rows: list[Row], mids: list[float], loose: list[Seg]) -> None:
    """Label lines without values go to the value row they belong to.

    A wrapped label prints its lines around (or beside) the row's values; the lines between
    two value rows are shared so that each row's label is as centred on its values as possible.
    """
    if not loose:
        return
    by_line: dict[int, list[Seg]] = {}
    for s in loose:
        by_line.setdefault(s.line, []).append(s)
    units = sorted(by_line.values(), key=lambda g: min(s.top for s in g))
    gaps: list[list[list[Seg]]] = [[] for _ in range(len(rows) + 1)]
    for u in units:
        gaps[bisect_right(mids, _units_mid(u))].append(u)

    def cost(i: int, up: int, down: int) -> float:
        taken = _taken(gaps, i, up, down)
        segs = list(rows[i].segs) + [s for u in taken for s in u]
        top = min(s.top for s in segs)
        bottom = max(s.bottom for s in segs)
        # centred on the values, and (between equally centred choices) the nearer lines
        near = sum(abs(_units_mid(u) - mids[i]) for u in taken)
        return abs((top + bottom) / 2 - mids[i]) + NEAR_WEIGHT * near

    takes = share_gaps(len(rows), [len(g) for g in gaps], cost, optional_ends=False)
    for i, (up, down) in enumerate(takes):
        rows[i].segs.extend(s for u in _taken(gaps, i, up, down) for s in u)


def _units_mid(segs: list[Seg]) -> float:
    return (min(s.top for s in segs) + max(s.bottom for s in segs)) / 2


def _taken(gaps: list[list[list[Seg]]], i: int, up: int, down: int) -> list[list[Seg]]:
    """What row ``i`` takes: the ``up`` nearest lines of the gap above it and the ``down`` nearest below."""
    return gaps[i][len(gaps[i]) - up :] + gaps[i + 1][:down]


def _body_rows(segs_by_line: list[list[Seg]], vcol: int, is_group: IsGroup, groups: list[Seg]) -> list[Row]:
    """Rows of a table body: one per value line (lines overlapping share a row) and one per
    label block; a block joins the value row whose line holds one of its lines, or (a label
    centred around its values) the label-less value row printed within its height; a block
    with no values is a row of its own (a row left blank)."""
    rows, labels, owner = _value_rows(segs_by_line, vcol, is_group, groups)
    if not labels:
        return list(rows)
    blocks = _label_blocks(labels)
    mids = [r.mid for r in rows]
    _give_owned_blocks(blocks, rows, owner, mids)
    _give_free_runs(blocks, rows, mids)
    out: list[Row] = [*rows, *(Row(list(b.segs), b.top, b.bottom) for b in blocks if b.free)]
    out.sort(key=lambda r: min(s.top for s in r.segs))
    return out


def _value_rows(
    segs_by_line: list[list[Seg]], vcol: int, is_group: IsGroup, groups: list[Seg]
) -> tuple[list[_BodyRow], list[Seg], dict[int, int]]:
    """Rows of the value lines, the row-label segments, and for each label printed on a value
    line (by ``id``) the index of that line's row."""
    rows: list[_BodyRow] = []
    labels: list[Seg] = []
    owner: dict[int, int] = {}
    for segs in segs_by_line:
        groups.extend(s for s in segs if is_group(s))
        vals, labs = _values_and_labels([s for s in segs if not is_group(s)], vcol)
        labels.extend(labs)
        if not vals:
            continue
        _add_line(rows, vals, _BodyRow)
        for s in labs:
            owner[id(s)] = len(rows) - 1
            rows[-1].labelled = True
    return rows, labels, owner


def _values_and_labels(segs: list[Seg], vcol: int) -> tuple[list[Seg], list[Seg]]:
    """A line's segments reaching the value columns, and those left of them (row labels)."""
    return [s for s in segs if s.c1 >= vcol], [s for s in segs if s.c1 < vcol]


def _label_blocks(labels: list[Seg]) -> list[_LabelBlock]:
    """Label cells stacked into the blocks of one printed cell each.

    A line continues the label above it only if that line is full (text wraps only when the
    cell is full: it reaches within ``FULL_SLACK`` line heights of the widest label aligned
    with it), it sits close below, within that line's x-range, and does not start a numbered
    item ("1.", "（三）", "一、").
    """
    widest = _widest_aligned(labels)
    blocks: list[list[Seg]] = []
    block_of: dict[int, int] = {}
    done: list[Seg] = []
    for s in sorted(labels, key=lambda s: (s.top, s.x0)):
        p = _label_above(s, done)
        b = block_of[id(p)] if p is not None else -1
        if p is not None and blocks[b][-1] is p and _wraps_into(p, s, widest[id(p)]):
            blocks[b].append(s)
            block_of[id(s)] = b
        else:
            block_of[id(s)] = len(blocks)
            blocks.append([s])
        done.append(s)
    return [_LabelBlock(b) for b in blocks]


def _widest_aligned(labels: list[Seg]) -> dict[int, float]:
    """For each label (by ``id``), the widest label aligned with it (same centre, or same left edge):
    a cell's width is not printed, so that is taken as what fits in its cell."""
    widest: dict[int, float] = {}
    for p in labels:
        ph, pc = p.bottom - p.top, (p.x0 + p.x1) / 2
        widest[id(p)] = max(
            s.x1 - s.x0 for s in labels if abs((s.x0 + s.x1) / 2 - pc) <= ph or abs(s.x0 - p.x0) <= LEFT_ALIGN * ph
        )
    return widest


def _label_above(s: Seg, done: list[Seg]) -> Seg | None:
    """The lowest label already placed that overlaps ``s`` in x and lies above it."""
    h = s.bottom - s.top
    above = [p for p in done if p.x0 < s.x1 and s.x0 < p.x1 and p.bottom <= s.top + ABOVE_SLACK * h]
    return max(above, key=lambda p: p.bottom, default=None)


def _wraps_into(p: Seg, s: Seg, widest: float) -> bool:
    """Whether label line ``s`` continues the full line ``p`` above it (see ``_label_blocks``)."""
    ph = p.bottom - p.top
    return (
        s.top - p.bottom <= BLOCK_GAP * ph
        and (p.x1 - p.x0) + FULL_SLACK * ph >= widest
        and s.x0 >= p.x0 - FULL_SLACK * ph
        and s.x1 <= p.x1 + FULL_SLACK * ph
        and not is_numbered_line(s.text())
    )


def _give_owned_blocks(
    blocks: list[_LabelBlock], rows: list[_BodyRow], owner: dict[int, int], mids: list[float]
) -> None:
    """A block with lines on value lines goes to their row (each line to the nearest, if on two
    rows); a block on no value line is left ``free``."""
    for blk in blocks:
        owned = {owner[id(s)] for s in blk.segs if id(s) in owner}
        if len(owned) == 1:
            rows[owned.pop()].segs.extend(blk.segs)
        elif owned:  # lines of two value rows: each line to the nearest of them
            for s in blk.segs:
                ri = owner.get(id(s))
                if ri is None:
                    ri = _nearest(owned, mids, s.mid)
                rows[ri].segs.append(s)
        else:
            blk.free = True


def _nearest(candidates: set[int], mids: list[float], y: float) -> int:
    return min(candidates, key=lambda i: abs(mids[i] - y))


def _give_free_runs(blocks: list[_LabelBlock], rows: list[_BodyRow], mids: list[float]) -> None:
    """A value row without a label of its own takes the run of free blocks around it whose
    middle is nearest its line (a centred label whose lines did not all join one block)."""
    order = sorted(blocks, key=lambda b: min(s.top for s in b.segs))
    for ri, row in enumerate(rows):
        if row.labelled:
            continue
        run = _best_free_run(order, mids[ri])
        if run is None:
            continue
        for blk in order[run[0] : run[1] + 1]:
            row.segs.extend(blk.segs)
            blk.free = False
        row.labelled = True


def _best_free_run(order: list[_LabelBlock], mid: float) -> tuple[int, int] | None:
    """The run of free blocks (first, last index in ``order``) best centred on ``mid`` and
    reaching around it; on a tie the fewer blocks (a short label is centred on its values as
    well as the run of it and its neighbours above and below)."""
    best: tuple[float, int] | None = None
    run = None
    for a, e in _free_runs(order):
        top, bottom = order[a].top, order[e].bottom
        h = max(order[k].h for k in range(a, e + 1))
        if not top - CENTRE_SLACK * h <= mid <= bottom + CENTRE_SLACK * h:
            continue
        d = (round(abs((top + bottom) / 2 - mid), DIST_DECIMALS), e - a)
        if best is None or d < best:
            best, run = d, (a, e)
    return run


def _free_runs(order: list[_LabelBlock]) -> Iterator[tuple[int, int]]:
    """Every run of consecutive free blocks that may be one label (stacked close, no numbered
    item inside), as (first, last) index in ``order``."""
    for a in range(len(order)):
        if not order[a].free:
            continue
        for e in range(a, min(len(order), a + RUN_MAX)):
            if not order[e].free or (e > a and not _continues(order[e - 1], order[e])):
                break
            yield a, e


def _continues(prev: _LabelBlock, cur: _LabelBlock) -> bool:
    """Whether block ``cur`` may continue the label of block ``prev`` above it."""
    return (
        cur.x0 < prev.x1
        and prev.x0 < cur.x1
        and cur.top - prev.bottom <= BLOCK_GAP * prev.h
        and not is_numbered_line(cur.segs[0].text())  # a numbered label starts the next item
    )


Cost = Callable[[int, int, int], float]


def share_gaps(n: int, gaps: list[int], cost: Cost, optional_ends: bool) -> list[tuple[int, int]]:
    """Share the elements of the gaps between ``n`` items in a column, at least total cost.

    ``gaps[0]`` lies above item 0, ``gaps[i]`` between items i-1 and i, ``gaps[n]`` below the
    last item. Item i takes ``up`` elements from the gap above it (the nearest ones) and
    ``down`` from the gap below; every element of an inner gap goes to one of its two items.
    ``cost(i, up, down)`` scores item i; with ``optional_ends`` the outer gaps may be left
    partly untaken (at ``UNTAKEN_COST`` per element, so ties favour taking). Returns (up, down)
    per item.
    """
    sharing = _Sharing(n, gaps, cost, optional_ends)
    # dp[d] = best cost of items 0..i with item i taking d from the gap below it
    dp: dict[int, float] = {}
    back: list[dict[int, tuple[int, int]]] = []
    for i in range(n):
        dp, choice = sharing.step(i, dp)
        back.append(choice)
    d = min(dp, key=lambda k: dp[k])
    out: list[tuple[int, int]] = []
    for i in range(n - 1, -1, -1):
        u, prev_d = back[i][d]
        out.append((u, d))
        d = prev_d
    return out[::-1]


@dataclass
class _Sharing:
    """One ``share_gaps`` problem, solved item by item (dynamic programming over what each item takes below)."""

    n: int
    gaps: list[int]
    cost: Cost
    optional_ends: bool

    def step(self, i: int, dp: dict[int, float]) -> tuple[dict[int, float], dict[int, tuple[int, int]]]:
        """Best costs of items 0..i for each count item i takes below, and the (up, previous down) behind each."""
        below = self.gaps[i + 1]
        downs = range(below + 1) if (i < self.n - 1 or self.optional_ends) else [below]
        new_dp: dict[int, float] = {}
        choice: dict[int, tuple[int, int]] = {}
        for d in downs:
            best, arg = self._first(d) if i == 0 else self._next(i, d, dp)
            if i == self.n - 1:
                best += UNTAKEN_COST * (below - d)
            new_dp[d], choice[d] = best, arg
        return new_dp, choice

    def _first(self, d: int) -> tuple[float, tuple[int, int]]:
        best, arg = math.inf, (0, 0)
        above = self.gaps[0]
        for u in range(above + 1) if self.optional_ends else [above]:
            c = self.cost(0, u, d) + UNTAKEN_COST * (above - u)
            if c < best:
                best, arg = c, (u, -1)
        return best, arg

    def _next(self, i: int, d: int, dp: dict[int, float]) -> tuple[float, tuple[int, int]]:
        best, arg = math.inf, (0, 0)
        for prev_d, prev_c in dp.items():
            u = self.gaps[i] - prev_d
            c = prev_c + self.cost(i, u, d)
            if c < best:
                best, arg = c, (u, prev_d)
        return best, arg
