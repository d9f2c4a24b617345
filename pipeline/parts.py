"""The output folder while a batch runs: atomic Parquet parts, the lock, what earlier runs did, the final files.

- Records are written in parts: every few hundred files (or every ``flush_seconds``) the buffered records of each
  table (cells, issues, narrative, reports) are written as one Parquet file each in ``OUT/.parts/<table>/``, under
  one part name. Each file is written atomically (``dataset.atomic_write``) and the reports part is written last:
  it is the commit. A part whose reports file is missing is a torn write and is removed on the next run. So memory
  holds one part at most, and a run killed at any moment (even ``kill -9``) leaves only whole parts.
- When the run completes, the parts are streamed, one at a time, into the single files ``OUT/cells.parquet`` (or
  ``.csv``) etc. that every reader of an ingest folder expects; the parts stay, for the next run to resume from.
  The merge is atomic as a whole: every final file is first written under a temporary name; then
  ``datapackage.json`` (the manifest) is removed, the files are renamed into place, and the manifest is written
  last. A run killed while writing leaves the last complete run's files and manifest; one killed during the renames
  leaves no manifest, which readers refuse (``dataset.dataset_format``) until the ingest is run again. The folder
  holds one format: the other format's tables, and the audit's files (they describe the data before), are removed.
- One row per path: a path's latest row (by part order) is the one that counts, so a file changed since an earlier
  run, or a failed one read again (``retry_failed``), replaces its old rows in the merge and in ``read_parts``.
- Resuming: ``read_done`` tells which paths earlier runs recorded, with which content; ``lock_output`` keeps a
  second run out of the folder while one is writing. A committed part that cannot be read (a damaged disk, a
  hand edit) is set aside (``.corrupt-*``) with a note, so its files are read again.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from .datapackage import PANEL, write_datapackage
from .dataset import MANIFEST, TMP_SUFFIX, read_frame, stage_frames, sync_dir, write_frames
from .errors import XxgkError
from .settings import DEFAULTS, FORMATS
from .tables import OUTPUT_TABLES, RECORD_TABLES, Report, Status, Table
from .tables_extra import AUDIT_TABLES, CODEBOOK

if TYPE_CHECKING:  # imported where parts are read or written: a batch starts its workers before loading them
    import pandas as pd
    import pyarrow as pa

NAMES = tuple(OUTPUT_TABLES)  # the tables of an output folder; "reports" has one row per file and commits a part
# tables made from the data (by xxgk audit, xxgk export --panel): an ingest that changes the data removes them
DERIVED_FILES = (*(f"{name}.{fmt}" for name in [*AUDIT_TABLES, PANEL] for fmt in FORMATS), "audit.html")


class OutputDirError(XxgkError):
    """The output folder holds something a resumable run cannot extend."""


def parts_dir(out: str | Path, name: str) -> Path:
    """Where the parts of table ``name`` live while a batch runs and between runs: ``OUT/.parts/<name>/``."""
    return Path(out) / ".parts" / name


def list_parts(d: Path) -> list[Path]:
    return sorted(p for p in d.glob("*.parquet") if not p.name.startswith((".", "_"))) if d.is_dir() else []


def lock_output(out: Path) -> IO[str]:
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


def prepare_output(out: Path) -> list[str]:
    """Make the part folders; remove temporary files and torn parts (no reports part) left by a killed run, and set
    aside committed parts that cannot be read. Returns a note for each part set aside."""
    for tmp in out.glob(f".*{TMP_SUFFIX}"):  # a final file being written when the run was killed
        tmp.unlink(missing_ok=True)
    for name in NAMES:
        d = parts_dir(out, name)
        d.mkdir(parents=True, exist_ok=True)
        for tmp in d.glob(f".*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)
    committed = {p.name for p in list_parts(parts_dir(out, "reports"))}
    for name in RECORD_TABLES:
        for p in list_parts(parts_dir(out, name)):
            if p.name not in committed:
                p.unlink()
    return [_set_aside(out, part, why) for part, why in _damaged_parts(out, committed)]


def _damaged_parts(out: Path, committed: set[str]) -> Iterator[tuple[str, str]]:
    """Committed parts one of whose files cannot be opened as Parquet (truncated, emptied, overwritten)."""
    for part in sorted(committed):
        import pyarrow as pa  # only when there are parts: a first run starts its workers sooner
        import pyarrow.parquet as pq

        for name in NAMES:
            p = parts_dir(out, name) / part
            try:
                pq.ParquetFile(p).close()
            except (OSError, pa.ArrowException) as e:
                yield part, f"{name}/{part}: {type(e).__name__}: {e}"
                break


def _set_aside(out: Path, part: str, why: str) -> str:
    """Rename every table's file of a damaged part out of the way (kept for a look), so its files are read again."""
    for name in NAMES:
        p = parts_dir(out, name) / part
        if p.exists():
            p.rename(p.with_name(f".corrupt-{part}"))
    return f"a part of an earlier run cannot be read; set aside as .corrupt-{part}, its files are read again ({why})"


