"""Where the per-file work of a batch runs: isolated worker processes with a time limit, locally or on Dask.

- Each file runs in a worker *process* with a time limit and a memory limit. A file that hangs is killed after
  ``timeout`` seconds and a worker that crashes (segfault, out of memory) is replaced; either way ``on_result`` gets
  the file with no payload and the reason, and the batch goes on.
- Memory: what each worker's address space may grow by while it reads is limited by the OS (``RLIMIT_AS``,
  ``max_memory_mb``), so a file that needs more fails alone (``MemoryError``, said plainly) instead of waking the
  machine's out-of-memory killer.
- Each worker leads its own process group and has its own scratch folder (``TMPDIR``): what it starts (LibreOffice)
  is killed with it, and its temporary files (LibreOffice's profiles) are removed when it ends, however it ends;
  scratch folders of runs killed outright (``kill -9``) are removed by the next run.
- Engines: ``run_local`` (worker processes on this machine) and ``run_dask`` (the same per-file work as tasks on a
  Dask distributed cluster; without a scheduler address a local cluster is started). Dask workers must see the input
  paths (shared file system); the client, which calls ``on_result``, writes the output.

Both call ``on_result(task, payload_or_None, error_or_None)`` once per task, in completion order.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, NamedTuple

from .run import out_of_memory, process_file
from .schema import Schema
from .settings import DEFAULTS, MB, Settings
from .tables import RECORD_TABLES, Report

POLL_SECONDS = 0.5  # longest wait for a worker's answer before the time limits are looked at again
SCRATCH_PREFIX = "xxgk-worker-"  # a worker's scratch folder: xxgk-worker-<pid of the run>-<random>


@dataclass
class Task:
    """One file to read: its path and its content id (None when the bytes could not be hashed)."""

    path: str
    rid: str | None


class Payload(NamedTuple):
    """What a worker sends back for one file."""

    report: Report
    place_query: list[str]  # title-line readings of the agency, for the parent to place it (add_place)
    records: dict[str, list[dict]]  # cells, issues, narrative
    seconds: float
    peak_rss_mb: float


OnResult = Callable[[Task, Payload | None, str | None], None]


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
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows of that file
    notes: list[str] = field(default_factory=list)  # what the run met in the output folder (a damaged part set aside)

    @property
    def files_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0

    def note_rss(self, worker: str, mb: float) -> None:
        self.worker_peak_rss_mb[worker] = max(self.worker_peak_rss_mb.get(worker, 0), mb)


# ---------------------------------------------------------------------------------------------------------------------
# one file in a worker process


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _read_one(path: str, rid: str | None, schema: Schema, settings: Settings) -> Payload:
    t0 = time.perf_counter()
    try:
        r = process_file(path, schema, settings, place=False)
        report, query, records = r.report, r.place_query, {name: getattr(r, name, []) for name in RECORD_TABLES}
    except MemoryError:
        report, query, records = Report.failed(path, out_of_memory(settings), rid), [], {}
    except Exception as e:  # process_file records bad files itself; this is a defect, keep the batch going
        report, query, records = Report.failed(path, f"internal error: {type(e).__name__}: {e}", rid), [], {}
    return Payload(report, query, records, time.perf_counter() - t0, _peak_rss_mb())


def _serve(conn, schema: Schema, settings: Settings, scratch: str | None = None) -> None:
    """A worker process: read (path, report_id) tasks from ``conn``, answer with the file's records.

    The schema comes from the run (loaded and checked once there), so every worker reads with the same one even if
    the files under ``schemas/`` change during a long run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    _own_group()
    if scratch:
        os.environ["TMPDIR"] = tempfile.tempdir = scratch
    limit_memory(settings.max_memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        path, rid = task
        conn.send(_read_one(path, rid, schema, settings))


def limit_memory(mb: float | None) -> None:
    """Let this process's address space grow by at most ``mb`` MB from what it holds now (``RLIMIT_AS``; children
    inherit it): an allocation past it fails (``MemoryError``) instead of the machine running out. A worker starts
    as a copy of the process that made it, which may hold much (a notebook's data), so the limit is on what reading
    files adds. No limit where the OS has none to set."""
    if not mb or not hasattr(resource, "RLIMIT_AS"):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = _address_space() + int(mb * MB)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ValueError, OSError):
        pass


def _address_space() -> int:
    """Bytes of address space this process holds (Linux: VmSize; elsewhere 0)."""
    try:
        with open("/proc/self/status") as f:
            return next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:")), 0)
    except OSError:
        return 0


