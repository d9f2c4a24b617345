"""Scanned reports: pages cleaned and straightened, grids found from the ruling lines, cells read exactly.

The pages are made here: a ruled table drawn with Pillow (figures whose truth is known), then spoilt the way real
scans are (turned by 2°, a red seal stamped over the figures, grey paper, noise and dust, JPEG, 110 dpi); and a
corpus text PDF rasterised and rebuilt as an image-only PDF, so a whole report is read the way an agency's scan is.
"""

from __future__ import annotations

import io
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, blanked, truth_cells
from PIL import Image, ImageDraw, ImageFont

from pipeline.errors import DependencyMissing
from pipeline.extract import ocr, ocr_engine, ocr_image, origin_of
from pipeline.extract.pdf_layout import HSeg, VSeg
from pipeline.extract.pdf_pages import grid_to_raw_table, page_tables
from pipeline.extract.pdf_ruled import ruled_tables
from pipeline.model import Format
from pipeline.run import document_to_result
from pipeline.settings import Settings

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
needs_rapidocr = pytest.mark.skipif(not ocr_engine.available("rapidocr"), reason="rapidocr-onnxruntime not installed")

# a proactive-disclosure table as reports print it: labels, a header, figures (lone zeros, a negative, a decimal)
LABELS = ["信息内容", "规章", "规范性文件", "行政许可", "行政处罚", "行政强制", "行政事业性收费"]
HEADER = ["本年新制作数量", "本年新公开数量", "对外公开总数量"]
FIGURES = [["0", "0", "7"], ["77", "77", "166"], ["396", "442", "278"], ["2648", "-18", "538"], ["0", "", "29"]]
FIGURES += [["35", "1.5", "73802895.9"]]


def make_scan(pdf: Path, out: Path, dpi: int = 150, first: int | None = None, last: int | None = None) -> Path:
    """Rasterise ``pdf`` with pdftoppm (greyscale) and rebuild it as an image-only PDF at ``out``."""
    pages_dir = out.parent / (out.stem + "_pages")
    pages_dir.mkdir()
    cmd = ["pdftoppm", "-r", str(dpi), "-gray", "-png"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    subprocess.run([*cmd, str(pdf), str(pages_dir / "p")], check=True, timeout=120)
    images = [Image.open(p).convert("L") for p in sorted(pages_dir.glob("p*.png"))]
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi)
    return out


def drawn_table(cells: dict[tuple[int, int], str], merged=(), col_w=160, row_h=60, n_rows=4, n_cols=3):
    """A ruled table drawn with Pillow: ``merged`` holds (row, col, rowspan, colspan) cells whose inner lines
    are left out; text is drawn centred in each cell."""
    w, h = col_w * n_cols + 80, row_h * n_rows + 80
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    x0, y0 = 40, 40
    covered = {}
    for r, c, rs, cs in merged:
        for i in range(r, r + rs):
            for j in range(c, c + cs):
                covered[(i, j)] = (r, c, rs, cs)
    for r in range(n_rows + 1):  # horizontal lines, broken where a merged cell spans them
        for c in range(n_cols):
            above, below = covered.get((r - 1, c)), covered.get((r, c))
            if above is not None and above == below:
                continue
            d.line([(x0 + c * col_w, y0 + r * row_h), (x0 + (c + 1) * col_w, y0 + r * row_h)], fill=0, width=2)
    for c in range(n_cols + 1):
        for r in range(n_rows):
            left, right = covered.get((r, c - 1)), covered.get((r, c))
            if left is not None and left == right:
                continue
            d.line([(x0 + c * col_w, y0 + r * row_h), (x0 + c * col_w, y0 + (r + 1) * row_h)], fill=0, width=2)
    font = ImageFont.load_default(size=26)
    for (r, c), text in cells.items():
        rs, cs = covered.get((r, c), (r, c, 1, 1))[2:]
        cx, cy = x0 + (c + cs / 2) * col_w, y0 + (r + rs / 2) * row_h
        d.text((cx, cy), text, fill=0, font=font, anchor="mm")
    return img


