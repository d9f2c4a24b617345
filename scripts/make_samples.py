"""Write the sample reports in ``samples/``: small .docx reports with invented, known figures.

    python scripts/make_samples.py [--out DIR] [--template PATH]

Four reports cover both templates (see ``samples/README.md``); ``samples/expected.json`` holds the
figures as printed, keyed like the corpus ground truth (``truth/<id>.json``), so tests and
notebooks can check what the pipeline reads. Output is deterministic: fixed document dates and
fixed zip timestamps make two runs byte-identical on the same python-docx.

The 2021 reports fill in the official blank template (国办公开办函〔2021〕30号), found at
``--template``, ``$XXGK_TEMPLATE_2021`` or the shared reference copy. The 2019-template reports are
built from scratch with merged cells laid out like the official 2019 format.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import os
import shutil
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "samples"
SHARED_TEMPLATE_2021 = Path("/work/shared/reference/official/template-2021.docx")
ZIP_DATE = (2022, 1, 1, 0, 0, 0)  # every zip member gets this timestamp, so reruns are byte-identical

# ---- canonical keys (see reference/keys.md) -------------------------------------------------

APPLICANTS = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org"]
REQ_COLS = [*APPLICANTS, "total"]
OUTCOMES_COMMON = [
    "granted",
    "partial",
    "denied.state_secret",
    "denied.law_prohibited",
    "denied.security_stability",
    "denied.third_party",
    "denied.internal_affairs",
    "denied.process_info",
    "denied.enforcement_files",
    "denied.query_matters",
    "unavailable.not_held",
    "unavailable.needs_creation",
    "unavailable.unclear",
    "not_processed.petition",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.reissue",
]
OUTCOMES = {
    "2019": [*OUTCOMES_COMMON, "other"],
    "2021": [*OUTCOMES_COMMON, "other.no_correction", "other.unpaid_fee", "other.other"],
}
APPEAL_GROUPS = ["review", "suit_direct", "suit_after_review"]
APPEAL_PARTS = ["upheld", "corrected", "other", "pending"]
APPEAL_COLS = [f"{g}.{p}" for g in APPEAL_GROUPS for p in [*APPEAL_PARTS, "total"]]

# Printed labels of the requests table, in template order: (group label or None, leaf label, key).
REQUEST_LEAVES = [
    ("（三）不予公开", "1.属于国家秘密", "denied.state_secret"),
    ("（三）不予公开", "2.其他法律行政法规禁止公开", "denied.law_prohibited"),
    ("（三）不予公开", "3.危及“三安全一稳定”", "denied.security_stability"),
    ("（三）不予公开", "4.保护第三方合法权益", "denied.third_party"),
    ("（三）不予公开", "5.属于三类内部事务信息", "denied.internal_affairs"),
    ("（三）不予公开", "6.属于四类过程性信息", "denied.process_info"),
    ("（三）不予公开", "7.属于行政执法案卷", "denied.enforcement_files"),
    ("（三）不予公开", "8.属于行政查询事项", "denied.query_matters"),
    ("（四）无法提供", "1.本机关不掌握相关政府信息", "unavailable.not_held"),
    ("（四）无法提供", "2.没有现成信息需要另行制作", "unavailable.needs_creation"),
    ("（四）无法提供", "3.补正后申请内容仍不明确", "unavailable.unclear"),
    ("（五）不予处理", "1.信访举报投诉类申请", "not_processed.petition"),
    ("（五）不予处理", "2.重复申请", "not_processed.duplicate"),
    ("（五）不予处理", "3.要求提供公开出版物", "not_processed.publication"),
    ("（五）不予处理", "4.无正当理由大量反复申请", "not_processed.excessive"),
    ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "not_processed.reissue"),
]
OTHER_2021 = [
    ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other.no_correction"),
    ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other.unpaid_fee"),
    ("（六）其他处理", "3.其他", "other.other"),
]
REQUEST_LABELS = {  # leaf label as printed -> row key (both templates)
    "一、本年新收政府信息公开申请数量": "new",
    "二、上年结转政府信息公开申请数量": "carried_over",
    "（一）予以公开": "granted",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "partial",
    **{leaf: key for _, leaf, key in REQUEST_LEAVES + OTHER_2021},
    "（六）其他处理": "other",
    "（七）总计": "handled_total",
    "四、结转下年度继续办理": "carried_forward",
}
PROACTIVE_2021_LABELS = {
    "规章": "rules",
    "行政规范性文件": "normative_docs",
    "行政许可": "licensing",
    "行政处罚": "punishment",
    "行政强制": "coercion",
    "行政事业性收费": "fees",
}
PROACTIVE_2021_COLS = {
    "rules": ["issued", "repealed", "in_force"],
    "normative_docs": ["issued", "repealed", "in_force"],
    "licensing": ["decisions"],
    "punishment": ["decisions"],
    "coercion": ["decisions"],
    "fees": ["amount"],
}

# ---- the invented figures -------------------------------------------------------------------
# Requests rows give the six applicant columns; None is a cell left blank (read as 0 in the sums,
# recorded as null). new, handled_total and the 总计 column are derived so that every column
# reconciles: new + carried_over = handled_total + carried_forward.

_ = None
HUAIAN_2021 = {
    "agency": "淮安市人民政府",
    "year": 2021,
    "template": "2021",
    "proactive": {
        "rules": (2, 1, 35),
        "normative_docs": (14, 6, 126),
        "licensing": 18436,
        "punishment": 2371,
        "coercion": 57,
        "fees_wanyuan": "1523.46",
    },
    "requests": {
        "carried_over": (8, 2, 0, 0, 1, 0),
        "granted": (96, 12, 1, 2, 3, 4),
        "partial": (21, 3, 0, 0, 1, 0),
        "denied.state_secret": (2, _, _, _, _, _),
        "denied.law_prohibited": (1, _, _, _, _, _),
        "denied.security_stability": (0, _, _, _, _, _),
        "denied.third_party": (5, 1, 0, 0, 0, 0),
        "denied.internal_affairs": (3, _, _, _, _, _),
        "denied.process_info": (6, 1, 0, 0, 0, 1),
        "denied.enforcement_files": (2, _, _, _, _, _),
        "denied.query_matters": (4, _, _, _, _, _),
        "unavailable.not_held": (58, 7, 0, 1, 2, 3),
        "unavailable.needs_creation": (9, 2, 0, 0, 0, 0),
        "unavailable.unclear": (7, _, _, _, _, _),
        "not_processed.petition": (11, _, _, _, _, _),
        "not_processed.duplicate": (6, 1, 0, 0, 0, 0),
        "not_processed.publication": (1, _, _, _, _, _),
        "not_processed.excessive": (0, _, _, _, _, _),
        "not_processed.reissue": (2, _, _, _, _, _),
        "other.no_correction": (5, 1, 0, 0, 0, 0),
        "other.unpaid_fee": (_, _, _, _, _, _),
        "other.other": (3, _, _, _, _, _),
        "carried_forward": (10, 1, 0, 0, 0, 1),
    },
    "appeals": {"review": (6, 1, 2, 1), "suit_direct": (4, 0, 1, 2), "suit_after_review": (2, 0, 0, 1)},
    "processing_fee_yuan": None,
}

HUAIAN_2022 = {  # carried_over and in_force follow from HUAIAN_2021 (filled in by _chain_years)
    "agency": "淮安市人民政府",
    "year": 2022,
    "template": "2021",
    "proactive": {
        "rules": (1, 0),
        "normative_docs": (11, 4),
        "licensing": 19872,
        "punishment": 2105,
        "coercion": 49,
        "fees_wanyuan": "1387.52",
    },
    "requests": {
        "granted": (104, 15, 0, 1, 2, 5),
        "partial": (18, 2, 1, 0, 0, 0),
        "denied.state_secret": (1, 0, 0, 0, 0, 0),
        "denied.law_prohibited": (0, 0, 0, 0, 0, 0),
        "denied.security_stability": (1, 0, 0, 0, 0, 0),
        "denied.third_party": (4, 2, 0, 0, 0, 0),
        "denied.internal_affairs": (2, 0, 0, 0, 0, 0),
        "denied.process_info": (5, 0, 0, 0, 1, 0),
        "denied.enforcement_files": (3, 0, 0, 0, 0, 0),
        "denied.query_matters": (6, 1, 0, 0, 0, 0),
        "unavailable.not_held": (49, 6, 0, 0, 1, 2),
        "unavailable.needs_creation": (7, 1, 0, 0, 0, 0),
        "unavailable.unclear": (4, 0, 0, 0, 0, 0),
        "not_processed.petition": (9, 0, 0, 0, 0, 0),
        "not_processed.duplicate": (8, 0, 0, 0, 0, 0),
        "not_processed.publication": (0, 0, 0, 0, 0, 0),
        "not_processed.excessive": (1, 0, 0, 0, 0, 0),
        "not_processed.reissue": (1, 0, 0, 0, 0, 0),
        "other.no_correction": (6, 0, 0, 0, 0, 1),
        "other.unpaid_fee": (1, 0, 0, 0, 0, 0),
        "other.other": (2, 0, 0, 0, 0, 0),
        "carried_forward": (7, 0, 0, 0, 1, 0),
    },
    "appeals": {"review": (5, 2, 1, 0), "suit_direct": (3, 1, 0, 1), "suit_after_review": (1, 0, 1, 0)},
    "processing_fee_yuan": 300,  # reported in 六 in 元: never part of fees.amount
}

DISTRICT_2020 = {
    "agency": "示例区人民政府",
    "year": 2020,
    "template": "2019",
    "proactive": {  # 2019 template: signed 本年增/减 kept as printed
        "rules": ("0", "0", "0"),
        "normative_docs": ("9", "9", "87"),
        "licensing": ("312", "+12", "15846"),
        "other_services": ("45", "-3", "2210"),
        "punishment": ("1187", "+25", "963"),
        "coercion": ("64", "0", "41"),
        "fees": ("17", "-2"),
        "procurement": ("38", "386200元"),
    },
    "requests": {
        "carried_over": (3, 0, 0, 0, 0, 0),
        "granted": (41, 5, 0, 0, 1, 2),
        "partial": (9, 1, 0, 0, 0, 0),
        "denied.state_secret": (0, _, _, _, _, _),
        "denied.law_prohibited": (0, _, _, _, _, _),
        "denied.security_stability": (1, _, _, _, _, _),
        "denied.third_party": (2, 0, 0, 0, 0, 0),
        "denied.internal_affairs": (1, _, _, _, _, _),
        "denied.process_info": (3, 1, _, _, _, _),
        "denied.enforcement_files": (1, _, _, _, _, _),
        "denied.query_matters": (2, _, _, _, _, _),
        "unavailable.not_held": (27, 3, 0, 0, 0, 1),
        "unavailable.needs_creation": (4, _, _, _, _, _),
        "unavailable.unclear": (3, _, _, _, _, _),
        "not_processed.petition": (6, _, _, _, _, _),
        "not_processed.duplicate": (2, _, _, _, _, _),
        "not_processed.publication": (0, _, _, _, _, _),
        "not_processed.excessive": (0, _, _, _, _, _),
        "not_processed.reissue": (1, _, _, _, _, _),
        "other": (2, 0, 0, 0, 0, 0),
        "carried_forward": (4, 1, 0, 0, 0, 0),
    },
    "appeals": {"review": (3, 1, 0, 1), "suit_direct": (2, 0, 0, 1), "suit_after_review": (0, 0, 0, 0)},
    "processing_fee_yuan": None,
}
BROKEN_CELL = ("handled_total", "natural_person", 2)  # the broken sample prints this cell 2 too high


# ---- figures -> printed cell texts and expected values ----------------------------------------


def _n(v: int | None) -> str:
    return "" if v is None else str(v)


def _sum(vals) -> int:
    return sum(v for v in vals if v is not None)


def request_figures(spec: dict, template: str) -> dict[str, dict[str, int | None]]:
    """All request rows as {row: {col: int|None}}, with new, handled_total and 总计 derived."""
    rows = spec["requests"]
    out: dict[str, dict[str, int | None]] = {}
    for key in ["carried_over"] + OUTCOMES[template] + ["carried_forward"]:
        out[key] = dict(zip(APPLICANTS, rows[key], strict=False))
    out["handled_total"] = {c: _sum(out[k][c] for k in OUTCOMES[template]) for c in APPLICANTS}
    out["new"] = {
        c: out["handled_total"][c] + (out["carried_forward"][c] or 0) - (out["carried_over"][c] or 0)
        for c in APPLICANTS
    }
    for key, vals in out.items():
        if any(v < 0 for v in vals.values() if v is not None):
            raise ValueError(f"negative figure in requests row {key}: {vals}")
        vals["total"] = None if all(v is None for v in vals.values()) else _sum(vals.values())
    order = ["new", "carried_over"] + OUTCOMES[template] + ["handled_total", "carried_forward"]
    return {k: out[k] for k in order}


def appeal_figures(spec: dict) -> dict[str, int]:
    """The 15 appeal values, each group's 总计 the sum of its four parts."""
    out = {}
    for g in APPEAL_GROUPS:
        parts = spec["appeals"][g]
        out.update({f"{g}.{p}": v for p, v in zip(APPEAL_PARTS, parts, strict=False)})
        out[f"{g}.total"] = sum(parts)
    return out


