"""Batches at scale: parallel isolated workers, resumable output in atomic Parquet parts, duplicates by content.

The work per file is ``run.process_file``; this module only decides where it runs and how its records reach disk.

- Each file runs in a worker *process* with a time limit. A file that hangs is killed after ``timeout`` seconds and a
  worker that crashes (segfault, out of memory) is replaced; either way the file gets a ``failed`` reports row with
  the reason and the batch goes on.
- Records are written in parts: every few hundred files (or every ``flush_seconds``) the buffered records of each
  table (cells, issues, narrative, reports) are written as one Parquet file each in ``OUT/.parts/<table>/``, under
  one part name. Each file is written under a hidden temporary name and renamed, and the reports part is renamed
  last: it is the commit. A part whose reports file is missing is a torn write and is removed on the next run. So
  memory holds one part at most, and a run killed at any moment (even ``kill -9``) leaves only whole parts. When the
  run completes, the parts are streamed, one at a time, into the single files ``OUT/cells.parquet`` (or ``.csv``)
  etc. that every reader of an ingest folder expects; the parts stay, for the next run to resume from.
- Resuming: a file whose ``report_id`` (SHA-256 of its bytes) is already in ``reports`` is not processed again, so
  re-running the same command completes an interrupted run and adds only new files.
- Duplicates: bytes already seen (in this run or an earlier one) are processed once; every other path with the same
  bytes gets a reports row with status ``skipped``, ``n_cells`` 0 and ``duplicate_of`` = the path that was processed.
- Engines: ``local`` (worker processes on this machine) and ``dask`` (the same per-file work as tasks on a Dask
  distributed cluster; without a scheduler address a local cluster is started). Dask workers must see the input
  paths (shared file system); the client writes the output.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import resource
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow.parquet as pq

from .errors import XxgkError
from .run import add_place, find_files, process_file
from .schema import Schema, load_schema
from .settings import DEFAULTS, Settings
from .tables import OUTPUT_TABLES, RECORD_TABLES, Report, Status
from .write import excel_safe

NAMES = tuple(OUTPUT_TABLES)  # the tables of an output folder; "reports" has one row per file and commits a part
RECORDS = RECORD_TABLES  # the tables with many rows per file


class OutputDirError(XxgkError):
    """The output folder holds something a resumable run cannot extend."""


# ---------------------------------------------------------------------------------------------------------------------
# one file in a worker process


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Payload(NamedTuple):
    """What a worker sends back for one file."""

    report: Report
    place_query: list[str]  # title-line readings of the agency, for the parent to place it (add_place)
    records: dict[str, list[dict]]  # cells, issues, narrative
    seconds: float
    peak_rss_mb: float


def _read_one(path: str, rid: str | None, schema, settings: Settings) -> Payload:
    t0 = time.perf_counter()
    try:
        r = process_file(path, schema, settings, place=False)
        report, query, records = r.report, r.place_query, {name: getattr(r, name, []) for name in RECORDS}
    except Exception as e:  # process_file records bad files itself; this is a defect, keep the batch going
        report, query, records = Report.failed(path, f"internal error: {type(e).__name__}: {e}", rid), [], {}
    return Payload(report, query, records, time.perf_counter() - t0, _peak_rss_mb())


def _serve(conn, schema, settings: Settings) -> None:
    """A worker process: read (path, report_id) tasks from ``conn``, answer with the file's records.

    The schema comes from the run (loaded and checked once there), so every worker reads with the same one even if
    the files under ``schemas/`` change during a long run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        path, rid = task
        conn.send(_read_one(path, rid, schema, settings))


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the run that started it dies (kill -9 leaves no orphans)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class _Worker:
    """One worker process and the task it is on."""

    def __init__(self, ctx, schema, settings: Settings):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, schema, settings), daemon=True, name="xxgk-worker")
        self.proc.start()
        child.close()
        self.task: tuple | None = None
        self.job = None
        self.started = 0.0
        self.n_done = 0
        self.peak_rss_mb = 0.0

    def send(self, task: tuple) -> None:
        self.conn.send(task)
        self.task, self.started = task, time.monotonic()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, AttributeError):
            pass
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()

    def death(self) -> str:
        self.proc.join(1)
        code = self.proc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"worker process crashed ({name}) while reading this file"
        return f"worker process exited (code {code}) while reading this file"

    def run_one(self, task: tuple, timeout: float | None):
        """Send one task and wait for it (used by the Dask engine, one task at a time)."""
        self.send(task)
        if not self.conn.poll(timeout):
            self.kill()
            return None, f"timed out after {timeout:g} s (worker killed)"
        try:
            return self.conn.recv(), None
        except (EOFError, OSError):
            return None, self.death()