def report_page(dpi: int) -> Image.Image:
    """An A4 page at ``dpi`` with a title line and the LABELS/HEADER/FIGURES table in 10.5-point type."""
    s = dpi / 72
    page = Image.new("RGB", (round(595 * s), round(842 * s)), "white")
    d = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(CJK_FONT), round(10.5 * s))
    d.text(
        (round(150 * s), round(80 * s)),
        "二、主动公开政府信息情况",
        fill="black",
        font=ImageFont.truetype(str(CJK_FONT), round(16 * s)),
    )
    xs = [round(v * s) for v in (70, 200, 320, 440, 545)]
    ys = [round((120 + 26 * k) * s) for k in range(len(LABELS) + 1)]
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill="black", width=max(1, round(0.8 * s)))
    for x in xs:
        d.line([(x, ys[0]), (x, ys[-1])], fill="black", width=max(1, round(0.8 * s)))
    rows = [[LABELS[0], *HEADER]] + [[lab, *figs] for lab, figs in zip(LABELS[1:], FIGURES, strict=True)]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            d.text(((xs[c] + xs[c + 1]) / 2, (ys[r] + ys[r + 1]) / 2), text, fill="black", font=font, anchor="mm")
    return page


def stamp_seal(page: Image.Image, centre: tuple[int, int], radius: int, alpha: float = 0.7) -> Image.Image:
    """A red round seal (ring, inner ring of dashes, star) stamped over the page: the ink covers ``alpha`` of what
    is under it, as a stamp's red ink lets the print show through."""
    layer = Image.new("L", page.size, 0)
    d = ImageDraw.Draw(layer)
    cx, cy = centre
    ring = max(3, radius // 14)
    d.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=255, width=ring)
    for k in range(16):
        a = math.pi * (0.9 + 1.2 * k / 15)
        x, y = cx + 0.75 * radius * math.cos(a), cy + 0.75 * radius * math.sin(a)
        d.rectangle([x - ring, y - ring, x + ring, y + ring], fill=255)
    star = [
        (
            cx + (0.35 if k % 2 == 0 else 0.14) * radius * math.sin(k * math.pi / 5),
            cy - (0.35 if k % 2 == 0 else 0.14) * radius * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    d.polygon(star, fill=255)
    a = np.asarray(layer, np.float32)[..., None] / 255 * alpha
    red = np.array([205, 40, 45], np.float32)
    out = np.asarray(page.convert("RGB"), np.float32) * (1 - a) + red * a
    return Image.fromarray(out.clip(0, 255).astype(np.uint8))


def spoil(page: Image.Image, skew: float = 0.0, jpeg: int | None = 35, seed: int = 0) -> Image.Image:
    """A page as a scanner and a JPEG encoder leave it: turned by ``skew`` degrees, grey paper, noise and dust."""
    rng = np.random.default_rng(seed)
    img = page.convert("RGB").rotate(skew, resample=Image.BICUBIC, fillcolor="white") if skew else page.convert("RGB")
    a = np.asarray(img, np.float32) * np.array([0.93, 0.92, 0.88], np.float32)  # grey, slightly yellow paper
    a += rng.normal(0, 6, a.shape[:2])[..., None]
    ys, xs = rng.integers(0, a.shape[0], 400), rng.integers(0, a.shape[1], 400)
    a[ys, xs] = 90  # dust
    img = Image.fromarray(a.clip(0, 255).astype(np.uint8))
    if jpeg:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=jpeg)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def read_cells(image: Image.Image, dpi: float) -> tuple[dict[tuple[int, int], object], ocr.PageText]:
    """The cells of the one table on a page image, by grid position (after the page's OCR)."""
    engine = ocr_engine.get_engine("rapidocr")
    text = ocr.read_page_image(np.asarray(image), dpi / 72, engine)
    grids, _ = page_tables(text.chars, text.hsegs, text.vsegs)
    assert len(grids) == 1, [g.bbox for g in grids]
    return {(c.row, c.col): c for c in grid_to_raw_table(grids[0], 0).cells}, text


def assert_table_read(cells: dict) -> None:
    """Every figure of the drawn table read exactly, blanks blank, labels legible."""
    assert len(cells) == len(LABELS) * 4
    for r, figs in enumerate(FIGURES, start=1):
        for c, want in enumerate(figs, start=1):
            cell = cells[(r, c)]
            assert cell.text == want, ((r, c), cell.text, want)
            if want:
                assert 0 < cell.confidence <= 100
            else:
                assert cell.confidence is None  # no ink: nothing read, no 0 invented
    assert [cells[(r, 0)].text for r in range(len(LABELS))] == LABELS
    assert [cells[(0, c)].text for c in (1, 2, 3)] == HEADER


# --- layout without an engine ---------------------------------------------------------------------------------------


def _grids(img: Image.Image, scale: float = 1.0):
    page = ocr_image.clean_page(np.asarray(img.convert("RGB")), scale, deskew=False)
    h, v = ocr_image.rule_segments(page)
    hs = [HSeg(r.pos / scale, r.a / scale, r.b / scale) for r in h]
    vs = [VSeg(r.pos / scale, r.a / scale, r.b / scale) for r in v]
    return ruled_tables([], hs, vs)


def test_grid_and_merged_cells_found_from_the_ruling_lines():
    grids = _grids(drawn_table({(0, 0): "12", (3, 2): "76"}, merged=[(0, 1, 1, 2), (1, 0, 2, 1)]))
    assert len(grids) == 1
    g = grids[0]
    assert (g.n_rows, g.n_cols) == (4, 3)
    cells = {(c.row, c.col, c.rowspan, c.colspan) for c in g.cells}
    assert (0, 1, 1, 2) in cells and (1, 0, 2, 1) in cells
    assert (0, 2, 1, 1) not in cells and (2, 0, 1, 1) not in cells
    assert sum(c.rowspan * c.colspan for c in g.cells) == 12  # every grid position covered once


def test_a_row_of_bold_text_is_no_rule():
    """Characters set close along a line are as inky as a rule along one pixel row, but not thin."""
    img = drawn_table({(1, 1): "8888888888", (2, 1): "——————"}, col_w=260)
    grids = _grids(img)
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 3)


