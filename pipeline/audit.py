"""The auditor's view: every rule of ``schemas/rules.yaml`` on an ingest's output, across reports and against the text.

Three scopes, one rule file:

- ``report``: the within-report rules, already evaluated at ingest (rows of ``issues`` with a ``rule``);
- ``years``: the same agency in consecutive years (rules 14–16), evaluated here on the batch's ``cells``;
- ``narrative``: figures that 一、总体情况 states in a recognisable form (rule 17). They are read at ingest by
  ``narrative.narrative_figures`` and written as a fourth small table, ``narrative`` (one row per stated figure: rule,
  figure, value, the text it was read from, paragraph), so an ingest's output folder holds all the audit needs.

Agencies are linked across years by their folded names (width, script, spacing, 人民政府 → 政府, 街道办事处 → 街道);
names that still differ link when one contains the other or they are nearly equal. Every link is written out
(``agency_links``) with its method and score so a person can check it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .issues import Issue
from .reconcile import CHECK_SCOPES, CHECKS, NarrativeCtx, YearPairCtx
from .schema import Rule, Schema, expand, load_schema
from .tables import NARRATIVE
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


def agency_groups(names) -> dict[str, tuple[str, str, float]]:
    """name -> (group name, method, score): names linked transitively; the group is named by its first name."""
    names = sorted({n for n in names if isinstance(n, str) and n})
    parent = {n: n for n in names}
    how: dict[str, tuple[str, float]] = {n: ("same-name", 100.0) for n in names}

    def root(n):
        while parent[n] != n:
            n = parent[n]
        return n

    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            link = link_names(a, b)
            if link and root(a) != root(b):
                parent[root(b)] = root(a)
                how[b] = link
    return {n: (root(n), *how[n]) for n in names}


# --------------------------------------------------------------------------------------------------------- reading


@dataclass
class Output:
    """An ingest's output folder read back: the three tidy frames and the format they were written in."""

    cells: pd.DataFrame
    reports: pd.DataFrame
    issues: pd.DataFrame
    fmt: str
    narrative: pd.DataFrame | None = None


def read_output(directory: str | Path) -> Output:
    """Read ``cells``, ``reports`` and ``issues`` (Parquet, else CSV) from an ingest's output folder."""
    d = Path(directory)
    for fmt in ("parquet", "csv"):
        if all((d / f"{n}.{fmt}").exists() for n in ("cells", "reports", "issues")):
            read = pd.read_parquet if fmt == "parquet" else (lambda p: pd.read_csv(p, encoding="utf-8-sig"))
            frames = [read(d / f"{n}.{fmt}") for n in ("cells", "reports", "issues")]
            nar = d / f"narrative.{fmt}"  # absent in outputs written before rule 17: no text checks then
            narrative = read(nar) if nar.exists() else NARRATIVE.frame()
            return Output(*frames, fmt=fmt, narrative=narrative)
    raise FileNotFoundError(f"{d}: no cells, reports and issues (.parquet or .csv) from `xxgk ingest` here")


def _num(v):
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


# ------------------------------------------------------------------------------------------------------ the audit

FAILURE_COLUMNS = [
    "report_id",
    "source_path",
    "agency",
    "year",
    "scope",
    "rule",
    "number",
    "severity",
    "code",
    "table",
    "row",
    "col",
    "expected",
    "actual",
    "difference",
    "message",
    "explanation_zh",
    "explanation_en",
    "prev_report_id",
    "prev_source_path",
    "cells",
]
LINK_COLUMNS = [
    "prev_report_id",
    "prev_source_path",
    "prev_agency",
    "prev_year",
    "report_id",
    "source_path",
    "agency",
    "year",
    "agency_group",
    "method",
    "score",
    "checked",
    "held",
    "failed",
]
CHECK_COLUMNS = [
    "prev_report_id",
    "report_id",
    "agency_group",
    "prev_year",
    "year",
    "rule",
    "number",
    "severity",
    "line",
    "status",
]


@dataclass
class Audit:
    """The audit of one batch: failures of every rule, the cross-year pairs and their checks, and the inputs."""

    failures: pd.DataFrame
    links: pd.DataFrame
    checks: pd.DataFrame
    output: Output
    schema: Schema