def _own_id(payload: Payload, rid: str | None) -> Payload:
    """A report read without an id (e.g. an empty file) gets its content id, so a re-run skips it."""
    if payload.report.report_id is None and rid is not None:
        payload.report.report_id = rid
        for rows in payload.records.values():
            for rec in rows:
                rec["report_id"] = rid
    return payload


# ---------------------------------------------------------------------------------------------------------------------
# output: atomic parts, resume state, CSV at the end


def parts_dir(out: Path, name: str, fmt: str | None = None) -> Path:
    """Where the parts of table ``name`` live while a batch runs and between runs: ``OUT/.parts/<name>/``."""
    return Path(out) / ".parts" / name


def list_parts(d: Path) -> list[Path]:
    return sorted(p for p in d.glob("*.parquet") if not p.name.startswith((".", "_"))) if d.is_dir() else []


def _fsync_write(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def lock_output(out: Path):
    """Hold an exclusive lock on ``out`` for this run (two runs into one folder would read files twice).

    The lock is an ``flock`` on ``OUT/.xxgk.lock``: the kernel drops it when the process ends, even by ``kill -9``.
    Returns the open lock file; keep it open for the run.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    f = open(out / ".xxgk.lock", "a+")
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise OutputDirError(f"another xxgk run is writing to {out}; wait for it or choose another --out") from None
    return f


def prepare_output(out: Path, fmt: str) -> None:
    """Make the part folders; remove temporary files and torn parts (no reports part) left by a killed run."""
    for name in NAMES:
        d = parts_dir(out, name, fmt)
        d.mkdir(parents=True, exist_ok=True)
        for tmp in d.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
    committed = {p.name for p in list_parts(parts_dir(out, "reports", fmt))}
    for name in RECORDS:
        for p in list_parts(parts_dir(out, name, fmt)):
            if p.name not in committed:
                p.unlink()


@dataclass
class DoneState:
    """What earlier runs into the same output folder already hold."""

    first_path: dict[str, str] = field(default_factory=dict)  # report_id -> the path processed for it
    recorded: set[tuple[str | None, str]] = field(default_factory=set)  # (report_id, source_path) with a row


def read_done(out: Path, fmt: str) -> DoneState:
    state = DoneState()
    for p in list_parts(parts_dir(out, "reports", fmt)):
        t = pq.read_table(p, columns=["report_id", "source_path", "status"]).to_pydict()
        for rid, path, status in zip(t["report_id"], t["source_path"], t["status"], strict=False):
            state.recorded.add((rid, path))
            if rid is not None and status != "skipped":
                state.first_path.setdefault(rid, path)
    return state


class PartWriter:
    """Buffers records and writes them as one part per table every ``part_files`` files or ``flush_seconds``."""

    def __init__(
        self, out: Path, fmt: str, part_files: int = DEFAULTS.part_files, flush_seconds: float = DEFAULTS.flush_seconds
    ):
        self.out, self.fmt = out, fmt
        self.part_files, self.flush_seconds = max(1, part_files), flush_seconds
        self.token = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self.seq = 0
        self._clear()

    def _clear(self):
        self.buf = {name: [] for name in NAMES}
        self.n_files = 0
        self.since = time.monotonic()

    def add(self, report: Report, records: dict[str, list[dict]] | None = None) -> None:
        self.buf["reports"].append(report.record())
        for name, rows in (records or {}).items():
            self.buf[name] += rows
        self.n_files += 1
        if self.n_files >= self.part_files or time.monotonic() - self.since >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.n_files:
            return
        name = f"part-{self.token}-{self.seq:06d}.parquet"
        for kind in (*RECORDS, "reports"):  # reports last: its rename commits the part
            _fsync_write(OUTPUT_TABLES[kind].frame(self.buf[kind]), parts_dir(self.out, kind, self.fmt) / name)
        self.seq += 1
        self._clear()


def read_output(out: str | Path, name: str, fmt: str = "parquet") -> pd.DataFrame:
    """One table of a batch output folder as a frame with the project's dtypes (empty if nothing was written)."""
    table = OUTPUT_TABLES[name]
    files = list_parts(parts_dir(Path(out), name, fmt))
    if not files:
        return table.frame()
    return table.frame(pd.concat([pd.read_parquet(f) for f in files], ignore_index=True))


def parts_to_parquet(out: Path) -> dict[str, Path]:
    """Stream the parts of each table into one Parquet file ``OUT/<table>.parquet``, atomically, a part at a time."""
    written = {}
    for name in NAMES:
        table = OUTPUT_TABLES[name]
        cols = table.names
        target = out / f"{name}.parquet"
        tmp = target.with_name(f".{target.name}.tmp")
        files = list_parts(parts_dir(out, name))
        if not files:
            table.frame().to_parquet(tmp, index=False)
        else:
            writer = None
            try:
                for p in files:
                    t = pq.read_table(p).select(cols)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, t.schema)
                    writer.write_table(t.cast(writer.schema))
            finally:
                if writer is not None:
                    writer.close()
        os.replace(tmp, target)
        written[name] = target
    return written