@pytest.mark.parametrize("deg", [2.0, -2.0, 0.7])
def test_skew_is_measured_and_undone(deg):
    img = drawn_table({(r, c): str(r * 3 + c) for r in range(4) for c in range(3)}, n_rows=4).rotate(
        deg, resample=Image.BICUBIC, fillcolor=255
    )
    page = ocr_image.clean_page(np.asarray(img.convert("RGB")), 1.0)
    assert page.angle == pytest.approx(deg, abs=0.1)
    grids = _grids(Image.fromarray(page.gray))
    assert len(grids) == 1 and (grids[0].n_rows, grids[0].n_cols) == (4, 3)


def test_a_seal_is_paper_and_the_print_under_it_stays():
    page = stamp_seal(report_page(150), (560, 420), 150)
    clean = ocr_image.clean_page(np.asarray(page), 150 / 72, deskew=False)
    seal = clean.seal
    assert seal is not None and seal.sum() > 5000
    # the seal's own pixels are paper; the print it covers (rules, figures) is still ink
    ring_only = seal & ~ocr_image.ink_of(ocr_image.flatten_paper(np.asarray(report_page(150).convert("L")), 150 / 72))
    assert clean.ink[ring_only].mean() < 0.05
    plain = ocr_image.clean_page(np.asarray(report_page(150)), 150 / 72, deskew=False)
    under = plain.ink & seal
    assert clean.ink[under].mean() > 0.8


# --- pages read by the engine ---------------------------------------------------------------------------------------


@needs_rapidocr
def test_figures_read_exactly_and_blank_cells_stay_blank():
    figures = {(0, 0): "12", (0, 1): "3405", (1, 2): "0", (2, 0): "987654", (2, 1): "0.5", (3, 2): "76"}
    img = drawn_table(figures)
    engine = ocr_engine.get_engine("rapidocr")
    text = ocr.read_page_image(np.asarray(img), 1.0, engine)
    grids, _ = page_tables(text.chars, text.hsegs, text.vsegs)
    got = {(c.row, c.col): c for c in grid_to_raw_table(grids[0], 0).cells}
    assert len(got) == 12
    for pos, cell in got.items():
        if pos in figures:
            assert cell.text == figures[pos]
            assert 0 < cell.confidence <= 100
        else:
            assert cell.text == "" and cell.confidence is None