def proactive_2021_figures(spec: dict) -> tuple[dict, dict]:
    """(printed texts, expected values) for the 2021 proactive table; fees 万元 -> yuan."""
    p = spec["proactive"]
    texts, values = {}, {}
    for row in ("rules", "normative_docs"):
        texts[row] = dict(zip(["issued", "repealed", "in_force"], map(str, p[row]), strict=False))
        values[row] = dict(zip(["issued", "repealed", "in_force"], p[row], strict=False))
    for row in ("licensing", "punishment", "coercion"):
        texts[row], values[row] = {"decisions": str(p[row])}, {"decisions": p[row]}
    texts["fees"] = {"amount": p["fees_wanyuan"]}
    values["fees"] = {"amount": _number(Decimal(p["fees_wanyuan"]) * 10000)}
    return texts, values


def proactive_2019_figures(spec: dict) -> tuple[dict, dict]:
    """(printed texts, expected values) for the 2019 proactive table: '+12' -> 12, '386200元' -> 386200."""
    cols = {
        "rules": ["made", "published", "total_published"],
        "normative_docs": ["made", "published", "total_published"],
        **{r: ["prev_items", "change", "decisions"] for r in ("licensing", "other_services", "punishment", "coercion")},
        "fees": ["prev_items", "change"],
        "procurement": ["items", "amount"],
    }
    texts, values = {}, {}
    for row, names in cols.items():
        texts[row] = dict(zip(names, spec["proactive"][row], strict=False))
        values[row] = {c: _number(Decimal(t.removeprefix("+").removesuffix("元"))) for c, t in texts[row].items()}
    return texts, values