def parts_to_csv(out: Path) -> dict[str, Path]:
    """Stream the parts of each table into one Excel-safe CSV (UTF-8 with BOM), atomically, a part at a time."""
    written = {}
    for name in NAMES:
        table = OUTPUT_TABLES[name]
        cols = table.names
        target = out / f"{name}.csv"
        tmp = target.with_name(f".{target.name}.tmp")
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            files = list_parts(parts_dir(out, name, "csv"))
            frames: Iterable[pd.DataFrame] = (pd.read_parquet(p) for p in files) if files else [table.frame()]
            header = True
            for df in frames:
                df = df.reindex(columns=cols)
                for c in df.columns:
                    if df[c].dtype == object or str(df[c].dtype) == "string":
                        df[c] = df[c].map(excel_safe, na_action="ignore")
                df.to_csv(f, index=False, header=header)
                header = False
        os.replace(tmp, target)
        written[name] = target
    return written


# ---------------------------------------------------------------------------------------------------------------------
# the batch


def file_id(path: Path) -> str:
    """The report_id of a file: the first 16 hex digits of the SHA-256 of its bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


@dataclass
class BatchStats:
    """What one run did (the dataset may hold more, from earlier runs)."""

    files: int = 0  # files found under the paths
    processed: int = 0  # files read in this run
    skipped_done: int = 0  # already in the output from an earlier run
    duplicates: int = 0  # same bytes as another file: recorded, not read again
    status: dict[str, int] = field(default_factory=dict)  # of the files read in this run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, error) of this run
    seconds: float = 0.0
    worker_peak_rss_mb: dict[str, float] = field(default_factory=dict)
    per_format: dict[str, list[float]] = field(default_factory=dict)  # format -> seconds per file (in the worker)
    written: dict[str, Path] = field(default_factory=dict)  # table -> the single file written at the end

    @property
    def files_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0


@dataclass
class _Task:
    path: str
    rid: str | None


def plan(
    files: list[Path], done: DoneState, emit_record: Callable[[Report], None], stats: BatchStats
) -> Iterator[_Task]:
    """The files still to read, in order; duplicates and files done earlier are recorded or skipped on the way."""
    first = dict(done.first_path)
    for f in files:
        path = str(f)
        try:
            rid = file_id(f)
        except OSError as e:
            if (None, path) in done.recorded:
                stats.skipped_done += 1
            else:
                emit_record(Report.failed(path, f"cannot read the file: {e}"))
            continue
        if (rid, path) in done.recorded:
            stats.skipped_done += 1
            continue
        if rid in first:
            stats.duplicates += 1
            emit_record(Report.skipped(path, rid, first[rid]))
            continue
        first[rid] = path
        yield _Task(path, rid)


def run_local(
    tasks: Iterator[_Task],
    on_result,
    workers: int,
    timeout: float | None,
    schema,
    settings: Settings,
    max_tasks_per_worker: int = DEFAULTS.max_tasks_per_worker,
    stats: BatchStats | None = None,
) -> None:
    """Run ``tasks`` on ``workers`` processes; ``on_result(task, payload_or_None, error)`` for each, in completion order."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    pool = [_Worker(ctx, schema, settings) for _ in range(max(1, workers))]
    ids = {id(w): f"worker-{i}" for i, w in enumerate(pool)}
    exhausted = False
    try:
        while True:
            for i, w in enumerate(pool):
                if w.task is None and not exhausted:
                    t = next(tasks, None)
                    if t is None:
                        exhausted = True
                        break
                    if w.n_done >= max_tasks_per_worker or not w.proc.is_alive():
                        w.stop()
                        pool[i] = w = _replace(ctx, schema, settings, w, ids)
                    try:
                        w.send((t.path, t.rid))
                    except (OSError, BrokenPipeError):
                        w.kill()
                        pool[i] = w = _replace(ctx, schema, settings, w, ids)
                        w.send((t.path, t.rid))
                    w.job = t
            busy = [w for w in pool if w.task is not None]
            if not busy:
                break
            now = time.monotonic()
            wait_for = 0.5 if timeout is None else max(0.01, min(w.started + timeout - now for w in busy))
            ready = wait([w.conn for w in busy], timeout=min(wait_for, 0.5))
            for i, w in enumerate(pool):
                if w.task is None:
                    continue
                t = w.job
                if w.conn in ready:
                    try:
                        payload = w.conn.recv()
                    except (EOFError, OSError):
                        on_result(t, None, w.death())
                        w.kill()
                        pool[i] = _replace(ctx, schema, settings, w, ids)
                        continue
                    w.task, w.n_done = None, w.n_done + 1
                    w.peak_rss_mb = max(w.peak_rss_mb, payload.peak_rss_mb)
                    if stats is not None:
                        key = ids[id(w)]
                        stats.worker_peak_rss_mb[key] = max(stats.worker_peak_rss_mb.get(key, 0), payload.peak_rss_mb)
                    on_result(t, payload, None)
                elif timeout is not None and time.monotonic() - w.started > timeout:
                    w.kill()
                    on_result(t, None, f"timed out after {timeout:g} s (worker killed)")
                    pool[i] = _replace(ctx, schema, settings, w, ids)
    finally:
        for w in pool:
            if w.task is None:
                w.stop()
            else:
                w.kill()


