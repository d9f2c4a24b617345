"""Write the tidy frames as Parquet or CSV: fixed columns and dtypes, atomic files, Excel-safe CSV."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd

FORMATS = ("parquet", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def excel_safe(value):
    """Text that Excel would run as a formula gets a leading apostrophe; plain numbers such as "-8" stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value.strip()):
        return "'" + value
    return value


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_frame(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write one frame to ``path`` (suffix added) atomically; CSV is UTF-8 with BOM so Excel reads Chinese."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected one of {FORMATS})")
    path = Path(path).with_suffix("." + fmt)
    if fmt == "parquet":
        _atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
    else:
        safe = df.copy()
        for c in safe.columns:
            if safe[c].dtype == object or str(safe[c].dtype) == "string":
                safe[c] = safe[c].map(excel_safe, na_action="ignore")
        _atomic(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8-sig"))
    return path


def write_batch(batch, out_dir: str | Path, fmt: str = "parquet") -> dict[str, Path]:
    out = Path(out_dir)
    names = ("cells", "reports", "issues") + (("narrative",) if getattr(batch, "narrative", None) is not None else ())
    return {name: write_frame(getattr(batch, name), out / name, fmt) for name in names}