def _report_values(cells: pd.DataFrame):
    """report_id -> ({(table,row,col): value}, {table: template}, {(table,row,col): provenance record})."""
    out = {}
    for rid, g in cells.groupby("report_id", sort=False):
        vals, tpl, prov = {}, {}, {}
        for rec in g.to_dict("records"):
            k = (rec["table"], rec["row"], rec["col"])
            vals[k] = _num(rec["value"])
            tpl.setdefault(rec["table"], _clean(rec["template"]))
            prov[k] = rec
        out[rid] = (vals, tpl, prov)
    return out


def _cell_record(prov: dict, key, report_id, source_path, role: str, value=None) -> dict:
    rec = prov.get(key)
    base = dict(role=role, report_id=report_id, source_path=source_path, table=key[0], row=key[1], col=key[2])
    if rec is None:
        return {
            **base,
            "value": value,
            "raw": None,
            "page": None,
            "table_index": None,
            "row_index": None,
            "col_index": None,
            "printed": False,
        }
    return {
        **base,
        **{k: _clean(rec.get(k)) for k in ("value", "raw", "page", "table_index", "row_index", "col_index")},
        "printed": True,
    }


def _rule_cells(rule: Rule, schema: Schema, template: str | None, row, col) -> list[tuple[str, tuple]]:
    """(role, (table, row, col)) of every cell a within-report rule read for the failure at (row, col)."""
    spec = schema.tables[rule.table]
    p = rule.params
    if template is None:
        return [("cell", (rule.table, row, col))] if row and col else []
    rows = [r.key for r in spec.rows if template in r.columns]
    axis = p.get("axis")
    if axis is None:  # a single-cell rule (non-negative, integer)
        return [("cell", (rule.table, row, col))]
    out = []
    if axis == "column":
        line = col
        for name, pats in p.items():
            if name in ("axis", "rows", "columns"):
                continue
            for k in expand(pats if isinstance(pats, list) else [pats], rows):
                out.append((name, (rule.table, k, line)))
    else:
        line = row
        if line not in {r.key for r in spec.rows}:
            return [("cell", (rule.table, row, col))]
        cols = list(spec.row(line).columns.get(template, ()))
        for name, pats in p.items():
            if name in ("axis", "rows", "columns"):
                continue
            for k in expand(pats if isinstance(pats, list) else [pats], cols):
                out.append((name, (rule.table, line, k)))
    return out