def _replace(ctx, schema, settings, old: _Worker, ids: dict) -> _Worker:
    new = _Worker(ctx, schema, settings)
    ids[id(new)] = ids.pop(id(old), f"worker-{len(ids)}")
    return new


# -- Dask: the same per-file work as tasks; each Dask worker keeps one child process for the time limit ----------------

_DASK_LOCAL = threading.local()


def _dask_task(path: str, rid: str, schema, settings: Settings, timeout: float | None):
    """Runs on a Dask worker: read one file in a child process (so the time limit can be enforced by killing it)."""
    w = getattr(_DASK_LOCAL, "worker", None)
    if w is None or not w.proc.is_alive():
        try:
            w = _Worker(mp.get_context("spawn"), schema, settings)
        except AssertionError:  # a daemonic Dask worker may not start children: read in-thread, without a time limit
            payload = _read_one(path, rid, schema, settings)
            return payload, None, _dask_worker_name()
        _DASK_LOCAL.worker = w
    payload, error = w.run_one((path, rid), timeout)
    if error is not None:
        _DASK_LOCAL.worker = None
    else:
        w.task = None
    return payload, error, _dask_worker_name()


def _dask_worker_name() -> str:
    try:
        from distributed import get_worker

        return f"dask {get_worker().name}"
    except (ImportError, ValueError):
        return "dask"


def run_dask(
    tasks: Iterator[_Task],
    on_result,
    workers: int,
    timeout: float | None,
    schema,
    settings: Settings,
    scheduler: str | None = None,
    stats: BatchStats | None = None,
) -> None:
    """Run ``tasks`` on a Dask distributed cluster (``scheduler`` address, or a local cluster of ``workers``)."""
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        with dask.config.set({"distributed.worker.daemon": False}):  # our workers start one child each
            cluster = LocalCluster(
                n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            )
        client = Client(cluster)
    try:
        n_slots = max(1, sum(client.nthreads().values()))
        window = 4 * n_slots  # tasks in flight: enough to keep workers busy, few enough to bound memory
        jobs = {}
        ac = as_completed()
        [schema_future] = client.scatter([schema], broadcast=True)  # sent once, not with every task

        def submit_next() -> bool:
            t = next(tasks, None)
            if t is None:
                return False
            fut = client.submit(
                _dask_task,
                t.path,
                t.rid,
                schema_future,
                settings,
                timeout,
                pure=False,
                key=f"xxgk-{t.rid}-{uuid.uuid4().hex[:6]}",
            )
            jobs[fut.key] = t
            ac.add(fut)
            return True

        for _ in range(window):
            if not submit_next():
                break
        for fut in ac:
            t = jobs.pop(fut.key)
            try:
                payload, error, who = fut.result()
            except Exception as e:  # the Dask worker died (KilledWorker) or the task raised
                payload, error, who = None, f"dask task failed: {type(e).__name__}: {e}", None
            if payload is not None and stats is not None:
                stats.worker_peak_rss_mb[who] = max(stats.worker_peak_rss_mb.get(who, 0), payload.peak_rss_mb)
            fut.release()
            on_result(t, payload, error)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- the whole run ----------------------------------------------------------------------------------------------------


