"""The output folder while a batch runs: atomic Parquet parts, the lock, what earlier runs did, the final files.

- Records are written in parts: every few hundred files (or every ``flush_seconds``) the buffered records of each
  table (cells, issues, narrative, reports) are written as one Parquet file each in ``OUT/.parts/<table>/``, under
  one part name. Each file is written atomically (``dataset.atomic_write``) and the reports part is written last:
  it is the commit. A part whose reports file is missing is a torn write and is removed on the next run. So memory
  holds one part at most, and a run killed at any moment (even ``kill -9``) leaves only whole parts.
- When the run completes, the parts are streamed, one at a time, into the single files ``OUT/cells.parquet`` (or
  ``.csv``) etc. that every reader of an ingest folder expects; the parts stay, for the next run to resume from.
- Resuming: ``read_done`` tells which (report_id, path) pairs earlier runs recorded; ``lock_output`` keeps a second
  run out of the folder while one is writing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .dataset import TMP_SUFFIX, read_frame, write_frame, write_frames
from .errors import XxgkError
from .settings import DEFAULTS
from .tables import OUTPUT_TABLES, RECORD_TABLES, Report, Table

if TYPE_CHECKING:  # imported where parts are read or written: a batch starts its workers before loading them
    import pandas as pd
    import pyarrow as pa

NAMES = tuple(OUTPUT_TABLES)  # the tables of an output folder; "reports" has one row per file and commits a part


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


def prepare_output(out: Path) -> None:
    """Make the part folders; remove temporary files and torn parts (no reports part) left by a killed run."""
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


@dataclass
class DoneState:
    """What earlier runs into the same output folder already hold."""

    first_path: dict[str, str] = field(default_factory=dict)  # report_id -> the path processed for it
    recorded: set[tuple[str | None, str]] = field(default_factory=set)  # (report_id, source_path) with a row

    def paths(self) -> set[str]:
        """The paths with a row."""
        return {path for _, path in self.recorded}


def read_done(out: Path) -> DoneState:
    state = DoneState()
    for p in list_parts(parts_dir(out, "reports")):
        import pyarrow.parquet as pq  # only when there are parts: a first run starts its workers sooner

        t = pq.read_table(p, columns=["report_id", "source_path", "status"]).to_pydict()
        for rid, path, status in zip(t["report_id"], t["source_path"], t["status"], strict=False):
            state.recorded.add((rid, path))
            if rid is not None and status != "skipped":
                state.first_path.setdefault(rid, path)
    return state


class PartWriter:
    """Buffers records and writes them as one part per table every ``part_files`` files or ``flush_seconds``."""

    def __init__(self, out: Path, part_files: int = DEFAULTS.part_files, flush_seconds: float = DEFAULTS.flush_seconds):
        self.out = out
        self.part_files, self.flush_seconds = max(1, part_files), flush_seconds
        self.token = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
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
            write_frame(OUTPUT_TABLES[kind].frame(self.buf[kind]), parts_dir(self.out, kind) / name, "parquet")
        self.seq += 1
        self._clear()


def read_parts(out: str | Path, name: str) -> pd.DataFrame:
    """One table as the committed parts hold it (also mid-run, or after a kill), with the project's dtypes."""
    import pandas as pd

    table = OUTPUT_TABLES[name]
    files = list_parts(parts_dir(out, name))
    if not files:
        return table.frame()
    return table.frame(pd.concat([read_frame(f, table) for f in files], ignore_index=True))


def count_rows(out: str | Path, name: str) -> int:
    """Rows of one table over its parts, from the Parquet footers (nothing is read)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in list_parts(parts_dir(out, name)))


def _arrow_schema(table: Table) -> pa.Schema:
    import pyarrow as pa

    return pa.Schema.from_pandas(table.frame(), preserve_index=False)


def _conformed(path: Path, table: Table, schema: pa.Schema) -> pa.Table:
    """A part with the declared columns in order; one written before a column was declared gets it as nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    for f in schema:
        if f.name not in t.column_names:
            t = t.append_column(f.name, pa.nulls(len(t), f.type))
    return t.select(table.names).cast(schema)


def merge_parts(out: Path, fmt: str) -> dict[str, Path]:
    """Stream the parts of each table into one file ``OUT/<table>.<fmt>``, atomically, one part at a time."""
    written = {}
    for name in NAMES:
        table = OUTPUT_TABLES[name]
        schema = _arrow_schema(table)
        files = list_parts(parts_dir(out, name))
        chunks = (_conformed(p, table, schema) for p in files) if files else [table.frame()]
        written[name] = write_frames(chunks, out / f"{name}.{fmt}", fmt)
    return written
