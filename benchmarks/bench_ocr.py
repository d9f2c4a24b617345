"""Seconds per scanned page: OCR of image-only PDFs (render, clean up, rules, cells recognised), whole reports.

    python benchmarks/bench_ocr.py [PDF ...] [--dpi 150] [--engine rapidocr|tesseract] [--threads N] [--limit N]

Without paths it reads the clean scans (``../shared/corpus/scanned``) and the real-looking ones
(``../shared/corpus/scanned_real``: skewed, sealed, grey, noisy, ~120 dpi JPEG), and prints one line per file, then
for each set the pages, seconds and seconds per page, averaged over whole reports (pages without a table count too:
they are passed over cheaply, as they should be). Wall clock, one process; the engine is loaded before the clock
starts. ``--threads`` defaults to every core (one process has the machine). Wall-clock timings on a shared machine
follow its load (printed with them); the CPU time per page (all threads) does not, and on an idle machine the wall
clock is about the CPU time over the cores used.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.extract import ocr_engine, origin_of
from pipeline.extract.ocr import extract_scanned
from pipeline.model import Format
from pipeline.settings import DEFAULTS, OCR_ENGINES, Settings

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
SETS = {"clean scans": CORPUS / "scanned", "real-looking scans": CORPUS / "scanned_real"}


def bench(files: list[Path], settings: Settings) -> tuple[int, float, float]:
    """(pages, wall-clock seconds, CPU seconds) over ``files``, a line printed per file."""
    total_pages, total_s, total_cpu = 0, 0.0, 0.0
    for f in files:
        pdf = pdfium.PdfDocument(str(f))
        pages = min(len(pdf), settings.ocr_max_pages)
        pdf.close()
        t, c = time.perf_counter(), time.process_time()
        doc = extract_scanned(f, origin_of(f, Format.PDF), settings)
        s, cpu = time.perf_counter() - t, time.process_time() - c
        cells = sum(len(tb.cells) for tb in doc.tables)
        total_pages, total_s, total_cpu = total_pages + pages, total_s + s, total_cpu + cpu
        print(
            f"{f.name[:56]:<56} {pages:>3} pages {cells:>4} cells {s:6.1f} s  {s / pages:5.2f} s/page"
            f"  (CPU {cpu / pages:5.2f} s/page)",
            flush=True,
        )
    return total_pages, total_s, total_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--dpi", type=int, default=DEFAULTS.ocr_dpi)
    ap.add_argument("--engine", choices=OCR_ENGINES, default=DEFAULTS.ocr_engine)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--limit", type=int, default=0, help="read only the first N files of each set (0: all)")
    args = ap.parse_args()
    settings = Settings(ocr_dpi=args.dpi, ocr_engine=args.engine, ocr_threads=args.threads, timeout=None)
    ocr_engine.get_engine(settings.ocr_engine, settings.ocr_lang, settings.ocr_threads)  # loaded off the clock
    sets = {"given": args.paths} if args.paths else {k: sorted(d.glob("*.pdf")) for k, d in SETS.items()}
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    summary = []
    for name, files in sets.items():
        if not files:
            raise SystemExit(f"no scanned PDFs for {name}")
        print(f"== {name}")
        pages, s, cpu = bench(files, settings)
        summary.append(
            f"{name}: {len(files)} files, {pages} pages, {s:.1f} s: {s / pages:.2f} s per page"
            f" (CPU time {cpu / pages:.2f} s per page, all threads)"
        )
    load = os.getloadavg()[0]
    cores = os.cpu_count()
    print(f"\n{args.engine} at {args.dpi} dpi, {args.threads} threads, load average {load:.1f} on {cores} cores")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
