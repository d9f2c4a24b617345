"""Peak memory of a whole `xxgk ingest` on hostile inputs: a docx zip bomb and a PDF of several hundred pages.

    python benchmarks/bench_hostile_memory.py [--pages 300] [--bomb-mb 300]

Each case runs `python -m pipeline ingest` in a fresh process with 2 workers; the figure is the peak resident memory
of the main process and of the largest worker (ru_maxrss of the process and of its children), with the status the
file got. Target (issue: hostile input): under 1 GB for the whole ingest.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def make_bomb(dest: Path, mb: int) -> None:
    src = CORPUS / "docx" / "2021-fujian-pingtan-zone__docx_official.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))
        with zout.open("word/media/zeros.bin", "w") as f:  # streamed: the bomb is never whole in memory here
            chunk = b"\0" * (1 << 20)
            for _ in range(mb):
                f.write(chunk)


def make_long_pdf(dest: Path, pages: int) -> None:
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf"))
    doc = pdfium.PdfDocument.new()
    while len(doc) < pages:
        doc.import_pages(src)
    doc.save(str(dest))


MEASURE = """
import resource, subprocess, sys
p = subprocess.run([sys.executable, "-m", "pipeline", "ingest", *sys.argv[1:]], capture_output=True, text=True)
last = lambda text: text.strip().splitlines()[-1] if text.strip() else ""
print(last(p.stdout), "|", last(p.stderr))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--bomb-mb", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xxgk-hostile-") as tmp:
        tmp = Path(tmp)
        cases = {}
        bomb = tmp / "bomb" / "bomb.docx"
        bomb.parent.mkdir()
        make_bomb(bomb, args.bomb_mb)
        cases[f"docx zip bomb ({bomb.stat().st_size // 1024} KB, {args.bomb_mb} MB inflated)"] = bomb
        long_pdf = tmp / "long" / "long.pdf"
        long_pdf.parent.mkdir()
        make_long_pdf(long_pdf, args.pages)
        cases[f"PDF of {args.pages} pages"] = long_pdf
        for name, path in cases.items():
            t = time.perf_counter()
            p = subprocess.run(
                [sys.executable, "-c", MEASURE, str(path), "--out", str(tmp / f"out-{path.stem}"), "--workers", "2"],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            summary, peak_kb = p.stdout.strip().rsplit("\n", 1)
            print(
                f"{name}: {time.perf_counter() - t:.1f} s; peak RSS of the ingest's largest process "
                f"{int(peak_kb) / 1024:.0f} MB (target < 1024 MB)\n  {summary}"
            )


if __name__ == "__main__":
    main()