class Latest(NamedTuple):
    """A path's latest reports row, as resuming needs it."""

    rid: str | None
    status: str
    duplicate_of: str | None = None


@dataclass
class DoneState:
    """What earlier runs into the same output folder already hold: each path's latest row."""

    latest: dict[str, Latest] = field(default_factory=dict)  # source_path -> its latest row
    first_path: dict[str, str] = field(default_factory=dict)  # report_id -> the path processed for it
    held: dict[str, set[str]] = field(default_factory=dict)  # source_path -> every content it was read with

    def paths(self) -> set[str]:
        """The paths with a row."""
        return set(self.latest)

    def done(self, path: str, rid: str | None, retry_failed: bool = False) -> bool:
        """Whether ``path`` with content ``rid`` (None: not hashed) needs no reading: its latest row is of the same
        content, not a failure to retry, and not a duplicate of a file that no longer holds these bytes."""
        got = self.latest.get(path)
        if got is None or got.rid != rid:
            return False
        if got.status == Status.FAILED and retry_failed:
            return False
        if got.status == Status.SKIPPED and got.duplicate_of and rid in self.held.get(got.duplicate_of, ()):
            holder = self.latest.get(got.duplicate_of)
            return holder is not None and holder.rid == rid  # the file it repeats still holds these bytes
        return True

    def supersede(self, path: str, rid: str | None) -> None:
        """``path`` is read again with content ``rid``: it stands for these bytes now, no longer for its old ones."""
        old = self.latest.get(path)
        if old is not None and old.rid != rid:
            if self.first_path.get(old.rid or "") == path:
                del self.first_path[old.rid or ""]
            self.latest[path] = Latest(rid, "reading")


def read_done(out: Path) -> DoneState:
    state = DoneState()
    rows = list(_report_rows(out))
    for _, rid, path, status, dup in rows:
        state.latest[path] = Latest(rid, status, dup)
        if rid is not None and status != Status.SKIPPED:
            state.held.setdefault(path, set()).add(rid)
    for _, rid, path, status, dup in rows:
        if rid is not None and status != Status.SKIPPED and state.latest[path] == (rid, status, dup):
            state.first_path.setdefault(rid, path)
    return state


def _report_rows(out: Path) -> Iterator[tuple[str, str | None, str, str, str | None]]:
    """(part, report_id, source_path, status, duplicate_of) of every committed reports row, in part order."""
    for p in list_parts(parts_dir(out, "reports")):
        import pyarrow.parquet as pq  # only when there are parts: a first run starts its workers sooner

        t = pq.read_table(p, columns=["report_id", "source_path", "status", "duplicate_of"]).to_pydict()
        for row in zip(t["report_id"], t["source_path"], t["status"], t["duplicate_of"], strict=True):
            yield (p.name, *row)


def latest_parts(out: str | Path) -> dict[str, set[str]]:
    """For each committed part, the paths whose latest row it holds (a later part replaces an earlier one's rows)."""
    last: dict[str, str] = {}
    for part, _, path, _, _ in _report_rows(Path(out)):
        last[path] = part
    by_part: dict[str, set[str]] = {}
    for path, part in last.items():
        by_part.setdefault(part, set()).add(path)
    return by_part


class PartWriter:
    """Buffers records and writes them as one part per table every ``part_files`` files or ``flush_seconds``."""

    def __init__(self, out: Path, part_files: int = DEFAULTS.part_files, flush_seconds: float = DEFAULTS.flush_seconds):
        self.out = out
        self.part_files, self.flush_seconds = max(1, part_files), flush_seconds
        # parts sort in the order they were written (a later run's after an earlier one's, to the microsecond)
        self.token = f"{time.strftime('%Y%m%dT%H%M%S')}.{time.time_ns() // 1000 % 1_000_000:06d}-{uuid.uuid4().hex[:8]}"
        self.seq = 0
        self._clear()

    def _clear(self) -> None:
        self.buf: dict[str, list[dict]] = {name: [] for name in NAMES}
        self.n_files = 0
        self.since = time.monotonic()

    def add(self, report: Report, records: dict[str, list[dict]] | None = None) -> None:
        self.add_together([(report, records)])

    def add_together(self, rows: Sequence[tuple[Report, dict[str, list[dict]] | None]]) -> None:
        """Files whose rows must land in one part (candidates for one report: a resumed run sees all or none)."""
        for report, records in rows:
            self.buf["reports"].append(report.record())
            for name, recs in (records or {}).items():
                self.buf[name] += recs
            self.n_files += 1
        if self.n_files >= self.part_files or time.monotonic() - self.since >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.n_files:
            return
        name = f"part-{self.token}-{self.seq:06d}.parquet"
        for kind in (*RECORD_TABLES, "reports"):  # reports last: its rename commits the part
            rows = _arrow_rows(OUTPUT_TABLES[kind], self.buf[kind])
            write_frames([rows], parts_dir(self.out, kind) / name, "parquet")
        self.seq += 1
        self._clear()


