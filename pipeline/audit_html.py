"""``audit.html``: one self-contained page (no network, no CDN) for an :class:`pipeline.audit.Audit`, that stays small
and quick with thousands of reports.

The page carries its data, and draws only what is looked at:

- an index (one short row per report: agency, year, province, file, how it was read, whether it reconciles, its
  failures counted by rule) from which the page draws the summary (failures by rule, year, province, agency), the
  paged listing and the filters, all in the browser;
- each report's detail (its tables' figures, its failures with the cells they read) in blocks of ``BLOCK`` reports,
  kept as JSON text inside the page and parsed only when a report of the block is opened;
- each statistics table's layout (column groups over labels, row groups, the blocks of 表二) once per template, as
  printed, filled with a report's figures when it is opened.

Filters live in the address (``#year=2020&rule=…&report=…``) and survive every click; a report opens below the list
with its failing cells outlined, the cells that may be a misread (OCR'd, placed by position, low score) marked, and a
link to its source file. The script and style are ``audit_page/audit.js`` and ``audit.css`` beside this module.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from .checks import CHECKS
from .dataset import write_text
from .match import CLEAN_SCORE
from .schema import TEMPLATES, TableSpec

ASSETS = Path(__file__).resolve().parent / "audit_page"
BLOCK = 50  # reports per embedded block of details
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
# the index's columns, in order (the script reads them by name)
INDEX_COLUMNS = (
    "rid",
    "agency",
    "year",
    "province",
    "format",
    "file",
    "href",
    "read",
    "doubts",
    "rec",
    "err",
    "warn",
    "mis",
    "f",
    "blk",
)


def _e(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return html.escape(str(x))


def _v(x: Any) -> Any:
    """A value as compact JSON: NA -> None, 7.0 -> 7, numpy -> Python."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


# ------------------------------------------------------------------------------------------------ table layouts
def _header_level(paths: list[list[str]], level: int, depth: int) -> list[str]:
    """The header cells of one level: a group label merged over its neighbours under the same group, a column
    label spanning the levels below it."""
    cells = []
    i = 0
    while i < len(paths):
        p = paths[i]
        j = i
        if level < len(p) - 1:  # a group label: merge it over the neighbours under the same group
            while j + 1 < len(paths) and len(paths[j + 1]) - 1 > level and paths[j + 1][: level + 1] == p[: level + 1]:
                j += 1
            cells.append(f'<th colspan="{j - i + 1}">{_e(p[level])}</th>')
        elif level == len(p) - 1:
            cells.append(f'<th rowspan="{depth - level}">{_e(p[level])}</th>')
        i = j + 1
    return cells


def _header_rows(spec: TableSpec, cols: list[str], corner: str, template: str) -> str:
    """Header rows for a block: column groups (outermost first) over column labels, merged like the printed table."""
    paths = [[*spec.columns[c].groups, spec.columns[c].label_in(template)] if c in spec.columns else [c] for c in cols]
    depth = max(len(p) for p in paths)
    out = []
    for level in range(depth):
        cells = [f'<th rowspan="{depth}">{_e(corner)}</th>'] if level == 0 else []
        out.append("<tr>" + "".join(cells + _header_level(paths, level, depth)) + "</tr>")
    return "".join(out)


def _block_start(spec: TableSpec, template: str, r, cols: list[str], prev: tuple) -> list[str]:
    """What goes before a row: a section caption, a header when the columns change, a group label."""
    prev_cols, prev_group, prev_section = prev
    out = []
    new_section = bool(r.section) and r.section != prev_section
    if new_section:
        out.append(f'<tr class="cap"><td colspan="{len(cols) + 1}">{_e(r.section)}</td></tr>')
    if cols != prev_cols or new_section:
        out.append(_header_rows(spec, cols, "信息内容" if r.section else "", template))
    if r.group and r.group != prev_group:
        out.append(f'<tr class="grp"><td colspan="{len(cols) + 1}">{_e(r.group)}</td></tr>')
    return out


def table_layout(spec: TableSpec, template: str) -> tuple[str, list[str]]:
    """One statistics table as printed, its value cells empty (``data-i`` numbered), and the keys of those cells
    (``row|col``) in that order: the page fills a report's figures in."""
    out = [f'<table class="stat" data-table="{spec.table}">']
    keys: list[str] = []
    prev: tuple = (None, None, None)
    for r in (r for r in spec.rows if template in r.columns):
        cols = list(r.columns[template])
        out += _block_start(spec, template, r, cols, prev)
        prev = (cols, r.group, r.section)
        label = _e(r.label_in(template)) or "案件数"
        tds = [f'<td class="lbl">{label}</td>']
        for c in cols:
            tds.append(f'<td class="v" data-i="{len(keys)}" data-row="{_e(r.key)}" data-col="{_e(c)}"></td>')
            keys.append(f"{r.key}|{c}")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out), keys


