"""The auditor's view: every rule of ``schemas/rules.yaml`` on an ingest's output, across reports and against the text.

Four scopes, one rule file:

- ``report``: the within-report rules, already evaluated at ingest (rows of ``issues`` with a ``rule``, each with the
  cells the rule read in its ``cells`` column);
- ``years``: the same agency in consecutive years (rules 14–16; 18, a table copied from last year; 20, a jump),
  evaluated here on the batch's ``cells``;
- ``peers``: two agencies the same year (rule 19, a table the same as another agency's);
- ``narrative``: what the text says (rule 17, figures 一、总体情况 states; rule 21, the sections 一 to 六), read at
  ingest by ``narrative.narrative_figures`` into the ``narrative`` table.

Every failure says, for each cell it read, how that cell was read: ``may-be-misread`` when it was read by OCR (with
its confidence), placed by position (``matched-by-position``) or matched with a low label score, else
``as-printed``; the failure's own ``reading`` is ``may-be-misread`` when any of its cells is. So "xxgk may have
misread this" is told apart from "the report does not add up", including for last year's cell of a cross-year rule.

Agencies are linked across years by ``agencies.agency_groups``; every link is written out (``agency_links``) with its
method and score so a person can check it. The audit's tables are declared in ``tables`` (``AUDIT_FAILURES``,
``AGENCY_LINKS``, ``CROSS_YEAR_CHECKS``). Cells are read per report on demand (``CellStore``), so memory grows with
the batch's cells frame, not with a record per cell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .agencies import agency_groups, agency_key, link_names, may_be_one
from .audit_explain import explain
from .checks import CHECKS, Scope
from .checks_years import table_figures
from .dataset import dataset_files, dataset_format, read_dataset, write_frame
from .issues import Issue, parse_cells
from .match import CLEAN_SCORE
from .reconcile import NarrativeCtx, Values, YearPairCtx
from .schema import Rule, Schema, load_schema
from .tables import Batch
from .tables_extra import AGENCY_LINKS, AUDIT_FAILURES, CROSS_YEAR_CHECKS, READINGS

LOW_SCORE = (
    CLEAN_SCORE  # a label matched below this score (with a low-score warning) makes its cells "may be a misread"
)
Key = tuple[str, str, str]  # (table, row, col)
POSITION = ("value", "raw", "page", "table_index", "row_index", "col_index")  # of a cell, in a failure's cells
_CACHE = 256  # reports whose cells are kept at once

__all__ = ["Audit", "agency_groups", "agency_key", "failing", "link_names", "run_audit", "summary", "write_audit"]


def _num(v: Any) -> float | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _clean(v: Any) -> Any:
    """A frame value as plain JSON: NA/NaN -> None, numpy scalars -> Python."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


# ------------------------------------------------------------------------------------------------------- the cells
class ReportCells(NamedTuple):
    """One report's cells: values by key, the template of each table, and each cell's row in the batch's frame."""

    values: Values
    templates: dict[str, str | None]
    rows: dict[Key, int]