def run_audit(directory: str | Path, schema: Schema | None = None) -> Audit:
    """Evaluate every rule on an ingest's output folder (see the module docstring)."""
    schema = schema or load_schema()
    o = read_output(directory)
    rules = {r.name: r for r in schema.rules}
    values = _report_values(o.cells)
    reports = o.reports.to_dict("records")
    rep = {r["report_id"]: r for r in reports if _clean(r["report_id"])}
    failures: list[dict] = []

    def add(issue: dict, rid, scope, cells, prev=None):
        r = rep.get(rid, {})
        rule = rules.get(issue.get("rule"))
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
            prev_source_path=_clean(rep.get(prev, {}).get("source_path")) if prev else None,
            cells=cells,
        )
        f["explanation_zh"], f["explanation_en"] = explain(f, rule, schema)
        failures.append(f)

    # 1. within-report rules, as ingest evaluated them
    iss = o.issues[o.issues["rule"].notna()]
    for i in iss.to_dict("records"):
        rid = i["report_id"]
        rule = rules.get(i["rule"])
        vals, tpl, prov = values.get(rid, ({}, {}, {}))
        cells = (
            []
            if rule is None
            else [
                _cell_record(prov, k, rid, _clean(i["source_path"]), role)
                for role, k in _rule_cells(rule, schema, tpl.get(rule.table), _clean(i["row"]), _clean(i["col"]))
            ]
        )
        add({k: _clean(v) for k, v in i.items()}, rid, "report", cells)

    # 2. text against tables
    stated: dict[tuple[str, str], dict[str, list]] = {}
    for i in o.narrative.to_dict("records"):
        stated.setdefault((i["report_id"], i["rule"]), {}).setdefault(i["figure"], []).append(
            (float(i["value"]), _clean(i["raw"]), _clean(i["paragraph"]))
        )
    for (rid, rname), figs in stated.items():
        rule = rules.get(rname)
        if rule is None or rid not in values:
            continue
        vals, tpl, prov = values[rid]
        for issue in CHECKS[rule.check](NarrativeCtx(rule, schema.tables[rule.table], vals, figs)):
            fig = next(f for f in rule.params["figures"] if f"[{f['name']}]" in issue.message)
            cells = [
                _cell_record(prov, (rule.table, r, c), rid, rep[rid]["source_path"], "table") for r, c in fig["cells"]
            ]
            cells.append(
                dict(
                    role="text",
                    report_id=rid,
                    source_path=rep[rid]["source_path"],
                    table=None,
                    row=None,
                    col=None,
                    value=issue.actual,
                    raw=issue.raw,
                    page=None,
                    table_index=None,
                    row_index=issue.row_index,
                    col_index=None,
                    printed=True,
                )
            )
            add(_issue_dict(issue), rid, "narrative", cells)

    # 3. across years: link agencies, pair consecutive years, evaluate rules 14–16
    groups = agency_groups(r["agency"] for r in reports)
    ok = [r for r in reports if _clean(r["agency"]) and _clean(r["year"]) is not None and r["report_id"] in values]
    links, checks = [], []
    for cur in ok:
        g, method, score = groups[cur["agency"]]
        prevs = [p for p in ok if groups[p["agency"]][0] == g and int(p["year"]) == int(cur["year"]) - 1]
        same_fmt = [p for p in prevs if p["format"] == cur["format"]]
        for prev in same_fmt or prevs:
            pm, ps = link_names(prev["agency"], cur["agency"]) or (method, score)
            pv, pt, pp = values[prev["report_id"]]
            cv, ct, cp = values[cur["report_id"]]
            n_checked = n_failed = 0
            for rule in schema.rules:
                if CHECK_SCOPES.get(rule.check) != "years":
                    continue
                ctx = YearPairCtx(rule, schema.tables[rule.table], pv, cv, pt.get(rule.table), ct.get(rule.table))
                fails = {}
                for issue in CHECKS[rule.check](ctx):
                    fails[issue.row if rule.params.get("axis") == "row" else issue.col] = issue
                for line, ops in ctx.lines():
                    blank = any(v is None for name in ops for _, v in ops[name])
                    status = "skipped-blank" if blank else "failed" if line in fails else "held"
                    checks.append(
                        dict(
                            prev_report_id=prev["report_id"],
                            report_id=cur["report_id"],
                            agency_group=g,
                            prev_year=int(prev["year"]),
                            year=int(cur["year"]),
                            rule=rule.name,
                            number=rule.number,
                            severity=rule.severity,
                            line=line,
                            status=status,
                        )
                    )
                    if blank:
                        continue
                    n_checked += 1
                    if line in fails:
                        n_failed += 1
                        cells = [
                            _cell_record(
                                cp if name != "previous" else pp,
                                k,
                                cur["report_id"] if name != "previous" else prev["report_id"],
                                cur["source_path"] if name != "previous" else prev["source_path"],
                                name + ("(Y-1)" if name == "previous" else ""),
                            )
                            for name in ops
                            for k, _ in ops[name]
                        ]
                        add(_issue_dict(fails[line]), cur["report_id"], "years", cells, prev=prev["report_id"])
            links.append(
                dict(
                    prev_report_id=prev["report_id"],
                    prev_source_path=prev["source_path"],
                    prev_agency=prev["agency"],
                    prev_year=int(prev["year"]),
                    report_id=cur["report_id"],
                    source_path=cur["source_path"],
                    agency=cur["agency"],
                    year=int(cur["year"]),
                    agency_group=g,
                    method=pm,
                    score=ps,
                    checked=n_checked,
                    held=n_checked - n_failed,
                    failed=n_failed,
                )
            )
    fr = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    return Audit(
        failures=fr,
        links=pd.DataFrame(links, columns=LINK_COLUMNS),
        checks=pd.DataFrame(checks, columns=CHECK_COLUMNS),
        output=o,
        schema=schema,
    )