# ---------------------------------------------------------------------------------------------------- the data
def source_href(source_path: Any, out_dir: Path | None) -> str | None:
    """A link from the page's folder to the source file (relative, so the two can move together)."""
    if not isinstance(source_path, str) or not source_path:
        return None
    p = Path(source_path).resolve()
    try:
        rel = os.path.relpath(p, out_dir.resolve()) if out_dir is not None else str(p)
    except ValueError:  # another drive (Windows)
        return p.as_uri()
    return quote(Path(rel).as_posix())


class PageData:
    """The page's index and the reports' details, from an audit."""

    def __init__(self, a, out_dir: Path | None = None) -> None:
        self.a, self.schema, self.out_dir = a, a.schema, out_dir
        self.rules = list(self.schema.rules)
        self.rule_index = {r.name: i for i, r in enumerate(self.rules)}
        reports = [{k: _v(v) for k, v in r.items()} for r in a.output.reports.to_dict("records")]
        self.failures: dict[str, list[dict]] = {}
        for f in a.failures.to_dict("records"):
            self.failures.setdefault(f["report_id"], []).append({k: _clean(v) for k, v in f.items()})
        self.reports = sorted(reports, key=self._order)
        self.pos = {r["report_id"]: i for i, r in enumerate(self.reports) if r["report_id"]}
        self.layouts = {
            f"{kind}|{tpl}": table_layout(spec, tpl) for kind, spec in self.schema.tables.items() for tpl in TEMPLATES
        }
        self.key_index = {k: {key: i for i, key in enumerate(v[1])} for k, v in self.layouts.items()}
        self.incoming = self._incoming()

    def _order(self, r: dict) -> tuple:
        """Most failures first, errors before warnings, then by agency, year and path."""
        sev = Counter(f["severity"] for f in self.failures.get(r["report_id"], []))
        e, w = sev.get("error", 0), sev.get("warning", 0)
        return (-(e + w), -e, str(r["agency"] or ""), str(r["year"] or ""), str(r["source_path"]))

    def _incoming(self) -> dict[str, list[list[int]]]:
        """report_id -> [owner report, failure number] for failures of other reports that read this one's cells."""
        out: dict[str, list[list[int]]] = {}
        for rid, fs in self.failures.items():
            for k, f in enumerate(fs):
                for other in {c.get("report_id") for c in f["cells"] or []} - {rid, None}:
                    out.setdefault(other, []).append([self.pos[rid], k])
        return out

    # --- the index
    def index(self) -> dict:
        rows = [self._index_row(i, r) for i, r in enumerate(self.reports)]
        return {
            "rules": [
                [r.name, r.number, r.severity, r.description, r.description_en, str(CHECKS[r.check].scope)]
                for r in self.rules
            ],
            "layouts": {k: v[0] for k, v in self.layouts.items()},
            "columns": INDEX_COLUMNS,
            "reports": rows,
            "groups": self._groups(),
            "n_failures": len(self.a.failures),
            "block": BLOCK,
            "titles": {kind: spec.title for kind, spec in self.schema.tables.items()},
        }

    def _index_row(self, i: int, r: dict) -> list:
        fs = self.failures.get(r["report_id"], [])
        by_rule: dict[int, list[int]] = {}
        for f in fs:
            n = by_rule.setdefault(self.rule_index.get(f["rule"], -1), [0, 0])
            n[0] += 1
            n[1] += f["reading"] == "may-be-misread"
        sev = Counter(f["severity"] for f in fs)
        rec = r.get("reconciles")
        return [
            r["report_id"],
            r["agency"],
            r["year"],
            r.get("province"),
            r["format"],
            Path(str(r["source_path"])).name,
            source_href(r["source_path"], self.out_dir),
            r.get("read_status") or r["status"],
            r.get("n_doubts"),
            None if rec is None else bool(rec),
            sev.get("error", 0),
            sev.get("warning", 0),
            sum(v[1] for v in by_rule.values()),
            [[k, *v] for k, v in sorted(by_rule.items())],
            i // BLOCK,
        ]

    def _groups(self) -> list:
        """The cross-year links collapsed per agency: [group, [[prev, cur, method, score, checked, held, failed]]]."""
        groups: dict[str, list] = {}
        for link in self.a.links.to_dict("records"):
            p, c = self.pos.get(link["prev_report_id"]), self.pos.get(link["report_id"])
            if p is None or c is None:
                continue
            groups.setdefault(link["agency_group"], []).append(
                [p, c, link["method"], _v(link["score"]), *(_v(link[k]) for k in ("checked", "held", "failed"))]
            )
        ordered = sorted(groups.items(), key=lambda kv: (-sum(x[6] for x in kv[1]), kv[0]))
        return [[g, pairs] for g, pairs in ordered]

    # --- the details
    def blocks(self) -> list[str]:
        """The details of the reports, BLOCK at a time, as JSON text."""
        out = []
        for start in range(0, len(self.reports), BLOCK):
            chunk = self.reports[start : start + BLOCK]
            out.append(json.dumps([self._detail(r) for r in chunk], ensure_ascii=False, separators=(",", ":")))
        return out

    def _detail(self, r: dict) -> dict:
        rid = r["report_id"]
        d: dict[str, Any] = {"t": self._tables(rid) if rid else {}}
        d["f"] = [self._failure(f) for f in self.failures.get(rid, [])] if rid else []
        if rid in self.incoming:
            d["x"] = self.incoming[rid]
        if r.get("error"):
            d["err"] = r["error"]
        return d

    def _tables(self, rid: str) -> dict:
        """table -> [template, the figures in the layout's order (a blank's raw text; None where not printed),
        how cells were read when not plainly (OCR confidence, low score, by position)]."""
        store = self.a.cells
        rc = store.report(rid) if store is not None else None
        if store is None or rc is None:
            return {}
        raws = store.raws(rid)
        out: dict[str, list] = {}
        for kind in self.schema.tables:
            tpl = rc.templates.get(kind)
            if f"{kind}|{tpl}" in self.key_index:
                out[kind] = self._table(kind, str(tpl), rc, raws, rid)
        return out

    def _table(self, kind: str, tpl: str, rc, raws: dict[int, str | None], rid: str) -> list:
        keys = self.key_index[f"{kind}|{tpl}"]
        vals: list[Any] = [None] * len(keys)
        extra: dict[str, Any] = {}
        for (t, row, col), i in rc.rows.items():
            k = keys.get(f"{row}|{col}") if t == kind else None
            if k is not None:
                value = rc.values[(t, row, col)]
                vals[k] = _v(value) if value is not None else (raws.get(i) or "")
                self._how_read(extra, k, i, rid, t, row)
        while vals and vals[-1] is None:
            vals.pop()
        return [tpl, vals, extra] if extra else [tpl, vals]

    def _how_read(self, extra: dict, k: int, i: int, rid: str, t: str, row: str) -> None:
        """How cell ``k`` of a table was read, when not as plainly printed: OCR confidence, low score, by position."""
        store = self.a.cells
        conf, score = store.confidence[i], store.score[i]
        if not math.isnan(conf):
            extra.setdefault("c", {})[k] = round(float(conf))
        if not math.isnan(score) and score < CLEAN_SCORE:
            extra.setdefault("s", {})[k] = round(float(score))
        if (rid, t, row) in store.positioned:
            extra.setdefault("p", []).append(k)

    def _failure(self, f: dict) -> dict:
        other = f.get("prev_report_id") or f.get("other_report_id")
        out = {
            "r": self.rule_index.get(f["rule"], -1),
            "sc": f["scope"],
            "c": f["code"],
            "w": "|".join(str(x) for x in (f["table"], f["row"], f["col"]) if x) or "",
            "e": _v(f["expected"]),
            "a": _v(f["actual"]),
            "d": _v(f["difference"]),
            "zh": f["explanation_zh"],
            "en": f["explanation_en"],
            "m": int(f["reading"] == "may-be-misread"),
            "o": self.pos.get(other, -1) if other else -1,
            "cells": [self._cell(c) for c in f["cells"] or []],
        }
        return out

    def _cell(self, c: dict) -> list:
        where = "|".join(str(x) for x in (c.get("table"), c.get("row"), c.get("col")) if x)
        return [
            c.get("role"),
            self.pos.get(c.get("report_id"), -1),
            where,
            _v(c.get("value")),
            c.get("raw"),
            _v(c.get("page")),
            _v(c.get("table_index")),
            _v(c.get("row_index")),
            _v(c.get("col_index")),
            _v(c.get("confidence")),
            _v(c.get("match_score")),
            int(c.get("reading") == "may-be-misread"),
            c.get("doubts") or [],
            bool(c.get("printed")),
        ]