class CellStore:
    """The batch's cells, indexed by report and read per report on demand (a few reports kept at a time).

    A cell is ``may-be-misread`` when read by OCR (its confidence is set), placed by position (its row has a
    ``matched-by-position`` issue) or matched with a label score below ``LOW_SCORE``.
    """

    def __init__(self, cells: pd.DataFrame, issues: pd.DataFrame) -> None:
        self.frame = cells.reset_index(drop=True)
        self.index: dict[str, np.ndarray] = (
            {str(k): v for k, v in self.frame.groupby("report_id", sort=False).indices.items()} if len(cells) else {}
        )
        # each cell's (table, row, col) as a number into ``keys``, and its template as a number into ``templates``
        cat = {c: self.frame[c].astype("category") for c in ("table", "row", "col")}
        codes = [cat[c].cat.codes.to_numpy().astype(np.int64) for c in ("table", "row", "col")]
        names = [[str(x) for x in cat[c].cat.categories] for c in ("table", "row", "col")]
        n_row, n_col = max(len(names[1]), 1), max(len(names[2]), 1)
        uniq, self.key_of = np.unique((codes[0] * n_row + codes[1]) * n_col + codes[2], return_inverse=True)
        self.keys: list[Key] = [
            (names[0][u // (n_row * n_col)], names[1][(u // n_col) % n_row], names[2][u % n_col]) for u in uniq.tolist()
        ]
        tpl = self.frame["template"].astype("category")
        self.template_of = tpl.cat.codes.to_numpy()
        self.templates = [str(x) for x in tpl.cat.categories]
        self.value = self.frame["value"].to_numpy(dtype=float, na_value=np.nan)
        self.confidence = self.frame["confidence"].to_numpy(dtype=float, na_value=np.nan)
        self.score = self.frame["match_score"].to_numpy(dtype=float, na_value=np.nan)
        ocr = self.frame.loc[~np.isnan(self.confidence), "report_id"]
        self.ocr_reports = set(ocr.dropna().astype(str))
        pos = issues[issues["code"] == "matched-by-position"]
        self.positioned = {(str(r), str(t), str(w)) for r, t, w in zip(pos.report_id, pos.table, pos.row, strict=True)}
        self._cache: dict[str, ReportCells] = {}

    def report(self, rid: str) -> ReportCells | None:
        """The report's cells (None when it has none)."""
        if rid in self._cache:
            return self._cache[rid]
        if rid not in self.index:
            return None
        idx = self.index[rid]
        keys = [self.keys[k] for k in self.key_of[idx].tolist()]
        rc = ReportCells(
            {k: (None if v != v else v) for k, v in zip(keys, self.value[idx].tolist(), strict=True)},
            {},
            dict(zip(keys, idx.tolist(), strict=True)),
        )
        for k, t in zip(keys, self.template_of[idx].tolist(), strict=True):
            rc.templates.setdefault(k[0], self.templates[t] if t >= 0 else None)
        if len(self._cache) >= _CACHE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[rid] = rc
        return rc

    def raws(self, rid: str) -> dict[int, str | None]:
        """The printed text of each of the report's cells, by its row in the batch's frame."""
        idx = self.index.get(rid, np.array([], dtype=np.int64))
        return dict(zip(idx.tolist(), (_clean(x) for x in self.frame["raw"].iloc[idx].tolist()), strict=True))

    def doubts(self, rid: str, table: str, row: str, i: int | None) -> list[str]:
        """Why a cell may be a misread: ocr, matched-by-position, low-score (empty: read as printed)."""
        out = []
        if i is not None and not math.isnan(self.confidence[i]):
            out.append("ocr")
        if (rid, table, row) in self.positioned:
            out.append("matched-by-position")
        if i is not None and not math.isnan(self.score[i]) and self.score[i] < LOW_SCORE:
            out.append("low-score")
        return out

    def cell(self, key: Key, rid: str, source_path: str | None, role: str) -> dict:
        """The cell at ``key`` as a failure shows it: role, where, value and raw text, whether it was printed, and how
        it was read (confidence, match score, reading, doubts)."""
        rc = self.report(rid)
        i = rc.rows.get(key) if rc else None
        base = dict(role=role, report_id=rid, source_path=source_path, table=key[0], row=key[1], col=key[2])
        if i is None:
            rec = {**dict.fromkeys(POSITION), "printed": False, "confidence": None, "match_score": None}
        else:
            rec = {k: _clean(self.frame[k].iat[i]) for k in POSITION}
            rec.update(printed=True, confidence=_num(self.confidence[i]), match_score=_num(self.score[i]))
        doubts = self.doubts(rid, key[0], key[1], i) if i is not None else []
        return {**base, **rec, "reading": READINGS[bool(doubts)], "doubts": doubts}


# ------------------------------------------------------------------------------------------------------ the audit
@dataclass
class Audit:
    """The audit of one batch: failures of every rule, the cross-year pairs and their checks, and the inputs.

    The frames have the columns of ``tables.AUDIT_FAILURES``, ``AGENCY_LINKS`` and ``CROSS_YEAR_CHECKS`` (the dtypes
    pandas gives the values; the files get the declared ones); a failure's ``cells`` are a list of cell records here
    and JSON text in the written file.
    """

    failures: pd.DataFrame
    links: pd.DataFrame
    checks: pd.DataFrame
    output: Batch
    schema: Schema
    fmt: str = "parquet"  # the ingest's format, which the audit's tables are written in
    cells: CellStore | None = None


@dataclass
class _Auditor:
    """Collects the failures, links and checks of one batch."""

    batch: Batch
    schema: Schema
    failures: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rules = {r.name: r for r in self.schema.rules}
        self.store = CellStore(self.batch.cells, self.batch.issues)
        self.reports = [{k: _clean(v) for k, v in r.items()} for r in self.batch.reports.to_dict("records")]
        self.report = {r["report_id"]: r for r in self.reports if r["report_id"]}
        self.groups = agency_groups(r["agency"] for r in self.reports)

    def path(self, rid: str | None) -> str | None:
        return self.report.get(rid, {}).get("source_path") if rid else None

    def add(
        self, issue: dict, rid: str, scope: str, cells: list[dict], prev: str | None = None, other: str | None = None
    ):
        """One failure: the issue with its report, its rule's number, how its cells were read, both explanations."""
        r = self.report.get(rid, {})
        rule = self.rules.get(issue.get("rule") or "")
        doubtful = any(c["reading"] == "may-be-misread" for c in cells) or (not cells and rid in self.store.ocr_reports)
        f = dict(
            report_id=rid,
            source_path=r.get("source_path"),
            agency=r.get("agency"),
            year=r.get("year"),
            scope=scope,
            rule=issue.get("rule"),
            number=rule.number if rule else None,
            severity=issue.get("severity"),
            code=issue.get("code"),
            table=_clean(issue.get("table")),
            row=_clean(issue.get("row")),
            col=_clean(issue.get("col")),
            expected=_num(issue.get("expected")),
            actual=_num(issue.get("actual")),
            difference=_num(issue.get("difference")),
            reading=READINGS[doubtful],
            message=issue.get("message"),
            prev_report_id=prev,
            prev_source_path=self.path(prev),
            other_report_id=other,
            other_source_path=self.path(other),
            figure=_clean(issue.get("figure")),
            cells=cells,
        )
        f["explanation_zh"], f["explanation_en"] = explain(
            {**f, "other_agency": self.report.get(other, {}).get("agency")}, rule, self.schema
        )
        self.failures.append(f)

    # 1. within-report rules, as ingest evaluated them: the issue names the cells its rule read
    def report_scope(self) -> None:
        issues = self.batch.issues
        for i in issues[issues["rule"].notna()].to_dict("records"):
            i = {k: _clean(v) for k, v in i.items()}
            rid, path = i["report_id"], i["source_path"]
            cells = [self.store.cell((t, r, c), rid, path, role) for role, t, r, c in parse_cells(i["cells"])]
            self.add(i, rid, "report", cells)

    # 2. what the text says
    def narrative_scope(self) -> None:
        stated: dict[tuple[str, str], dict[str, list]] = {}
        narrative = self.batch.narrative if self.batch.narrative is not None else pd.DataFrame()
        for i in narrative.to_dict("records"):
            stated.setdefault((i["report_id"], i["rule"]), {}).setdefault(i["figure"], []).append(
                (float(i["value"]), _clean(i["raw"]), _clean(i["paragraph"]))
            )
        for (rid, rname), figs in stated.items():
            rule = self.rules.get(rname)
            rc = self.store.report(rid)
            if rule is None or (rc is None and rule.table is not None):
                continue
            spec = self.schema.tables[rule.table] if rule.table else None
            for issue in CHECKS[rule.check](NarrativeCtx(rule, spec, rc.values if rc else {}, figs)):
                self.add(asdict(issue), rid, "narrative", self._narrative_cells(rid, issue))

    def _narrative_cells(self, rid: str, issue: Issue) -> list[dict]:
        """The table cells the figure is checked against, then the text that states it."""
        if issue.raw is None:  # a rule on the text alone (the sections) reads no cell
            return []
        path = self.path(rid)
        cells = [self.store.cell((t, r, c), rid, path, "table") for _, t, r, c in issue.cells]
        text = dict.fromkeys(("table", "row", "col", *POSITION, "confidence", "match_score"))
        text.update(value=issue.actual, raw=issue.raw, row_index=issue.row_index)
        doubts = ["ocr"] if rid in self.store.ocr_reports else []
        text.update(reading=READINGS[bool(doubts)], doubts=doubts)
        return [*cells, dict(role="text", report_id=rid, source_path=path, **text, printed=True)]

    # 3. across years: link agencies, pair consecutive years, evaluate the years rules
    def years_scope(self) -> None:
        rules = [r for r in self.schema.rules if CHECKS[r.check].scope == Scope.YEARS]
        for prev, cur, group, method, score in self._year_pairs():
            n_checked = n_failed = 0
            for rule in rules:
                checked, failed = self._check_pair(rule, prev, cur, group)
                n_checked, n_failed = n_checked + checked, n_failed + failed
            self.links.append(
                dict(
                    prev_report_id=prev["report_id"],
                    prev_source_path=prev["source_path"],
                    prev_agency=prev["agency"],
                    prev_year=int(prev["year"]),
                    report_id=cur["report_id"],
                    source_path=cur["source_path"],
                    agency=cur["agency"],
                    year=int(cur["year"]),
                    agency_group=group,
                    method=method,
                    score=score,
                    checked=n_checked,
                    held=n_checked - n_failed,
                    failed=n_failed,
                )
            )

    def _dated(self) -> dict[tuple[str, int], list[dict]]:
        """(agency group, year) -> the reports that can be paired: agency and year known, cells read."""
        out: dict[tuple[str, int], list[dict]] = {}
        for r in self.reports:
            if r["agency"] and r["year"] is not None and r["report_id"] in self.store.index:
                out.setdefault((self.groups[r["agency"]][0], int(r["year"])), []).append(r)
        return out

    def _year_pairs(self) -> Iterator[tuple[dict, dict, str, str, float]]:
        """(previous year's report, this year's, agency group, link method, score); the same format preferred."""
        dated = self._dated()
        for (g, year), reports in dated.items():
            prevs = dated.get((g, year - 1), [])
            for cur in reports:
                for prev in [p for p in prevs if p["format"] == cur["format"]] or prevs:
                    method, score = link_names(prev["agency"], cur["agency"]) or self.groups[cur["agency"]][1:]
                    yield prev, cur, g, method, score

    def _check_pair(self, rule: Rule, prev: dict, cur: dict, group: str) -> tuple[int, int]:
        """Evaluate one cross-year rule on a pair: a check row per line, a failure per failed line.

        Returns (lines checked, lines failed); a line with a blank operand is skipped, never read as zero.
        """
        ctx = self._pair_ctx(rule, prev["report_id"], cur["report_id"])
        if ctx is None:
            return 0, 0
        check = CHECKS[rule.check]
        fails = {self._line_of(rule, i): i for i in check(ctx)}
        n_checked = n_failed = 0
        for line, skipped in check.lines(ctx) if check.lines else ():
            status = skipped or ("failed" if line in fails else "held")
            self.checks.append(
                dict(
                    prev_report_id=prev["report_id"],
                    report_id=cur["report_id"],
                    agency_group=group,
                    prev_year=int(prev["year"]),
                    year=int(cur["year"]),
                    rule=rule.name,
                    number=rule.number,
                    severity=rule.severity,
                    line=line,
                    status=status,
                )
            )
            n_checked += skipped is None
            if status == "failed":
                n_failed += 1
                cells = self._pair_cells(fails[line], prev["report_id"], cur["report_id"])
                self.add(asdict(fails[line]), cur["report_id"], "years", cells, prev=prev["report_id"])
        return n_checked, n_failed

    @staticmethod
    def _line_of(rule: Rule, issue: Issue) -> str | None:
        if issue.code == "identical-table":
            return issue.table
        return issue.row if rule.params.get("axis") == "row" else issue.col

    def _pair_ctx(self, rule: Rule, prev: str, cur: str) -> YearPairCtx | None:
        p, c = self.store.report(prev), self.store.report(cur)
        if p is None or c is None or rule.table is None:
            return None
        spec = self.schema.tables[rule.table]
        return YearPairCtx(rule, spec, p.values, c.values, p.templates.get(rule.table), c.templates.get(rule.table))

    def _pair_cells(self, issue: Issue, prev: str, cur: str) -> list[dict]:
        """The cells a cross-year rule read: the ``previous`` operand in last year's report, the rest in this one's."""
        out = []
        for role, t, r, c in issue.cells:
            rid, label = (prev, "previous(Y-1)") if role == "previous" else (cur, role)
            out.append(self.store.cell((t, r, c), rid, self.path(rid), label))
        return out

    # 4. two agencies, the same year: tables the same figure for figure
    def peers_scope(self) -> None:
        rules = [r for r in self.schema.rules if CHECKS[r.check].scope == Scope.PEERS and r.table]
        buckets = self._same_tables({str(r.table) for r in rules})
        for rule in rules:
            for (table, *_), bucket in buckets.items():
                if table == rule.table:
                    self._check_bucket(rule, bucket)

    def _same_tables(self, tables: set[str]) -> dict[tuple, list[dict]]:
        """(table, year, template, its figures) -> the reports of two agencies or more that print exactly those."""
        buckets: dict[tuple, list[dict]] = {}
        for r in self.reports:
            rc = self.store.report(r["report_id"]) if r["report_id"] and r["agency"] and r["year"] else None
            if rc is None:
                continue
            for table in tables:
                figs = table_figures(rc.values, table)
                key = (table, int(r["year"]), rc.templates.get(table), hash(tuple(sorted(figs.items()))))
                if figs:
                    buckets.setdefault(key, []).append(r)
        return {k: v for k, v in buckets.items() if len({self.groups[r["agency"]][0] for r in v}) > 1}

    def _check_bucket(self, rule: Rule, bucket: list[dict]) -> None:
        """Each report against the first report of another agency in its bucket (the check confirms figure for
        figure). Another agency: a name that neither links to this one nor is a misread of it."""
        for r in bucket:
            other = next((o for o in bucket if not may_be_one(o["agency"], r["agency"])), None)
            if other is None:
                continue
            ctx = self._pair_ctx(rule, other["report_id"], r["report_id"])
            for issue in CHECKS[rule.check](ctx) if ctx else ():
                self.add(asdict(issue), r["report_id"], "peers", [], other=other["report_id"])


def run_audit(directory: str | Path, schema: Schema | None = None) -> Audit:
    """Evaluate every rule on an ingest's output folder (see the module docstring)."""
    schema = schema or load_schema()
    batch = read_dataset(directory)
    a = _Auditor(batch, schema)
    a.report_scope()
    a.narrative_scope()
    a.years_scope()
    a.peers_scope()
    return Audit(
        failures=pd.DataFrame(a.failures, columns=AUDIT_FAILURES.names),
        links=pd.DataFrame(a.links, columns=AGENCY_LINKS.names),
        checks=pd.DataFrame(a.checks, columns=CROSS_YEAR_CHECKS.names),
        output=batch,
        schema=schema,
        fmt=dataset_format(directory),
        cells=a.store,
    )


# ---------------------------------------------------------------------------------------------------- writing
def write_audit(a: Audit, directory: str | Path) -> dict[str, Path]:
    """Write ``audit_failures``, ``agency_links`` and ``cross_year_checks`` (in the ingest's format), ``audit.html``,
    and ``datapackage.json`` describing the ingest's tables and these."""
    from .audit_html import write_page
    from .datapackage import write_datapackage

    d = Path(directory)
    failures = a.failures.assign(cells=a.failures["cells"].map(lambda c: json.dumps(c, ensure_ascii=False)))
    out = {
        "audit_failures": write_frame(AUDIT_FAILURES.frame(failures), d / "audit_failures", a.fmt),
        "agency_links": write_frame(AGENCY_LINKS.frame(a.links), d / "agency_links", a.fmt),
        "cross_year_checks": write_frame(CROSS_YEAR_CHECKS.frame(a.checks), d / "cross_year_checks", a.fmt),
    }
    write_datapackage({**dataset_files(d), **out}, d)
    out["audit.html"] = write_page(a, d)
    return out


def failing(a: Audit, level: str) -> bool:
    """Whether the audit found a failure of ``level`` (error) or worse (warning: a warning or an error)."""
    levels = {"error": ("error",), "warning": ("error", "warning")}[level]
    return bool(a.failures["severity"].isin(levels).any())


def summary(a: Audit) -> str:
    """A few lines for the terminal."""
    reps = a.output.reports
    fr = a.failures
    n_err = fr.loc[fr.severity == "error", "report_id"].nunique()
    n_warn = fr.loc[fr.severity == "warning", "report_id"].nunique()
    n_misread = int((fr["reading"] == "may-be-misread").sum())
    lines = [
        f"{len(reps)} reports: {n_err} with errors, {n_warn} with warnings; {len(fr)} failures "
        f"({(fr.severity == 'error').sum()} errors, {(fr.severity == 'warning').sum()} warnings; "
        f"{n_misread} may be a misread: a cell read by OCR, by position or with a low score)"
    ]
    for (rule, sev), n in fr.groupby(["rule", "severity"]).size().sort_values(ascending=False).items():
        lines.append(f"  {sev:<7} {rule:<36} {n}")
    if len(a.checks):
        lines.append(f"{len(a.links)} year-to-year report pairs across {a.links['agency_group'].nunique()} agencies:")
        for rule, g in a.checks.groupby("rule", sort=False):
            vc = g["status"].value_counts()
            skipped = vc.get("skipped-blank", 0) + vc.get("not-applicable", 0)
            lines.append(f"  {rule:<36} held {vc.get('held', 0)}, failed {vc.get('failed', 0)}, skipped {skipped}")
    return "\n".join(lines)
