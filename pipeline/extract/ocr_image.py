"""Scanned page images made readable: coloured ink dropped, paper flattened, the page turned straight, rules found.

A scan arrives as colour pixels: grey or yellowed paper, sensor noise and dust, JPEG blocks, a red seal stamped over
text and tables, the sheet tilted by a degree or two, 100-150 dpi. What reading it needs is a straight greyscale page
with black ink on white paper, a mask of that ink, and the ruling lines as segments. This module makes those, with
numpy and OpenCV only (both come with the OCR engine), and promises:

* ``clean_page(rgb, scale)`` → ``Page``: the greyscale page (coloured ink is paper; paper flattened to white), its
  ink mask, turned by the skew it measured (``Page.angle``, degrees).
* ``rule_segments(page)`` → the page's ruling lines as (horizontal, vertical) pixel segments, found on noisy pages:
  a rule is a long band that is mostly ink, so a gap from noise or JPEG does not break it and no row of characters
  (whose strokes are short and separate) makes one.
* ``text_boxes(ink, ...)`` → boxes of printed text inside a region (lines, then runs of ink on each line), specks of
  dust left out.

Every length is given in points and turned into pixels with ``scale`` (pixels per point), so the same numbers hold
at 100 and at 200 dpi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

INK_LEVEL = 165  # a pixel of the flattened page darker than this is ink (paper is 255)
SEAL_INK_LEVEL = 215  # ... and under a seal, whose ink leaves print only somewhat darker than itself
INK_CORE_PERCENTILE = 0.5  # the print's core level: this percentile of the page (print covers more than this)
INK_CORE_MAX = 128  # ...but no lighter than this (a nearly blank page has no print to measure)
BACKGROUND_PT = 9.0  # window (points) over which the paper's brightness is estimated: wider than a stroke
MAX_SKEW = 3.0  # degrees; a scanner's tilt is measured within ±this
SKEW_STEP = 0.1  # degrees between the angles tried first; the best is then refined tenfold
MIN_RULE_PT = 30.0  # a ruling line is at least this long; no stroke of a character is
SHORT_RULE_PT = 7.0  # inside a table a rule may be this short when it runs from one grid line to another
RULE_FILL = 0.8  # share of a rule's length that must be ink (noise and JPEG break the rest)
RULE_THICK_PT = 2.5  # a rule is thin: at most this thick (points), and ...
RULE_SIDE_PT = 1.5  # ... this far beside it on either side ...
THIN_SIDE_FILL = 0.35  # ... at most this share of its length is ink
RULE_INK = 0.5  # share of a rule that must be print (a seal stamped over it may hide the rest)
SNAP_REACH_PT = 20.0  # a rule's end is moved back onto a crossing rule this far inside it (a stroke ran on) ...
SNAP_TOL_PT = 2.0  # ... or this far outside it (a rule stopping just short)
SEAL_CHROMA = 60  # a pixel whose channels differ by more than this is coloured ink (a seal), not print
MIN_SEAL_PIXELS = 500  # fewer coloured pixels than this are no seal (JPEG colour noise)
SPECK_PT = 1.6  # ink smaller than this both ways (points) is dust or noise, not print
POINT_GAP_PT = 2.5  # a speck this close beside print, on its line, is a point printed with it (7.5 is kept)
SEAL_SPECK_PT = 3.5  # ... and under a seal, smaller than this (what its edge leaves); a digit is twice as tall
WORD_GAP = 1.2  # a gap this many line heights wide splits a line into runs of text (a comma's blank em does not)
STROKE_PT = 3.0  # ink bands thinner than this (points) are strokes of a character, not lines of text


@dataclass
class Page:
    """A cleaned page: ``gray`` (uint8, paper 255), ``ink`` (bool mask of print), ``scale`` (pixels per point),
    ``angle`` (degrees the scan was turned back by), ``seal`` (coloured ink)."""

    gray: np.ndarray
    ink: np.ndarray
    scale: float
    angle: float = 0.0
    seal: np.ndarray | None = None  # pixels of coloured ink (a seal), under which print may be hidden


@dataclass(frozen=True)
class Box:
    """A box of ink in pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def h(self) -> int:
        return self.y1 - self.y0


