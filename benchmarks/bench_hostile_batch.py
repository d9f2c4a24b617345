"""The red-team review's hostile files in one batch with good reports: time, memory per process, and the good reports'
cells against a clean run (issue 18's "must show").

    python benchmarks/bench_hostile_batch.py [--workers 2] [--timeout 60] [--keep DIR]

The batch holds every hostile file of ``tests/hostile_files.py`` (a 3-page PDF of 200 x 200 inch blank pages, a .docx
whose XML inflates to 190 MB, an HTML page of colspan=1000 rowspan=1000 cells, a title of 6 million characters,
footnote markers glued to figures in Word and HTML, a FIFO, a 5 GB sparse file, a dangling link, a symlink loop),
the corpus's .doc files (LibreOffice) and the samples (one under a GBK name). ``xxgk ingest --timeout 60`` runs in a
fresh process; the whole process tree's resident memory is sampled every 0.1 s. Printed: exit code, seconds, the
largest process's peak (MB), whether every file has a reports row, whether the good reports' cells equal a clean
run's, and every figure glued to a footnote marker with the issue it got.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile_files as h  # noqa: E402

GOOD = [h.HUAIAN_2022, h.SAMPLES / "example-district-2020.docx"]


def build(folder: Path) -> dict[str, Path]:
    """The batch's folder: hostile files, .doc files, good reports (huaian 2021 under a GBK name)."""
    folder.mkdir(parents=True)
    made = {
        "gbk": h.gbk_named(folder),
        "footnotes": h.footnote_docx(folder),
        "sup.html": h.sup_html(folder),
        "giant-page": h.giant_page_pdf(folder / "giant-page.pdf"),
        "xml-bomb": h.xml_bomb_docx(folder / "under-limit-190mb.docx"),
        "occupy-bomb": h.occupy_bomb_html(folder / "occupy-bomb.html"),
        "long-title": h.long_title_docx(folder / "longtitle6m.docx"),
        "sparse": h.sparse_file(folder / "huge.pdf"),
    }
    os.mkfifo(folder / "pipe.docx")
    os.symlink("/nonexistent", folder / "dangling.docx")
    os.symlink("loopb.docx", folder / "loopa.docx")
    os.symlink("loopa.docx", folder / "loopb.docx")
    for f in sorted((h.CORPUS / "doc").glob("*.doc"))[:3]:
        shutil.copy(f, folder / f.name)
    for f in GOOD:
        shutil.copy(f, folder / f.name)
    return made


class Sampler(threading.Thread):
    """Peak resident memory (MB) of every process under ``root`` (pid), sampled until stopped."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid, name, rss in _tree(self.root):
                key = f"{pid} {name}"
                self.peak[key] = max(self.peak.get(key, 0.0), rss)
            time.sleep(0.1)


def _tree(root: int) -> list[tuple[int, str, float]]:
    parent, info = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        parent[int(d)] = int(fields[1])
        info[int(d)] = (name, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
    out = []
    for pid in info:
        p = pid
        while p and p != root:
            p = parent.get(p, 0)
        if p == root:
            out.append((pid, *info[pid]))
    return out


def ingest(paths: list[Path], out: Path, args, extra: tuple[str, ...] = ()) -> tuple[int, float, dict, str]:
    cmd = [sys.executable, "-m", "pipeline", "ingest", *map(str, paths), "--out", str(out)]
    cmd += ["--workers", str(args.workers), "--timeout", str(args.timeout), *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = Sampler(proc.pid)
    sampler.start()
    out_text, err_text = proc.communicate()
    seconds = time.monotonic() - t0
    sampler.stop.set()
    return proc.returncode, seconds, sampler.peak, (out_text + err_text).decode("utf-8", "replace")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--keep", type=Path, help="folder to build in (kept); default: a temporary one")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="xxgk-hostile-"))
    batch = base / "batch"
    build(batch)
    names = sorted(os.listdir(batch))
    code, seconds, peak, said = ingest([batch], base / "out", args)
    print(said.strip().splitlines()[0] if said.strip() else "(no output)")
    top = sorted(peak.items(), key=lambda kv: -kv[1])[:4]
    print(f"exit {code}; {seconds:.0f} s; largest processes (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in top))
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from pipeline.dataset import read_dataset

    got = read_dataset(base / "out")
    paths = set(got.reports.source_path)
    missing = [
        n for n in names if not any(p.endswith(os.fsencode(n).decode("utf-8", "backslashreplace")) for p in paths)
    ]
    print(f"{len(names)} files, {len(got.reports)} reports rows; without a row: {missing or 'none'}")
    # the good reports against a clean run of the same files
    clean_dir = base / "clean"
    clean_dir.mkdir()
    for f in [*GOOD, h.HUAIAN_2021]:
        shutil.copy(f, clean_dir / f.name)
    ingest([clean_dir], base / "out-clean", args)
    clean = read_dataset(base / "out-clean")
    cols = ["report_id", "table", "row", "col", "value", "raw"]
    ids = set(clean.reports.report_id)
    a = got.cells[got.cells.report_id.isin(ids)][cols].sort_values(cols[:4]).reset_index(drop=True)
    b = clean.cells[cols].sort_values(cols[:4]).reset_index(drop=True)
    print(f"good reports' cells identical to a clean run: {a.equals(b)} ({len(a)} cells of {len(ids)} reports)")
    marked = got.issues[got.issues.code.isin(["footnote-marker", "digit-grouping"])]
    print("glued figures and their issues:")
    for _, i in marked.iterrows():
        print(f"  {Path(i.source_path).name}: {i.code} {i.raw!r}")
    print(
        got.reports[["source_path", "status", "error"]]
        .assign(source_path=lambda d: d.source_path.map(lambda p: Path(p).name))
        .to_string(max_colwidth=90)
    )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    _ = pd


if __name__ == "__main__":
    main()
