"""Seconds per scanned page: OCR of image-only PDFs (render, grid from ruling lines, Tesseract per cell).

    python benchmarks/bench_ocr.py [PDF ...] [--dpi 150]

Without paths it reads every ``*__pdf_scanned.pdf`` of ../shared/corpus/scanned. Prints one line per file, then
the total pages, seconds and seconds per page (wall clock, one process; the first file also pays for loading the
Chinese model, about a second). Timings on a shared machine are noisy: run it twice.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.extract import origin_of
from pipeline.extract.ocr import extract_scanned
from pipeline.settings import DEFAULTS, Settings
from pipeline.model import Format

CORPUS_SCANS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "scanned"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--dpi", type=int, default=DEFAULTS.ocr_dpi)
    args = ap.parse_args()
    files = args.paths or sorted(CORPUS_SCANS.glob("*__pdf_scanned.pdf"))
    if not files:
        raise SystemExit(f"no scanned PDFs given and none under {CORPUS_SCANS}")
    total_pages, total_s, total_cells = 0, 0.0, 0
    for f in files:
        pdf = pdfium.PdfDocument(str(f))
        pages = len(pdf)
        pdf.close()
        t = time.perf_counter()
        doc = extract_scanned(f, origin_of(f, Format.PDF), Settings(ocr_dpi=args.dpi))
        s = time.perf_counter() - t
        cells = sum(len(tb.cells) for tb in doc.tables)
        total_pages, total_s, total_cells = total_pages + pages, total_s + s, total_cells + cells
        print(f"{f.name[:60]:<60} {pages:>3} pages {cells:>4} cells {s:6.1f} s  {s / pages:5.2f} s/page", flush=True)
    print(
        f"\n{len(files)} files, {total_pages} pages, {total_cells} table cells, {total_s:.1f} s: "
        f"{total_s / total_pages:.2f} s per scanned page at {args.dpi} dpi"
    )


if __name__ == "__main__":
    main()
