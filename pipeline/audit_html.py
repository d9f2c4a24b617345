"""``audit.html``: one self-contained page (no network, no CDN) for an :class:`pipeline.audit.Audit`.

Reports are listed by number of failures and can be filtered by agency, year, rule and severity (a few lines of
inline JavaScript toggling ``hidden``; the filter also reads and writes the URL's ``#agency=…&year=…`` part). Each
report shows its three tables laid out like the printed ones (column groups over labels, row groups, the blocks of
表二), failing cells highlighted, and every failure explained in Chinese and English with the cells it read.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from pathlib import Path

import pandas as pd

from .schema import TEMPLATES, Schema, TableSpec

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:16px;color:#222;
font-size:14px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px} h3{font-size:14px;margin:10px 0 4px}
.muted{color:#666}.filters{position:sticky;top:0;background:#f4f6f8;padding:8px;border:1px solid #ccd;z-index:2}
.filters label{margin-right:12px} select{max-width:260px}
#report-list{border-collapse:collapse;margin:8px 0}\
#report-list td,#report-list th{border:1px solid #ccc;padding:2px 6px}
.badge{display:inline-block;border-radius:8px;padding:0 6px;font-size:12px;color:#fff}
.badge.error{background:#c62828}.badge.warning{background:#ef6c00}.badge.ok{background:#2e7d32}
section.report{border:1px solid #bbb;margin:14px 0;padding:8px 12px;border-radius:4px}
table.stat{border-collapse:collapse;margin:4px 0 10px;font-size:12px}
table.stat td,table.stat th{border:1px solid #999;padding:2px 5px;text-align:center}
table.stat th{background:#eef}table.stat td.lbl{text-align:left;background:#fafafa;max-width:380px}
table.stat tr.grp td{text-align:left;background:#f0f0f0;font-weight:bold}
table.stat tr.cap td{background:#dde;font-weight:bold;text-align:left}
td.v.blank{background:repeating-linear-gradient(45deg,#fff,#fff 3px,#eee 3px,#eee 6px)}
td.v.fail-main.error{background:#ff8a80;outline:2px solid #c62828;font-weight:bold}
td.v.fail-main.warning{background:#ffd180;outline:2px solid #ef6c00;font-weight:bold}
td.v.fail-part{background:#fff3c4}
table.failures{border-collapse:collapse;width:100%;font-size:12px}
table.failures td,table.failures th{border:1px solid #ccc;padding:3px 5px;vertical-align:top;text-align:left}
tr.failure.error td.sev{color:#c62828;font-weight:bold}tr.failure.warning td.sev{color:#ef6c00;font-weight:bold}
.en{color:#444;font-style:italic} details{font-size:11px}
"""

JS = """
(function(){
  var sel = {agency: document.getElementById('f-agency'), year: document.getElementById('f-year'),
             rule: document.getElementById('f-rule'), severity: document.getElementById('f-severity')};
  function apply(){
    var f = {}; for (var k in sel) f[k] = sel[k].value;
    var shown = 0;
    document.querySelectorAll('section.report').forEach(function(s){
      var ok = (!f.agency || s.dataset.agency === f.agency) && (!f.year || s.dataset.year === f.year);
      var rows = s.querySelectorAll('tr.failure'), n = 0;
      rows.forEach(function(r){
        var m = (!f.rule || r.dataset.rule === f.rule) && (!f.severity || r.dataset.severity === f.severity);
        r.hidden = !m; if (m) n++;
      });
      if ((f.rule || f.severity) && n === 0) ok = false;
      s.hidden = !ok;
      var li = document.getElementById('li-' + s.id); if (li) li.hidden = !ok;
      if (ok) shown++;
    });
    document.getElementById('shown').textContent = shown;
    var h = []; for (var k in f) if (f[k]) h.push(k + '=' + encodeURIComponent(f[k]));
    if (history.replaceState) history.replaceState(null, '', h.length ? '#' + h.join('&') : location.pathname);
  }
  function fromHash(){
    for (var k in sel) sel[k].value = '';
    location.hash.replace(/^#/, '').split('&').forEach(function(kv){
      var p = kv.split('='); if (p.length === 2 && sel[p[0]]) sel[p[0]].value = decodeURIComponent(p[1]);
    });
    apply();
  }
  for (var k in sel) sel[k].addEventListener('change', apply);
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
"""


