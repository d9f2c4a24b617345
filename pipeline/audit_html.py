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

from .schema import Schema, TableSpec

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:16px;color:#222;
font-size:14px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px} h3{font-size:14px;margin:10px 0 4px}
.muted{color:#666}.filters{position:sticky;top:0;background:#f4f6f8;padding:8px;border:1px solid #ccd;z-index:2}
.filters label{margin-right:12px} select{max-width:260px}
#report-list{border-collapse:collapse;margin:8px 0}#report-list td,#report-list th{border:1px solid #ccc;padding:2px 6px}
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


def _header_rows(spec: TableSpec, cols: list[str], corner: str, template: str) -> str:
    """Header rows for a block: column groups (outermost first) over column labels, merged like the printed table."""
    paths = [[*spec.columns[c].groups, spec.columns[c].label_in(template)] if c in spec.columns else [c] for c in cols]
    depth = max(len(p) for p in paths)
    out = []
    for level in range(depth):
        cells = [f'<th rowspan="{depth}">{_e(corner)}</th>'] if level == 0 else []
        i = 0
        while i < len(paths):
            p = paths[i]
            if level < len(p) - 1:  # a group label: merge it over the neighbours under the same group
                j = i
                while (
                    j + 1 < len(paths) and len(paths[j + 1]) - 1 > level and paths[j + 1][: level + 1] == p[: level + 1]
                ):
                    j += 1
                cells.append(f'<th colspan="{j - i + 1}">{_e(p[level])}</th>')
                i = j + 1
            elif level == len(p) - 1:
                cells.append(f'<th rowspan="{depth - level}">{_e(p[level])}</th>')
                i += 1
            else:
                i += 1
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out)


def _table_html(spec: TableSpec, template: str, cells: dict, marks: dict) -> str:
    """One statistics table as printed: blocks of rows sharing their columns, each with its own header."""
    rows = [r for r in spec.rows if template in r.columns]
    out = [f'<table class="stat" data-table="{spec.table}">']
    prev_cols, prev_group, prev_section = None, None, None
    for r in rows:
        cols = list(r.columns[template])
        if r.section and r.section != prev_section:
            out.append(f'<tr class="cap"><td colspan="{len(cols) + 1}">{_e(r.section)}</td></tr>')
        if cols != prev_cols or (r.section and r.section != prev_section):
            out.append(_header_rows(spec, cols, "信息内容" if r.section else "", template))
        if r.group and r.group != prev_group:
            out.append(f'<tr class="grp"><td colspan="{len(cols) + 1}">{_e(r.group)}</td></tr>')
        prev_cols, prev_group, prev_section = cols, r.group, r.section
        tds = [f'<td class="lbl">{_e(r.label_in(template)) or "（数据行）"}</td>']
        for c in cols:
            cell = cells.get((r.key, c))
            cls = ["v"]
            title = [f"{r.key}/{c}"]
            if cell is None:
                text = "·"
                title.append("not printed / 未读到")
            else:
                v = cell.get("value")
                raw = (cell.get("raw") or "").strip()
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    text = raw
                    cls.append("blank")
                    title.append(f"blank / 空白 (raw {raw!r})")
                else:
                    text = _g(v)
                    if raw and raw != text:
                        title.append(f"raw {raw!r}")
                if cell.get("page") is not None and not (isinstance(cell["page"], float) and math.isnan(cell["page"])):
                    title.append(f"page {cell['page']}")
            m = marks.get((spec.table, r.key, c))
            if m:
                cls.append(m[0])
                cls.append(m[1])
                title.append("; ".join(m[2]))
            tds.append(
                f'<td class="{" ".join(cls)}" data-row="{_e(r.key)}" data-col="{_e(c)}" '
                f'title="{_e(" | ".join(title))}">{_e(text)}</td>'
            )
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