def _own_group() -> None:
    """Lead a process group of its own, so that killing the worker's group ends what it started (LibreOffice)."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass


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

    def __init__(self, ctx, schema: Schema, settings: Settings, name: str = "worker"):
        self.name = name
        self.memory_mb = settings.max_memory_mb
        self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
        # a worker kept for reuse (a Dask thread's) and never stopped: its folder goes when it does, or at exit
        weakref.finalize(self, shutil.rmtree, self.scratch, ignore_errors=True)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_serve, args=(child, schema, settings, self.scratch), daemon=True, name="xxgk-worker"
        )
        self.proc.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0
        self.n_done = 0

    def send(self, task: Task) -> None:
        self.conn.send((task.path, task.rid))
        self.task, self.started = task, time.monotonic()

    def kill(self) -> None:
        """Kill the worker and everything it started (its process group), and remove its scratch folder."""
        pid = self.proc.pid
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), self.proc.kill):
            try:
                kill()
            except (OSError, AttributeError, TypeError):
                pass
        self.proc.join(5)
        self.conn.close()
        self._clean()

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
            self._group_gone()
            self._clean()

    def _group_gone(self) -> None:
        """Whatever the worker started and left running (its group) is killed too."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (OSError, TypeError):
            pass

    def _clean(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def death(self) -> str:
        self.proc.join(1)
        code = self.proc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            memory = f" (out of memory? the limit is {self.memory_mb:g} MB, max_memory_mb)" if self.memory_mb else ""
            hint = memory if -code in (signal.SIGABRT, signal.SIGSEGV, signal.SIGKILL, signal.SIGBUS) else ""
            return f"worker process crashed ({name}) while reading this file{hint}"
        return f"worker process exited (code {code}) while reading this file"

    def receive(self) -> tuple[Payload | None, str | None]:
        """The answer to the task sent, or why there is none (the worker died); the worker is free again."""
        try:
            payload = self.conn.recv()
        except (EOFError, OSError):
            return None, self.death()
        self.task, self.n_done = None, self.n_done + 1
        return payload, None

    def overdue(self, timeout: float | None, now: float) -> bool:
        return timeout is not None and now - self.started > timeout

    def run_one(self, task: Task, timeout: float | None) -> tuple[Payload | None, str | None]:
        """Send one task and wait for it (used by the Dask engine, one task at a time)."""
        self.send(task)
        if not self.conn.poll(timeout):
            self.kill()
            return None, _timed_out(timeout)
        return self.receive()


def _timed_out(timeout: float | None) -> str:
    return f"timed out after {timeout:g} s (worker killed)"


def own_id(payload: Payload, rid: str | None) -> Payload:
    """A report read without an id (e.g. an empty file) gets its content id, so a re-run skips it."""
    if payload.report.report_id is None and rid is not None:
        payload.report.report_id = rid
        for rows in payload.records.values():
            for rec in rows:
                rec["report_id"] = rid
    return payload


# ---------------------------------------------------------------------------------------------------------------------
# the local engine


def sweep_scratch() -> None:
    """Remove the scratch folders of runs that no longer exist (killed outright, their workers with them)."""
    for d in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = d.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        try:
            if pid.isdigit() and not _alive(int(pid)) and d.stat().st_uid == os.getuid():
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Pool:
    """``workers`` processes; a worker is replaced when it dies, times out or has read ``max_tasks`` files."""

    def __init__(self, n: int, schema: Schema, settings: Settings, max_tasks: int, stats: BatchStats | None):
        sweep_scratch()
        # forked workers start with the package loaded (the run imported it); spawn where fork is not available
        self.ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        self.schema, self.settings, self.max_tasks, self.stats = schema, settings, max_tasks, stats
        self.workers = [self._start(f"worker-{i}") for i in range(max(1, n))]

    def _start(self, name: str) -> _Worker:
        return _Worker(self.ctx, self.schema, self.settings, name)

    def replace(self, i: int, kill: bool = True) -> _Worker:
        """A fresh process in slot ``i`` (it keeps the slot's name, under which its memory is reported)."""
        old = self.workers[i]
        old.kill() if kill else old.stop()
        self.workers[i] = self._start(old.name)
        return self.workers[i]

    def busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.task is not None]

    def dispatch(self, tasks: Iterator[Task]) -> bool:
        """Give every idle worker its next task; False once ``tasks`` is exhausted."""
        for i, w in enumerate(self.workers):
            if w.task is not None:
                continue
            t = next(tasks, None)
            if t is None:
                return False
            if w.n_done >= self.max_tasks or not w.proc.is_alive():
                w = self.replace(i, kill=False)
            try:
                w.send(t)
            except (OSError, BrokenPipeError):
                self.replace(i).send(t)
        return True

    def collect(self, timeout: float | None) -> list[tuple[Task, Payload | None, str | None]]:
        """Wait a little for answers; return each answer, each dead worker and each task over its time limit.

        The answers are handled by the caller after the freed workers have their next task, so that the run's own
        share of the work (placing, writing) overlaps the workers' reading instead of idling them.
        """
        busy = self.busy()
        now = time.monotonic()
        wait_for = POLL_SECONDS if timeout is None else max(0.01, min(w.started + timeout - now for w in busy))
        ready = wait([w.conn for w in busy], timeout=min(wait_for, POLL_SECONDS))
        out: list[tuple[Task, Payload | None, str | None]] = []
        for i, w in enumerate(self.workers):
            t = w.task
            if t is not None and w.conn in ready:
                out.append((t, *self._answer(i)))
            elif t is not None and w.overdue(timeout, time.monotonic()):
                self.replace(i)
                out.append((t, None, _timed_out(timeout)))
        return out

    def _answer(self, i: int) -> tuple[Payload | None, str | None]:
        """Worker ``i``'s answer: its records, or its death (then it is replaced)."""
        w = self.workers[i]
        payload, error = w.receive()
        if payload is not None and self.stats is not None:
            self.stats.note_rss(w.name, payload.peak_rss_mb)
        if error is not None:
            self.replace(i)
        return payload, error

    def close(self) -> None:
        for w in self.workers:
            w.stop() if w.task is None else w.kill()


