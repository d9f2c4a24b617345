"""The auditor's view: every rule of ``schemas/rules.yaml`` on an ingest's output, across reports and against the text.

Three scopes, one rule file:

- ``report``: the within-report rules, already evaluated at ingest (rows of ``issues`` with a ``rule``, each with the
  cells the rule read in its ``cells`` column);
- ``years``: the same agency in consecutive years (rules 14–16), evaluated here on the batch's ``cells``;
- ``narrative``: figures that 一、总体情况 states in a recognisable form (rule 17). They are read at ingest by
  ``narrative.narrative_figures`` and written as a fourth small table, ``narrative`` (one row per stated figure: rule,
  figure, value, the text it was read from, paragraph), so an ingest's output folder holds all the audit needs.

Agencies are linked across years by their folded names (width, script, spacing, 人民政府 → 政府, 街道办事处 → 街道);
names that still differ link when one contains the other or they are nearly equal. Every link is written out
(``agency_links``) with its method and score so a person can check it. The audit's tables are declared in
``tables`` (``AUDIT_FAILURES``, ``AGENCY_LINKS``, ``CROSS_YEAR_CHECKS``).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from .dataset import dataset_files, dataset_format, read_dataset, write_frame, write_text
from .issues import Issue, parse_cells
from .reconcile import CHECK_SCOPES, CHECKS, NarrativeCtx, Values, YearPairCtx
from .schema import Rule, Schema, load_schema
from .tables import AGENCY_LINKS, AUDIT_FAILURES, CROSS_YEAR_CHECKS, Batch
from .text import fold

# ------------------------------------------------------------------------------------------------- agency identity

# spellings of one agency that differ only in these parts link exactly ("淮安市人民政府" / "淮安市政府")
_NAME_FOLDS = (
    (re.compile(r"人民政府"), "政府"),
    (re.compile(r"街道办事处$"), "街道"),
    (re.compile(r"[（(][^（）()]*[）)]"), ""),
    (re.compile(r"[^\w]"), ""),
)
FUZZY_MIN_SCORE = 90.0  # rapidfuzz ratio of folded names for a "fuzzy" link
CONTAINS_MIN_CHARS = 4  # a name inside another links only when it is at least this long


def agency_key(name: str | None) -> str:
    """The agency name folded for comparison across years."""
    t = fold(unicodedata.normalize("NFKC", name or ""))
    for rx, rep in _NAME_FOLDS:
        t = rx.sub(rep, t)
    return t


def link_names(a: str, b: str) -> tuple[str, float] | None:
    """(method, score) when the two printed names are taken for one agency, else None."""
    from rapidfuzz import fuzz

    if a == b:
        return "same-name", 100.0
    ka, kb = agency_key(a), agency_key(b)
    if not ka or not kb:
        return None
    if ka == kb:
        return "folded", 100.0
    short, long_ = sorted((ka, kb), key=len)
    if len(short) >= CONTAINS_MIN_CHARS and short in long_:
        return "contains", round(100.0 * len(short) / len(long_), 1)
    score = fuzz.ratio(ka, kb)
    if score >= FUZZY_MIN_SCORE:
        return "fuzzy", round(score, 1)
    return None


def _printed_names(names: Iterable[Any]) -> list[str]:
    return sorted({n for n in names if isinstance(n, str) and n})


def agency_groups(names: Iterable[Any]) -> dict[str, tuple[str, str, float]]:
    """name -> (group name, method, score): names linked transitively; the group is named by its first name."""
    ordered = _printed_names(names)
    parent = {n: n for n in ordered}
    how: dict[str, tuple[str, float]] = {n: ("same-name", 100.0) for n in ordered}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if root(a) == root(b):
                continue
            link = link_names(a, b)
            if link:
                parent[root(b)] = root(a)
                how[b] = link
    return {n: (root(n), *how[n]) for n in ordered}


# --------------------------------------------------------------------------------------------------------- reading


def _num(v) -> float | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _clean(v):
    """A frame value as plain JSON: NA/NaN -> None, numpy scalars -> Python."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


Key = tuple[str, str, str]  # (table, row, col)
POSITION = ("value", "raw", "page", "table_index", "row_index", "col_index")  # of a cell, in a failure's cells


class ReportCells(NamedTuple):
    """One report's cells: values by key, the template of each table, and each cell's record (its provenance)."""

    values: Values
    templates: dict[str, str | None]
    records: dict[Key, dict]

    def cell(self, key: Key, report_id: str, source_path: str | None, role: str) -> dict:
        """The cell at ``key`` as a failure shows it: role, where, value and raw text, and whether it was printed."""
        rec = self.records.get(key)
        base = dict(role=role, report_id=report_id, source_path=source_path, table=key[0], row=key[1], col=key[2])
        if rec is None:
            return {**base, **dict.fromkeys(POSITION), "printed": False}
        return {**base, **{k: _clean(rec.get(k)) for k in POSITION}, "printed": True}


