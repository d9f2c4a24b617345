"""Reports per hour on a Dask cluster of N workers: a model from the measured cost per report, checked on this machine.

    python benchmarks/bench_dask.py                    # 200 mixed files; local Dask clusters of 1, 2 and 3 workers
    python benchmarks/bench_dask.py --n 500 --workers 1,2,4

1. The cost per report, measured with the local engine and one worker process on the same kind of files: ``t_w``, CPU
   seconds a worker spends on one report (read, locate, match, check), and ``t_c``, CPU seconds the client spends on
   it (hash the file, place the agency, write its records), each as the slope between runs of n/2 and n files.
2. The model. Every report passes through one client, which writes it; the workers read in parallel. With N workers
   each on a core of its own and the client on another, a run reads

       R(N) = 3600 / max(t_w / N, t_c)    reports per hour,

   rising with N until N* = t_w / t_c workers, where the client is the bottleneck. On a machine of C cores shared by
   the client and the workers, the cores bound it too: R(N) = 3600 / max(t_w / min(N, C), (t_w + t_c) / C, t_c).
3. The check. The same files through ``--engine dask`` on a local cluster (``distributed.LocalCluster``, one thread
   per worker) of N workers on this machine: measured reports per hour next to the shared-core prediction. The
   cluster and each worker's reading process are started before the clock starts (a warm-up run on a few files), as
   on a cluster that reads for hours. What the measurement falls short of the prediction is Dask's cost per task
   (scheduling, moving each report's records to the client).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cli import make_inputs, mixed_sources  # noqa: E402

from pipeline.batch import run_batch  # noqa: E402


def cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def measure_costs(src: Path, half: Path, warm: Path, tmp: Path) -> tuple[float, float]:
    """(t_w, t_c): CPU seconds per report in the worker and in the client, as the slope between local runs (one
    worker) of n/2 and n files, after a warm-up run: what a run costs whatever its size (imports, merging the parts
    at the end) falls out."""
    run_batch([warm], tmp / "local-warm", workers=1, engine="local")
    costs = []
    for folder in (half, src):
        s0, c0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
        run_batch([folder], tmp / f"local-{folder.name}", workers=1, engine="local")
        costs.append((cpu(resource.RUSAGE_CHILDREN) - c0, cpu(resource.RUSAGE_SELF) - s0))
    dn = len(list(src.iterdir())) - len(list(half.iterdir()))
    return (costs[1][0] - costs[0][0]) / dn, (costs[1][1] - costs[0][1]) / dn


def model(t_w: float, t_c: float, n_workers: int, cores: int | None = None) -> float:
    """Reports per hour (see the module's docstring); ``cores`` None: every worker and the client has its own."""
    if cores is None:
        return 3600 / max(t_w / n_workers, t_c)
    return 3600 / max(t_w / min(n_workers, cores), (t_w + t_c) / cores, t_c)


def dask_run(src: Path, warm: Path, tmp: Path, n_workers: int) -> tuple[float, list[float]]:
    """Wall seconds of one run on a warmed-up local cluster of ``n_workers``, and the seconds per file in workers."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
    try:
        opts = dict(engine="dask", scheduler=cluster.scheduler_address)
        run_batch([warm], tmp / f"warm-{n_workers}", **opts)
        t0 = time.perf_counter()
        stats = run_batch([src], tmp / f"dask-{n_workers}", **opts)
        wall = time.perf_counter() - t0
    finally:
        cluster.close()
    return wall, [s for secs in stats.per_format.values() for s in secs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="files (a mix of .docx, PDF, web pages and text dumps)")
    ap.add_argument("--workers", default="1,2,3", help="local Dask cluster sizes to check the model with")
    ap.add_argument("--inputs", type=Path, default=Path("/tmp/xxgk-bench-cli"), help="where inputs are kept")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    src = make_inputs(args.inputs / f"mixed-{args.n}", mixed_sources(), args.n)
    half = make_inputs(args.inputs / f"mixed-{args.n // 2}", mixed_sources(), args.n // 2)
    warm = make_inputs(args.inputs / "mixed-warm", mixed_sources()[::7], 8)
    tmp = Path(tempfile.mkdtemp(prefix="xxgk-dask-"))
    try:
        t_w, t_c = measure_costs(src, half, warm, tmp)
        print(f"{args.n} files in {src}; {cores} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"cost per report: worker t_w = {t_w * 1000:.1f} ms CPU, client t_c = {t_c * 1000:.1f} ms CPU")
        print(f"model, a core per worker: N* = t_w / t_c = {t_w / t_c:.1f} workers before the client is the limit")
        for n in (1, 2, 4, 8, 16, 32):
            print(f"  N = {n:>2}: {model(t_w, t_c, n):>9,.0f} reports/hour")
        print(f"check on this machine ({cores} cores shared by the client and the workers):")
        for n in (int(w) for w in args.workers.split(",")):
            wall, per_file = dask_run(src, warm, tmp, n)
            measured = 3600 * args.n / wall
            predicted = model(t_w, t_c, n, cores)
            print(
                f"  {n} Dask worker(s): {wall:6.1f} s, {measured:>8,.0f} reports/hour measured, "
                f"{predicted:>8,.0f} predicted ({measured / predicted:.0%}); "
                f"{statistics.mean(per_file) * 1000:.0f} ms wall per file in a worker"
            )
        print(f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