def _e(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return html.escape(str(x))


def _g(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:g}" if isinstance(x, float) else str(x)


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


def _value_td(row: str, col: str, cell: dict | None, mark: tuple | None) -> str:
    """One value cell: the figure (or the raw text of a blank), its provenance as a tooltip, the failure marks."""
    cls = ["v"]
    title = [f"{row}/{col}"]
    if cell is None:
        text = "·"
        title.append("not printed / 未读到")
    else:
        v = cell.get("value")
        raw = (cell.get("raw") or "").strip()
        if _isna(v):
            text = raw
            cls.append("blank")
            title.append(f"blank / 空白 (raw {raw!r})")
        else:
            text = _g(v)
            if raw and raw != text:
                title.append(f"raw {raw!r}")
        if not _isna(cell.get("page")):
            title.append(f"page {cell['page']}")
    if mark:
        cls += [mark[0], mark[1]]
        title.append("; ".join(mark[2]))
    return (
        f'<td class="{" ".join(cls)}" data-row="{_e(row)}" data-col="{_e(col)}" '
        f'title="{_e(" | ".join(title))}">{_e(text)}</td>'
    )


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


def _table_html(spec: TableSpec, template: str, cells: dict, marks: dict) -> str:
    """One statistics table as printed: blocks of rows sharing their columns, each with its own header."""
    rows = [r for r in spec.rows if template in r.columns]
    out = [f'<table class="stat" data-table="{spec.table}">']
    prev_cols, prev_group, prev_section = None, None, None
    for r in rows:
        cols = list(r.columns[template])
        out += _block_start(spec, template, r, cols, (prev_cols, prev_group, prev_section))
        prev_cols, prev_group, prev_section = cols, r.group, r.section
        tds = [f'<td class="lbl">{_e(r.label_in(template)) or "（数据行）"}</td>']
        tds += [_value_td(r.key, c, cells.get((r.key, c)), marks.get((spec.table, r.key, c))) for c in cols]
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _provenance(cells: list[dict]) -> str:
    items = []
    for c in cells or []:
        where = "/".join(str(x) for x in (c.get("table"), c.get("row"), c.get("col")) if x)
        pos = ", ".join(
            f"{k} {_g(c.get(k))}" for k in ("page", "table_index", "row_index", "col_index") if c.get(k) is not None
        )
        items.append(
            f"<li>{_e(c.get('role'))}: <b>{_e(where or 'text')}</b> = {_e(_g(c.get('value')))} "
            f"(raw {_e(repr(c.get('raw')))}; {_e(pos)}; {_e(Path(str(c.get('source_path'))).name)})</li>"
        )
    return f"<details><summary>cells / 所涉单元格 ({len(cells or [])})</summary><ul>{''.join(items)}</ul></details>"


def _options(vals: list[tuple[str, str]], label: str) -> str:
    return "".join(
        [f'<option value="">{label}</option>'] + [f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in vals]
    )


def _filters(agencies: list[str], years: list[str], rules: list[tuple[str, str]]) -> str:
    severities = [("error", "错误 error"), ("warning", "警告 warning")]
    return (
        "<div class='filters'>"
        f"<label>机关 Agency <select id='f-agency'>{_options([(x, x) for x in agencies], '全部 all')}</select></label>"
        f"<label>年度 Year <select id='f-year'>{_options([(y, y) for y in years], '全部 all')}</select></label>"
        f"<label>规则 Rule <select id='f-rule'>{_options(rules, '全部 all')}"
        "</select></label>"
        f"<label>严重程度 Severity <select id='f-severity'>{_options(severities, '全部 all')}"
        "</select></label> 显示 shown: <b id='shown'></b></div>"
    )


LISTING_HEAD = (
    "<h2>报告（按不符项数排序）Reports by number of failures</h2><table id='report-list'>"
    "<tr><th>机关 agency</th><th>年度 year</th><th>格式 format</th><th>文件 file</th><th>错误 errors</th>"
    "<th>警告 warnings</th></tr>"
)
FAILURES_HEAD = (
    "<table class='failures'><tr><th>级别 severity</th><th>规则 rule</th><th>单元格 cell</th>"
    "<th>应为 expected</th><th>实际 actual</th><th>差 difference</th><th>说明 explanation</th></tr>"
)
LINKS_HEAD = (
    "<h2>跨年度关联 Cross-year links (same agency, consecutive years)</h2>"
    "<p class='muted'>名称比较方法 how the names were linked: same-name, folded (人民政府→政府 …), contains, "
    "fuzzy (score).</p><table id='links' class='failures'><tr><th>机关 group</th><th>上一年度 previous</th>"
    "<th>本年度 this year</th><th>方法 method</th><th>核对 checked</th><th>相符 held</th><th>不符 failed</th></tr>"
)


def _marks(failures: list[dict], rid: str) -> dict[tuple, tuple[str, str, list[str]]]:
    """(table, row, col) -> (fail-main or fail-part, the worst severity, the explanations) for one report's cells."""
    marks: dict[tuple, tuple[str, str, list[str]]] = {}
    for f in failures:
        for c in f["cells"] or []:
            if c.get("report_id") == rid and c.get("table"):
                key = (c["table"], c["row"], c["col"])
                marks[key] = _mark(marks.get(key), _is_main(c, f), f)
    return marks


def _is_main(c: dict, f: dict) -> bool:
    """The cell a failure is about (the others are the parts it was compared with)."""
    if (c["row"], c["col"]) == (f["row"], f["col"]):
        return True
    return f["scope"] in ("years", "narrative") and c.get("role") in ("current", "table")


def _mark(old: tuple | None, main: bool, f: dict) -> tuple[str, str, list[str]]:
    """A cell's mark with one more failure: main once main, the worse severity, the explanations in order."""
    note = f"{f['rule']}: {f['explanation_zh']}"
    if old is None:
        return ("fail-main" if main else "fail-part", f["severity"], [note])
    kind = "fail-main" if main or old[0] == "fail-main" else "fail-part"
    sev = f["severity"] if SEVERITY_RANK[f["severity"]] < SEVERITY_RANK[old[1]] else old[1]
    return kind, sev, [*old[2], note]


def _failure_row(f: dict) -> str:
    prev = (
        (f"<br><span class='muted'>上一年度 previous year: {_e(Path(str(f['prev_source_path'])).name)}</span>")
        if f.get("prev_report_id")
        else ""
    )
    where = "/".join(str(x) for x in (f["table"], f["row"], f["col"]) if x)
    return (
        f"<tr class='failure {f['severity']}' data-rule='{_e(f['rule'])}' data-severity='{_e(f['severity'])}'>"
        f"<td class='sev'>{_e(f['severity'])}</td><td>{_e(_g(f['number']))} <code>{_e(f['rule'])}</code><br>"
        f"<span class='muted'>{_e(f['scope'])}</span></td><td>{_e(where)}"
        f"</td><td>{_e(_g(f['expected']))}</td><td>{_e(_g(f['actual']))}</td><td>{_e(_g(f['difference']))}</td>"
        f"<td><div class='zh'>{_e(f['explanation_zh'])}</div><div class='en'>{_e(f['explanation_en'])}</div>"
        f"{prev}{_provenance(f['cells'])}</td></tr>"
    )


def _failure_table(failures: list[dict]) -> str:
    if not failures:
        return "<p class='muted'>全部规则通过 · every rule holds.</p>"
    ordered = sorted(failures, key=lambda f: (SEVERITY_RANK.get(f["severity"], 3), f["rule"] or ""))
    return FAILURES_HEAD + "".join(_failure_row(f) for f in ordered) + "</table>"


def _link_row(link: dict) -> str:
    return (
        f"<tr><td>{_e(link['agency_group'])}</td><td>{_e(link['prev_agency'])} {link['prev_year']} · "
        f"{_e(Path(str(link['prev_source_path'])).name)}</td><td>{_e(link['agency'])} {link['year']} · "
        f"{_e(Path(str(link['source_path'])).name)}</td><td>{_e(link['method'])} {_g(link['score'])}</td>"
        f"<td>{link['checked']}</td><td>{link['held']}</td><td>{link['failed']}</td></tr>"
    )


class _Page:
    """The audit indexed by report: its failures, its cells by table and the template of each table."""

    def __init__(self, a):
        self.schema: Schema = a.schema
        self.by_report: dict[str, list[dict]] = {}
        for f in a.failures.to_dict("records"):
            f = {k: (v if isinstance(v, (list, dict)) or not _isna(v) else None) for k, v in f.items()}
            self.by_report.setdefault(f["report_id"], []).append(f)
        self.cells_by: dict[str, dict] = {}
        self.tpl_by: dict[str, dict] = {}
        for rec in a.output.cells.to_dict("records"):
            self.cells_by.setdefault(rec["report_id"], {}).setdefault(rec["table"], {})[(rec["row"], rec["col"])] = rec
            self.tpl_by.setdefault(rec["report_id"], {}).setdefault(rec["table"], rec["template"])

    def counts(self, rid) -> tuple[int, int]:
        c = Counter(f["severity"] for f in self.by_report.get(rid, []))
        return c.get("error", 0), c.get("warning", 0)

    def order(self, reports: list[dict]) -> list[dict]:
        """Most failures first, errors before warnings, then by agency, year and path."""

        def key(r: dict) -> tuple:
            e, w = self.counts(r["report_id"])
            return (-(e + w), -e, str(r["agency"]), str(r["year"]), str(r["source_path"]))

        return sorted(reports, key=key)

    def tables(self, rid: str, marks: dict) -> str:
        out = []
        for kind, spec in self.schema.tables.items():
            tpl = self.tpl_by.get(rid, {}).get(kind)
            if tpl not in TEMPLATES:
                continue
            out.append(
                f"<h3>{_e(spec.title)} <span class='muted'>({kind}, {tpl} 模板 template)</span></h3>"
                + _table_html(spec, tpl, self.cells_by.get(rid, {}).get(kind, {}), marks)
            )
        return "".join(out)

    def report(self, k: int, r: dict) -> tuple[str, str]:
        """One report's line in the listing and its section."""
        rid = r["report_id"] if isinstance(r["report_id"], str) else f"failed-{k}"
        sid = f"r-{rid}-{k}"
        e, w = self.counts(rid)
        badge = (f"<span class='badge error'>{e}</span> " if e else "") + (
            f"<span class='badge warning'>{w}</span>" if w else ""
        ) or "<span class='badge ok'>0</span>"
        year = "" if _isna(r["year"]) else str(int(r["year"]))
        agency = r["agency"] if isinstance(r["agency"], str) else ""
        name = Path(str(r["source_path"])).name
        item = (
            f"<tr id='li-{sid}' class='report-item' data-report='{_e(rid)}'><td>{_e(agency)}</td>"
            f"<td>{year}</td><td>{_e(r['format'])}</td><td><a href='#{sid}'>{_e(name)}</a></td>"
            f"<td>{e}</td><td>{w}</td></tr>"
        )
        failures = self.by_report.get(rid, [])
        status = f"<p class='muted'>status {_e(r['status'])}: {_e(r['error'])}</p>" if r["status"] == "failed" else ""
        section = (
            f"<section class='report' id='{sid}' data-report='{_e(rid)}' data-agency='{_e(agency)}' "
            f"data-year='{year}'><h2>{_e(agency) or '（机关不明）'} {year} <span class='muted'>{_e(name)} · "
            f"{_e(r['format'])}</span> {badge}</h2>{status}{_failure_table(failures)}"
            f"{self.tables(rid, _marks(failures, rid))}</section>"
        )
        return item, section


def _filter_values(reports: list[dict]) -> tuple[list[str], list[str]]:
    """The agencies and years the filters offer."""
    agencies = sorted({str(r["agency"]) for r in reports if isinstance(r["agency"], str)})
    years = sorted({str(int(r["year"])) for r in reports if not _isna(r["year"])})
    return agencies, years


def render(a) -> str:
    """The whole page for an Audit."""
    page = _Page(a)
    reports = page.order(a.output.reports.to_dict("records"))
    agencies, years = _filter_values(reports)
    rule_opts = [(r.name, f"{r.number or ''} {r.name}") for r in page.schema.rules]
    n_err = sum(1 for r in reports if page.counts(r["report_id"])[0])
    head = (
        f"<h1>xxgk 审计报告 · Audit</h1><p class='muted'>{len(reports)} 份报告 reports · "
        f"{n_err} 份有错误 with errors · {len(a.failures)} 项不符 failures · "
        "规则 rules: <code>schemas/rules.yaml</code>."
        " 空白单元格不参与校验 (a blank cell never fails a rule: the rule is skipped).</p>"
    )
    items, sections = zip(*(page.report(k, r) for k, r in enumerate(reports)), strict=True) if reports else ((), ())
    listing = LISTING_HEAD + "".join(items) + "</table>"
    links = LINKS_HEAD + "".join(_link_row(link) for link in a.links.to_dict("records")) + "</table>"
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>xxgk audit</title>"
        f"<style>{CSS}</style></head><body>{head}{_filters(agencies, years, rule_opts)}{listing}{links}"
        f"{''.join(sections)}<script>{JS}</script></body></html>"
    )


def _isna(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(x != x)
    except TypeError:
        return False