NO_CELLS = ReportCells({}, {}, {})


def _report_cells(cells: pd.DataFrame) -> dict[str, ReportCells]:
    out = {}
    for rid, g in cells.groupby("report_id", sort=False):
        rc = ReportCells({}, {}, {})
        for rec in g.to_dict("records"):
            k = (rec["table"], rec["row"], rec["col"])
            rc.values[k] = _num(rec["value"])
            rc.templates.setdefault(rec["table"], _clean(rec["template"]))
            rc.records[k] = rec
        out[str(rid)] = rc
    return out


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
        self.cells = _report_cells(self.batch.cells)
        self.reports = self.batch.reports.to_dict("records")
        self.report = {r["report_id"]: r for r in self.reports if _clean(r["report_id"])}

    def add(self, issue: dict, rid: str, scope: str, cells: list[dict], prev: str | None = None) -> None:
        """One failure: the issue with its report, its rule's number, both explanations and the cells read."""
        r = self.report.get(rid, {})
        rule = self.rules.get(issue.get("rule") or "")
        f = dict(
            report_id=rid,
            source_path=_clean(r.get("source_path")),
            agency=_clean(r.get("agency")),
            year=_clean(r.get("year")),
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
            message=issue.get("message"),
            prev_report_id=prev,
            prev_source_path=_clean(self.report.get(prev, {}).get("source_path")) if prev else None,
            cells=cells,
        )
        f["explanation_zh"], f["explanation_en"] = explain(f, rule, self.schema)
        self.failures.append(f)

    # 1. within-report rules, as ingest evaluated them: the issue names the cells its rule read
    def report_scope(self) -> None:
        issues = self.batch.issues
        for i in issues[issues["rule"].notna()].to_dict("records"):
            i = {k: _clean(v) for k, v in i.items()}
            rid, path = i["report_id"], i["source_path"]
            rc = self.cells.get(rid, NO_CELLS)
            cells = [rc.cell((t, r, c), rid, path, role) for role, t, r, c in parse_cells(i["cells"])]
            self.add(i, rid, "report", cells)

    # 2. text against tables
    def narrative_scope(self) -> None:
        stated: dict[tuple[str, str], dict[str, list]] = {}
        narrative = self.batch.narrative if self.batch.narrative is not None else pd.DataFrame()
        for i in narrative.to_dict("records"):
            stated.setdefault((i["report_id"], i["rule"]), {}).setdefault(i["figure"], []).append(
                (float(i["value"]), _clean(i["raw"]), _clean(i["paragraph"]))
            )
        for (rid, rname), figs in stated.items():
            rule = self.rules.get(rname)
            if rule is None or rid not in self.cells:
                continue
            check: Callable[..., list[Issue]] = CHECKS[rule.check]
            for issue in check(NarrativeCtx(rule, self.schema.tables[rule.table], self.cells[rid].values, figs)):
                self.add(_issue_dict(issue), rid, "narrative", self._narrative_cells(rid, issue))

    def _narrative_cells(self, rid: str, issue: Issue) -> list[dict]:
        """The table cells the figure is checked against, then the text that states it."""
        path = self.report[rid]["source_path"]
        cells = [self.cells[rid].cell((t, r, c), rid, path, "table") for _, t, r, c in issue.cells]
        text = dict.fromkeys(("table", "row", "col", *POSITION))
        text.update(value=issue.actual, raw=issue.raw, row_index=issue.row_index)
        return [*cells, dict(role="text", report_id=rid, source_path=path, **text, printed=True)]

    # 3. across years: link agencies, pair consecutive years, evaluate rules 14–16
    def years_scope(self) -> None:
        for prev, cur, group, method, score in self._year_pairs():
            n_checked = n_failed = 0
            for rule in self.schema.rules:
                if CHECK_SCOPES.get(rule.check) == "years":
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

    def _year_pairs(self) -> Iterator[tuple[dict, dict, str, str, float]]:
        """(previous year's report, this year's, agency group, link method, score); the same format preferred."""
        groups = agency_groups(r["agency"] for r in self.reports)
        dated = [r for r in self.reports if self._dated(r)]
        for cur in dated:
            g, method, score = groups[cur["agency"]]
            for prev in _previous(cur, [p for p in dated if groups[p["agency"]][0] == g]):
                pm, ps = link_names(prev["agency"], cur["agency"]) or (method, score)
                yield prev, cur, g, pm, ps

    def _dated(self, r: dict) -> bool:
        """A report that can be paired: agency and year known, cells read."""
        return bool(_clean(r["agency"])) and _clean(r["year"]) is not None and r["report_id"] in self.cells

    def _check_pair(self, rule: Rule, prev: dict, cur: dict, group: str) -> tuple[int, int]:
        """Evaluate one cross-year rule on a pair: a check row per line, a failure per failed line.

        Returns (lines checked, lines failed); a line with a blank operand is skipped, never read as zero.
        """
        p, c = self.cells[prev["report_id"]], self.cells[cur["report_id"]]
        spec = self.schema.tables[rule.table]
        ctx = YearPairCtx(rule, spec, p.values, c.values, p.templates.get(rule.table), c.templates.get(rule.table))
        check: Callable[..., list[Issue]] = CHECKS[rule.check]
        fails = {(i.row if rule.params.get("axis") == "row" else i.col): i for i in check(ctx)}
        n_checked = n_failed = 0
        for line, ops in ctx.lines():
            blank = any(v is None for name in ops for _, v in ops[name])
            status = "skipped-blank" if blank else "failed" if line in fails else "held"
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
            n_checked += not blank
            if status == "failed":
                n_failed += 1
                cells = self._pair_cells(fails[line], prev, cur)
                self.add(_issue_dict(fails[line]), cur["report_id"], "years", cells, prev=prev["report_id"])
        return n_checked, n_failed

    def _pair_cells(self, issue: Issue, prev: dict, cur: dict) -> list[dict]:
        """The cells a cross-year rule read: the ``previous`` operand in last year's report, the rest in this one's."""
        out = []
        for role, t, r, c in issue.cells:
            rep, label = (prev, "previous(Y-1)") if role == "previous" else (cur, role)
            out.append(self.cells[rep["report_id"]].cell((t, r, c), rep["report_id"], rep["source_path"], label))
        return out


