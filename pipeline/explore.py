"""Views of a batch for people: a report's three tables, request outcomes, and which rules fail where.

The notebooks call these and nothing else; every row and group label comes from ``schemas/``.
"""

from __future__ import annotations

from fnmatch import fnmatch

import pandas as pd

from .schema import TEMPLATES, Schema, TableSpec, load_schema
from .tables import Batch

OUTCOME_RULE_CHECK = "sum_equals"
OUTCOME_TABLE = "requests"
OUTCOME_TOTAL_ROW = "handled_total"
TOTAL_COLUMN = "total"


def report_tables(
    cells: pd.DataFrame, report_id: str, labels: str = "zh", schema: Schema | None = None
) -> dict[str, pd.DataFrame]:
    """One report's cells laid out again as its printed tables: rows and columns in the template's order."""
    schema = schema or load_schema()
    mine = cells[cells["report_id"] == report_id]
    out = {}
    for table, spec in schema.tables.items():
        part = mine[mine["table"] == table]
        if not part.empty:
            out[table] = _printed(part, spec, labels)
    return out


def _printed(part: pd.DataFrame, spec: TableSpec, labels: str) -> pd.DataFrame:
    """One table's cells as a grid of its template's rows and columns, headed by keys or printed labels."""
    tpl = part["template"].dropna().iloc[0] if part["template"].notna().any() else TEMPLATES[-1]
    rows = [r for r in spec.rows if tpl in r.columns]
    cols = list(dict.fromkeys(c for r in rows for c in r.columns[tpl]))
    grid = part.pivot_table(index="row", columns="col", values="value", aggfunc="first", dropna=False)
    grid = grid.reindex(index=[r.key for r in rows], columns=cols)
    if labels == "zh":
        grid.index = [_row_label(r, tpl) for r in rows]
        grid.columns = [" ".join((*spec.columns[c].groups, spec.columns[c].label_in(tpl))) for c in cols]
    grid.index.name, grid.columns.name = spec.title, None
    return grid


def _row_label(r, tpl: str) -> str:
    """A row as printed: its group and its label in this template (the key when it has neither)."""
    return " ".join(x for x in (r.group, r.label_in(tpl)) if x) or r.key


def outcome_groups(schema: Schema | None = None) -> dict[str, list[str]]:
    """Outcome label → its row keys: the parts of the rule that sums requests into （七）总计, grouped as printed."""
    schema = schema or load_schema()
    spec = schema.tables[OUTCOME_TABLE]
    rule = next(
        r
        for r in schema.rules
        if r.check == OUTCOME_RULE_CHECK and r.table == OUTCOME_TABLE and r.params.get("total") == OUTCOME_TOTAL_ROW
    )
    groups: dict[str, list[str]] = {}
    for pattern in rule.params["parts"]:
        for row in spec.rows:
            if fnmatch(row.key, pattern):
                groups.setdefault(row.group or row.label, []).append(row.key)
    return groups


def request_outcomes(batch: Batch, by: str = "agency", schema: Schema | None = None) -> pd.DataFrame:
    """Requests handled per outcome, one row per report (labelled by ``by``): the 总计 column, or the sum of the
    applicant columns where a report left 总计 blank."""
    groups = outcome_groups(schema)
    c = batch.cells[batch.cells["table"] == OUTCOME_TABLE]
    per_row = c.pivot_table(index=["report_id", "row"], columns="col", values="value", aggfunc="first")
    if per_row.empty:
        return pd.DataFrame(columns=list(groups))
    total = per_row[TOTAL_COLUMN] if TOTAL_COLUMN in per_row else pd.Series(float("nan"), index=per_row.index)
    parts = per_row.drop(columns=[TOTAL_COLUMN], errors="ignore").sum(axis=1, min_count=1)
    value = total.fillna(parts).unstack("row")
    out = pd.DataFrame({g: value.reindex(columns=keys).sum(axis=1, min_count=1) for g, keys in groups.items()})
    names = batch.reports.drop_duplicates("report_id").set_index("report_id")
    label = names[by].astype("string").fillna("?") + " " + names["year"].astype("string").fillna("")
    out.index = [f"{label.get(r, r)} ({r[:6]})" for r in out.index]
    return out


def rule_failures(batch: Batch, by: tuple[str, ...] = ("template", "format")) -> pd.DataFrame:
    """Share of reports failing each reconciliation rule, by ``by`` (reports read at all count; failed files don't)."""
    reports = batch.reports[batch.reports["status"].isin(["ok", "partial"])].drop_duplicates("report_id")
    rules = batch.issues[batch.issues["rule"].notna()][["report_id", "rule"]].drop_duplicates()
    keys = list(by)
    n = reports.groupby(keys, dropna=False).size().rename("reports")
    failing = rules.merge(reports[["report_id", *keys]], on="report_id")
    k = failing.groupby(["rule", *keys], dropna=False)["report_id"].nunique().rename("failing").reset_index()
    out = k.merge(n.reset_index(), on=keys)
    out["share"] = out["failing"] / out["reports"]
    return out.sort_values(["share", "rule"], ascending=[False, True]).reset_index(drop=True)


def worst_reports(batch: Batch, n: int = 5) -> pd.DataFrame:
    """The reports with the most error and warning issues, worst first."""
    serious = batch.issues[batch.issues["severity"].isin(["error", "warning"])]
    counts = serious.groupby("report_id").agg(
        errors=("severity", lambda s: (s == "error").sum()), warnings=("severity", lambda s: (s == "warning").sum())
    )
    reports = batch.reports.drop_duplicates("report_id").set_index("report_id")
    out = counts.join(reports[["agency", "year", "format", "template", "source_path"]])
    return out.sort_values(["errors", "warnings"], ascending=False).head(n)


def cells_at_fault(batch: Batch, report_id: str) -> pd.DataFrame:
    """A report's rule issues with the cell each points at, what was expected and what was printed."""
    i = batch.issues[(batch.issues["report_id"] == report_id) & batch.issues["severity"].isin(["error", "warning"])]
    return i[["code", "rule", "table", "row", "col", "expected", "actual", "difference", "raw", "message"]]


CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
)


def use_cjk_font() -> str | None:
    """Make matplotlib draw Chinese labels with the first CJK font installed (scripts/setup.sh installs one);
    returns its name, or None when there is none (labels then show as boxes)."""
    import logging

    import matplotlib
    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "weight normal not found" noise

    have = {f.name for f in font_manager.fontManager.ttflist}
    name = next((f for f in CJK_FONTS if f in have), None)
    if name:
        matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
        matplotlib.rcParams["axes.unicode_minus"] = False
    return name