needs_font = pytest.mark.skipif(not CJK_FONT.exists(), reason="fonts-wqy-zenhei not installed")
# a whole page read by the engine takes seconds: these run with the corpus checks, out of the fast set
page_read = pytest.mark.corpus


@page_read
@needs_rapidocr
@needs_font
def test_a_clean_page_reads_exactly():
    cells, text = read_cells(report_page(150), 150)
    assert_table_read(cells)
    assert text.angle == pytest.approx(0, abs=0.1)


@page_read
@needs_rapidocr
@needs_font
@pytest.mark.parametrize("deg", [2.0, -2.0])
def test_a_page_skewed_by_two_degrees_reads_exactly(deg):
    cells, text = read_cells(spoil(report_page(150), skew=deg), 150)
    assert text.angle == pytest.approx(deg, abs=0.15)
    assert_table_read(cells)


@page_read
@needs_rapidocr
@needs_font
def test_figures_under_a_seal_read_exactly():
    # the seal sits over the figure columns of the middle rows, as one stamped over a table's corner does
    page = spoil(stamp_seal(report_page(150), (700, 420), 150), skew=1.0)
    cells, _ = read_cells(page, 150)
    assert_table_read(cells)


@page_read
@needs_rapidocr
@needs_font
def test_a_110_dpi_scan_reads_exactly():
    cells, _ = read_cells(spoil(report_page(110), skew=-1.2, jpeg=30), 110)
    assert_table_read(cells)


def test_missing_engine_fails_with_what_to_install(tmp_path, monkeypatch):
    scan = tmp_path / "scan.pdf"
    Image.new("L", (200, 200), 255).save(scan)
    monkeypatch.setattr(ocr_engine, "rapidocr_model", lambda: None)
    assert not ocr.ocr_available(Settings())
    with pytest.raises(DependencyMissing, match=r"pip install \"xxgk\[ocr\]\""):
        ocr.extract_scanned(scan, origin_of(scan, Format.PDF), Settings())


@needs_rapidocr
def test_page_limit_is_kept_and_said(tmp_path):
    blank = Image.new("L", (300, 400), 255)
    scan = tmp_path / "three.pdf"
    blank.save(scan, save_all=True, append_images=[blank, blank], resolution=72)
    doc = ocr.extract_scanned(scan, origin_of(scan, Format.PDF), Settings(ocr_max_pages=2))
    assert doc.tables == ()
    assert any("3 pages" in n and "first 2" in n for n in doc.warnings)


@pytest.mark.skipif(not ocr_engine.available("tesseract"), reason="Tesseract not installed")
def test_tesseract_stays_an_option():
    figures = {(0, 0): "12", (1, 1): "3405", (2, 2): "0", (3, 0): "76"}
    engine = ocr_engine.get_engine("tesseract")
    text = ocr.read_page_image(np.asarray(drawn_table(figures)), 1.0, engine)
    grids, _ = page_tables(text.chars, text.hsegs, text.vsegs)
    got = {(c.row, c.col): c.text for c in grid_to_raw_table(grids[0], 0).cells}
    assert {p: got[p] for p in figures} == figures


# --- whole reports ------------------------------------------------------------------------------------------------


def _misses(result, report_id: str, blank: set) -> tuple[int, list]:
    """How many figures the truth has printed (non-null, not blanked), and those not read right."""
    truth = truth_cells(report_id)
    got = {(c["table"], c["row"], c["col"]): c["value"] for c in result.cells}
    printed = {k: v for k, v in truth.items() if v is not None and k not in blank}
    misses = [
        (k, v, got.get(k))
        for k, v in printed.items()
        if got.get(k) is None or not math.isclose(got[k], v, rel_tol=1e-9, abs_tol=1e-6)
    ]
    return len(printed), misses