def _previous(cur: dict, same_agency: list[dict]) -> list[dict]:
    """The agency's reports of the year before ``cur``: those in ``cur``'s format when there are any."""
    prevs = [p for p in same_agency if int(p["year"]) == int(cur["year"]) - 1]
    return [p for p in prevs if p["format"] == cur["format"]] or prevs


def run_audit(directory: str | Path, schema: Schema | None = None) -> Audit:
    """Evaluate every rule on an ingest's output folder (see the module docstring)."""
    schema = schema or load_schema()
    batch = read_dataset(directory)
    a = _Auditor(batch, schema)
    a.report_scope()
    a.narrative_scope()
    a.years_scope()
    return Audit(
        failures=pd.DataFrame(a.failures, columns=AUDIT_FAILURES.names),
        links=pd.DataFrame(a.links, columns=AGENCY_LINKS.names),
        checks=pd.DataFrame(a.checks, columns=CROSS_YEAR_CHECKS.names),
        output=batch,
        schema=schema,
        fmt=dataset_format(directory),
    )


def _issue_dict(issue: Issue) -> dict:
    from dataclasses import asdict

    return asdict(issue)


# ----------------------------------------------------------------------------------------------- explanations


def _row_label(spec, row: str) -> str:
    r = next((x for x in spec.rows if x.key == row), None)
    return (r.label or "（数据行）") if r else row


def _col_label(spec, col: str) -> str:
    c = spec.columns.get(col)
    return ("".join(g + "›" for g in c.groups[1:]) + c.label) if c else col


def _label(schema: Schema, table, row, col) -> str:
    """A cell named as printed: 行 label › 列 label (or the key when the schema has no label)."""
    if table not in schema.tables:
        return "/".join(x for x in (row, col) if x)
    spec = schema.tables[table]
    parts = ([_row_label(spec, row)] if row else []) + ([_col_label(spec, col)] if col else [])
    return " › ".join(parts)


def _g(x) -> str:
    return "空" if x is None else f"{x:g}"


def explain(f: dict, rule: Rule | None, schema: Schema) -> tuple[str, str]:
    """One sentence in Chinese and one in English saying what failed, expected, printed and the difference."""
    if f["scope"] in _SENTENCES:
        sentence = _SENTENCES[f["scope"]]
    elif f["code"] in ("negative-value", "non-integer-value") and f["expected"] is None:
        sentence = _single_value
    else:
        sentence = _within_report
    return sentence(_Words.of(f, rule, schema))


