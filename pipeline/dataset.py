"""An output folder on disk: the one reader and the one writer of its files.

- ``read_dataset(dir)`` reads an ingest's folder back into a ``Batch`` with the dtypes declared in ``tables``; a CSV
  is read with those dtypes too, so ``template`` stays the string "2019" and ``report_id`` text. Which files make the
  dataset is what ``datapackage.json`` lists: an ingest writes it last, after its final files, so a folder whose
  last ingest was cut short in its final merge (parts there, no ``datapackage.json``) is refused, never read half
  old and half new; so is a folder holding both formats with nothing saying which is current, and a file whose
  columns are not the table's (``DatasetError``, one line).
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

from .errors import XxgkError
from .settings import FORMATS
from .tables import NARRATIVE, OUTPUT_TABLES, Batch, Table
from .textcodec import valid_text

if TYPE_CHECKING:  # imported where frames are read or written (a batch starts its workers before loading them)
    import pandas as pd
    import pyarrow as pa

CORE_TABLES = ("cells", "reports", "issues")  # an output folder has these; narrative is absent in older ones
CSV_ENCODING = "utf-8-sig"
TMP_SUFFIX = ".tmp"  # temporary files are ".<name>.<random>.tmp" beside their target
MANIFEST = "datapackage.json"  # written last by an ingest: the files it lists are the dataset
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_FULL_WIDTH_SIGNS = str.maketrans("＝＋－＠", "=+-@")


class DatasetError(XxgkError):
    """An output folder that cannot be read as a dataset: half-merged, of two formats, or with broken tables."""


# ---------------------------------------------------------------------------------------------------------- writing


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Make ``path`` by ``write(tmp)`` on a temporary file beside it, then an atomic rename (nothing left on error)."""
    path = Path(path)
    tmp = stage(path, write)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def stage(path: str | Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` on a temporary file beside ``path``, flushed to disk; the caller renames it (or several at
    once, see ``parts.merge_parts``). Nothing is left on error. The folder must exist: none is made unasked."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the umask applies, as for any new file
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def sync_dir(directory: str | Path) -> None:
    """Flush a folder's entries (renames, removals) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def excel_safe(value):
    """Text that Excel would run as a formula gets a leading apostrophe; plain numbers such as "-8" stay as they are.

    A spreadsheet skips leading white space (also the no-break and ideographic spaces) and reads a full-width "＝"
    as "=", so those starts are caught too.
    """
    if not isinstance(value, str):
        return value
    value = valid_text(value)
    head = value.lstrip().translate(_FULL_WIDTH_SIGNS)
    if value.startswith(("\t", "\r")) or (head.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(head)):
        return "'" + value
    return value


def _excel_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in _text_columns(df):
        df[c] = df[c].map(excel_safe, na_action="ignore")
    return df


def _text_columns(df: pd.DataFrame) -> list[str]:
    import pandas as pd

    return [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]


def _arrow(chunk: pd.DataFrame | pa.Table) -> pa.Table:
    """A frame as Arrow; text that is not valid UTF-8 (an undecodable byte kept as a surrogate) written as \\xNN."""
    import pyarrow as pa

    if isinstance(chunk, pa.Table):
        return chunk
    try:
        return pa.Table.from_pandas(chunk, preserve_index=False)
    except (UnicodeEncodeError, pa.ArrowInvalid, pa.ArrowTypeError):
        df = chunk.copy()
        for c in _text_columns(df):
            df[c] = df[c].map(lambda v: valid_text(v) if isinstance(v, str) else v, na_action="ignore")
        return pa.Table.from_pandas(df, preserve_index=False)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {FORMATS})")


def write_frames(chunks: Iterable[pd.DataFrame | pa.Table], path: str | Path, fmt: str) -> Path:
    """Frames (or Arrow tables) one after another as one file at ``path``, atomically, holding one chunk at a time.

    Parquet takes its schema from the first chunk and casts the others to it; CSV writes one header.
    """
    _check_format(fmt)
    return atomic_write(path, lambda tmp: (_stream_parquet if fmt == "parquet" else _stream_csv)(chunks, tmp))


def stage_frames(chunks: Iterable[pd.DataFrame | pa.Table], path: str | Path, fmt: str) -> Path:
    """``write_frames`` up to the rename: the temporary file, for the caller to rename with others."""
    _check_format(fmt)
    return stage(path, lambda tmp: (_stream_parquet if fmt == "parquet" else _stream_csv)(chunks, tmp))


def _stream_parquet(chunks: Iterable[pd.DataFrame | pa.Table], tmp: Path) -> None:
    import pyarrow.parquet as pq

    writer = None
    try:
        for chunk in chunks:
            t = _arrow(chunk)
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
    """The frames of a batch as ``OUT/cells.<fmt>`` etc. (narrative when the batch has it).

    One format per folder: the other format's tables, and a ``datapackage.json`` that listed them, are removed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    names = CORE_TABLES + (("narrative",) if batch.narrative is not None else ())
    written = {name: write_frame(getattr(batch, name), out / name, fmt) for name in names}
    for name in OUTPUT_TABLES:
        for other in FORMATS:
            if other != fmt:
                (out / f"{name}.{other}").unlink(missing_ok=True)
    return written


# ---------------------------------------------------------------------------------------------------------- reading


def read_frame(path: str | Path, table: Table, required: bool = False) -> pd.DataFrame:
    """One file (Parquet or CSV, by its suffix) as a frame with exactly ``table``'s columns and dtypes.

    ``required``: every column must be there (an output folder's table). Raises ``DatasetError`` (one line) for a
    file that cannot be read as the table: unreadable, a column missing, a value its column's type cannot hold.
    """
    import pyarrow as pa

    path = Path(path)
    try:
        df = _read_file(path, table)
        missing = [c for c in table.names if c not in df.columns]
        if required and missing:
            raise DatasetError(f"{path}: column(s) {', '.join(missing)} of the {table.name} table are missing")
        return table.frame(df)
    except (OSError, ValueError, TypeError, pa.ArrowException) as e:
        if isinstance(e, DatasetError):
            raise
        why = _bad_column(path, table) or f"{type(e).__name__}: {e}"
        raise DatasetError(f"{path}: cannot be read as the {table.name} table ({why})") from None


def _read_file(path: Path, table: Table, as_text: bool = False) -> pd.DataFrame:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    types = {c: ("object" if t == "string" or as_text else t) for c, t in table.types.items()}
    return pd.read_csv(path, dtype=types, keep_default_na=False, na_values=[""], encoding=CSV_ENCODING)


def _bad_column(path: Path, table: Table) -> str | None:
    """The first column whose values its declared type cannot hold, with one such value (None if it is not that)."""
    import pyarrow as pa

    try:
        df = _read_file(path, table, as_text=True)
    except (OSError, ValueError, pa.ArrowException):
        return None
    for name, dtype in table.types.items():
        if name in df.columns and dtype != "string":
            bad = next((v for v in df[name].dropna() if not _fits(v, dtype)), None)
            if bad is not None:
                return f"column {name!r} holds {bad!r}, not of type {dtype}"
    return None


def _fits(value, dtype: str) -> bool:
    import pandas as pd

    if dtype == "boolean":
        return str(value) in ("True", "False", "true", "false")
    try:
        pd.Series([value], dtype=object).astype("float64" if dtype == "float64" else "Int64")
        return True
    except (ValueError, TypeError):
        return False


def dataset_format(directory: str | Path) -> str:
    """The format an ingest's folder is written in: the one its ``datapackage.json`` lists.

    Raises:
        FileNotFoundError: no tables from ``xxgk ingest`` in the folder.
        DatasetError: the last ingest stopped in its final merge, or both formats lie there with nothing to say which.
    """
    d = Path(directory)
    listed = _manifest_formats(d)
    if listed:
        if len(listed) > 1:
            raise DatasetError(f"{d / MANIFEST} lists tables in {' and '.join(sorted(listed))}; expected one format")
        return listed.pop()
    present = [fmt for fmt in FORMATS if all((d / f"{name}.{fmt}").exists() for name in CORE_TABLES)]
    if (d / ".parts").is_dir() and (present or any((d / f"{n}.{f}").exists() for n in CORE_TABLES for f in FORMATS)):
        raise DatasetError(
            f"{d}: the last ingest stopped while writing its final files (no {MANIFEST}); "
            "run the same ingest again to finish them"
        )
    if len(present) > 1:
        raise DatasetError(f"{d}: tables in both .parquet and .csv and no {MANIFEST} saying which is current")
    if present:
        return present[0]
    raise FileNotFoundError(f"{d}: no cells, reports and issues (.parquet or .csv) from `xxgk ingest` here")


def _manifest_formats(d: Path) -> set[str]:
    """The formats ``datapackage.json`` gives the ingest's tables (empty when there is none)."""
    import json

    path = d / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return set()
    except OSError as e:
        raise DatasetError(f"{path}: cannot be read ({e.strerror})") from None
    try:
        resources = json.loads(text)["resources"]
        listed = {r["name"]: Path(r["path"]).suffix.lstrip(".") for r in resources if r["name"] in CORE_TABLES}
    except (ValueError, KeyError, TypeError) as e:
        raise DatasetError(f"{path}: not a data package descriptor xxgk wrote ({type(e).__name__}: {e})") from None
    missing = [d / f"{n}.{f}" for n, f in listed.items() if not (d / f"{n}.{f}").exists()]
    if set(listed) != set(CORE_TABLES) or missing:
        raise DatasetError(f"{path}: lists files that are not there ({', '.join(map(str, missing)) or 'tables'})")
    return set(listed.values())


def read_dataset(directory: str | Path) -> Batch:
    """An ingest's output folder back as a ``Batch`` (an older folder without ``narrative`` gets an empty one)."""
    d = Path(directory)
    fmt = dataset_format(d)
    frames = {name: read_frame(d / f"{name}.{fmt}", OUTPUT_TABLES[name], required=True) for name in CORE_TABLES}
    nar = d / f"narrative.{fmt}"
    narrative = read_frame(nar, NARRATIVE, required=True) if nar.exists() else NARRATIVE.frame()
    return Batch(**frames, narrative=narrative)


def dataset_files(
    directory: str | Path, names: Iterable[str] = OUTPUT_TABLES, fmt: str | None = None
) -> dict[str, Path]:
    """The table files of a folder, in its format (``fmt``, else the one ``dataset_format`` tells): ``{"cells":
    OUT/cells.parquet, ...}`` for those present."""
    d = Path(directory)
    fmt = fmt or dataset_format(d)
    return {name: d / f"{name}.{fmt}" for name in names if (d / f"{name}.{fmt}").exists()}
