"""PDF: ruled and borderless tables as cell grids, page text outside tables as paragraphs.

Two engines read a page into character boxes and ruling lines: pypdfium2 (default, fast) and
pdfplumber (``Settings.pdf_engine = "pdfplumber"``). Everything after the reading, i.e.
finding tables and building their grids, is shared (``pdf_pages``, with OCR of scanned pages
too), so both engines give the same grids. A table that runs over a page break comes out as
one ``RawTable`` per page, in page order; the locate stage stitches the pieces.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from ..errors import DependencyMissing, DocumentLoadError
from ..model import Document, Origin
from ..settings import Settings
from .pdf_layout import Char, HSeg, VSeg
from .pdf_pages import grid_to_raw_table, read_pages

LINE_MAX_WIDTH = 3.0  # points; a filled or stroked path thinner than this is a ruling line
AXIS_TOL = 0.5  # points; a straight path piece whose ends differ less than this across runs along the axis
MIN_PIECE = 1.0  # points; shorter straight pieces are corners and dots, not parts of a rule


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a PDF into a Document: tables page by page, text lines outside tables."""
    reader: Callable[[Path], _Reader] = _PdfiumReader if settings.pdf_engine == "pdfium" else _PlumberReader
    with reader(path) as pdf:
        if pdf.n_pages > settings.max_pages:
            raise DocumentLoadError(f"{pdf.n_pages} pages exceeds the limit of {settings.max_pages} pages (max_pages)")
        pages = read_pages(pdf)
    if pages.n_chars == 0:
        return _scanned(path, origin, settings)
    tables = tuple(grid_to_raw_table(g, i) for i, g in enumerate(pages.grids))
    return Document(origin=origin, tables=tables, paragraphs=tuple(pages.paragraphs))


def _scanned(path: Path, origin: Origin, settings: Settings) -> Document:
    """An image-only PDF: read by OCR when it is on (``Settings.ocr``: True, False, or None = when the OCR engine is
    installed), else a clear failure that says how to read it."""
    from . import ocr

    want = settings.ocr
    if want is False:
        raise DocumentLoadError("no text layer (scanned PDF); OCR is off (--no-ocr)")
    if not ocr.ocr_available(settings):
        if want:
            ocr.require_ocr(settings)  # raises DependencyMissing
        raise DocumentLoadError(f"no text layer (scanned PDF); to read it by OCR: {ocr.install_hint(settings)}")
    return ocr.extract_scanned(path, origin, settings)


class _Reader:
    """What both engines' readers share: an open document, closed when the ``with`` block ends."""

    doc: Any  # pypdfium2.PdfDocument or pdfplumber.PDF; both imported only when that engine is used
    n_pages: int

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.doc.close()

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]:
        """The chars and ruling lines of page ``pno`` (0-based), in top-down coordinates."""
        raise NotImplementedError


class _PdfiumReader(_Reader):
    """Chars (loose font boxes) and ruling lines of each page through pypdfium2."""

    def __init__(self, path: Path):
        import pypdfium2 as pdfium

        self._pdfium = pdfium
        try:
            self.doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as e:
            msg = str(e)
            if "password" in msg.lower():
                raise DocumentLoadError("encrypted PDF (password required)") from e
            raise DocumentLoadError(f"cannot read PDF: {msg}") from e
        self.n_pages = len(self.doc)

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]:
        try:
            page = self.doc[pno]
        except self._pdfium.PdfiumError as e:
            raise DocumentLoadError(f"cannot read PDF: page {pno + 1}: {e}") from e
        try:
            _, height = page.get_size()
            chars = _pdfium_chars(page, height)
            rules = _PathRules(height)
            rules.read_page(page)
            return chars, rules.hsegs, rules.vsegs
        finally:
            page.close()


