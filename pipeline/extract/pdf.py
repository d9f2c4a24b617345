"""PDF: ruled and borderless tables as cell grids, page text outside tables as paragraphs.

Two engines read a page into character boxes and ruling lines: pypdfium2 (default, fast) and
pdfplumber (``Settings.pdf_engine = "pdfplumber"``). Everything after the reading, i.e.
finding tables and building their grids, is shared (``pdf_layout``), so both engines give the
same grids. A table that runs over a page break comes out as one ``RawTable`` per page, in
page order; the locate stage stitches the pieces.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from ..errors import DependencyMissing, DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import Settings
from .pdf_borderless import text_tables
from .pdf_layout import Char, Grid, HSeg, Line, VSeg, chars_to_lines, in_any
from .pdf_ruled import ruled_tables
from .pdf_stitch import stitch

EDGE_TEXT_CHARS = 12  # a table continues over the page break if at most this many chars (running
# header or footer, page number) lie between it and the page edge
LINE_MAX_WIDTH = 3.0  # points; a filled or stroked path thinner than this is a ruling line


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a PDF into a Document: tables page by page, text lines outside tables."""
    max_pages = settings.max_pages
    reader = _PdfiumReader if settings.pdf_engine == "pdfium" else _PlumberReader
    with reader(path) as pdf:
        if pdf.n_pages > max_pages:
            raise DocumentLoadError(f"{pdf.n_pages} pages exceeds the limit of {max_pages} pages (max_pages)")
        grids: list[Grid] = []
        paragraphs: list[str] = []
        n_text = 0
        open_end = False  # the last table found runs to the foot of its page
        for pno in range(pdf.n_pages):
            chars, hsegs, vsegs = pdf.page(pno)
            n_text += len(chars)
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
            paragraphs.extend(ln.text() for ln in rest)
    if n_text == 0:
        return _scanned(path, origin, settings)
    tables = [grid_to_raw_table(g, i) for i, g in enumerate(grids)]
    return Document(origin=origin, tables=tuple(tables), paragraphs=tuple(p for p in paragraphs if p.strip()))


def _scanned(path: Path, origin: Origin, settings: Settings) -> Document:
    """An image-only PDF: read by OCR when it is on (``Settings.ocr``: True, False, or None = when Tesseract is
    installed), else a clear failure that says how to read it."""
    from . import ocr

    want = settings.ocr
    if want is False:
        raise DocumentLoadError("no text layer (scanned PDF); OCR is off (--no-ocr)")
    if not ocr.tesseract_available(settings.ocr_lang):
        if want:
            ocr.require_tesseract(settings.ocr_lang)  # raises DependencyMissing
        raise DocumentLoadError(
            "no text layer (scanned PDF); to read it by OCR install Tesseract: "
            "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
        )
    return ocr.extract_scanned(path, origin, settings)


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


