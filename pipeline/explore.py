"""Views of a batch for people: a report's three tables, request outcomes, and which rules fail where; and views of
the panel (one row per agency and year) that stay the same size however many reports there are: coverage by
province and year, requests by year, outcome shares, the rates, reports that do not reconcile by level.

The notebooks call these and nothing else; every row and group label comes from ``schemas/``. Sums keep "blank is
not zero": a group with no figure sums to NA (``min_count=1``), never to 0.
"""

from __future__ import annotations

import re
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


UNKNOWN = "(unknown)"
_NOTE = re.compile(r"(?<=.)（[^（）]*）$")  # a label's trailing instruction: （区分处理的，只计这一情形…）
RECEIVED = "requests:new:total"
HANDLED = "requests:handled_total:total"


def coverage(panel: pd.DataFrame, rows: str = "province", cols: str = "year") -> pd.DataFrame:
    """Reports per (province, year) (or other columns): a row per value of ``rows``, most reports first; reports
    whose place is unknown are counted under "(unknown)", never dropped."""
    keys = panel[[rows, cols]].astype("string").fillna(UNKNOWN)
    table = pd.crosstab(keys[rows], keys[cols])
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def requests_by_year(panel: pd.DataFrame) -> pd.DataFrame:
    """Per year: reports, reports printing the requests received, their sum and median (NA, not 0, for none)."""
    g = panel.groupby(panel["year"].astype("Int64"), dropna=True)[RECEIVED]
    return pd.DataFrame(
        {
            "reports": g.size(),
            "with_figure": g.count(),
            "received": g.sum(min_count=1),
            "median": g.median(),
        }
    )


def outcome_columns(schema: Schema | None = None) -> dict[str, list[str]]:
    """Outcome label → the panel's harmonised 总计 columns it sums (（一）予以公开 … （六）其他处理)."""
    schema = schema or load_schema()
    harmonised = {k.name for k in schema.panel.keys if k.harmonised}
    out: dict[str, list[str]] = {}
    for label, rows in outcome_groups(schema).items():
        keys = [f"{OUTCOME_TABLE}:{r}:{TOTAL_COLUMN}" for r in rows]
        out[_NOTE.sub("", label)] = [k for k in keys if k in harmonised]
    return {label: keys for label, keys in out.items() if keys}


def outcome_shares(panel: pd.DataFrame, by: str = "year", schema: Schema | None = None) -> pd.DataFrame:
    """Share of the requests handled per outcome, by ``by``: over the reports that print every outcome and the
    total handled, so each row's shares add up to what those reports handled; with the number of reports used."""
    cols = outcome_columns(schema)
    parts = pd.DataFrame({label: panel[keys].sum(axis=1, min_count=len(keys)) for label, keys in cols.items()})
    complete = parts.notna().all(axis=1) & panel[HANDLED].gt(0)
    group = panel.loc[complete, by].astype("string").fillna(UNKNOWN)
    sums = parts[complete].groupby(group).sum()
    shares = sums.div(panel.loc[complete, HANDLED].groupby(group).sum(), axis=0)
    return shares.assign(reports=complete[complete].groupby(group).size())


def rates_long(panel: pd.DataFrame, schema: Schema | None = None) -> pd.DataFrame:
    """Every rate of every report as (rate, label, value), NA dropped: one row per value to draw a distribution."""
    schema = schema or load_schema()
    rows = [
        pd.DataFrame({"rate": r.name, "label": r.label, "value": panel[r.name].dropna().astype(float)})
        for r in schema.panel.rates
    ]
    return pd.concat(rows, ignore_index=True)


def reconciliation_by_level(panel: pd.DataFrame) -> pd.DataFrame:
    """Reports by level of government and whether they reconcile (yes, no, unknown), with the share that do not."""
    level = panel["level"].astype("string").fillna(UNKNOWN)
    verdict = panel["reconciles"].map({True: "yes", False: "no"}).astype("string").fillna("unknown")
    table = pd.crosstab(level, verdict).reindex(columns=["no", "yes", "unknown"], fill_value=0)
    known = table["no"] + table["yes"]
    return table.assign(share_not=(table["no"] / known).where(known > 0)).sort_values("no", ascending=False)


ISSUE_COLOURS = {"error": "tab:red", "warning": "tab:orange", "info": "tab:gray"}


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
