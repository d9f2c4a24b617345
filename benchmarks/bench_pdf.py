"""PDF speed: xxgk's PDF reading through to matched cells, against pypdfium2 plain text, same pages, same run.

    PYTHONPATH=. python benchmarks/bench_pdf.py [PDF_DIR] [--engine pdfium|pdfplumber] [--repeat N] [--extract-only]

"Through to matched cells" is extract + locate + match (``pipeline.run`` stages, without normalising,
reconciling and writing). The baseline is ``page.get_textpage().get_text_range()`` on every page.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.extract import extract, origin_of
from pipeline.locate import locate
from pipeline.match import match_tables
from pipeline.meta import agency_year
from pipeline.schema import load_schema

DEFAULT_DIR = Path("/work/shared/corpus/pdf")


def plain_text(path: Path) -> int:
    """Plain text extraction of every page with pypdfium2; returns the page count."""
    doc = pdfium.PdfDocument(str(path))
    n = len(doc)
    for i in range(n):
        page = doc[i]
        tp = page.get_textpage()
        tp.get_text_range()
        tp.close()
        page.close()
    doc.close()
    return n


def xxgk(path: Path, settings: dict, schema, extract_only: bool) -> int:
    """xxgk's PDF reading; returns the number of matched values (0 with ``extract_only``)."""
    doc = extract(path, settings, origin=origin_of(path))
    if extract_only:
        return 0
    _, year, _ = agency_year(doc.title, doc.paragraphs, str(path))
    located, _ = locate(doc, schema)
    matched = match_tables(located, schema.tables, year)
    return sum(len(m.values) for m in matched.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--engine", default="pdfium", choices=("pdfium", "pdfplumber"))
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the files; the best pass counts")
    ap.add_argument("--extract-only", action="store_true", help="time extraction alone (no locate/match)")
    args = ap.parse_args()
    files = sorted(args.pdf_dir.glob("*.pdf"))
    if not files:
        raise SystemExit(f"no .pdf files in {args.pdf_dir}")
    schema = load_schema()
    settings = {"pdf_engine": args.engine}
    pages = sum(plain_text(f) for f in files)  # also warms the file cache
    xxgk(files[0], settings, schema, args.extract_only)  # imports and schema load out of the timing

    best_plain = best_xxgk = float("inf")
    values = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for f in files:
            plain_text(f)
        best_plain = min(best_plain, time.perf_counter() - t0)
        t0 = time.perf_counter()
        values = sum(xxgk(f, settings, schema, args.extract_only) for f in files)
        best_xxgk = min(best_xxgk, time.perf_counter() - t0)

    what = "extraction only" if args.extract_only else "extract + locate + match"
    print(f"{len(files)} PDFs, {pages} pages, engine {args.engine}, best of {args.repeat} passes")
    print(f"pypdfium2 plain text : {pages / best_plain:8.1f} pages/s")
    print(
        f"xxgk ({what}) : {pages / best_xxgk:8.1f} pages/s"
        + ("" if args.extract_only else f"  ({values} values matched)")
    )
    print(f"ratio xxgk / plain   : {best_plain / best_xxgk:8.3f}  (target >= 0.25)")


if __name__ == "__main__":
    main()