def _number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def _chain_years(prev: dict, spec: dict) -> dict:
    """Next year's spec: carried_over = last year's carried_forward, in_force carried on."""
    spec = copy.deepcopy(spec)
    spec["requests"]["carried_over"] = prev["requests"]["carried_forward"]
    for row in ("rules", "normative_docs"):
        issued, repealed = spec["proactive"][row]
        spec["proactive"][row] = (issued, repealed, prev["proactive"][row][2] + issued - repealed)
    return spec


# ---- report text ---------------------------------------------------------------------------


def title_of(spec: dict) -> str:
    return f"{spec['agency']}{spec['year']}年政府信息公开工作年度报告"


def preface(spec: dict) -> str:
    y, a = spec["year"], spec["agency"]
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室"
        f"有关要求编制。本报告所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。本报告电子版可在{a}门户网站"
        f"查阅或下载。如对本报告有疑问，请与{a}办公室联系。"
    )


def overview(spec: dict, req: dict, app: dict) -> str:
    """一、总体情况: the headline figures in words (a reader's cross-check of the tables)."""
    t = {k: req[k]["total"] for k in ("new", "carried_over", "handled_total", "carried_forward")}
    suits = app["suit_direct.total"] + app["suit_after_review.total"]
    return (
        f"{spec['year']}年，{spec['agency']}认真贯彻落实《条例》，持续推进政府信息公开工作。"
        f"全年共受理政府信息公开申请{t['new']}件，上年结转{t['carried_over']}件，"
        f"办结{t['handled_total']}件，结转下年度继续办理{t['carried_forward']}件。"
        f"因政府信息公开工作被申请行政复议{app['review.total']}件，被提起行政诉讼{suits}件。"
    )


