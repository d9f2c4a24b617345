"""Scanned reports: page image → table grid from the ruling lines → each cell OCR'd with Tesseract.

A scan has no text layer, so the table structure is read from the image itself: long runs of dark pixels are the
ruling lines; their positions give the grid, and a missing piece of line between two grid cells means the cells are
merged. Each cell is then OCR'd on its own (Tesseract through tesserocr, the language data from Debian's
``tesseract-ocr-chi-sim``): text cells with the Chinese model, cells that read as figures again with a digits-only
setting, since labels are matched fuzzily later but numbers must be exact. Every OCR'd cell keeps Tesseract's
confidence (0–100) in ``Cell.confidence``.

``extract_scanned(path, origin, settings)`` reads a whole image-only PDF; ``page_image_to_tables`` reads one page
image, for pages without a text layer inside an otherwise normal PDF.
"""

from __future__ import annotations

import glob
import os
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import DependencyMissing, DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import DEFAULTS, Settings
from .pdf_layout import cluster_positions

MISSING_MESSAGE = "Tesseract is needed to read scanned PDFs: apt-get install tesseract-ocr tesseract-ocr-chi-sim"
DEFAULT_LANG = DEFAULTS.ocr_lang
DARK = 160  # grey level below which a pixel is ink
MIN_LINE_PT = 30  # a ruling line is at least this long (points); characters' strokes are shorter
SHORT_LINE_PT = 8  # inside a table a rule may be this short, if it runs from one grid line to another
LINE_TOL_PT = 3.0  # line positions closer than this (points) are one line
BOUNDARY_COVER = 0.6  # share of a grid edge a line must cover for the edge to count as a cell border
MIN_INK = 6  # dark pixels a cell needs to be read at all; fewer is a blank cell
DIGITS = "0123456789.-+/%"
MARGIN = 20  # white pixels around a cell's ink when it is OCR'd on its own
ZOOMS = (1.0, 1.5, 2.0)  # enlargements tried in turn until a reading is confident
GOOD_ENOUGH = 85  # confidence at which no larger size is tried
RETRY_BELOW = 70  # a cell read with less confidence than this is read again digits-only
_FIGURE = re.compile(r"^(?=.*\d)[\d.+\-/%]+$|^[-—–]+$")
_NUMERIC = re.compile(r"^[\s\d０-９.,，．+\-－/%％—–]*\d[\s\d０-９.,，．+\-－/%％]*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
NULL_WORDS = {"无", "空", "否"}  # a lone character that means "nothing", never a misread digit


# --- Tesseract ---------------------------------------------------------------------------------------------------


def tessdata_dir(lang: str = DEFAULT_LANG) -> str | None:
    """The folder holding ``<lang>.traineddata``: $TESSDATA_PREFIX, then the usual Debian and local places."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    candidates += sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata", "/usr/local/share/tesseract-ocr/tessdata"]
    for d in candidates:
        if d and os.path.isfile(os.path.join(d, f"{lang}.traineddata")):
            return d
    return None


def tesseract_available(lang: str = DEFAULT_LANG) -> bool:
    """True where the Tesseract binding and the language data are installed (the ``--ocr`` default)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata_dir(lang) is not None


class _Engines:
    """Two Tesseract instances kept loaded per thread: the Chinese model for labels, digits-only for figures.

    Loading the Chinese model takes about a second, so it is done once per worker, not once per cell.
    """

    _local = threading.local()

    @classmethod
    def get(cls, lang: str):
        engines = getattr(cls._local, "engines", None)
        if engines is None or engines[0] != lang:
            import tesserocr

            path = tessdata_dir(lang)
            text = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.SINGLE_BLOCK)
            digits = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
            digits.SetVariable("tessedit_char_whitelist", DIGITS)
            page = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.AUTO)
            engines = cls._local.engines = (lang, text, digits, page)
        return engines[1:]


def require_tesseract(lang: str) -> None:
    try:
        import tesserocr  # noqa: F401
    except ImportError as e:
        raise DependencyMissing(MISSING_MESSAGE + ' (and the Python binding: pip install "xxgk[ocr]")') from e
    if tessdata_dir(lang) is None:
        raise DependencyMissing(MISSING_MESSAGE)


# --- ruling lines → grid -----------------------------------------------------------------------------------------