@needs_rapidocr
@pytest.mark.corpus
def test_rasterised_report_reads_like_the_original(tmp_path, schema):
    """A 2021 report whose requests table runs over a page break, scanned at 150 dpi, reads to its truth."""
    stem = "2021-hebei-shijiazhuang-qiaoxi-zhongshan-street__pdf_split"
    scan = make_scan(CORPUS / "pdf" / f"{stem}.pdf", tmp_path / "scan.pdf")
    doc = ocr.extract_scanned(scan, origin_of(scan, Format.PDF), Settings())
    assert doc.tables and all(t.page for t in doc.tables)
    assert "政府信息公开" in "".join(doc.paragraphs[:3])  # the title (maybe over two lines), read from the page
    result = document_to_result(doc, schema)
    assert result.report.year == 2021
    printed, misses = _misses(result, stem.split("__")[0], blanked(stem))
    assert 1 - len(misses) / printed >= 0.98, misses
    read = [c for c in result.cells if c["raw"].strip()]
    assert read and all(c["confidence"] is not None and 0 <= c["confidence"] <= 100 for c in read)


@needs_rapidocr
@pytest.mark.corpus
def test_a_real_looking_scan_reads_to_its_truth(schema):
    """A development scan as county reports come (skewed, sealed, grey, noisy, ~120 dpi, JPEG)."""
    import json

    stem = "2020-fujian-pingtan-zone__pdf_scanned_real"
    path = CORPUS / "scanned_real" / f"{stem}.pdf"
    manifest = json.loads((CORPUS / "scanned_real" / "manifest.json").read_text())
    blank = {tuple(k) for k in manifest[stem].get("blanked", [])}
    result = document_to_result(ocr.extract_scanned(path, origin_of(path, Format.PDF), Settings()), schema)
    printed, misses = _misses(result, stem.split("__")[0], blank)
    assert 1 - len(misses) / printed >= 0.98, misses


@pytest.mark.corpus
@pytest.mark.parametrize("confidence", [40.0, 95.0])
def test_a_rule_failure_on_an_ocr_report_names_its_ocr_cells(schema, confidence):
    """A total that does not add up, on a report read by OCR: the failure names the figures it read with their
    confidence, and says whether a misread digit may be the cause or the report does not add up as printed."""
    from dataclasses import replace

    from pipeline.extract import extract

    doc = extract(CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf")
    first = document_to_result(doc, schema)
    total = next(v for v in first.matched["requests"].values if (v.row, v.col) == ("new", "total"))
    tables = []
    for t in doc.tables:  # as OCR would give it: every cell with a confidence, the total read one too many
        cells = []
        for c in t.cells:
            c = replace(c, confidence=97.0)
            if (t.index, c.row, c.col) == (total.table_index, total.row_index, total.col_index):
                c = replace(c, text=str(int(c.text) + 1), confidence=confidence)
            cells.append(c)
        tables.append(replace(t, cells=tuple(cells)))
    result = document_to_result(replace(doc, tables=tuple(tables)), schema)
    failed = [i for i in result.issues if i["code"] == "sum-mismatch" and "requests/new/total" in (i["cells"] or "")]
    assert failed, [i["message"] for i in result.issues if i["code"].endswith("mismatch")]
    message = failed[0]["message"]
    assert f"new/total '{int(total.raw) + 1}' ({confidence:.0f})" in message
    assert "(97)" in message  # the parts it was checked against, with theirs
    if confidence < 60:
        assert "1 read with confidence below 60: a misread digit may be the cause" in message
    else:
        assert "as printed, the figures do not add up" in message


@needs_rapidocr
def test_a_scan_over_its_time_is_read_in_part_with_a_warning(tmp_path, monkeypatch):
    """On a machine too busy to read every page within the file's time limit, the pages left are skipped with a
    warning (the figures read so far are kept) instead of the whole file failing."""
    blank = Image.new("L", (300, 400), 255)
    scan = tmp_path / "three.pdf"
    blank.save(scan, save_all=True, append_images=[blank, blank], resolution=72)
    clock = iter([0.0, 0.0, 100.0, 100.0, 100.0, 100.0])
    monkeypatch.setattr(ocr.time, "monotonic", lambda: next(clock))
    doc = ocr.extract_scanned(scan, origin_of(scan, Format.PDF), Settings(timeout=60.0))
    assert any("stopped before page 2 of 3" in w and "timeout 60 s" in w for w in doc.warnings), doc.warnings