def _pdfium_chars(page: Any, height: float) -> list[Char]:
    """The page's printed chars with their loose boxes (spaces and control chars left out)."""
    import pypdfium2.raw as raw

    tp = page.get_textpage()
    try:
        tpr = tp.raw
        n = tp.count_chars()
        # one call for the page's text; it maps 1:1 onto char indices unless a char needs two
        # UTF-16 units, in which case fall back to one call per char
        text = tp.get_text_range(0, n) if n else ""
        if len(text) != n:
            text = "".join(chr(u) if 0 < (u := raw.FPDFText_GetUnicode(tpr, i)) < 0x110000 else " " for i in range(n))
        chars = []
        rect = raw.FS_RECTF()
        box = raw.FPDFText_GetLooseCharBox
        for i, t in enumerate(text):
            if t.isspace() or t == "\ufffe" or t == "\x00":
                continue
            box(tpr, i, rect)
            chars.append(Char(t, rect.left, height - rect.top, rect.right, height - rect.bottom))
        return chars
    finally:
        tp.close()


class _PathRules:
    """Ruling lines from a page's path objects through pypdfium2 (PDF coordinates flipped to top-down)."""

    def __init__(self, height: float):
        import ctypes

        self.height = height
        self.hsegs: list[HSeg] = []
        self.vsegs: list[VSeg] = []
        # ctypes out-parameters, reused for every path of the page
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._fillmode, self._stroke = ctypes.c_int(), ctypes.c_int()
        self._bounds = tuple(ctypes.c_float() for _ in range(4))

    def read_page(self, page: Any) -> None:
        import pypdfium2.raw as raw

        pr = page.raw
        for k in range(raw.FPDFPage_CountObjects(pr)):
            obj = raw.FPDFPage_GetObject(pr, k)
            if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_PATH:
                self._add_path(obj)

    def _add_path(self, obj: Any) -> None:
        """A thin path is one rule. A larger one, when stroked, gives its straight pieces (rectangles,
        polylines) as rules; when only filled, it is a background (banner, shaded cell, box) and only
        its thin closed pieces are rules."""
        import pypdfium2.raw as raw

        left, bottom, right, top = self._bounds
        raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
        if self._thin(left.value, bottom.value, right.value, top.value):
            return
        raw.FPDFPath_GetDrawMode(obj, self._fillmode, self._stroke)
        if not self._stroke.value and self._fillmode.value != raw.FPDF_FILLMODE_NONE:
            self._add_fills(self._points(obj, closes=False))
        else:
            self._add_strokes(self._points(obj, closes=True))

    def _thin(self, left: float, bottom: float, right: float, top: float) -> bool:
        """Add the box as a rule along its middle if it is thinner than ``LINE_MAX_WIDTH``; whether it was."""
        w, h = right - left, top - bottom
        if h <= LINE_MAX_WIDTH and w > h:
            self.hsegs.append(HSeg(self.height - (top + bottom) / 2, left, right))
            return True
        if w <= LINE_MAX_WIDTH and h > w:
            self.vsegs.append(VSeg((left + right) / 2, self.height - top, self.height - bottom))
            return True
        return False

    def _points(self, obj: Any, closes: bool) -> list[tuple[int, float, float, bool]]:
        """The path's points in page space: (segment type, x, y, closes its subpath)."""
        import pypdfium2.raw as raw

        m = raw.FS_MATRIX()
        raw.FPDFPageObj_GetMatrix(obj, m)
        x, y = self._x, self._y
        out = []
        for j in range(raw.FPDFPath_CountSegments(obj)):
            seg = raw.FPDFPath_GetPathSegment(obj, j)
            raw.FPDFPathSegment_GetPoint(seg, x, y)
            px = m.a * x.value + m.c * y.value + m.e
            py = m.b * x.value + m.d * y.value + m.f
            out.append((raw.FPDFPathSegment_GetType(seg), px, py, closes and bool(raw.FPDFPathSegment_GetClose(seg))))
        return out

    def _add_fills(self, points: list[tuple[int, float, float, bool]]) -> None:
        """Each filled subpath: a thin one is a rule along its middle; a larger one is a background fill."""
        import pypdfium2.raw as raw

        sub: list[tuple[float, float]] = []
        for kind, px, py, _ in points:
            if kind == raw.FPDF_SEGMENT_MOVETO:
                self._add_fill(sub)
                sub = []
            sub.append((px, py))
        self._add_fill(sub)

    def _add_fill(self, pts: list[tuple[float, float]]) -> None:
        if len(pts) < 2:
            return
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        self._thin(min(xs), min(ys), max(xs), max(ys))

    def _add_strokes(self, points: list[tuple[int, float, float, bool]]) -> None:
        """Each straight piece of a stroked path (and the closing piece of a closed subpath)."""
        import pypdfium2.raw as raw

        start = prev = None
        for kind, px, py, close in points:
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = (px, py)
            elif kind == raw.FPDF_SEGMENT_LINETO and prev is not None:
                _add_seg(prev, (px, py), self.height, self.hsegs, self.vsegs)
            prev = (px, py)
            if close and start is not None:
                _add_seg((px, py), start, self.height, self.hsegs, self.vsegs)