def read_parts(out: str | Path, name: str) -> pd.DataFrame:
    """One table as the committed parts hold it (also mid-run, or after a kill), with the project's dtypes: each
    path's latest rows only."""
    import pandas as pd

    table = OUTPUT_TABLES[name]
    files = list_parts(parts_dir(out, name))
    if not files:
        return table.frame()
    keep = latest_parts(out)
    frames = []
    for f in files:
        df = read_frame(f, table)
        frames.append(df[df["source_path"].isin(keep.get(f.name, set()))])
    return table.frame(pd.concat(frames, ignore_index=True))


@functools.cache
def _arrow_schema(table: Table) -> pa.Schema:
    import pyarrow as pa

    return pa.Schema.from_pandas(table.frame(), preserve_index=False)


def _arrow_rows(table: Table, records: list[dict]) -> pa.Table | pd.DataFrame:
    """Records as an Arrow table of the table's schema (as ``Table.frame`` would make them, without building a
    frame: a run's last part is written while the user waits); through ``Table.frame``, which casts, when a value is
    not of its column's type. A NaN is null, as pandas writes it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = _arrow_schema(table)
    try:
        t = pa.Table.from_pylist(records, schema=schema)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return table.frame(records)
    for i, f in enumerate(schema):
        if pa.types.is_floating(f.type):
            column = t.column(i)
            nan = pc.is_nan(column)
            if pc.any(nan).as_py():
                t = t.set_column(i, f, pc.if_else(nan, None, column))
    return t


def _conformed(path: Path, table: Table, schema: pa.Schema, paths: set[str]) -> pa.Table:
    """A part with the declared columns in order, and only the rows of ``paths`` (whose latest rows it holds); one
    written before a column was declared gets it as nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    for f in schema:
        if f.name not in t.column_names:
            t = t.append_column(f.name, pa.nulls(len(t), f.type))
    t = t.select(table.names).cast(schema)
    mask = pc.is_in(t["source_path"], value_set=pa.array(sorted(paths), pa.string()))
    return t if pc.all(mask).as_py() else t.filter(mask)


def _chunks(out: Path, name: str, keep: dict[str, set[str]]) -> Iterator[pa.Table | pd.DataFrame]:
    """The rows of one table that count, one part at a time (an empty frame when there is no part, for the schema)."""
    table = OUTPUT_TABLES[name]
    schema = _arrow_schema(table)
    files = list_parts(parts_dir(out, name))
    if not files:
        yield table.frame()
    for p in files:
        yield _conformed(p, table, schema, keep.get(p.name, set()))


def _counted(chunks: Iterator[pa.Table | pd.DataFrame], rows: dict[str, int], name: str) -> Iterator:
    rows[name] = 0
    for c in chunks:
        rows[name] += len(c)
        yield c


@dataclass
class Merged:
    """The single files a merge wrote, and their rows."""

    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def merge_parts(out: Path, fmt: str, schema=None, changed: bool = True) -> Merged:
    """Stream the parts of each table into one file ``OUT/<table>.<fmt>``, one part at a time; then put all of them
    in place at once, ``datapackage.json`` last (see the module's description). ``changed``: the run added rows or
    the format changed, so the files made from the data before (the audit's, the panel) are removed."""
    keep = latest_parts(out)
    merged, staged = Merged(), {}
    try:
        for name in NAMES:
            chunks = _counted(_chunks(out, name, keep), merged.rows, name)
            staged[name] = stage_frames(chunks, out / f"{name}.{fmt}", fmt)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    (out / MANIFEST).unlink(missing_ok=True)  # from here until it is written again, readers refuse the folder
    sync_dir(out)
    for name, tmp in staged.items():
        merged.files[name] = out / f"{name}.{fmt}"
        os.replace(tmp, merged.files[name])
    stale = [f"{name}.{other}" for name in (*NAMES, CODEBOOK.name) for other in FORMATS if other != fmt]
    stale += list(DERIVED_FILES) if changed else []
    for f in stale:
        (out / f).unlink(missing_ok=True)
    sync_dir(out)
    write_datapackage(merged.files, out, schema)
    return merged