def render(a) -> str:
    """The whole page for an Audit."""
    schema: Schema = a.schema
    o = a.output
    fr = a.failures
    reports = o.reports.to_dict("records")
    by_report: dict[str, list[dict]] = {}
    for f in fr.to_dict("records"):
        f = {k: (v if isinstance(v, (list, dict)) or not _isna(v) else None) for k, v in f.items()}
        by_report.setdefault(f["report_id"], []).append(f)
    cells_by: dict[str, dict] = {}
    tpl_by: dict[str, dict] = {}
    for rec in o.cells.to_dict("records"):
        cells_by.setdefault(rec["report_id"], {}).setdefault(rec["table"], {})[(rec["row"], rec["col"])] = rec
        tpl_by.setdefault(rec["report_id"], {}).setdefault(rec["table"], rec["template"])

    def counts(rid):
        c = Counter(f["severity"] for f in by_report.get(rid, []))
        return c.get("error", 0), c.get("warning", 0)

    reports.sort(
        key=lambda r: (
            -sum(counts(r["report_id"])),
            -counts(r["report_id"])[0],
            str(r["agency"]),
            str(r["year"]),
            str(r["source_path"]),
        )
    )
    agencies = sorted({str(r["agency"]) for r in reports if isinstance(r["agency"], str)})
    years = sorted({str(int(r["year"])) for r in reports if r["year"] is not None and not _isna(r["year"])})
    rule_opts = [(r.name, f"{r.number or ''} {r.name}") for r in schema.rules]
    n_err = sum(1 for r in reports if counts(r["report_id"])[0])
    head = (
        f"<h1>xxgk 审计报告 · Audit</h1><p class='muted'>{len(reports)} 份报告 reports · "
        f"{n_err} 份有错误 with errors · {len(fr)} 项不符 failures · 规则 rules: <code>schemas/rules.yaml</code>."
        " 空白单元格不参与校验 (a blank cell never fails a rule: the rule is skipped).</p>"
    )
    opt = lambda vals, label: "".join(
        [f'<option value="">{label}</option>'] + [f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in vals]
    )
    filters = (
        "<div class='filters'>"
        f"<label>机关 Agency <select id='f-agency'>{opt([(x, x) for x in agencies], '全部 all')}</select></label>"
        f"<label>年度 Year <select id='f-year'>{opt([(y, y) for y in years], '全部 all')}</select></label>"
        f"<label>规则 Rule <select id='f-rule'>{opt(rule_opts, '全部 all')}"
        "</select></label>"
        f"<label>严重程度 Severity <select id='f-severity'>{opt([('error', '错误 error'), ('warning', '警告 warning')], '全部 all')}"
        "</select></label> 显示 shown: <b id='shown'></b></div>"
    )
    listing = [
        "<h2>报告（按不符项数排序）Reports by number of failures</h2><table id='report-list'>"
        "<tr><th>机关 agency</th><th>年度 year</th><th>格式 format</th><th>文件 file</th><th>错误 errors</th>"
        "<th>警告 warnings</th></tr>"
    ]
    sections = []
    for k, r in enumerate(reports):
        rid = r["report_id"] if isinstance(r["report_id"], str) else f"failed-{k}"
        sid = f"r-{rid}-{k}"
        e, w = counts(rid)
        badge = (f"<span class='badge error'>{e}</span> " if e else "") + (
            f"<span class='badge warning'>{w}</span>" if w else ""
        ) or "<span class='badge ok'>0</span>"
        year = "" if _isna(r["year"]) else str(int(r["year"]))
        agency = r["agency"] if isinstance(r["agency"], str) else ""
        name = Path(str(r["source_path"])).name
        listing.append(
            f"<tr id='li-{sid}' class='report-item' data-report='{_e(rid)}'><td>{_e(agency)}</td>"
            f"<td>{year}</td><td>{_e(r['format'])}</td><td><a href='#{sid}'>{_e(name)}</a></td>"
            f"<td>{e}</td><td>{w}</td></tr>"
        )
        marks = {}
        for f in by_report.get(rid, []):
            for c in f["cells"] or []:
                if c.get("report_id") != rid or not c.get("table"):
                    continue
                key = (c["table"], c["row"], c["col"])
                main = (c["row"], c["col"]) == (f["row"], f["col"]) or (
                    f["scope"] in ("years", "narrative") and c.get("role") in ("current", "table")
                )
                old = marks.get(key)
                kind = "fail-main" if main else "fail-part"
                sev = f["severity"] if not old or SEVERITY_RANK[f["severity"]] < SEVERITY_RANK[old[1]] else old[1]
                if old and old[0] == "fail-main":
                    kind = "fail-main"
                marks[key] = (kind, sev, (old[2] if old else []) + [f"{f['rule']}: {f['explanation_zh']}"])
        frows = []
        for f in sorted(by_report.get(rid, []), key=lambda f: (SEVERITY_RANK.get(f["severity"], 3), f["rule"] or "")):
            prev = (
                (f"<br><span class='muted'>上一年度 previous year: {_e(Path(str(f['prev_source_path'])).name)}</span>")
                if f.get("prev_report_id")
                else ""
            )
            frows.append(
                f"<tr class='failure {f['severity']}' data-rule='{_e(f['rule'])}' data-severity='{_e(f['severity'])}'>"
                f"<td class='sev'>{_e(f['severity'])}</td><td>{_e(_g(f['number']))} <code>{_e(f['rule'])}</code><br>"
                f"<span class='muted'>{_e(f['scope'])}</span></td><td>{_e('/'.join(str(x) for x in (f['table'], f['row'], f['col']) if x))}"
                f"</td><td>{_e(_g(f['expected']))}</td><td>{_e(_g(f['actual']))}</td><td>{_e(_g(f['difference']))}</td>"
                f"<td><div class='zh'>{_e(f['explanation_zh'])}</div><div class='en'>{_e(f['explanation_en'])}</div>"
                f"{prev}{_provenance(f['cells'])}</td></tr>"
            )
        ftable = (
            (
                "<table class='failures'><tr><th>级别 severity</th><th>规则 rule</th><th>单元格 cell</th>"
                "<th>应为 expected</th><th>实际 actual</th><th>差 difference</th><th>说明 explanation</th></tr>"
                + "".join(frows)
                + "</table>"
            )
            if frows
            else "<p class='muted'>全部规则通过 · every rule holds.</p>"
        )
        tables = []
        for kind, spec in schema.tables.items():
            tpl = tpl_by.get(rid, {}).get(kind)
            if tpl not in ("2019", "2021"):
                continue
            tables.append(
                f"<h3>{_e(spec.title)} <span class='muted'>({kind}, {tpl} 模板 template)</span></h3>"
                + _table_html(spec, tpl, cells_by.get(rid, {}).get(kind, {}), marks)
            )
        status = f"<p class='muted'>status {_e(r['status'])}: {_e(r['error'])}</p>" if r["status"] == "failed" else ""
        sections.append(
            f"<section class='report' id='{sid}' data-report='{_e(rid)}' data-agency='{_e(agency)}' "
            f"data-year='{year}'><h2>{_e(agency) or '（机关不明）'} {year} <span class='muted'>{_e(name)} · "
            f"{_e(r['format'])}</span> {badge}</h2>{status}{ftable}{''.join(tables)}</section>"
        )
    listing.append("</table>")
    links = [
        "<h2>跨年度关联 Cross-year links (same agency, consecutive years)</h2>"
        "<p class='muted'>名称比较方法 how the names were linked: same-name, folded (人民政府→政府 …), contains, "
        "fuzzy (score).</p><table id='links' class='failures'><tr><th>机关 group</th><th>上一年度 previous</th>"
        "<th>本年度 this year</th><th>方法 method</th><th>核对 checked</th><th>相符 held</th><th>不符 failed</th></tr>"
    ]
    for l in a.links.to_dict("records"):
        links.append(
            f"<tr><td>{_e(l['agency_group'])}</td><td>{_e(l['prev_agency'])} {l['prev_year']} · "
            f"{_e(Path(str(l['prev_source_path'])).name)}</td><td>{_e(l['agency'])} {l['year']} · "
            f"{_e(Path(str(l['source_path'])).name)}</td><td>{_e(l['method'])} {_g(l['score'])}</td>"
            f"<td>{l['checked']}</td><td>{l['held']}</td><td>{l['failed']}</td></tr>"
        )
    links.append("</table>")
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>xxgk audit</title>"
        f"<style>{CSS}</style></head><body>{head}{filters}{''.join(listing)}{''.join(links)}"
        f"{''.join(sections)}<script>{JS}</script></body></html>"
    )


def _isna(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(x != x)
    except TypeError:
        return False
