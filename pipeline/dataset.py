"""An output folder on disk: the one reader and the one writer of its files.

- ``read_dataset(dir)`` reads an ingest's folder (Parquet, else CSV) back into a ``Batch`` with the dtypes declared
  in ``tables``; a CSV is read with those dtypes too, so ``template`` stays the string "2019" and ``report_id`` text.
- ``atomic_write(path, write)`` is how every file of a folder is written (parts, the final tables, the audit's
  tables and page, ``datapackage.json``, exports): under a hidden temporary name in the same folder, flushed to disk,
  then renamed over the target, so a reader (or a run killed half-way) only ever sees whole files. The file gets the
  usual mode (0666 less the umask, 0644 as a rule), not the 0600 of ``tempfile.mkstemp``.
- ``write_frame`` / ``write_frames`` write frames as Parquet or as Excel-safe CSV (UTF-8 with BOM, so Excel reads
  the Chinese; text Excel would run as a formula gets a leading apostrophe).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import FORMATS
from .tables import NARRATIVE, OUTPUT_TABLES, Batch, Table

if TYPE_CHECKING:  # imported where frames are read or written (a batch starts its workers before loading them)
    import pandas as pd
    import pyarrow as pa

CORE_TABLES = ("cells", "reports", "issues")  # an output folder has these; narrative is absent in older ones
CSV_ENCODING = "utf-8-sig"
TMP_SUFFIX = ".tmp"  # temporary files are ".<name>.<random>.tmp" beside their target
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


# ---------------------------------------------------------------------------------------------------------- writing


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Make ``path`` by ``write(tmp)`` on a temporary file beside it, then an atomic rename (nothing left on error)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies, as for any new file
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def excel_safe(value):
    """Text that Excel would run as a formula gets a leading apostrophe; plain numbers such as "-8" stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value.strip()):
        return "'" + value
    return value


def _excel_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype):
            df[c] = df[c].map(excel_safe, na_action="ignore")
    return df


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {FORMATS})")


def write_frames(chunks: Iterable[pd.DataFrame | pa.Table], path: str | Path, fmt: str) -> Path:
    """Frames (or Arrow tables) one after another as one file at ``path``, atomically, holding one chunk at a time.

    Parquet takes its schema from the first chunk and casts the others to it; CSV writes one header.
    """
    _check_format(fmt)
    return atomic_write(path, lambda tmp: (_stream_parquet if fmt == "parquet" else _stream_csv)(chunks, tmp))


def _stream_parquet(chunks: Iterable[pd.DataFrame | pa.Table], tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for chunk in chunks:
            t = chunk if isinstance(chunk, pa.Table) else pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, t.schema)
            writer.write_table(t.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError("nothing to write: a Parquet file needs at least one (possibly empty) frame for its schema")


def _stream_csv(chunks: Iterable[pd.DataFrame | pa.Table], tmp: Path) -> None:
    import pyarrow as pa

    with open(tmp, "w", encoding=CSV_ENCODING, newline="") as f:
        header = True
        for chunk in chunks:
            df = chunk.to_pandas() if isinstance(chunk, pa.Table) else chunk
            _excel_safe_frame(df).to_csv(f, index=False, header=header)
            header = False


def write_frame(df: pd.DataFrame, path: str | Path, fmt: str) -> Path:
    """Write one frame to ``path`` (its suffix set to the format) atomically."""
    _check_format(fmt)
    return write_frames([df], Path(path).with_suffix("." + fmt), fmt)


def write_batch(batch: Batch, out_dir: str | Path, fmt: str = "parquet") -> dict[str, Path]:
    """The frames of a batch as ``OUT/cells.<fmt>`` etc. (narrative when the batch has it)."""
    out = Path(out_dir)
    names = CORE_TABLES + (("narrative",) if batch.narrative is not None else ())
    return {name: write_frame(getattr(batch, name), out / name, fmt) for name in names}


# ---------------------------------------------------------------------------------------------------------- reading


def read_frame(path: str | Path, table: Table) -> pd.DataFrame:
    """One file (Parquet or CSV, by its suffix) as a frame with exactly ``table``'s columns and dtypes."""
    import pandas as pd

    path = Path(path)
    if path.suffix == ".parquet":
        return table.frame(pd.read_parquet(path))
    types = {c: ("object" if t == "string" else t) for c, t in table.types.items()}
    df = pd.read_csv(path, dtype=types, keep_default_na=False, na_values=[""], encoding=CSV_ENCODING)
    return table.frame(df)


def dataset_format(directory: str | Path) -> str:
    """The format an ingest's folder is written in: Parquet when its tables are there in Parquet, else CSV."""
    d = Path(directory)
    for fmt in FORMATS:
        if all((d / f"{name}.{fmt}").exists() for name in CORE_TABLES):
            return fmt
    raise FileNotFoundError(f"{d}: no cells, reports and issues (.parquet or .csv) from `xxgk ingest` here")


def read_dataset(directory: str | Path) -> Batch:
    """An ingest's output folder back as a ``Batch`` (an older folder without ``narrative`` gets an empty one)."""
    d = Path(directory)
    fmt = dataset_format(d)
    frames = {name: read_frame(d / f"{name}.{fmt}", OUTPUT_TABLES[name]) for name in CORE_TABLES}
    nar = d / f"narrative.{fmt}"
    narrative = read_frame(nar, NARRATIVE) if nar.exists() else NARRATIVE.frame()
    return Batch(**frames, narrative=narrative)


def dataset_files(directory: str | Path, names: Iterable[str] = OUTPUT_TABLES) -> dict[str, Path]:
    """The table files of a folder, in its format: ``{"cells": OUT/cells.parquet, ...}`` for those present."""
    d = Path(directory)
    fmt = dataset_format(d)
    return {name: d / f"{name}.{fmt}" for name in names if (d / f"{name}.{fmt}").exists()}