# --- clean-up ----------------------------------------------------------------------------------------------------


def drop_colour(rgb: np.ndarray) -> np.ndarray:
    """Greyscale in which a seal (coloured ink) is as light as paper and print under it stays dark.

    Each pixel's brightest channel (for a red seal, the red one, which the seal's ink lets through), lifted by the
    ratio of paper to the seal's own level in proportion to how coloured the pixel is. A pure seal pixel comes out as
    paper; print under the seal is as much darker than the seal as it was, and so stays print; black and grey print
    elsewhere has no colour and is left as it was.
    """
    import cv2

    if rgb.ndim == 2:
        return rgb
    hi = rgb.max(axis=2)
    chroma = hi.astype(np.int16) - rgb.min(axis=2)
    seal = chroma > SEAL_CHROMA
    if seal.sum() < MIN_SEAL_PIXELS:
        return hi
    seal_level = float(np.median(hi[seal]))
    paper = float(np.percentile(hi, 90))
    # the seal's share of a pixel, from its colour and its neighbours' (JPEG blurs colour more than brightness, so a
    # seal's edge is brighter than its colour says)
    near = cv2.dilate(chroma.astype(np.float32), np.ones((3, 3), np.uint8))
    mix = np.clip(near / float(np.median(chroma[seal])), 0.0, 1.0)
    gain = 1.0 + mix * (max(paper, seal_level) / max(seal_level, 1.0) - 1.0)
    return np.clip(hi * gain, 0, 255).astype(np.uint8)


def flatten_paper(gray: np.ndarray, scale: float) -> np.ndarray:
    """The page divided by its paper's brightness, so paper is white whatever its shade or shading.

    The paper's brightness at a pixel is the brightest value in a window wider than any stroke (a dilation), smoothed;
    computed on a quarter-size image, as it changes slowly.
    """
    import cv2

    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, int(BACKGROUND_PT * scale / 4) | 1)
    bg = cv2.dilate(small, np.ones((k, k), np.uint8))
    bg = cv2.blur(bg, (k, k))
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = gray.astype(np.float32) * (255.0 / np.maximum(bg, 1).astype(np.float32))
    # then stretched so the print's core is black: a scan's ink is often mid-grey, and lighter still in thin strokes
    core = min(float(np.percentile(flat, INK_CORE_PERCENTILE)), INK_CORE_MAX)
    out = (flat - core) * (255.0 / (255.0 - core))
    return np.clip(out, 0, 255).astype(np.uint8)