def _clean(v: Any) -> Any:
    if isinstance(v, list | dict):
        return v
    return _v(v)


def _json_in_html(text: str) -> str:
    """JSON text that can sit inside a <script> element (no "</" to end it early)."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render(a, out_dir: Path | None = None) -> str:
    """The whole page for an Audit (``out_dir``: where it is written, for the links to the source files)."""
    data = PageData(a, out_dir)
    index = json.dumps(data.index(), ensure_ascii=False, separators=(",", ":"))
    blocks = "".join(
        f'<script type="application/json" id="xxgk-block-{i}">{_json_in_html(b)}</script>'
        for i, b in enumerate(data.blocks())
    )
    css = (ASSETS / "audit.css").read_text(encoding="utf-8")
    js = (ASSETS / "audit.js").read_text(encoding="utf-8")
    body = (ASSETS / "audit.html").read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'><title>xxgk 审计报告 · audit</title>"
        f"<style>{css}</style></head><body>{body}"
        f'<script type="application/json" id="xxgk-index">{_json_in_html(index)}</script>{blocks}'
        f"<script>{js}</script></body></html>"
    )


def write_page(a, out_dir: str | Path) -> Path:
    """Write ``audit.html`` into ``out_dir``."""
    d = Path(out_dir)
    return write_text(d / "audit.html", render(a, d))


__all__ = ["BLOCK", "PageData", "render", "source_href", "table_layout", "write_page"]
