"""Scanned reports: each page image made into positioned text and ruling lines, then read like a text-layer PDF.

A scan has no text layer, so one is made. The page is cleaned and turned straight (``ocr_image``: seal colour
dropped, paper flattened, skew measured and undone); its ruling lines are found in the image; the table grid they
draw comes first, and each cell's lines of print are cut out and recognised on their own (``ocr_engine``: PP-OCRv4
by default), since a page-wide text detector misses lone figures such as ``0``. Outside the ruled tables, runs of
print are located from the image alone; only those that form a borderless table (by the same test the PDF path
uses) and the first lines of the first page (title, agency, year) are recognised, the rest stand in as blank
characters of their size, enough for the layout to tell a table cut by a page break from one followed by text.

What comes out is what a PDF text layer gives: ``Char`` boxes (with the OCR confidence of their line) and
``HSeg``/``VSeg`` rules in points, page by page. ``pdf_pages.read_pages`` then finds ruled and borderless tables,
stitches tables cut by page breaks and keeps the text, exactly as for a text-layer PDF, so every layout the PDF path
reads is read from scans too; each cell's confidence (0-100) is its least confident character's.

A figure is decided with care: a cell reading that looks numeric, or a lone stray character in a column of figures,
is taken from the digits-only reading of the same crop, and a figure read with little confidence is cut out again
more tightly, enlarged, and read once more. ``extract_scanned(path, origin, settings)`` reads a whole image-only PDF.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DependencyMissing, DocumentLoadError
from ..model import Document, Origin
from ..settings import Settings
from ..text import NULL_TOKENS, has_figure_shape
from . import ocr_engine
from .ocr_engine import Engine, Reading
from .ocr_image import POINT_GAP_PT, STROKE_PT, Box, Page, Rule, clean_page, print_mask, rule_segments, text_boxes
from .pdf_borderless import text_regions
from .pdf_layout import Char, HSeg, Line, VSeg, chars_to_lines
from .pdf_pages import grid_to_raw_table, read_pages
from .pdf_ruled import ruled_tables

TIME_SHARE = 0.75  # share of the file's time limit (Settings.timeout) OCR may spend before it stops reading pages
OCR_NOTE = "read by OCR (no text layer): figures may be misread; see each cell's confidence"
CELL_PAD_PT = 1.5  # a cell's content is looked for this far inside its rules
RULE_WIPE_PT = 1.2  # a rule's ink is looked for this far (x2) either side of its line, and wiped
WIPE_PIECE = 24  # pixels of a rule wiped at a time, each piece where its own ink lies
CROP_MARGIN = 0.3  # paper kept around a line of print when it is cut out, in line heights
RETRY_BELOW = 90.0  # a figure read with less confidence than this is cut out again and read once more
RETRY_STRETCH = 2.0  # ... widened this much
SQUEEZE_FROM = 3.0  # a line longer than this many heights (a label, mostly) is read narrowed ...
SQUEEZE = 0.6  # ... to this share of its width
DIGIT_WIDTH = 0.7  # a digit is at most this wide for its height: a figure wider than its digits is read again
EDGE_PT = 0.8  # print is read with this much of its surroundings; what lies further from it is made paper
FAINT_LEVEL = 215  # beside print, a stroke darker than this is read with it (a thin minus sign is grey)
FULL_LINE = 0.8  # a line this share of the text block's width is running text (a title line is shorter)
MIN_FIGURE_COLUMN = 3  # a column with at least this many figures (and most of its cells) is a column of figures
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class OcrChar(Char):
    """A character read by OCR, with the confidence (0-100) of the line it was read in."""

    conf: float | None = None


# --- availability --------------------------------------------------------------------------------------------------


def ocr_available(settings: Settings) -> bool:
    """Is the configured OCR engine installed (the ``--ocr`` default)?"""
    return ocr_engine.available(settings.ocr_engine, settings.ocr_lang)


def install_hint(settings: Settings) -> str:
    """What to install for the configured engine."""
    return ocr_engine.RAPIDOCR_MISSING if settings.ocr_engine == "rapidocr" else ocr_engine.TESSERACT_MISSING


def require_ocr(settings: Settings) -> None:
    """Raises DependencyMissing, naming what to install, when the configured engine is not installed."""
    if not ocr_available(settings):
        raise DependencyMissing(f"OCR engine {settings.ocr_engine!r} is not installed: {install_hint(settings)}")


def engine_threads(settings: Settings) -> int:
    """Threads for one engine: ``ocr_threads``, else the cores shared out among the batch's worker processes."""
    return settings.ocr_threads or max(1, (os.cpu_count() or 1) // settings.n_workers)


# --- one page ------------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    """One line of print to recognise: its box (pixels) and, for a ruled cell, which (grid, column) it is in."""

    box: Box
    column: tuple[int, int] | None = None
    cell: tuple[int, int, int] | None = None  # (grid, row, col) of a ruled cell
    reading: Reading | None = None
    text: str = ""
    conf: float = 0.0


@dataclass
class PageText:
    """A scanned page as a PDF text layer gives it: chars and rules in points; ``angle`` the skew undone."""

    chars: list[Char] = field(default_factory=list)
    hsegs: list[HSeg] = field(default_factory=list)
    vsegs: list[VSeg] = field(default_factory=list)
    angle: float = 0.0


def read_page_image(rgb: np.ndarray, scale: float, engine: Engine, text_lines_wanted: int | None = 0) -> PageText:
    """One page image (RGB or greyscale array) as positioned text and rules.

    Args:
        rgb: the page's pixels.
        scale: pixels per point, so boxes come out in points like a PDF's.
        engine: the OCR engine that recognises lines.
        text_lines_wanted: lines of running text outside tables to recognise, from the top (None: all; 0: none).
    """
    page = clean_page(rgb, scale)
    h, v = rule_segments(page)
    out = PageText(angle=page.angle)
    out.hsegs = [HSeg(r.pos / scale, r.a / scale, r.b / scale) for r in h]
    out.vsegs = [VSeg(r.pos / scale, r.a / scale, r.b / scale) for r in v]
    grids = ruled_tables([], out.hsegs, out.vsegs)
    ink, gray = _wipe_rules(page, h, v)
    mask = print_mask(ink, scale, page.seal)
    gray[~_readable(gray, mask, page.seal, scale)] = 255  # only print is read: not dust, nor what a seal's edge leaves
    jobs = _cell_jobs(grids, mask, scale)
    outside = mask.copy()
    for g in grids:
        x0, y0, x1, y1 = (round(c * scale) for c in g.bbox)
        outside[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = False
    loose, stand_ins = _outside_jobs(outside, scale, text_lines_wanted)
    jobs += loose
    _recognise(engine, gray, jobs)
    _decide(jobs)
    _retry_doubtful(engine, gray, jobs)
    out.chars = [ch for j in jobs for ch in _chars(j, scale)] + stand_ins
    return out


def _wipe_rules(page: Page, h: list[Rule], v: list[Rule]) -> tuple[np.ndarray, np.ndarray]:
    """The page's ink and greyscale with the rules made paper: a rule's grey edge must not read as 1 or |.

    A rule is followed piece by piece (its line may wander by a pixel or two after deskewing), and each piece is
    wiped around where its ink actually lies, a pixel beyond its edges.
    """
    ink, gray = page.ink.copy(), page.gray.copy()
    w = max(1, round(RULE_WIPE_PT * page.scale))
    for rules, ink_v, gray_v in ((h, ink, gray), (v, ink.T, gray.T)):
        for r in rules:
            for a in range(r.a, r.b, WIPE_PIECE):
                b = min(r.b, a + WIPE_PIECE)
                lo = max(0, round(r.pos) - 2 * w)
                across = ink_v[lo : round(r.pos) + 2 * w + 1, a:b].sum(axis=1)
                rows = np.flatnonzero(across >= 0.5 * (b - a)) + lo
                y0, y1 = (int(rows[0]), int(rows[-1])) if rows.size else (round(r.pos), round(r.pos))
                band = (slice(max(0, y0 - 1), y1 + 2), slice(a, b))
                ink_v[band], gray_v[band] = False, 255
    return ink, gray


def _readable(gray: np.ndarray, mask: np.ndarray, seal: np.ndarray | None, scale: float) -> np.ndarray:
    """What is read of the page: the print, faint strokes on its lines beside it (a minus sign printed thin and
    grey), and a point around both (their soft edges)."""
    import cv2

    rx, ry, r = (max(1, round(v * scale)) for v in (POINT_GAP_PT, 0.5, EDGE_PT))
    beside = cv2.dilate(mask.astype(np.uint8), np.ones((2 * ry + 1, 2 * rx + 1), np.uint8)).astype(bool)
    faint = beside & (gray < FAINT_LEVEL)
    if seal is not None:
        faint &= ~seal
    return cv2.dilate((mask | faint).astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool)


def _cell_jobs(grids: list, mask: np.ndarray, scale: float) -> list[_Job]:
    """A job per run of print in each ruled cell: per line (a wrapped label gives several; a blank cell none), and
    apart where a wide gap parts it (a mark left by a seal or dust beside a figure)."""
    jobs = []
    pad = max(1, round(CELL_PAD_PT * scale))
    stroke = max(2, round(STROKE_PT * scale))
    for gi, g in enumerate(grids):
        for c in g.cells:
            x0, y0, x1, y1 = (round(v * scale) for v in c.bbox)
            x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 - pad, y1 - pad
            if x1 - x0 < 3 or y1 - y0 < 3:
                continue
            for b in text_boxes(mask[y0:y1, x0:x1], stroke):
                box = Box(x0 + b.x0, y0 + b.y0, x0 + b.x1, y0 + b.y1)
                jobs.append(_Job(box, column=(gi, c.col), cell=(gi, c.row, c.col)))
    return jobs


def _outside_jobs(mask: np.ndarray, scale: float, wanted: int | None) -> tuple[list[_Job], list[Char]]:
    """Runs of print outside the ruled tables: (jobs for those to recognise, stand-in chars for the rest).

    Recognised are the runs of lines that form a borderless table (found on stand-in characters, by the PDF path's
    own test) and the first ``wanted`` lines (None: all).
    """
    boxes = text_boxes(mask, max(2, round(STROKE_PT * scale)))
    stand_ins = [_blank_chars(b, scale) for b in boxes]
    owner = {id(ch): i for i, chs in enumerate(stand_ins) for ch in chs}
    lines = chars_to_lines([ch for chs in stand_ins for ch in chs])
    read = [ln for start, end in text_regions(lines) for ln in lines[start : end + 1]] + _title_lines(lines, wanted)
    chosen = {owner[id(ch)] for ln in read for ch in ln.chars}
    jobs = [_Job(b) for i, b in enumerate(boxes) if i in chosen]
    return jobs, [ch for i, chs in enumerate(stand_ins) if i not in chosen for ch in chs]


def _title_lines(lines: list[Line], wanted: int | None) -> list[Line]:
    """The lines of running text to read: all (``wanted`` None), or the page's leading lines, at most ``wanted``,
    up to the first line as wide as the text block (a paragraph's first line: the title is above it)."""
    if wanted is None or not lines:
        return lines
    width = max(ln.x1 for ln in lines) - min(ln.x0 for ln in lines)
    out: list[Line] = []
    for ln in lines[:wanted]:
        if out and ln.x1 - ln.x0 >= FULL_LINE * width:
            break
        out.append(ln)
    return out


def _blank_chars(box: Box, scale: float) -> list[Char]:
    """Stand-ins for unread print: as many blank chars as the run's width holds (squares of its height)."""
    n = max(1, round(box.w / max(box.h, 1)))
    step = box.w / n
    return [
        Char(" ", (box.x0 + k * step) / scale, box.y0 / scale, (box.x0 + (k + 1) * step) / scale, box.y1 / scale)
        for k in range(n)
    ]


def _crop(gray: np.ndarray, box: Box, stretch: float = 1.0) -> np.ndarray:
    """A line of print cut out with a margin of paper (the page beyond its edge is paper too), made ``stretch``
    times as wide (wider: more columns for the recogniser to tell "11" from "1"; narrower: fewer to pay for)."""
    m = max(2, round(CROP_MARGIN * box.h))
    h, w = box.h + 2 * m, box.w + 2 * m
    out = np.full((h, w), 255, np.uint8)
    y0, x0 = box.y0 - m, box.x0 - m
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(gray.shape[0], y0 + h), min(gray.shape[1], x0 + w)
    out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = gray[sy0:sy1, sx0:sx1]
    if stretch == 1.0:
        return out
    import cv2

    size = (max(8, round(w * stretch)), h)
    return np.asarray(cv2.resize(out, size, interpolation=cv2.INTER_CUBIC if stretch > 1 else cv2.INTER_AREA), np.uint8)


def _recognise(engine: Engine, gray: np.ndarray, jobs: list[_Job]) -> None:
    """Each job's reading. A long line (most are labels, whose characters are square) is read narrowed, which costs
    less and reads Chinese as well; one that then reads as a figure is read again at its width (digits are narrow:
    narrowed, "11" may run together)."""
    squeeze = [SQUEEZE if j.box.w > SQUEEZE_FROM * j.box.h else 1.0 for j in jobs]
    readings = engine.read([_crop(gray, j.box, f) for j, f in zip(jobs, squeeze, strict=True)]) if jobs else []
    for j, r in zip(jobs, readings, strict=True):
        j.reading = r
    again = [j for j, f in zip(jobs, squeeze, strict=True) if f != 1.0 and _read_as_figure(j.reading)]
    for j, r in zip(again, engine.read([_crop(gray, j.box) for j in again]) if again else [], strict=True):
        j.reading = r


def _read_as_figure(r: Reading | None) -> bool:
    return r is not None and bool(_DIGIT.search(r.text)) and _maybe_figure(_trim(r.text.strip()))


# --- figures -------------------------------------------------------------------------------------------------------


def _maybe_figure(text: str) -> bool:
    """A reading that may be a misread figure: no Chinese at all ("O" for 0, "l" for 1), or a digit with at most one
    Chinese character ("2了" for 27); never a printed null word ("无")."""
    if not text or text in NULL_TOKENS:
        return False
    n_cjk = len(_CJK.findall(text))
    return n_cjk == 0 or (n_cjk <= 1 and bool(_DIGIT.search(text)))


def _trim(text: str) -> str:
    """A figure as printed: a point or comma after it is a speck read as one (no figure ends with one)."""
    cut = text.rstrip(".,，。、")
    return cut if cut != text and has_figure_shape(cut) else text


def _first_choice(r: Reading) -> tuple[str, float]:
    """The text of a reading: the free reading, or the digits-only one where the free one may be a misread figure
    and the digits-only one is a figure."""
    text = r.text.strip()
    digits = _trim(r.digits.strip())
    if has_figure_shape(text) and _trim(text) == digits:
        # read the same as a figure: how sure the digits are is the figure's confidence (a "0" that might be an
        # "O" in running text is a 0 here)
        return digits, r.digits_confidence
    if has_figure_shape(text) or not _maybe_figure(text):
        return _trim(text), r.confidence
    if has_figure_shape(digits):
        return digits, r.digits_confidence
    return text, r.confidence


def _figure_columns(jobs: list[_Job]) -> list[list[_Job]]:
    """The jobs of each column of figures (a column with at least ``MIN_FIGURE_COLUMN`` figures, most of its
    readings)."""
    columns: dict[tuple[int, int], list[_Job]] = {}
    for j in jobs:
        if j.column is not None and j.text:
            columns.setdefault(j.column, []).append(j)
    return [
        col
        for col in columns.values()
        if sum(1 for j in col if has_figure_shape(j.text)) >= max(MIN_FIGURE_COLUMN, 0.6 * len(col))
    ]


def _decide(jobs: list[_Job]) -> None:
    """Each job's text; then, in each column of figures, stray characters and marks beside figures dealt with."""
    for j in jobs:
        if j.reading is not None:
            j.text, j.conf = _first_choice(j.reading)
    for col in _figure_columns(jobs):
        for j in col:
            _stray_to_digits(j)
        cells: dict[tuple[int, int, int] | None, list[_Job]] = {}
        for j in col:
            cells.setdefault(j.cell, []).append(j)
        for group in cells.values():
            _one_figure(group)


def _stray_to_digits(j: _Job) -> None:
    """In a column of figures, a lone stray Chinese character ("了" for 7) is read as its digits-only reading, with
    the lower of the two confidences (the first reading disagreed)."""
    if j.reading is None or len(j.text) != 1 or not _CJK.match(j.text) or j.text in NULL_TOKENS:
        return
    digits = _trim(j.reading.digits.strip())
    if has_figure_shape(digits):
        j.text, j.conf = digits, min(j.reading.digits_confidence, j.conf)


def _one_figure(group: list[_Job]) -> None:
    """The runs of print of one cell in a column of figures: a cell holds one figure, so beside its most confident
    figure only Chinese is kept; other marks are what a seal or dust leaves."""
    best = max((j for j in group if has_figure_shape(j.text)), key=lambda j: j.conf, default=None)
    for j in group:
        if best is not None and j is not best and not _CJK.search(j.text):
            j.text = ""


def _doubtful(job: _Job) -> bool:
    """A figure read with little confidence, or printed wider than the digits read account for (a recogniser given
    too few columns runs "11" together into "1")."""
    if job.column is None or not has_figure_shape(job.text):
        return False
    digits = len(_DIGIT.findall(job.text))
    return job.conf < RETRY_BELOW or job.box.w > (digits + 0.5) * DIGIT_WIDTH * job.box.h


def _retry_doubtful(engine: Engine, gray: np.ndarray, jobs: list[_Job]) -> None:
    """Doubtful figures cut out again, widened, and read digits-only (see ``_take_retry``)."""
    doubtful = [j for j in jobs if _doubtful(j)]
    if doubtful:
        for j, r in zip(doubtful, engine.read([_crop(gray, j.box, RETRY_STRETCH) for j in doubtful]), strict=True):
            _take_retry(j, r)


def _take_retry(j: _Job, r: Reading) -> None:
    """A widened crop gives the recogniser more columns per digit but is less sure of points and signs, so a re-read
    is taken only with the same points and signs, where it is more confident (and confident, where it finds more
    digits: "11" for "1"). Where the two readings agree the confidence is the higher one, where they differ the
    lower one."""
    digits = _trim(r.digits.strip())
    if digits == j.text:
        j.conf = max(j.conf, r.digits_confidence)
    elif has_figure_shape(digits) and _DIGIT.sub("", digits) == _DIGIT.sub("", j.text):
        if r.digits_confidence > max(j.conf, RETRY_BELOW if len(digits) > len(j.text) else 0.0):
            j.text, j.conf = digits, min(j.conf, r.digits_confidence)


def _chars(job: _Job, scale: float) -> list[Char]:
    """A recognised line as chars side by side across its box: each char's share of the width ends midway to its
    neighbours' centres, so no gap inside the line reads as a space."""
    text = job.text
    if not text:
        return []
    pos = list(job.reading.positions) if job.reading is not None else []
    if len(pos) != len(text):
        pos = [(k + 0.5) / len(text) for k in range(len(text))]
    b = job.box
    xs = [b.x0 + p * b.w for p in pos]
    edges = [b.x0, *((a + c) / 2 for a, c in itertools.pairwise(xs)), b.x1]
    return [
        OcrChar(t, edges[k] / scale, b.y0 / scale, edges[k + 1] / scale, b.y1 / scale, conf=round(job.conf, 1))
        for k, t in enumerate(text)
        if not t.isspace()
    ]


# --- a whole PDF ---------------------------------------------------------------------------------------------------


class ScanReader:
    """The pages of an image-only PDF, read as positioned text and rules (``pdf_pages.PageReader``)."""

    def __init__(self, path: Path, settings: Settings, engine: Engine):
        import pypdfium2 as pdfium

        try:
            self.doc = pdfium.PdfDocument(str(path))
        except (pdfium.PdfiumError, OSError) as e:
            raise DocumentLoadError(f"cannot open PDF: {e}") from e
        self.settings, self.engine = settings, engine
        self.total = len(self.doc)
        self.n_pages = min(self.total, settings.ocr_max_pages)
        self.scale = settings.ocr_dpi / 72
        self.angles: list[float] = []
        # pages are read while a share of the file's time limit remains, so a slow machine costs pages, not the file
        self.deadline = time.monotonic() + TIME_SHARE * settings.timeout if settings.timeout else None
        self.unread: list[int] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.doc.close()

    def page(self, pno: int) -> tuple[list[Char], list[HSeg], list[VSeg]]:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.unread.append(pno + 1)
            return [], [], []
        page = self.doc[pno]
        try:
            rgb = np.asarray(page.render(scale=self.scale).to_pil().convert("RGB"))
        finally:
            page.close()
        s = self.settings
        wanted = (s.ocr_text_lines or None) if pno < s.ocr_text_pages else 0
        text = read_page_image(rgb, self.scale, self.engine, wanted)
        self.angles.append(text.angle)
        return text.chars, text.hsegs, text.vsegs


def extract_scanned(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read an image-only PDF by OCR: every page cleaned, its tables found and their cells recognised.

    Settings: ``ocr_engine``, ``ocr_dpi`` (render resolution), ``ocr_max_pages`` (later pages are skipped with a
    warning), ``ocr_text_pages`` and ``ocr_text_lines`` (running text recognised for the title), ``ocr_threads``,
    ``ocr_lang`` (Tesseract); ``timeout``: pages left once ``TIME_SHARE`` of it is spent are skipped with a warning
    (on a busy machine the file is read in part rather than lost whole).

    Raises:
        DependencyMissing: the OCR engine is not installed.
        DocumentLoadError: the PDF cannot be opened.
    """
    require_ocr(settings)
    engine = ocr_engine.get_engine(settings.ocr_engine, settings.ocr_lang, engine_threads(settings))
    warnings: list[str] = []
    with ScanReader(path, settings, engine) as reader:
        if reader.total > reader.n_pages:
            warnings.append(
                f"scanned PDF has {reader.total} pages; only the first {reader.n_pages} were OCR'd (ocr_max_pages)"
            )
        pages = read_pages(reader)
        angles = [a for a in reader.angles if abs(a) >= 0.05]
        if reader.unread:
            warnings.append(
                f"OCR stopped before page {reader.unread[0]} of {reader.n_pages}: {TIME_SHARE:.0%} of the file's time "
                f"limit (timeout {settings.timeout:g} s) was spent; figures on the pages left are missing"
            )
    notes = [OCR_NOTE + f" ({engine.name})"]
    if angles:
        notes.append(f"scanned pages turned straight by up to {max(angles, key=abs):+.1f}°")
    tables = [grid_to_raw_table(g, i) for i, g in enumerate(pages.grids)]
    return Document(
        origin=origin,
        tables=tuple(tables),
        paragraphs=tuple(pages.paragraphs),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