def other_matters(spec: dict) -> str:
    fee = spec.get("processing_fee_yuan")
    if fee:
        return f"本年度依据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）收取信息处理费{fee}元。"
    return "本年度未收取信息处理费，无其他需要报告的事项。"


PROBLEMS = "政府信息公开工作仍存在主动公开深度不够、政策解读形式较单一等问题。下一步将加强业务培训，提升公开质量。"


# ---- 2021: fill the official template -------------------------------------------------------


def _set_paragraph_text(p, text: str) -> None:
    """Replace a paragraph's text, keeping the formatting of its first run."""
    runs = p.runs
    if runs:
        runs[0].text = text
        for r in runs[1:]:
            r._r.getparent().remove(r._r)
    else:
        p.add_run(text)


def _set_tc_text(tc, text: str) -> None:
    """Write text into a table cell element (its first paragraph; other paragraphs removed)."""
    ps = tc.findall(qn("w:p"))
    for extra in ps[1:]:
        tc.remove(extra)
    _set_paragraph_text(Paragraph(ps[0], None), text)


def _tc_text(tc) -> str:
    return "".join(t.text or "" for t in tc.iter(qn("w:t"))).strip()


def _fill_cells(tcs, texts: list[str]) -> None:
    """Write each non-empty text; an empty text leaves the template's blank cell as it is."""
    assert len(tcs) == len(texts), (len(tcs), len(texts))
    for tc, text in zip(tcs, texts, strict=False):
        if text:
            _set_tc_text(tc, text)