def run_batch(
    paths: Iterable[str | Path],
    out: str | Path,
    settings: Settings | dict | None = None,
    *,
    progress: Progress | None = None,
    files: list[Path] | None = None,
    schema: Schema | None = None,
    **options,
) -> BatchStats:
    """Read every report under ``paths`` into ``out``, resuming what is there. Returns what this run did.

    ``settings`` and ``options`` (names of ``Settings``: ``workers=2``, ``format="csv"`` …) are checked before
    anything is read.
    """
    settings = Settings.resolve(settings, **options)
    out = Path(out)
    files = find_files(paths) if files is None else files
    schema = schema or load_schema()
    stats = BatchStats(files=len(files))
    lock = lock_output(out)
    try:
        return _run_locked(files, out, schema, settings, progress, stats)
    finally:
        lock.close()


def _run_locked(files, out: Path, schema, settings: Settings, progress, stats: BatchStats) -> BatchStats:
    fmt = settings.format
    prepare_output(out, fmt)
    done = read_done(out, fmt)
    writer = PartWriter(out, fmt, settings.part_files, settings.flush_seconds)
    progress = progress or Progress(len(files), enabled=False)
    t0 = time.perf_counter()

    def count(report: Report) -> None:
        stats.status[report.status.value] = stats.status.get(report.status.value, 0) + 1
        if report.status == Status.FAILED:
            stats.failed.append((report.source_path, report.error or ""))
        progress.advance(failed=report.status == Status.FAILED)

    def emit_record(report: Report) -> None:  # a row decided without reading the file (duplicate, unreadable)
        writer.add(report)
        if report.status == Status.FAILED:
            count(report)
        else:
            progress.advance()

    def on_result(t: _Task, payload: Payload | None, error: str | None) -> None:
        if payload is None:
            report, records = Report.failed(t.path, error or "no result", t.rid), {}
        else:
            payload = _own_id(payload, t.rid)
            report, records = payload.report, payload.records
            records.setdefault("issues", [])
            add_place(report, records["issues"], payload.place_query)
            stats.per_format.setdefault(report.format or "unknown", []).append(payload.seconds)
        writer.add(report, records)
        stats.processed += 1
        count(report)

    tasks = _advancing(plan(files, done, emit_record, stats), progress, stats)
    try:
        if settings.engine == "local":
            run_local(
                tasks,
                on_result,
                settings.n_workers,
                settings.timeout,
                schema,
                settings,
                stats=stats,
                max_tasks_per_worker=settings.max_tasks_per_worker,
            )
        else:
            run_dask(
                tasks, on_result, settings.n_workers, settings.timeout, schema, settings, settings.scheduler, stats
            )
    finally:
        writer.flush()  # on Ctrl-C too: what was read is kept
        progress.close()
    stats.written = parts_to_csv(out) if fmt == "csv" else parts_to_parquet(out)
    stats.seconds = time.perf_counter() - t0
    return stats


def _advancing(tasks: Iterator[_Task], progress: Progress, stats: BatchStats) -> Iterator[_Task]:
    seen = 0
    for t in tasks:
        if stats.skipped_done > seen:
            progress.advance(n=stats.skipped_done - seen)
            seen = stats.skipped_done
        yield t
    if stats.skipped_done > seen:
        progress.advance(n=stats.skipped_done - seen)


class Progress:
    """A one-line progress display on stderr: files, files/s, ETA and failures; silent when stderr is no terminal."""

    def __init__(self, total: int, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.done, self.failed = total, 0, 0
        self.t0 = time.monotonic()
        self.last = 0.0

    def advance(self, n: int = 1, failed: bool = False) -> None:
        self.done += n
        self.failed += int(failed)
        if self.enabled and (time.monotonic() - self.last > 0.2 or self.done >= self.total):
            self.render()

    def line(self) -> str:
        el = max(time.monotonic() - self.t0, 1e-9)
        rate = self.done / el
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_s = "--:--" if eta != eta else f"{int(eta // 60):d}:{int(eta % 60):02d}"
        return f"{self.done}/{self.total} files  {rate:.1f} files/s  ETA {eta_s}  failed {self.failed}"

    def render(self) -> None:
        self.last = time.monotonic()
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.render()
            self.stream.write("\n")
            self.stream.flush()