def ink_of(gray: np.ndarray, seal: np.ndarray | None = None) -> np.ndarray:
    """The ink of a flattened page: dark pixels, after a light blur that keeps sensor noise below the level.

    Under a seal (``seal``: its pixels) print is only somewhat darker than the seal, which ``drop_colour`` made
    paper, so there a lighter level holds; a pixel's width inside the seal's edge, where the seal's colour and
    brightness disagree, is left out.
    """
    import cv2

    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    ink = smooth < INK_LEVEL
    if seal is not None and seal.any():
        inner = cv2.erode(seal.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        ink |= inner & (smooth < SEAL_INK_LEVEL)
    return ink


def skew_angle(ink: np.ndarray, max_deg: float = MAX_SKEW) -> float:
    """The angle (degrees, counter-clockwise positive) by which the page's text lines and rules are tilted.

    Projection profiles: turned by the right angle, the rows of print fall into sharp horizontal bands, so the
    histogram of the ink's rows is most peaked (largest sum of squares). Tried on a sample of the ink at coarse steps,
    then refined around the best.
    """
    ys, xs = np.nonzero(ink[:, ::2])  # every row: a tenth of a degree moves a line a pixel across a page
    if ys.size < 50:
        return 0.0
    if ys.size > 60000:
        pick = np.random.default_rng(0).choice(ys.size, 60000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys, xs = ys.astype(np.float64), 2.0 * (xs.astype(np.float64) - xs.mean())

    def peakedness(deg: float) -> float:
        t = np.tan(np.radians(deg))
        rows = np.round(ys + xs * t).astype(np.int64)
        rows -= rows.min()
        return float(np.square(np.bincount(rows).astype(np.float64)).sum())

    coarse = np.arange(-max_deg, max_deg + SKEW_STEP / 2, SKEW_STEP)
    best = max(coarse, key=peakedness)
    fine = np.arange(best - SKEW_STEP, best + SKEW_STEP * 1.05, SKEW_STEP / 10)
    return float(max(fine, key=peakedness))


def rotate(gray: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    """The page turned by ``angle`` degrees about its centre (counter-clockwise positive), new corners ``border``."""
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)


def colour_mask(rgb: np.ndarray) -> np.ndarray | None:
    """Pixels of strongly coloured ink (chroma above ``SEAL_CHROMA``): a seal, a coloured signature."""
    if rgb.ndim == 2:
        return None
    chroma = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    return chroma > SEAL_CHROMA


def clean_page(rgb: np.ndarray, scale: float, deskew: bool = True) -> Page:
    """A scanned page ready to read: colour dropped, paper flattened, turned straight (see the module docstring)."""
    gray = flatten_paper(drop_colour(rgb), scale)
    seal = colour_mask(rgb)
    angle = skew_angle(ink_of(gray)) if deskew else 0.0
    if abs(angle) >= 0.05:
        gray = rotate(gray, -angle)
        if seal is not None:
            seal = rotate(seal.astype(np.uint8) * 255, -angle, border=0) >= 128
    return Page(gray=gray, ink=ink_of(gray, seal), scale=scale, angle=angle, seal=seal)


# --- ruling lines ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A ruling line in pixels: ``pos`` across it (y of a horizontal rule, x of a vertical one), ``a``..``b`` along."""

    pos: float
    a: int
    b: int


def _rule_cores(solid: np.ndarray, length: int) -> np.ndarray:
    """Centres of horizontal windows ``length`` long that are at least ``RULE_FILL`` ink: the cores of rules.

    A window only needs to be mostly ink, so a gap (noise, JPEG, a seal's stroke stamped over the rule) does not
    break a rule; the core stops short of a rule's ends by about a third of the window, and ``_reach`` finds them.
    """
    import cv2

    share = cv2.blur(solid.astype(np.float32), (length, 1), borderType=cv2.BORDER_CONSTANT)
    return share >= RULE_FILL


def _reach(along: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """The core [a, b) of a rule extended both ways for as long as its line goes on (gaps of two pixels bridged)."""
    gap = 0
    while a > 0 and gap < 3:
        gap = 0 if along[a - 1] else gap + 1
        a -= 1
    a += gap
    gap = 0
    while b < along.size and gap < 3:
        gap = 0 if along[b] else gap + 1
        b += 1
    return a, b - gap


def _thin(solid: np.ndarray, ink: np.ndarray, rows: np.ndarray, a: int, b: int, off: int, thick: int) -> float | None:
    """Where the rows of a rule's core are a thin line over [a, b), its position across; None where it is not.

    A row of characters can be as inky as a rule along one pixel row, but it is inky over several rows and a few
    pixels above and below them too; a rule is at most ``thick`` rows, with paper ``off`` pixels beside it. A share
    ``RULE_INK`` of it must be print: a seal may hide part of a rule, but not make one.
    """
    rows = rows[solid[rows, a:b].mean(axis=1) >= 0.5]
    if rows.size == 0 or rows[-1] - rows[0] + 1 > thick:
        return None
    if ink[rows[0] : rows[-1] + 1, a:b].any(axis=0).mean() < RULE_INK:
        return None
    y0, y1 = int(rows[0]) - off, int(rows[-1]) + off
    above = solid[y0, a:b].mean() if y0 >= 0 else 0.0
    below = solid[y1, a:b].mean() if y1 < solid.shape[0] else 0.0
    return (rows[0] + rows[-1]) / 2 if max(above, below) <= THIN_SIDE_FILL else None


def _find_rules(solid: np.ndarray, ink: np.ndarray, length: int, off: int, thick: int) -> list[Rule]:
    """Horizontal rules of an ink mask: cores in bands of adjacent rows, each core run reached to its ends and kept
    if it is a thin line at least ``length`` long."""
    core = _rule_cores(solid, length)
    rows = np.flatnonzero(core.any(axis=1))
    out: list[Rule] = []
    if rows.size == 0:
        return out
    for band in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        y0, y1 = max(0, int(band[0]) - 1), min(solid.shape[0], int(band[-1]) + 2)
        line = core[band[0] : band[-1] + 1].any(axis=0)
        along = np.asarray(solid[y0:y1].any(axis=0))
        edges = np.flatnonzero(np.diff(np.concatenate([[0], line.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            a, b = _reach(along, int(a), int(b))
            pos = _thin(solid, ink, np.arange(y0, y1), a, b, off, thick) if b - a >= length else None
            if pos is not None:
                out.append(Rule(float(pos), a, b))
    return out


def _crossing(end: int, pos: float, others: list[Rule], reach: int, tol: int, inward: int) -> int | None:
    """The position of the rule among ``others`` crossing the line at ``pos`` nearest to ``end``: up to ``reach``
    pixels inward (``inward`` = +1 or -1) and ``tol`` outward; None if there is none."""
    best = None
    for o in others:
        if o.a - tol <= pos <= o.b + tol:
            d = (o.pos - end) * inward
            if -tol <= d <= reach and (best is None or abs(o.pos - end) < abs(best - end)):
                best = o.pos
    return None if best is None else round(best)


def _snap_ends(rules: list[Rule], across: list[Rule], reach: int, tol: int) -> list[Rule]:
    """Rules whose ends are moved onto the nearest crossing rule within ``reach`` inside or ``tol`` outside.

    A rule is found up to where its ink goes on, and the ink may go on past a crossing into a character's stroke
    touching it; in a table a rule ends at a crossing rule, so it is cut (or stretched, over a small gap) there.
    """
    out = []
    for r in rules:
        a = _crossing(r.a, r.pos, across, reach, tol, +1)
        b = _crossing(r.b, r.pos, across, reach, tol, -1)
        out.append(Rule(r.pos, r.a if a is None else a, r.b if b is None else b + 1))
    return out


def rule_segments(page: Page, min_pt: float = MIN_RULE_PT) -> tuple[list[Rule], list[Rule]]:
    """(horizontal, vertical) ruling lines of a cleaned page, at least ``min_pt`` points long, their ends on the
    rules they run into.

    Pixels under a seal count as ink here: a seal printed over a rule hides it, and its own strokes are too thick
    and too curved to pass for a rule.
    """
    s = page.scale
    n = max(6, round(min_pt * s))
    off, thick = max(2, round(RULE_SIDE_PT * s)), max(3, round(RULE_THICK_PT * s))
    solid = page.ink | page.seal if page.seal is not None else page.ink
    solid_t, ink_t = np.ascontiguousarray(solid.T), np.ascontiguousarray(page.ink.T)
    h = _find_rules(solid, page.ink, n, off, thick)
    v = _find_rules(solid_t, ink_t, n, off, thick)
    reach, tol = round(SNAP_REACH_PT * s), max(2, round(SNAP_TOL_PT * s))
    h, v = _snap_ends(h, v, reach, tol), _snap_ends(v, h, reach, tol)
    # short rules count only where they run from one rule to another (a header row's column rules)
    short = max(4, round(SHORT_RULE_PT * s))
    hs = [r for r in _find_rules(solid, page.ink, short, off, thick) if _between(r, v, tol)]
    vs = [r for r in _find_rules(solid_t, ink_t, short, off, thick) if _between(r, h, tol)]
    return _add_new(h, hs, tol), _add_new(v, vs, tol)


def _between(r: Rule, across: list[Rule], tol: int) -> bool:
    """Does the rule run from one crossing rule to another (both ends within ``tol``)?"""
    ends = [o.pos for o in across if o.a - tol <= r.pos <= o.b + tol]
    return any(abs(e - r.a) <= tol for e in ends) and any(abs(e - r.b) <= tol for e in ends)


def _add_new(rules: list[Rule], more: list[Rule], tol: int) -> list[Rule]:
    """``rules`` and those of ``more`` not already covered by one of them."""
    fresh = [
        m for m in more if not any(abs(r.pos - m.pos) <= tol and r.a - tol <= m.a and m.b <= r.b + tol for r in rules)
    ]
    return rules + fresh


# --- text boxes ----------------------------------------------------------------------------------------------------


def print_mask(ink: np.ndarray, scale: float, seal: np.ndarray | None = None) -> np.ndarray:
    """The ink without dust.

    A connected piece smaller than ``SPECK_PT`` both ways (under a seal, ``SEAL_SPECK_PT``: a seal's edge leaves
    fragments too) is dust, unless it sits on a line of print beside a larger piece, clear of a seal: a decimal point
    is as small as a speck of dust, but it is printed between digits.
    """
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    sealed = np.zeros(n, bool)
    if seal is not None and seal.any():
        sealed = np.bincount(labels[seal], minlength=n) > 0.5 * stats[:, cv2.CC_STAT_AREA]
    keep = size >= np.where(sealed, SEAL_SPECK_PT, SPECK_PT) * scale
    keep[0] = False
    big = keep[labels]
    reach = (max(1, round(POINT_GAP_PT * scale)), max(1, round(0.5 * scale)))
    beside = cv2.dilate(big.astype(np.uint8), np.ones((2 * reach[1] + 1, 2 * reach[0] + 1), np.uint8)).astype(bool)
    points = np.unique(labels[~big & ink & beside])
    keep[points[~sealed[points]]] = True
    keep[0] = False
    return keep[labels]


def _runs(profile: npt.ArrayLike, min_gap: int = 1) -> list[tuple[int, int]]:
    """[start, end) runs of non-zero entries, runs closer than ``min_gap`` joined."""
    on = np.flatnonzero(profile)
    if on.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(on) > min_gap) + 1
    return [(int(p[0]), int(p[-1]) + 1) for p in np.split(on, cuts)]


def text_lines(mask: np.ndarray, stroke: int) -> list[tuple[int, int]]:
    """Rows [y0, y1) of the lines of print in a mask (blank rows between them).

    A band of ink thinner than ``stroke`` pixels is a stroke of a character, not a line ("二" alone is two strokes
    one above the other): it joins the band before it when the gap between them is under two strokes.
    """
    out: list[tuple[int, int]] = []
    for a, b in _runs(mask.any(axis=1)):
        if out and a - out[-1][1] <= 2 * stroke and (b - a < stroke or out[-1][1] - out[-1][0] < stroke):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def text_boxes(mask: np.ndarray, stroke: int) -> list[Box]:
    """Boxes of the print in ``mask`` (dust already dropped), top to bottom: one per run of ink on a line, runs
    separated by gaps wider than ``WORD_GAP`` line heights, each cut to its own lines again (a wrapped label beside a
    one-line value shares the value's band)."""
    out: list[Box] = []
    for y0, y1 in text_lines(mask, stroke):
        band = mask[y0:y1]
        gap = max(2, round(WORD_GAP * (y1 - y0)))
        for x0, x1 in _runs(band.any(axis=0), gap):
            piece = band[:, x0:x1]
            for a, b in text_lines(piece, stroke):
                cols = np.flatnonzero(piece[a:b].any(axis=0))
                out.append(Box(x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b))
    return out