def _issue_dict(issue: Issue) -> dict:
    from dataclasses import asdict

    return asdict(issue)


# ----------------------------------------------------------------------------------------------- explanations


def _label(schema: Schema, table, row, col) -> str:
    """A cell named as printed: 行 label › 列 label (or the key when the schema has no label)."""
    if table not in schema.tables:
        return "/".join(x for x in (row, col) if x)
    spec = schema.tables[table]
    parts = []
    if row:
        r = next((x for x in spec.rows if x.key == row), None)
        parts.append((r.label or "（数据行）") if r else row)
    if col:
        c = spec.columns.get(col)
        parts.append(("".join(g + "›" for g in c.groups[1:]) + c.label) if c else col)
    return " › ".join(parts)


def _g(x) -> str:
    return "空" if x is None else f"{x:g}"


def explain(f: dict, rule: Rule | None, schema: Schema) -> tuple[str, str]:
    """One sentence in Chinese and one in English saying what failed, expected, printed and the difference."""
    where = _label(schema, f["table"], f["row"], f["col"])
    exp, act, diff = f["expected"], f["actual"], f["difference"]
    desc = rule.description if rule else ""
    num = f"规则{rule.number}" if rule and rule.number else "规则"
    numen = f"rule {rule.number}" if rule and rule.number else "rule"
    scope = f["scope"]
    if scope == "years":
        zh = f"跨年度{num}（{desc}）：本年「{where}」为 {_g(act)}，按上一年度报告应为 {_g(exp)}，相差 {_g(diff)}。"
        en = (
            f"Across years, {numen} ({rule.name if rule else ''}): this year's {f['row']}/{f['col']} is {_g(act)}, "
            f"but last year's report gives {_g(exp)}; difference {_g(diff)}."
        )
    elif scope == "narrative":
        zh = f"正文与表格不符（{num}）：一、总体情况写的是 {_g(act)}，表格「{where}」为 {_g(exp)}，相差 {_g(diff)}。"
        en = (
            f"Text against table ({numen}): 一、总体情况 states {_g(act)}, the table's {f['row']}/{f['col']} "
            f"holds {_g(exp)}; difference {_g(diff)}."
        )
    elif f["code"] in ("negative-value", "non-integer-value") and exp is None:
        zh = f"{num}（{desc}）：「{where}」填报为 {_g(act)}，应为非负整数。"
        en = f"{numen} ({rule.name if rule else ''}): {f['row']}/{f['col']} is {_g(act)}; counts are whole, ≥ 0."
    else:
        zh = f"{num}（{desc}）：「{where}」应为 {_g(exp)}，实际填报 {_g(act)}，相差 {_g(diff)}。"
        en = (
            f"{numen} ({rule.name if rule else f['code']}): {'/'.join(x for x in (f['row'], f['col']) if x)} "
            f"should be {_g(exp)} but {_g(act)} is printed; difference {_g(diff)}."
        )
    return zh, en


# ---------------------------------------------------------------------------------------------------- writing


def write_audit(a: Audit, directory: str | Path) -> dict[str, Path]:
    """Write ``audit_failures``, ``agency_links`` and ``cross_year_checks`` (in the ingest's format) and ``audit.html``."""
    from .audit_html import render
    from .write import write_frame

    d = Path(directory)
    fr = a.failures.copy()
    fr["cells"] = fr["cells"].map(lambda c: json.dumps(c, ensure_ascii=False))
    out = {
        "audit_failures": write_frame(fr, d / "audit_failures", a.output.fmt),
        "agency_links": write_frame(a.links, d / "agency_links", a.output.fmt),
        "cross_year_checks": write_frame(a.checks, d / "cross_year_checks", a.output.fmt),
    }
    html = d / "audit.html"
    tmp = html.with_suffix(".html.part")
    tmp.write_text(render(a), encoding="utf-8")
    tmp.replace(html)
    out["audit.html"] = html
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