def _add_seg(
    p: tuple[float, float], q: tuple[float, float], height: float, hsegs: list[HSeg], vsegs: list[VSeg]
) -> None:
    """A straight piece from ``p`` to ``q`` (PDF coordinates) as a rule, if it runs along an axis."""
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < AXIS_TOL and abs(x1 - x0) >= MIN_PIECE:
        hsegs.append(HSeg(height - y0, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) < AXIS_TOL and abs(y1 - y0) >= MIN_PIECE:
        vsegs.append(VSeg(x0, height - max(y0, y1), height - min(y0, y1)))


class _PlumberReader(_Reader):
    """Chars and ruling lines of each page through pdfplumber (pdfminer)."""

    def __init__(self, path: Path):
        try:
            import pdfplumber
            from pdfminer.pdfdocument import PDFPasswordIncorrect
        except ImportError as e:
            raise DependencyMissing("pdf_engine 'pdfplumber' needs the pdfplumber package") from e
        try:
            self.doc = pdfplumber.open(str(path))
            self.n_pages = len(self.doc.pages)
        except Exception as e:  # pdfminer raises many types (PDFSyntaxError, PSEOF, KeyError...)
            # pdfplumber wraps pdfminer's error in PdfminerException(original)
            inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e
            if isinstance(inner, PDFPasswordIncorrect):
                raise DocumentLoadError("encrypted PDF (password required)") from e
            raise DocumentLoadError(f"cannot read PDF: {type(inner).__name__}: {inner}") from e

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]:
        try:
            page = self.doc.pages[pno]
            chars = [Char(c["text"], c["x0"], c["top"], c["x1"], c["bottom"]) for c in page.chars if _keep(c["text"])]
            hsegs, vsegs = _plumber_rules(page)
            page.close()
            return chars, hsegs, vsegs
        except DocumentLoadError:
            raise
        except Exception as e:  # a broken content stream on one page stops the file, with its page
            raise DocumentLoadError(f"cannot read PDF: page {pno + 1}: {type(e).__name__}: {e}") from e


def _keep(text: str) -> bool:
    return bool(text) and not text.isspace() and text != "\ufffe"


def _plumber_rules(page: Any) -> tuple[list[HSeg], list[VSeg]]:
    """Ruling lines from pdfplumber's rects, lines and curves (already top-down)."""
    hsegs: list[HSeg] = []
    vsegs: list[VSeg] = []
    for obj in page.rects + page.lines:
        _plumber_rule(obj, hsegs, vsegs)
    for obj in page.curves:
        pts = obj.get("pts") or []
        for p, q in itertools.pairwise(pts):
            _add_seg((p[0], -p[1]), (q[0], -q[1]), 0.0, hsegs, vsegs)
    return hsegs, vsegs


def _plumber_rule(obj: dict[str, Any], hsegs: list[HSeg], vsegs: list[VSeg]) -> None:
    """A thin rect or line is a rule along its middle; a larger stroked rect gives its four sides (a fill
    only is a background)."""
    w, h = obj["x1"] - obj["x0"], obj["bottom"] - obj["top"]
    if h <= LINE_MAX_WIDTH and w > h:
        hsegs.append(HSeg((obj["top"] + obj["bottom"]) / 2, obj["x0"], obj["x1"]))
    elif w <= LINE_MAX_WIDTH and h > w:
        vsegs.append(VSeg((obj["x0"] + obj["x1"]) / 2, obj["top"], obj["bottom"]))
    elif obj["object_type"] == "rect" and obj.get("stroke", True):
        hsegs += [HSeg(obj["top"], obj["x0"], obj["x1"]), HSeg(obj["bottom"], obj["x0"], obj["x1"])]
        vsegs += [VSeg(obj["x0"], obj["top"], obj["bottom"]), VSeg(obj["x1"], obj["top"], obj["bottom"])]