def build_2021(spec: dict, template: Path, out: Path) -> dict:
    """Fill the official 2021 template with spec's figures; return the expected values."""
    req = request_figures(spec, "2021")
    app = appeal_figures(spec)
    ptexts, pvalues = proactive_2021_figures(spec)
    shutil.copyfile(template, out)
    d = docx.Document(str(out))
    if len(d.tables) != 3:
        raise ValueError(f"{template}: expected the 3 tables of the 2021 template, found {len(d.tables)}")
    proactive, requests, appeals = d.tables

    filled = set()
    for tr in proactive._tbl.tr_lst:
        tcs = tr.tc_lst
        key = PROACTIVE_2021_LABELS.get(_tc_text(tcs[0]))
        if key:
            _fill_cells(tcs[1:], [ptexts[key][c] for c in PROACTIVE_2021_COLS[key]])
            filled.add(key)
    for tr in requests._tbl.tr_lst:
        tcs = tr.tc_lst
        if len(tcs) < 8:
            continue
        key = REQUEST_LABELS.get(_tc_text(tcs[-8]))
        if key:
            _fill_cells(tcs[-7:], [_n(req[key][c]) for c in REQ_COLS])
            filled.add(key)
    _fill_cells(appeals._tbl.tr_lst[-1].tc_lst, [_n(app[c]) for c in APPEAL_COLS])
    missing = (set(PROACTIVE_2021_LABELS.values()) | set(req)) - filled
    if missing:
        raise ValueError(f"{template}: rows not found in the template: {sorted(missing)}")

    title = next(p for p in d.paragraphs if p.text.strip() == "政府信息公开工作年度报告格式模板")
    body = [p for p in d.paragraphs if p.text.strip().startswith("（文字描述")]
    if len(body) != 3:
        raise ValueError(f"{template}: expected 3 （文字描述） placeholders, found {len(body)}")
    _set_paragraph_text(title, title_of(spec))
    for p, text in zip(body, [overview(spec, req, app), PROBLEMS, other_matters(spec)], strict=False):
        _set_paragraph_text(p, text)
    intro = copy.deepcopy(body[0]._p)  # the preface takes body-text formatting, not the title's
    for attr in [a for a in intro.attrib if a.endswith("}paraId") or a.endswith("}textId")]:
        del intro.attrib[attr]  # Word wants paragraph ids unique
    title._p.addnext(intro)
    _set_paragraph_text(Paragraph(intro, title._parent), preface(spec))

    _fix_properties(d, spec)
    d.save(str(out))
    _normalise_zip(out)
    return {"proactive": pvalues, "requests": req, "appeals": {"cases": app}}


