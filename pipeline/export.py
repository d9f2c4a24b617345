"""The wide export: one row per report, one column per (table, row, col) key, for Excel and quick comparisons.

Headers are the keys (``requests:denied.state_secret:natural_person``, ``--labels en``) or the printed Chinese
labels (``收到和处理政府信息公开申请情况｜（三）不予公开 1.属于国家秘密｜申请人情况 自然人``, ``--labels zh``); both
come from ``schemas/`` and both read back with ``wide_to_cells``. The wide form cannot tell a cell printed blank
from a cell the report does not have (both are empty); the tidy ``cells`` can.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .dataset import read_dataset, write_frame
from .schema import TEMPLATES, Schema, load_schema
from .settings import FORMATS
from .tables import REPORTS

LABELS = ("en", "zh")
KEY_SEP = ":"
ZH_SEP = "｜"
# report columns carried into the wide table, before the values
WIDE_ID_COLUMNS = [c for c in REPORTS.names if c not in ("n_cells", "n_issues", "error")]


def wide_keys(schema: Schema | None = None) -> list[tuple[str, str, str]]:
    """Every (table, row, col) key of both templates, in printed order (a row's 2019 columns after its 2021 ones)."""
    schema = schema or load_schema()
    keys: list[tuple[str, str, str]] = []
    seen = set()
    for table, spec in schema.tables.items():
        for row in spec.rows:
            for tpl in reversed(TEMPLATES):
                for col in row.columns.get(tpl, ()):
                    if (table, row.key, col) not in seen:
                        seen.add((table, row.key, col))
                        keys.append((table, row.key, col))
    return keys


def header(key: tuple[str, str, str], labels: str, schema: Schema) -> str:
    """The column header of one key: the key itself (en) or the printed labels (zh)."""
    if labels == "en":
        return KEY_SEP.join(key)
    table, row_key, col_key = key
    spec = schema.tables[table]
    row = spec.row(row_key)
    col = spec.columns[col_key]
    row_label = " ".join(x for x in (row.group, row.label) if x)
    col_label = " ".join((*col.groups, col.label))
    return ZH_SEP.join(x for x in (spec.title, row_label, col_label) if x)


def headers(labels: str = "en", schema: Schema | None = None) -> dict[tuple[str, str, str], str]:
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {LABELS} (got {labels!r})")
    schema = schema or load_schema()
    out = {k: header(k, labels, schema) for k in wide_keys(schema)}
    if len(set(out.values())) != len(out):  # a schema whose labels collide: fall back to the key to stay readable
        dup = {h for h in out.values() if list(out.values()).count(h) > 1}
        out = {k: (f"{h} ({KEY_SEP.join(k)})" if h in dup else h) for k, h in out.items()}
    return out


def id_header(column: str, labels: str) -> str:
    return REPORTS.column(column).title if labels == "zh" else column


def cells_to_wide(
    cells: pd.DataFrame, reports: pd.DataFrame, labels: str = "en", schema: Schema | None = None
) -> pd.DataFrame:
    """One row per report, its identity columns then one column per key; counts as integers where whole."""
    schema = schema or load_schema()
    heads = headers(labels, schema)
    extra = sorted(set(map(tuple, cells[["table", "row", "col"]].drop_duplicates().to_numpy())) - set(heads))
    for k in extra:  # keys outside the schema (should not happen): kept, headed by the key
        heads[k] = KEY_SEP.join(k)
    values = cells.pivot_table(
        index="report_id", columns=["table", "row", "col"], values="value", aggfunc="first", dropna=False
    )
    values = values.reindex(columns=pd.MultiIndex.from_tuples(list(heads)))
    values.columns = list(heads.values())
    ids = reports[WIDE_ID_COLUMNS].drop_duplicates("report_id").set_index("report_id", drop=False)
    wide = ids.join(values, how="left").reset_index(drop=True)
    for h in heads.values():
        col = wide[h].astype("float64")
        whole = col.dropna()
        wide[h] = col.astype("Int64") if len(whole) and (whole == whole.round()).all() else col
    return wide.rename(columns={c: id_header(c, labels) for c in WIDE_ID_COLUMNS})


def wide_to_cells(wide: pd.DataFrame, schema: Schema | None = None) -> pd.DataFrame:
    """Back to the tidy shape: (report_id, table, row, col, value) for every non-empty value cell."""
    schema = schema or load_schema()
    back = {h: k for labels in LABELS for k, h in headers(labels, schema).items()}
    rid = "report_id" if "report_id" in wide.columns else id_header("report_id", "zh")
    ids = {id_header(c, lab) for c in WIDE_ID_COLUMNS for lab in LABELS}
    rows = []
    for h in wide.columns:
        if h not in ids:
            rows += _values(wide, h, rid, _key_of(h, back))
    return pd.DataFrame(rows, columns=["report_id", "table", "row", "col", "value"])


def _values(wide: pd.DataFrame, h: str, rid: str, key: tuple[str, ...]) -> list[tuple]:
    """The non-empty values of one wide column as tidy (report_id, table, row, col, value) rows."""
    vals = pd.to_numeric(wide[h], errors="raise").astype("float64")
    return [(str(r), *key, float(v)) for r, v in zip(wide[rid], vals, strict=False) if pd.notna(v)]


def _key_of(h: str, back: dict[str, tuple[str, str, str]]) -> tuple[str, ...]:
    """The (table, row, col) key a wide column header stands for, in either label set, or the key itself."""
    key = back.get(h) or (tuple(h.split(KEY_SEP)) if h.count(KEY_SEP) == 2 else None)
    if key is None:
        raise ValueError(f"column {h!r} is neither a report column nor a (table, row, col) key")
    return key


def read_wide(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"report_id": str, id_header("report_id", "zh"): str}, encoding="utf-8-sig")


def export_wide(out_dir: str | Path, path: str | Path, labels: str = "en") -> Path:
    """Write the wide table of an ingest's output folder to ``path`` (.csv, Excel-ready, or .parquet)."""
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: the file name must end in .csv or .parquet")
    batch = read_dataset(out_dir)
    return write_frame(cells_to_wide(batch.cells, batch.reports, labels), Path(path), fmt)
