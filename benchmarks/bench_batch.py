"""Batch throughput: N distinct report files, ingested with 1 worker and with 2; prints files/s, speed-up, memory.

    PYTHONPATH=. python benchmarks/bench_batch.py                 # 2,000 files (several minutes)
    PYTHONPATH=. python benchmarks/bench_batch.py --files 200     # a quick run on a busy machine

The files are copies of the development corpus (every format whose extractor is installed) with changed bytes, so
their hashes differ and none is skipped as a duplicate, but they read the same: a .docx gets a zip comment, a PDF a
comment line after %%EOF, an HTML page an HTML comment, a text file a trailing line of blanks. Timings are wall
clock; the load average is printed before and after because other work on the machine skews them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.batch import run_batch  # noqa: E402
from pipeline.extract import EXTRACTORS  # noqa: E402
from pipeline.model import Format  # noqa: E402
from pipeline.parts import read_parts  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
FOLDERS = {Format.DOCX: "docx", Format.PDF: "pdf", Format.HTML: "html", Format.TXT: "txt"}


def available_formats() -> list[Format]:
    out = []
    for fmt in FOLDERS:
        try:
            importlib.import_module(EXTRACTORS[fmt].partition(":")[0])
            out.append(fmt)
        except ImportError:
            print(f"  ({fmt.value}: no extractor installed yet, left out)")
    return out


def distinct_copy(src: Path, dst: Path, n: int) -> None:
    """Copy ``src`` to ``dst`` with bytes changed in a way every reader ignores."""
    data = src.read_bytes()
    tag = f"xxgk-bench {n}".encode()
    suffix = src.suffix.lower()
    if suffix == ".docx" and data[-22:-18] == b"PK\x05\x06" and data[-2:] == b"\x00\x00":
        data = data[:-2] + len(tag).to_bytes(2, "little") + tag  # zip comment (end record with no comment yet)
    elif suffix == ".pdf":
        data += b"\n%" + tag + b"\n"
    elif suffix in (".html", ".htm"):
        data += b"\n<!-- " + tag + b" -->\n"
    elif suffix == ".txt":
        data += b"\n" + format(n, "b").replace("0", " ").replace("1", "\t").encode() + b"\n"
    else:
        raise ValueError(f"cannot make a distinct copy of {src}")
    dst.write_bytes(data)


def make_files(root: Path, n: int, formats: list[Format]) -> dict[str, int]:
    sources = []
    for fmt in formats:
        sources += sorted((CORPUS / FOLDERS[fmt]).iterdir())
    sources = [s for s in sources if s.suffix.lower() in (".docx", ".pdf", ".html", ".htm", ".txt")]
    counts: dict[str, int] = {}
    for i in range(n):
        src = sources[i % len(sources)]
        sub = root / f"{i // 500:03d}"
        sub.mkdir(exist_ok=True)
        distinct_copy(src, sub / f"{i:05d}-{src.name}", i)
        counts[src.suffix.lower().lstrip(".")] = counts.get(src.suffix.lower().lstrip("."), 0) + 1
    return counts


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_one(w: int, engine: str, src: Path, out: Path) -> None:
    """One configuration, in this (fresh) process; the last line printed is a JSON summary for the caller."""
    r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = run_batch([src], out, workers=w, engine=engine, timeout=120)
    r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_main = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    cpu_workers = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    st = ", ".join(f"{n} {s}" for s, n in sorted(stats.status.items()))
    print(f"  {stats.processed} files in {stats.seconds:.1f} s: {stats.files_per_second:.2f} files/s ({st})")
    for fmt, secs in sorted(stats.per_format.items()):
        mean = statistics.mean(secs)
        print(
            f"  {fmt:<5} {len(secs):5d} files, {mean * 1000:7.1f} ms/file in a worker "
            f"(= {w / mean:6.2f} files/s on {w} worker(s) if all were {fmt})"
        )
    print(
        f"  CPU seconds: main process {cpu_main:.1f} (hashing, writing parts, places), workers {cpu_workers:.1f}; "
        f"CPU use {(cpu_main + cpu_workers) / stats.seconds:.2f} cores of {os.cpu_count()}"
    )
    rss = stats.worker_peak_rss_mb
    print("  peak RSS per worker (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(rss.items())))
    print(f"  peak RSS of the main process (MB): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(json.dumps({"seconds": stats.seconds, "files_per_second": stats.files_per_second}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run-one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts to compare")
    ap.add_argument("--engine", default="local", choices=["local", "dask"])
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    if args.run_one:
        return run_one(args.run_one, args.engine, args.src, args.out)
    counts_w = [int(w) for w in args.workers.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="xxgk-bench-"))
    try:
        formats = available_formats()
        t = time.perf_counter()
        (tmp / "in").mkdir()
        counts = make_files(tmp / "in", args.files, formats)
        print(
            f"{args.files} files in {tmp / 'in'} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
            f"made in {time.perf_counter() - t:.1f} s; {os.cpu_count()} cores"
        )
        results = {}
        for w in counts_w:
            # each configuration in a fresh process, as `xxgk ingest` runs: no memory or warm caches carried over
            out = tmp / f"out-{w}"
            print(f"\n--- {w} worker(s), engine {args.engine}; load average before: {loadavg()}", flush=True)
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run-one",
                    str(w),
                    "--engine",
                    args.engine,
                    "--src",
                    str(tmp / "in"),
                    "--out",
                    str(out),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            *lines, last = proc.stdout.rstrip("\n").split("\n")
            print("\n".join(lines))
            results[w] = json.loads(last)
            print(f"  load average after: {loadavg()}")
        if len(counts_w) >= 2:
            a, b = counts_w[0], counts_w[1]
            print(f"\nspeed-up {b} vs {a} worker(s): {results[a]['seconds'] / results[b]['seconds']:.2f}x")
            same = all(
                read_parts(tmp / f"out-{a}", n)
                .sort_values(["source_path"], kind="stable")
                .reset_index(drop=True)
                .equals(
                    read_parts(tmp / f"out-{b}", n).sort_values(["source_path"], kind="stable").reset_index(drop=True)
                )
                for n in ("reports",)
            )
            print(f"reports identical between the runs: {same}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