@dataclass
class _Words:
    """The parts of a failure's explanation: where, the figures, the rule's names in both languages."""

    f: dict
    where: str  # the cell as printed (label › label)
    exp: str
    act: str
    diff: str
    desc: str  # the rule's description
    num: str  # 规则N
    numen: str  # rule N
    name: str  # the rule's name ("" without a rule)

    @classmethod
    def of(cls, f: dict, rule: Rule | None, schema: Schema) -> _Words:
        n = rule.number if rule and rule.number else None
        return cls(
            f,
            _label(schema, f["table"], f["row"], f["col"]),
            _g(f["expected"]),
            _g(f["actual"]),
            _g(f["difference"]),
            rule.description if rule else "",
            f"规则{n}" if n else "规则",
            f"rule {n}" if n else "rule",
            rule.name if rule else "",
        )


def _across_years(w: _Words) -> tuple[str, str]:
    f = w.f
    zh = f"跨年度{w.num}（{w.desc}）：本年「{w.where}」为 {w.act}，按上一年度报告应为 {w.exp}，相差 {w.diff}。"
    en = (
        f"Across years, {w.numen} ({w.name}): this year's {f['row']}/{f['col']} is {w.act}, "
        f"but last year's report gives {w.exp}; difference {w.diff}."
    )
    return zh, en


def _text_against_table(w: _Words) -> tuple[str, str]:
    f = w.f
    zh = f"正文与表格不符（{w.num}）：一、总体情况写的是 {w.act}，表格「{w.where}」为 {w.exp}，相差 {w.diff}。"
    en = (
        f"Text against table ({w.numen}): 一、总体情况 states {w.act}, the table's {f['row']}/{f['col']} "
        f"holds {w.exp}; difference {w.diff}."
    )
    return zh, en


def _single_value(w: _Words) -> tuple[str, str]:
    f = w.f
    zh = f"{w.num}（{w.desc}）：「{w.where}」填报为 {w.act}，应为非负整数。"
    en = f"{w.numen} ({w.name}): {f['row']}/{f['col']} is {w.act}; counts are whole, ≥ 0."
    return zh, en


def _within_report(w: _Words) -> tuple[str, str]:
    f = w.f
    zh = f"{w.num}（{w.desc}）：「{w.where}」应为 {w.exp}，实际填报 {w.act}，相差 {w.diff}。"
    en = (
        f"{w.numen} ({w.name or f['code']}): {'/'.join(x for x in (f['row'], f['col']) if x)} "
        f"should be {w.exp} but {w.act} is printed; difference {w.diff}."
    )
    return zh, en


_SENTENCES: dict[str, Callable[[_Words], tuple[str, str]]] = {
    "years": _across_years,
    "narrative": _text_against_table,
}


# ---------------------------------------------------------------------------------------------------- writing


def write_audit(a: Audit, directory: str | Path) -> dict[str, Path]:
    """Write ``audit_failures``, ``agency_links`` and ``cross_year_checks`` (in the ingest's format), ``audit.html``,
    and ``datapackage.json`` describing the ingest's tables and these."""
    from .audit_html import render
    from .datapackage import write_datapackage

    d = Path(directory)
    failures = a.failures.assign(cells=a.failures["cells"].map(lambda c: json.dumps(c, ensure_ascii=False)))
    out = {
        "audit_failures": write_frame(AUDIT_FAILURES.frame(failures), d / "audit_failures", a.fmt),
        "agency_links": write_frame(AGENCY_LINKS.frame(a.links), d / "agency_links", a.fmt),
        "cross_year_checks": write_frame(CROSS_YEAR_CHECKS.frame(a.checks), d / "cross_year_checks", a.fmt),
    }
    write_datapackage({**dataset_files(d), **out}, d)
    out["audit.html"] = write_text(d / "audit.html", render(a))
    return out


def summary(a: Audit) -> str:
    """A few lines for the terminal."""
    reps = a.output.reports
    fr = a.failures
    n_err = fr.loc[fr.severity == "error", "report_id"].nunique()
    n_warn = fr.loc[fr.severity == "warning", "report_id"].nunique()
    lines = [
        f"{len(reps)} reports: {n_err} with errors, {n_warn} with warnings; {len(fr)} failures "
        f"({(fr.severity == 'error').sum()} errors, {(fr.severity == 'warning').sum()} warnings)"
    ]
    for (rule, sev), n in fr.groupby(["rule", "severity"]).size().sort_values(ascending=False).items():
        lines.append(f"  {sev:<7} {rule:<36} {n}")
    if len(a.checks):
        lines.append(f"{len(a.links)} year-to-year report pairs across {a.links['agency_group'].nunique()} agencies:")
        for rule, g in a.checks.groupby("rule", sort=False):
            vc = g["status"].value_counts()
            lines.append(
                f"  {rule:<36} held {vc.get('held', 0)}, failed {vc.get('failed', 0)}, "
                f"skipped (blank) {vc.get('skipped-blank', 0)}"
            )
    return "\n".join(lines)