def grid_to_raw_table(g: Grid, index: int) -> RawTable:
    cells = tuple(
        Cell(text=text, row=r, col=c, rowspan=rs, colspan=cs, page=page, bbox=tuple(round(v, 2) for v in bbox))
        for r, c, rs, cs, text, bbox, page in g.texts()
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


def _keep(text: str) -> bool:
    return bool(text) and not text.isspace() and text != "\ufffe"


class _Reader:
    """What both engines' readers share: an open document (``self.doc``), closed when the ``with`` block ends."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.doc.close()


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
        import ctypes

        import pypdfium2.raw as raw

        try:
            page = self.doc[pno]
        except self._pdfium.PdfiumError as e:
            raise DocumentLoadError(f"cannot read PDF: page {pno + 1}: {e}") from e
        try:
            _, height = page.get_size()
            tp = page.get_textpage()
            tpr = tp.raw
            n = tp.count_chars()
            # one call for the page's text; it maps 1:1 onto char indices unless a char needs two
            # UTF-16 units, in which case fall back to one call per char
            text = tp.get_text_range(0, n) if n else ""
            if len(text) != n:
                text = "".join(
                    chr(u) if 0 < (u := raw.FPDFText_GetUnicode(tpr, i)) < 0x110000 else " " for i in range(n)
                )
            chars = []
            rect = raw.FS_RECTF()
            box = raw.FPDFText_GetLooseCharBox
            for i, t in enumerate(text):
                if t.isspace() or t == "\ufffe" or t == "\x00":
                    continue
                box(tpr, i, rect)
                chars.append(Char(t, rect.left, height - rect.top, rect.right, height - rect.bottom))
            hsegs, vsegs = [], []
            x, y = ctypes.c_float(), ctypes.c_float()
            fillmode, stroke = ctypes.c_int(), ctypes.c_int()
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            pr = page.raw
            for k in range(raw.FPDFPage_CountObjects(pr)):
                obj = raw.FPDFPage_GetObject(pr, k)
                if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_PATH:
                    continue
                raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
                l, b, r, t_ = left.value, bottom.value, right.value, top.value
                w, h = r - l, t_ - b
                if h <= LINE_MAX_WIDTH and w > h:
                    hsegs.append(HSeg(height - (t_ + b) / 2, l, r))
                    continue
                if w <= LINE_MAX_WIDTH and h > w:
                    vsegs.append(VSeg((l + r) / 2, height - t_, height - b))
                    continue
                # a larger path: when stroked, its straight pieces (rectangles, polylines) are ruling
                # lines; when only filled, it is a background (banner, shaded cell, box) and only its
                # thin closed pieces are rules
                raw.FPDFPath_GetDrawMode(obj, fillmode, stroke)
                filled_only = not stroke.value and fillmode.value != raw.FPDF_FILLMODE_NONE
                m = raw.FS_MATRIX()
                raw.FPDFPageObj_GetMatrix(obj, m)
                pts: list[tuple[float, float]] = []
                start = None
                sub: list[tuple[float, float]] = []  # points of the current subpath (filled paths)
                for j in range(raw.FPDFPath_CountSegments(obj)):
                    seg = raw.FPDFPath_GetPathSegment(obj, j)
                    raw.FPDFPathSegment_GetPoint(seg, x, y)
                    px = m.a * x.value + m.c * y.value + m.e
                    py = m.b * x.value + m.d * y.value + m.f
                    kind = raw.FPDFPathSegment_GetType(seg)
                    if filled_only:
                        if kind == raw.FPDF_SEGMENT_MOVETO:
                            _add_fill(sub, height, hsegs, vsegs)
                            sub = []
                        sub.append((px, py))
                        continue
                    if kind == raw.FPDF_SEGMENT_MOVETO:
                        start = (px, py)
                    elif kind == raw.FPDF_SEGMENT_LINETO and pts:
                        _add_seg(pts[-1], (px, py), height, hsegs, vsegs)
                    pts.append((px, py))
                    if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                        _add_seg((px, py), start, height, hsegs, vsegs)
                if filled_only:
                    _add_fill(sub, height, hsegs, vsegs)
            tp.close()
            return chars, hsegs, vsegs
        finally:
            page.close()


def _add_fill(pts, height, hsegs, vsegs) -> None:
    """One filled subpath: a thin one is a ruling line along its middle; a larger one is a
    background fill (banner, shaded cell, content box) and gives no rules."""
    if len(pts) < 2:
        return
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    l, r, b, t = min(xs), max(xs), min(ys), max(ys)
    w, h = r - l, t - b
    if h <= LINE_MAX_WIDTH and w > h:
        hsegs.append(HSeg(height - (t + b) / 2, l, r))
    elif w <= LINE_MAX_WIDTH and h > w:
        vsegs.append(VSeg((l + r) / 2, height - t, height - b))


def _add_seg(p, q, height, hsegs, vsegs) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.5 and abs(x1 - x0) >= 1:
        hsegs.append(HSeg(height - y0, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) < 0.5 and abs(y1 - y0) >= 1:
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
            hsegs, vsegs = [], []
            for obj in page.rects + page.lines:
                w, h = obj["x1"] - obj["x0"], obj["bottom"] - obj["top"]
                if h <= LINE_MAX_WIDTH and w > h:
                    hsegs.append(HSeg((obj["top"] + obj["bottom"]) / 2, obj["x0"], obj["x1"]))
                elif w <= LINE_MAX_WIDTH and h > w:
                    vsegs.append(VSeg((obj["x0"] + obj["x1"]) / 2, obj["top"], obj["bottom"]))
                elif obj["object_type"] == "rect" and obj.get("stroke", True):  # a fill only is a background
                    hsegs += [HSeg(obj["top"], obj["x0"], obj["x1"]), HSeg(obj["bottom"], obj["x0"], obj["x1"])]
                    vsegs += [VSeg(obj["x0"], obj["top"], obj["bottom"]), VSeg(obj["x1"], obj["top"], obj["bottom"])]
            for obj in page.curves:
                pts = obj.get("pts") or []
                for p, q in itertools.pairwise(pts):
                    _add_seg((p[0], -p[1]), (q[0], -q[1]), 0.0, hsegs, vsegs)
            page.close()
            return chars, hsegs, vsegs
        except DocumentLoadError:
            raise
        except Exception as e:  # a broken content stream on one page stops the file, with its page
            raise DocumentLoadError(f"cannot read PDF: page {pno + 1}: {type(e).__name__}: {e}") from e