# ---- 2019: build the table layout from scratch ----------------------------------------------


class _Grid:
    """A new table's cells looked up once: python-docx's ``table.cell`` rescans the whole table per call.

    Positions stay valid while merges don't overlap (a merge only removes cells inside its own range).
    """

    def __init__(self, d, n_rows: int, n_cols: int):
        self.table = d.add_table(rows=n_rows, cols=n_cols)
        self.table.style = "Table Grid"
        self.n_cols = n_cols
        self.cells = self.table._cells

    def cell(self, r: int, c: int):
        return self.cells[r * self.n_cols + c]

    def put(self, r: int, c: int, text: str) -> None:
        self.cell(r, c).text = text


def _merge(g: _Grid, r0: int, c0: int, r1: int, c1: int, text: str) -> None:
    cell = g.cell(r0, c0)
    if (r0, c0) != (r1, c1):
        cell = cell.merge(g.cell(r1, c1))
    cell.text = text


def _proactive_2019_table(d, texts: dict) -> None:
    """Five stacked blocks on a 5-column grid, 3-value blocks widen the middle value (colspan 2)."""
    blocks = [
        (
            "第二十条第（一）项",
            ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
            [("规章", "rules"), ("规范性文件", "normative_docs")],
        ),
        (
            "第二十条第（五）项",
            ["上一年项目数量", "本年增/减", "处理决定数量"],
            [("行政许可", "licensing"), ("其他对外管理服务事项", "other_services")],
        ),
        (
            "第二十条第（六）项",
            ["上一年项目数量", "本年增/减", "处理决定数量"],
            [("行政处罚", "punishment"), ("行政强制", "coercion")],
        ),
        ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("行政事业性收费", "fees")]),
        ("第二十条第（九）项", ["采购项目数量", "采购总金额"], [("政府集中采购", "procurement")]),
    ]
    t = _Grid(d, sum(2 + len(rows) for _, _, rows in blocks), 5)
    r = 0
    for caption, headers, rows in blocks:
        _merge(t, r, 0, r, 4, caption)
        spans = [(1, 1), (2, 3), (4, 4)] if len(headers) == 3 else [(1, 2), (3, 4)]
        for line, (label, cells) in enumerate(
            [("信息内容", headers)] + [(lab, list(texts[key].values())) for lab, key in rows]
        ):
            _merge(t, r + 1 + line, 0, r + 1 + line, 0, label)
            for (c0, c1), text in zip(spans, cells, strict=False):
                _merge(t, r + 1 + line, c0, r + 1 + line, c1, text)
        r += 2 + len(rows)


