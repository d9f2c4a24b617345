"""Batches at scale: plan the files, run them on an engine, keep what they give in resumable parts.

The work per file is ``run.process_file``; ``engines`` decides where it runs (isolated worker processes with a time
limit, locally or on Dask) and ``parts`` how its records reach disk (atomic Parquet parts, then the single files).
This module plans the run and ties the two together:

- Limits before work: a path is looked at with ``stat`` first; a folder, FIFO or device is never opened and a file
  over ``max_file_mb`` is never read (a failed row says so), and hashing reads at most that much.
- Resuming: a file whose latest ``reports`` row has the same ``report_id`` (SHA-256 of its bytes) is not processed
  again, so re-running the same command completes an interrupted run and adds only new files. A file changed since
  is read again and its new rows replace the old; ``retry_failed`` reads the failed ones again.
- Duplicates: bytes already seen (in this run or an earlier one) are processed once; every other path with the same
  bytes gets a reports row with status ``skipped``, ``n_cells`` 0 and ``duplicate_of`` = the path that was processed.
- A file that cannot be read, hangs or crashes its worker gets a ``failed`` reports row with the reason; the batch
  goes on.
- Files downloaded from the web (``xxgk fetch``) carry where they came from (``provenance``: the REPORTS columns
  url, page_url …) into their reports rows; the files that are candidates for one report (a web page and its
  attachments: ``candidates``) are all read and only the one read best keeps its cells (``candidates.Candidates``).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .candidates import Candidates
from .engines import BatchStats, Payload, Task, own_id, run_dask, run_local
from .files import Found, file_digest, find_inputs, os_reason, unreadable
from .parts import DoneState, PartWriter, lock_output, merge_parts, prepare_output, read_done
from .progress import Progress
from .run import finish_report, meta_sides
from .schema import Schema, load_schema
from .settings import Settings
from .sidecar import SideFile, shared_addresses, side_file
from .tables import Report, Status
from .textcodec import path_text, printable

__all__ = ["BatchStats", "Progress", "file_id", "plan", "run_batch"]

log = logging.getLogger(__name__)


def file_id(path: Path, max_mb: float | None = None) -> str:
    """The report_id of a file: the first 16 hex digits of the SHA-256 of its bytes (at most ``max_mb`` MB read)."""
    return file_digest(path, max_mb)[:16]


def plan(
    files: list[Path] | Found,
    done: DoneState,
    emit_record: Callable[[Report], None],
    stats: BatchStats,
    settings: Settings | None = None,
) -> Iterator[Task]:
    """The files still to read, in order; duplicates, files done earlier and files that cannot be read (with
    ``Found``: also the things named that are no files) are recorded or skipped on the way."""
    settings = Settings.resolve(settings)
    inputs = files if isinstance(files, Found) else Found(list(files))
    for f, problem in inputs.problems:
        _record_failure(str(f), problem, done, emit_record, stats, settings.retry_failed)
    first = done.first_path
    for f in inputs.files:
        path, shown = str(f), path_text(f)
        rid, why = _content_id(f, settings.max_file_mb)
        if rid is None:
            _record_failure(path, why or "", done, emit_record, stats, settings.retry_failed)
            continue
        if done.done(shown, rid, settings.retry_failed):
            stats.skipped_done += 1
            continue
        done.supersede(shown, rid)
        if rid in first and first[rid] != shown:
            stats.duplicates += 1
            emit_record(Report.skipped(path, rid, first[rid]))
            continue
        first[rid] = shown
        yield Task(path, rid)


def _content_id(f: Path, max_mb: float) -> tuple[str | None, str | None]:
    """(report_id, None), or (None, why the file is not read): checked from its stat before it is opened (a folder,
    FIFO or device never is; a file over the limit is not read), then hashed reading at most the limit."""
    why, _ = unreadable(f, max_mb)
    if why is not None:
        return None, why
    try:
        return file_id(f, max_mb), None
    except OSError as e:
        return None, f"cannot read the file: {os_reason(e)}"


def _record_failure(
    path: str, why: str, done: DoneState, emit: Callable[[Report], None], stats: BatchStats, retry: bool
) -> None:
    """A failed row for a path that is not read at all, unless an earlier run recorded that already."""
    if done.done(path_text(path), None, retry):
        stats.skipped_done += 1
    else:
        emit(Report.failed(path, why))


def run_batch(
    paths: Iterable[str | Path],
    out: str | Path,
    settings: Settings | dict | None = None,
    *,
    progress: Progress | None = None,
    files: list[Path] | Found | None = None,
    schema: Schema | None = None,
    provenance: Mapping[str, Mapping[str, Any]] | None = None,
    candidates: Mapping[str, str] | None = None,
    listed: SideFile | None = None,
    **options,
) -> BatchStats:
    """Read every report under ``paths`` into ``out``, resuming what is there. Returns what this run did.

    ``settings`` and ``options`` (names of ``Settings``: ``workers=2``, ``format="csv"`` …) are checked before
    anything is read. ``provenance`` maps a file's path (as in ``files``) to its reports columns of where it came
    from; ``candidates`` maps the paths of files that may each be one report to a key they share; ``listed`` holds
    the other columns of the address lists they were found from (``SideFile.from_list``), the side file's values over
    them.
    """
    settings = Settings.resolve(settings, **options)
    out = Path(out)
    inputs = find_inputs(paths, exclude=[out]) if files is None else files
    inputs = inputs if isinstance(inputs, Found) else Found(list(inputs))
    schema = schema or load_schema()
    stats = BatchStats(files=len(inputs.files) + len(inputs.problems))
    side_file(settings.meta)  # a malformed side file stops the run before the folder is touched
    lock = lock_output(out)
    try:
        run = _Run(out, schema, settings, progress or Progress(stats.files), stats)
        run.provenance, run.choice = provenance or {}, Candidates(candidates or {}, run.done.paths())
        run.sides, run.shared = meta_sides(settings, listed), shared_addresses(run.provenance, candidates or {})
        return run.run(inputs)
    finally:
        lock.close()


class _Run:
    """One run into a locked output folder: every file's row goes to the part writer and is counted once."""

    def __init__(self, out: Path, schema: Schema, settings: Settings, progress: Progress, stats: BatchStats):
        self.out, self.schema, self.settings, self.progress, self.stats = out, schema, settings, progress, stats
        stats.notes += prepare_output(out)
        self.done = read_done(out)
        self.writer = PartWriter(out, settings.part_files, settings.flush_seconds)
        self.sides = meta_sides(settings)
        self.shared: frozenset[str] = frozenset()  # addresses several reports were found from: they find no row
        self.seconds: dict[str, float] = {}  # a file's seconds in its worker, until its row is written
        self.provenance: Mapping[str, Mapping[str, Any]] = {}
        self.choice = Candidates({})
        self.unread: set[str] = set()

    def run(self, inputs: Found) -> BatchStats:
        t0 = time.perf_counter()
        s = self.settings
        tasks = _advancing(plan(inputs, self.done, self.emit_record, self.stats, s), self.progress, self.stats)
        try:
            if s.engine == "local":
                run_local(
                    tasks,
                    self.on_result,
                    s.n_workers,
                    s.timeout,
                    self.schema,
                    s,
                    s.max_tasks_per_worker,
                    self.stats,
                    on_started=lambda: _import_in_background(WRITER_MODULES),  # for the first part, while they read
                )
            else:
                run_dask(tasks, self.on_result, s.n_workers, s.timeout, self.schema, s, s.scheduler, self.stats)
        finally:
            self._write(self.choice.rest())
            self.writer.flush()  # on Ctrl-C too: what was read is kept
            self.progress.close()
        changed = self.writer.seq > 0 or not (self.out / f"cells.{s.format}").exists()
        merged = merge_parts(self.out, s.format, self.schema, changed)
        self.stats.written, self.stats.rows = merged.files, merged.rows
        self.stats.seconds = time.perf_counter() - t0
        return self.stats

    def count(self, report: Report) -> None:
        status = self.stats.status
        status[report.status.value] = status.get(report.status.value, 0) + 1
        seconds = self.seconds.pop(report.source_path, None)
        if report.status == Status.FAILED:
            self.stats.failed.append((report.source_path, report.error or ""))
            log.info("failed: %s: %s", report.source_path, report.error)
        else:
            took = f", {seconds:.1f} s" if seconds is not None else ""
            log.info(
                "%s: %s, %d cells, %d issues%s",
                report.source_path,
                report.status.value,
                report.n_cells,
                report.n_issues,
                took,
            )
        self.progress.advance(status=report.status.value, path=report.source_path, seconds=seconds)

    def emit_record(self, report: Report) -> None:
        """A row decided without reading the file (duplicate, unreadable)."""
        if report.status != Status.FAILED:
            self.unread.add(report.source_path)  # shown as progress, not counted as read
        report.came_from(self.provenance.get(report.source_path) or {})
        self._out(report, {})

    def _out(self, report: Report, records: dict[str, list[dict]]) -> None:
        """A file's rows; a candidate's wait for the rest of its group."""
        if report.source_path in self.choice:
            self._write(self.choice.hold(report, records))
        else:
            self._write([(report, records)])

    def _write(self, rows: list[tuple[Report, dict[str, list[dict]]]]) -> None:
        self.writer.add_together(rows)
        for report, _ in rows:
            if report.source_path in self.unread:
                path, status, other = report.source_path, report.status.value, report.duplicate_of
                log.info("%s: %s (the file read instead: %s)", path, status, other)
                self.progress.advance(status=report.status.value, path=report.source_path)
            else:
                self.count(report)

    def on_result(self, t: Task, payload: Payload | None, error: str | None) -> None:
        if payload is None:
            report, records = Report.failed(t.path, error or "no result", t.rid), {}
            report.came_from(self.provenance.get(t.path) or {})
        else:
            payload = own_id(payload, t.rid)
            report, records = payload.report, payload.records
            report.came_from(self.provenance.get(t.path) or {})
            records.setdefault("issues", [])
            finish_report(report, records["issues"], payload.place_query, self.sides, self.shared)
            self.seconds[t.path] = payload.seconds
            self.stats.per_format.setdefault(report.format or "unknown", []).append(payload.seconds)
        self.stats.processed += 1
        self._out(report, records)


WRITER_MODULES = ("pandas", "pyarrow", "pyarrow.parquet")


def _import_in_background(modules: Iterable[str]) -> None:
    """Import ``modules`` in a thread: the workers read the first files meanwhile instead of after (about 0.5 s).
    Started once the workers are forked, so no worker is forked from a process in the middle of an import."""

    def load() -> None:
        for m in modules:
            importlib.import_module(m)

    threading.Thread(target=load, name="xxgk-imports", daemon=True).start()


def _advancing(tasks: Iterator[Task], progress: Progress, stats: BatchStats) -> Iterator[Task]:
    """The tasks, telling the progress which file is handed out and how many were done in an earlier run."""
    seen = 0
    for t in tasks:
        if stats.skipped_done > seen:
            progress.advance(n=stats.skipped_done - seen, status="done earlier")
            seen = stats.skipped_done
        progress.reading(printable(path_text(t.path)))
        yield t
    if stats.skipped_done > seen:
        progress.advance(n=stats.skipped_done - seen, status="done earlier")