def run_local(
    tasks: Iterator[Task],
    on_result: OnResult,
    workers: int,
    timeout: float | None,
    schema: Schema,
    settings: Settings,
    max_tasks_per_worker: int = DEFAULTS.max_tasks_per_worker,
    stats: BatchStats | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run ``tasks`` on ``workers`` processes on this machine (``on_started`` is called once they are forked)."""
    pool = _Pool(workers, schema, settings, max_tasks_per_worker, stats)
    if on_started is not None:
        on_started()
    ahead = _Ahead(tasks)
    more = True
    try:
        while True:
            if more:
                more = pool.dispatch(ahead)
            if not pool.busy():
                break
            ahead.fill()  # the next file is planned (hashed) while the workers read
            answers = pool.collect(timeout)
            if more:
                more = pool.dispatch(ahead)
            for t, payload, error in answers:
                on_result(t, payload, error)
    finally:
        pool.close()


class _Ahead(Iterator[Task]):
    """The tasks, with the next one taken out ahead of need (``fill``) so a freed worker never waits for it."""

    def __init__(self, tasks: Iterator[Task]):
        self.tasks = tasks
        self.held: list[Task] = []

    def fill(self) -> None:
        if not self.held:
            self.held.extend(itertools.islice(self.tasks, 1))

    def __next__(self) -> Task:
        if self.held:
            return self.held.pop()
        return next(self.tasks)


# ---------------------------------------------------------------------------------------------------------------------
# the Dask engine: the same per-file work as tasks; each Dask worker keeps one child process for the time limit

_DASK_LOCAL = threading.local()


def _dask_task(path: str, rid: str | None, schema: Schema, settings: Settings, timeout: float | None):
    """Runs on a Dask worker: read one file in a child process (so the time limit can be enforced by killing it)."""
    w = getattr(_DASK_LOCAL, "worker", None)
    if w is None or not w.proc.is_alive():
        try:
            w = _Worker(mp.get_context("spawn"), schema, settings)
        except AssertionError:  # a daemonic Dask worker may not start children: read in-thread, without a time limit
            return _read_one(path, rid, schema, settings), None, _dask_worker_name()
        _DASK_LOCAL.worker = w
    payload, error = w.run_one(Task(path, rid), timeout)
    if error is not None:
        _DASK_LOCAL.worker = None
    return payload, error, _dask_worker_name()


def _dask_worker_name() -> str:
    try:
        from distributed import get_worker

        return f"dask {get_worker().name}"
    except (ImportError, ValueError):
        return "dask"


def _dask_client(workers: int, scheduler: str | None):
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers`` started for this run."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    with dask.config.set({"distributed.worker.daemon": False}):  # our workers start one child each
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
    return Client(cluster), cluster


def run_dask(
    tasks: Iterator[Task],
    on_result: OnResult,
    workers: int,
    timeout: float | None,
    schema: Schema,
    settings: Settings,
    scheduler: str | None = None,
    stats: BatchStats | None = None,
) -> None:
    """Run ``tasks`` on a Dask distributed cluster (``scheduler`` address, or a local cluster of ``workers``)."""
    from distributed import as_completed

    client, cluster = _dask_client(workers, scheduler)
    try:
        window = 4 * max(1, sum(client.nthreads().values()))  # in flight: keeps workers busy, bounds memory
        jobs: dict[Any, Task] = {}
        ac = as_completed()
        [schema_future] = client.scatter([schema], broadcast=True)  # sent once, not with every task

        def submit_next() -> bool:
            t = next(tasks, None)
            if t is None:
                return False
            key = f"xxgk-{t.rid}-{uuid.uuid4().hex[:6]}"
            fut = client.submit(_dask_task, t.path, t.rid, schema_future, settings, timeout, pure=False, key=key)
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
                stats.note_rss(who, payload.peak_rss_mb)
            fut.release()
            on_result(t, payload, error)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