def _requests_2019_table(d, req: dict) -> None:
    """Three header rows over 10 grid columns, then 23 data rows with merged group labels."""
    t = _Grid(d, 3 + len(req), 10)
    _merge(t, 0, 0, 2, 2, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    _merge(t, 0, 3, 0, 9, "申请人情况")
    _merge(t, 1, 3, 2, 3, "自然人")
    _merge(t, 1, 4, 1, 8, "法人或其他组织")
    _merge(t, 1, 9, 2, 9, "总计")
    for c, label in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"], start=4):
        _merge(t, 2, c, 2, c, label)
    first = 3
    rows = {key: first + i for i, key in enumerate(req)}
    labels = {v: k for k, v in REQUEST_LABELS.items()}
    for key in ("new", "carried_over", "carried_forward"):
        _merge(t, rows[key], 0, rows[key], 2, labels[key])
    _merge(t, rows["granted"], 0, rows["handled_total"], 0, "三、本年度办理结果")
    for key in ("granted", "partial", "other", "handled_total"):
        _merge(t, rows[key], 1, rows[key], 2, labels[key])
    for group in ("（三）不予公开", "（四）无法提供", "（五）不予处理"):
        keys = [key for g, _, key in REQUEST_LEAVES if g == group]
        _merge(t, rows[keys[0]], 1, rows[keys[-1]], 1, group)
        for key in keys:
            _merge(t, rows[key], 2, rows[key], 2, labels[key])
    for key, r in rows.items():
        for c, col in enumerate(REQ_COLS, start=3):
            t.put(r, c, _n(req[key][col]))


def _appeals_table(d, app: dict) -> None:
    t = _Grid(d, 4, 15)
    _merge(t, 0, 0, 0, 4, "行政复议")
    _merge(t, 0, 5, 0, 14, "行政诉讼")
    parts = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    for c, label in enumerate(parts):
        _merge(t, 1, c, 2, c, label)
    _merge(t, 1, 5, 1, 9, "未经复议直接起诉")
    _merge(t, 1, 10, 1, 14, "复议后起诉")
    for c, label in enumerate(parts * 2, start=5):
        t.put(2, c, label)
    for c, col in enumerate(APPEAL_COLS):
        t.put(3, c, _n(app[col]))


def build_2019(spec: dict, out: Path, broken: tuple[str, str, int] | None = None) -> dict:
    """A 2019-template report built with python-docx; ``broken`` adds a delta to one printed cell."""
    req = request_figures(spec, "2019")
    app = appeal_figures(spec)
    ptexts, pvalues = proactive_2019_figures(spec)
    if broken:
        row, col, delta = broken
        req = copy.deepcopy(req)
        req[row][col] += delta
    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    d.add_paragraph(title_of(spec)).alignment = 1
    d.add_paragraph(preface(spec))
    d.add_paragraph("一、总体情况")
    d.add_paragraph(overview(spec, req, app))
    d.add_paragraph("二、主动公开政府信息情况")
    _proactive_2019_table(d, ptexts)
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    _requests_2019_table(d, req)
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _appeals_table(d, app)
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph(PROBLEMS)
    d.add_paragraph("六、其他需要报告的事项")
    d.add_paragraph(other_matters(spec))
    _fix_properties(d, spec)
    d.save(str(out))
    _normalise_zip(out)
    return {"proactive": pvalues, "requests": req, "appeals": {"cases": app}}


# ---- determinism ---------------------------------------------------------------------------


def _fix_properties(d, spec: dict) -> None:
    """Fixed core properties: no run-time dates or user names in the file."""
    when = dt.datetime(spec["year"] + 1, 1, 20, 9, 0, 0)
    cp = d.core_properties
    cp.author = cp.last_modified_by = "xxgk samples"
    cp.title = title_of(spec)
    cp.created = cp.modified = cp.last_printed = when
    cp.revision = 1


def _normalise_zip(path: Path) -> None:
    """Rewrite the .docx zip with fixed member timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


# ---- main ----------------------------------------------------------------------------------


def _record(sample_id: str, spec: dict, values: dict, notes: str) -> dict:
    """One expected.json entry, keyed like the corpus truth files."""
    return {
        "id": sample_id,
        "agency": spec["agency"],
        "year": spec["year"],
        "template": spec["template"],
        "source": {"synthetic": True, "file": f"{sample_id}.docx"},
        "complete": True,
        "values": values,
        "notes": notes,
    }


README = """\
# Sample reports

Small .docx reports with invented figures, made by `python scripts/make_samples.py` (do not edit by hand).
`expected.json` holds every figure as printed, keyed like the corpus ground truth (`{{id: {{id, agency, year,
template, values: {{table: {{row: {{col: number|null}}}}}}}}}}`); blank cells are null, fees in yuan.

- `huaian-2021.docx`: the official 2021 template filled in ({huaian21}); some rows give only 自然人 and 总计,
  blanks are null; fees {fee21} 万元.
- `huaian-2022.docx`: the same agency a year on; 上年结转 equals 2021's 结转下年度 per column and 现行有效件数
  follows from 2021's plus 制发 minus 废止; 六 reports a 信息处理费 in 元 that is not part of the fees.
- `example-district-2020.docx`: a 2019-template report built from scratch with merged cells; signed 本年增/减
  (`+12`, `-3`), 采购总金额 `{amount}`, the single （六）其他处理 row.
- `example-district-2020-broken.docx`: the same report with （七）总计 for 自然人 printed {delta} too high, so the
  自然人 column does not reconcile (and the （七）总计 row's 总计 no longer equals the sum of the six applicant
  columns); everything else reconciles.
"""


def make_samples(out_dir: Path, template: Path) -> list[Path]:
    """Write the four sample reports, expected.json and README.md into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec22 = _chain_years(HUAIAN_2021, HUAIAN_2022)
    records = []
    written = []
    for sample_id, spec in (("huaian-2021", HUAIAN_2021), ("huaian-2022", spec22)):
        path = out_dir / f"{sample_id}.docx"
        values = build_2021(spec, template, path)
        records.append(
            _record(
                sample_id,
                spec,
                values,
                "Invented figures; every requests column and the appeals totals reconcile; blank cells are null.",
            )
        )
        written.append(path)
    for sample_id, broken in (("example-district-2020", None), ("example-district-2020-broken", BROKEN_CELL)):
        path = out_dir / f"{sample_id}.docx"
        values = build_2019(DISTRICT_2020, path, broken)
        note = (
            "Invented figures; every requests column and the appeals totals reconcile."
            if not broken
            else f"Invented figures; requests {broken[0]}.{broken[1]} printed {broken[2]:+d} off the sum of its "
            "outcome rows, so that column (and that row's 总计) does not reconcile. Values are as printed."
        )
        records.append(_record(sample_id, DISTRICT_2020, values, note))
        written.append(path)
    expected = {r["id"]: r for r in records}
    (out_dir / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(
        README.format(
            huaian21="淮安市人民政府",
            fee21=HUAIAN_2021["proactive"]["fees_wanyuan"],
            amount=DISTRICT_2020["proactive"]["procurement"][1],
            delta=BROKEN_CELL[2],
        ),
        encoding="utf-8",
    )
    return written


def _default_template() -> Path:
    env = os.environ.get("XXGK_TEMPLATE_2021")
    return Path(env) if env else SHARED_TEMPLATE_2021


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into (default: samples/)")
    ap.add_argument(
        "--template",
        type=Path,
        default=None,
        help="the official 2021 blank template .docx (default: $XXGK_TEMPLATE_2021 or the shared copy)",
    )
    args = ap.parse_args(argv)
    template = args.template or _default_template()
    if not template.is_file():
        print(f"error: 2021 template not found: {template} (use --template)", file=sys.stderr)
        return 2
    for p in make_samples(args.out, template):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