def _runs_mask(dark: np.ndarray, k: int) -> np.ndarray:
    """Pixels lying on a horizontal run of at least ``k`` dark pixels (a 1×k morphological opening)."""
    h, w = dark.shape
    if w < k:
        return np.zeros_like(dark)
    cs = np.zeros((h, w + 1), np.int32)
    np.cumsum(dark, axis=1, dtype=np.int32, out=cs[:, 1:])
    full = (cs[:, k:] - cs[:, :-k]) == k  # a window of k starting at x is all ink
    cf = np.zeros((h, full.shape[1] + 1), np.int32)
    np.cumsum(full, axis=1, dtype=np.int32, out=cf[:, 1:])
    x = np.arange(w)
    lo = np.clip(x - k + 1, 0, full.shape[1])
    hi = np.clip(x + 1, 0, full.shape[1])
    return (cf[:, hi] - cf[:, lo]) > 0


def line_masks(gray: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(horizontal, vertical) masks of the ruling lines of a greyscale page."""
    dark = gray < DARK
    return _runs_mask(dark, min_len), _runs_mask(dark.T, min_len).T


@dataclass(frozen=True)
class Segment:
    """A ruling line: ``pos`` across it (y of a horizontal line, x of a vertical one), ``a``..``b`` along it."""

    pos: float
    a: int
    b: int


def mask_to_segments(mask: np.ndarray, min_len: int) -> list[Segment]:
    """Horizontal segments of a line mask: bands of adjacent rows merged, then runs along the band."""
    rows = np.flatnonzero(mask.any(axis=1))
    segs: list[Segment] = []
    if rows.size == 0:
        return segs
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for band in bands:
        line = mask[band[0] : band[-1] + 1].any(axis=0)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], line.astype(np.int8), [0]])))
        for a, b in zip(edges[::2], edges[1::2], strict=False):
            if b - a >= min_len:
                segs.append(Segment(pos=(band[0] + band[-1]) / 2, a=int(a), b=int(b)))
    return segs


@dataclass(frozen=True)
class Grid:
    """A ruled table found on a page image: grid line positions and the merged cells, in pixels."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    cells: tuple[tuple[int, int, int, int], ...]  # (row, col, rowspan, colspan)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _components(hs: list[Segment], vs: list[Segment], tol: float) -> list[tuple[list[Segment], list[Segment]]]:
    """Group crossing horizontal and vertical segments into tables (union-find over crossings)."""
    parent = list(range(len(hs) + len(vs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.a - tol <= v.pos <= h.b + tol and v.a - tol <= h.pos <= v.b + tol:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _covered(mask: np.ndarray, pos: float, a: float, b: float, tol: int) -> bool:
    """Does a line in ``mask`` (rows = along the line) cover most of [a, b) near ``pos``?"""
    lo, hi = int(a + tol), int(b - tol)
    if hi <= lo:
        lo, hi = int(a), int(b)
    if hi <= lo:
        return True
    band = mask[lo:hi, max(0, int(pos) - tol) : int(pos) + tol + 1]
    return band.size > 0 and band.any(axis=1).mean() >= BOUNDARY_COVER


def _touching(seg: Segment, lines: list[float], tol: int) -> bool:
    """Does the segment run into a grid line at both ends, as a rule does? (A character's stroke stops short.)"""
    return any(abs(seg.a - p) <= tol for p in lines) and any(abs(seg.b - p) <= tol for p in lines)


def lines_to_grids(
    hmask: np.ndarray,
    vmask: np.ndarray,
    min_len: int,
    tol: int,
    short: tuple[np.ndarray, np.ndarray, int] | None = None,
) -> tuple[list[Grid], np.ndarray]:
    """Tables of a page from its line masks, top to bottom, each with its merged cells; and the mask of the rules.

    Tables are found from the long lines only (no character stroke is that long). ``short`` = (horizontal mask,
    vertical mask, min length) of shorter runs: those that run into two of a table's grid lines are rules too, e.g.
    the column rules of a header row cut off at the foot of a page; other short runs are characters' strokes.
    """
    hs = mask_to_segments(hmask, min_len)
    vs = mask_to_segments(vmask.T, min_len)
    hs_s = mask_to_segments(short[0], short[2]) if short else []
    vs_s = mask_to_segments(short[1].T, short[2]) if short else []
    hrule, vrule = hmask.copy(), vmask.copy()
    found = []
    touch = max(2, tol // 3)
    for th, tv in _components(hs, vs, tol):
        ys = cluster_positions([h.pos for h in th] + [min(v.a for v in tv), max(v.b for v in tv)], tol)
        xs = cluster_positions([v.pos for v in tv] + [min(h.a for h in th), max(h.b for h in th)], tol)
        if len(xs) < 2 or len(ys) < 2:
            continue
        more_v = [v for v in vs_s if xs[0] + tol < v.pos < xs[-1] - tol and _touching(v, ys, touch)]
        more_h = [h for h in hs_s if ys[0] + tol < h.pos < ys[-1] - tol and _touching(h, xs, touch)]
        for v in more_v:
            vrule[v.a : v.b, max(0, int(v.pos) - 1) : int(v.pos) + 2] = True
        for h in more_h:
            hrule[max(0, int(h.pos) - 1) : int(h.pos) + 2, h.a : h.b] = True
        xs, ys = (
            cluster_positions(xs + [v.pos for v in more_v], tol),
            cluster_positions(ys + [h.pos for h in more_h], tol),
        )
        if (len(xs) - 1) * (len(ys) - 1) <= DEFAULTS.max_table_cells:  # a finer net is no table (nor fits memory)
            found.append((xs, ys))
    grids = [Grid(tuple(xs), tuple(ys), _merge_cells(xs, ys, hrule, vrule, tol)) for xs, ys in found]
    return sorted(grids, key=lambda g: (g.ys[0], g.xs[0])), hrule | vrule


def find_grids(gray: np.ndarray, scale: float) -> tuple[list[Grid], np.ndarray]:
    """The ruled tables of a greyscale page, and the mask of their rules (to be wiped before OCR)."""
    min_len = max(8, int(MIN_LINE_PT * scale))
    short_len = max(4, int(SHORT_LINE_PT * scale))
    tol = max(2, round(LINE_TOL_PT * scale))
    hmask, vmask = line_masks(gray, min_len)
    hshort, vshort = line_masks(gray, short_len)
    grids, rules = lines_to_grids(hmask, vmask, min_len, tol, (hshort, vshort, short_len))
    # widened by a pixel: the grey edge of a rule must not be read as "1" or "|"
    rules = rules | np.roll(rules, 1, 0) | np.roll(rules, -1, 0) | np.roll(rules, 1, 1) | np.roll(rules, -1, 1)
    return grids, rules


def _merge_cells(xs, ys, hmask, vmask, tol) -> tuple[tuple[int, int, int, int], ...]:
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _covered(vmask, xs[c + 1], ys[r], ys[r + 1], tol):
                parent[find(r * nc + c)] = find(r * nc + c + 1)
            if r + 1 < nr and not _covered(hmask.T, ys[r + 1], xs[c], xs[c + 1], tol):
                parent[find(r * nc + c)] = find((r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    taken = np.zeros((nr, nc), bool)
    cells = []
    for members in sorted(groups.values()):
        r0, r1 = min(r for r, _ in members), max(r for r, _ in members)
        c0, c1 = min(c for _, c in members), max(c for _, c in members)
        if taken[r0, c0]:
            continue
        # a non-rectangular merge (a broken line) keeps its bounding box where that is still free
        while taken[r0 : r1 + 1, c0 : c1 + 1].any() and r1 > r0:
            r1 -= 1
        taken[r0 : r1 + 1, c0 : c1 + 1] = True
        cells.append((r0, c0, r1 - r0 + 1, c1 - c0 + 1))
    return tuple(cells)


# --- cells → text ------------------------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    """Tesseract's text as one label: wrapped lines joined, the spaces it puts between Chinese characters dropped."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    out = ""
    for ln in lines:
        out += ("" if not out or _CJK.match(ln[0]) or _CJK.match(out[-1]) else " ") + ln
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", out)


def _looks_numeric(text: str) -> bool:
    """Text the Chinese model read with no Chinese in it: a figure (or a dash), to be read again digits-only."""
    t = re.sub(r"\s+", "", text)
    return bool(t) and not _CJK.search(t.replace("〇", "").replace("一", ""))


def _ocr(api, img: np.ndarray) -> tuple[str, float]:
    """Text and mean confidence of one image, tried at the page's resolution and then enlarged.

    Tesseract sometimes reads nothing from a clean line of small Chinese text that it reads perfectly at 1.5×,
    while enlarging digits can make them worse ("25" → "295"); so the sizes are tried in turn and the most
    confident reading wins.
    """
    from PIL import Image

    best = ("", -1.0)
    pil = Image.fromarray(img)
    for factor in ZOOMS:
        im = pil if factor == 1 else pil.resize((round(pil.width * factor), round(pil.height * factor)), Image.LANCZOS)
        api.SetImage(im)
        text = api.GetUTF8Text()
        conf = float(api.MeanTextConf()) if text.strip() else 0.0
        if conf > best[1]:
            best = (text, conf)
        if conf >= GOOD_ENOUGH:
            break
    return best


def _read_cell(engines, crop: np.ndarray) -> tuple[str, float]:
    """OCR one cell (a greyscale crop with its ruling lines wiped): (text, confidence 0–100).

    The ink is cut out tightly and set on a white margin: Tesseract misses small text in a large empty cell.
    """
    text_api, digit_api, _ = engines
    ink = crop < DARK
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    tight = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    img = np.full((tight.shape[0] + 2 * MARGIN, tight.shape[1] + 2 * MARGIN), 255, np.uint8)
    img[MARGIN:-MARGIN, MARGIN:-MARGIN] = tight
    text, conf = _ocr(text_api, img)
    n_cjk = len(_CJK.findall(text.replace("〇", "").replace("一", "")))
    if _looks_numeric(text) or conf < RETRY_BELOW or (n_cjk <= 1 and re.search(r"\d", text)):
        digits, dconf = _ocr(digit_api, img)
        digits = re.sub(r"\s+", "", digits)
        if _FIGURE.match(digits) and (n_cjk == 0 or dconf > conf):
            return digits, dconf
    return _tidy(text), conf


def _reread_in_figure_columns(cells: list[Cell], engines, clean: np.ndarray, scale: float) -> list[Cell]:
    """In a column of figures, read a lone stray character again digits-only ("了" is a misread 7).

    A column counts as figures when most of its one-column cells read as figures. Null words (无, 空) are kept.
    """
    by_col: dict[int, list[Cell]] = {}
    for cell in cells:
        if cell.colspan == 1 and cell.text:
            by_col.setdefault(cell.col, []).append(cell)
    out = []
    for cell in cells:
        col = by_col.get(cell.col, [])
        figures = sum(1 for c in col if _FIGURE.match(c.text))
        t = cell.text.strip()
        if (
            cell.colspan == 1
            and len(t) == 1
            and _CJK.match(t)
            and t not in NULL_WORDS
            and figures >= max(3, 0.6 * len(col))
        ):
            x0, y0, x1, y1 = (round(v * scale) for v in cell.bbox)
            crop = clean[y0:y1, x0:x1]
            ink = crop < DARK
            rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            tight = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            img = np.full((tight.shape[0] + 2 * MARGIN, tight.shape[1] + 2 * MARGIN), 255, np.uint8)
            img[MARGIN:-MARGIN, MARGIN:-MARGIN] = tight
            digits, dconf = _ocr(engines[1], img)
            digits = re.sub(r"\s+", "", digits)
            if _FIGURE.match(digits):
                # the lower of the two confidences: the first reading disagreed
                cell = replace(cell, text=digits, confidence=min(dconf, cell.confidence or dconf))
        out.append(cell)
    return out


def page_image_to_tables(
    image, page: int, first_index: int = 0, lang: str = DEFAULT_LANG, read_text: bool = True, scale: float = 1.0
) -> tuple[list[RawTable], list[str]]:
    """The ruled tables of one page image as RawTables (cells OCR'd, with confidence), and the page's other text.

    Args:
        image: the page as a PIL image (any mode; read as greyscale).
        page: 1-based page number, stored on every cell.
        first_index: the document-wide index of this page's first table.
        lang: the Tesseract language.
        read_text: OCR the running text outside the tables too.
        scale: pixels per point of ``image``, so cell boxes come out in points like other extractors'.
    """
    from PIL import Image

    require_tesseract(lang)
    gray = np.asarray(image.convert("L"))
    tol = max(2, round(LINE_TOL_PT * scale))
    grids, rules = find_grids(gray, scale)
    clean = np.where(rules, 255, gray).astype(np.uint8)
    ink = clean < DARK
    engines = _Engines.get(lang)
    tables = []
    pad = max(1, tol // 2)
    for g in grids:
        cells = []
        for r, c, rs, cs in g.cells:
            x0, y0 = int(g.xs[c]) + pad, int(g.ys[r]) + pad
            x1, y1 = int(g.xs[c + cs]) - pad, int(g.ys[r + rs]) - pad
            if x1 - x0 < 3 or y1 - y0 < 3:
                continue
            if ink[y0:y1, x0:x1].sum() < MIN_INK:
                text, conf = "", None  # nothing printed: a blank cell, nothing to OCR
            else:
                text, conf = _read_cell(engines, clean[y0:y1, x0:x1])
            cells.append(
                Cell(
                    text=text,
                    row=r,
                    col=c,
                    rowspan=rs,
                    colspan=cs,
                    page=page,
                    bbox=(x0 / scale, y0 / scale, x1 / scale, y1 / scale),
                    confidence=conf,
                )
            )
        cells = _reread_in_figure_columns(cells, engines, clean, scale)
        tables.append(
            RawTable(
                index=first_index + len(tables),
                cells=tuple(cells),
                n_rows=len(g.ys) - 1,
                n_cols=len(g.xs) - 1,
                page=page,
            )
        )
    paragraphs: list[str] = []
    if read_text:
        text_img = clean.copy()
        for g in grids:
            x0, y0, x1, y1 = (int(v) for v in g.bbox)
            text_img[max(0, y0 - tol) : y1 + tol + 1, max(0, x0 - tol) : x1 + tol + 1] = 255
        page_api = engines[2]
        page_api.SetImage(Image.fromarray(text_img))
        paragraphs = [_tidy(p) for p in re.split(r"\n\s*\n", page_api.GetUTF8Text()) if p.strip()]
    return tables, paragraphs


def render_scale(size: tuple[float, float], scale: float, max_mp: float, page: int, warnings: list[str]) -> float:
    """The scale to render a page of ``size`` points at: ``scale``, lowered (with a warning) so the image stays within
    ``max_mp`` megapixels, decided before any pixel is drawn (a small PDF may declare a page of 5 x 5 metres)."""
    w, h = (max(1.0, float(v)) for v in size)
    mp = w * h * scale * scale / 1e6
    if mp <= max_mp:
        return scale
    lower = scale * (max_mp / mp) ** 0.5
    warnings.append(
        f"page {page} is {w:.0f} x {h:.0f} pt: rendered at {lower * 72:.0f} dpi instead of {scale * 72:.0f} "
        f"to stay within {max_mp:g} megapixels (ocr_max_megapixels)"
    )
    return lower


def extract_scanned(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read an image-only PDF by OCR: every page rendered, its ruled tables OCR'd cell by cell.

    Settings: ``ocr_dpi`` (render resolution, default 150), ``ocr_max_pages`` (default 40; later pages are skipped
    with a note), ``ocr_text_pages`` (pages whose running text is OCR'd for the title, default 1), ``ocr_lang``.

    Raises:
        DependencyMissing: Tesseract (binding or Chinese language data) is not installed.
        DocumentLoadError: the PDF cannot be opened.
    """
    import pypdfium2 as pdfium

    require_tesseract(settings.ocr_lang)
    scale = settings.ocr_dpi / 72
    max_pages = settings.ocr_max_pages
    text_pages = settings.ocr_text_pages
    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as e:
        raise DocumentLoadError(f"cannot open PDF: {e}") from e
    tables: list[RawTable] = []
    paragraphs: list[str] = []
    notes: list[str] = []
    warnings: list[str] = []
    try:
        n = len(pdf)
        if n > max_pages:
            warnings.append(f"scanned PDF has {n} pages; only the first {max_pages} were OCR'd (ocr_max_pages)")
        for i in range(min(n, max_pages)):
            page = pdf[i]
            page_scale = render_scale(page.get_size(), scale, settings.ocr_max_megapixels, i + 1, warnings)
            image = page.render(scale=page_scale, grayscale=True).to_pil()
            page.close()
            t, p = page_image_to_tables(image, i + 1, len(tables), settings.ocr_lang, i < text_pages, page_scale)
            tables += t
            paragraphs += p
    finally:
        pdf.close()
    notes.append("read by OCR (no text layer): figures may be misread; see each cell's confidence")
    return Document(
        origin=origin, tables=tuple(tables), paragraphs=tuple(paragraphs), notes=tuple(notes), warnings=tuple(warnings)
    )
