"""The committed sample reports: reproducible from the script, and in agreement with expected.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SCRIPT = ROOT / "scripts" / "make_samples.py"
TEMPLATE = Path(os.environ.get("XXGK_TEMPLATE_2021", "/work/shared/reference/official/template-2021.docx"))
CORPUS_TRUTH = Path("/work/shared/corpus/truth")
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
DOCS = sorted(SAMPLES.glob("*.docx"))

PROACTIVE_LABELS = {
    "规章": "rules",
    "规范性文件": "normative_docs",
    "行政规范性文件": "normative_docs",
    "行政许可": "licensing",
    "其他对外管理服务事项": "other_services",
    "行政处罚": "punishment",
    "行政强制": "coercion",
    "行政事业性收费": "fees",
    "政府集中采购": "procurement",
}
REQUEST_LABELS = {
    "一、本年新收政府信息公开申请数量": "new",
    "二、上年结转政府信息公开申请数量": "carried_over",
    "（一）予以公开": "granted",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": "partial",
    "1.属于国家秘密": "denied.state_secret",
    "2.其他法律行政法规禁止公开": "denied.law_prohibited",
    "3.危及“三安全一稳定”": "denied.security_stability",
    "4.保护第三方合法权益": "denied.third_party",
    "5.属于三类内部事务信息": "denied.internal_affairs",
    "6.属于四类过程性信息": "denied.process_info",
    "7.属于行政执法案卷": "denied.enforcement_files",
    "8.属于行政查询事项": "denied.query_matters",
    "1.本机关不掌握相关政府信息": "unavailable.not_held",
    "2.没有现成信息需要另行制作": "unavailable.needs_creation",
    "3.补正后申请内容仍不明确": "unavailable.unclear",
    "1.信访举报投诉类申请": "not_processed.petition",
    "2.重复申请": "not_processed.duplicate",
    "3.要求提供公开出版物": "not_processed.publication",
    "4.无正当理由大量反复申请": "not_processed.excessive",
    "5.要求行政机关确认或重新出具已获取信息": "not_processed.reissue",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": "other.no_correction",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": "other.unpaid_fee",
    "3.其他": "other.other",
    "（六）其他处理": "other",
    "（七）总计": "handled_total",
    "四、结转下年度继续办理": "carried_forward",
}
APPLICANTS = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org"]
COLUMN_RULE_ROWS = ("new", "carried_over", "handled_total", "carried_forward")

needs_template = pytest.mark.skipif(not TEMPLATE.is_file(), reason=f"2021 template not found at {TEMPLATE}")


def _run_script(out: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--template", str(TEMPLATE)],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    if not TEMPLATE.is_file():
        pytest.skip(f"2021 template not found at {TEMPLATE}")
    out = tmp_path_factory.mktemp("samples")
    _run_script(out)
    return out


def _content(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    d = docx.Document(str(path))
    return ([p.text for p in d.paragraphs], [[[c.text for c in row.cells] for row in t.rows] for t in d.tables])


def _tc_texts(tr) -> list[str]:
    """The cells of one table row as stored (a merged cell once), each cell's text stripped."""
    return ["".join(t.text or "" for t in tc.iter(qn("w:t"))).strip() for tc in tr.tc_lst]


def _parse(text: str, wanyuan: bool = False) -> int | float | None:
    """A printed figure as expected.json records it: blank -> None, '+12' -> 12, '251000元' -> 251000."""
    if not text:
        return None
    d = Decimal(text.removeprefix("+").removesuffix("元"))
    if wanyuan and not text.endswith("元"):
        d *= 10000
    return int(d) if d == d.to_integral_value() else float(d)


def _read_values(path: Path) -> dict:
    """The three tables of a sample read back into {table: {row: [values left to right]}}."""
    proactive, requests, appeals = docx.Document(str(path)).tables
    out: dict = {"proactive": {}, "requests": {}, "appeals": {}}
    wanyuan = False  # the block's header row says （单位：万元）
    for tr in proactive._tbl.tr_lst:
        texts = _tc_texts(tr)
        if texts[0] == "信息内容":
            wanyuan = any("万元" in t for t in texts)
        key = PROACTIVE_LABELS.get(texts[0])
        if key:
            out["proactive"][key] = [_parse(t, wanyuan) for t in texts[1:]]
    for tr in requests._tbl.tr_lst:
        texts = _tc_texts(tr)
        if len(texts) >= 8 and texts[-8] in REQUEST_LABELS:
            out["requests"][REQUEST_LABELS[texts[-8]]] = [_parse(t) for t in texts[-7:]]
    out["appeals"]["cases"] = [_parse(t) for t in _tc_texts(appeals._tbl.tr_lst[-1])]
    return out


def test_samples_and_expected_list_the_same_reports():
    assert sorted(p.stem for p in DOCS) == sorted(EXPECTED)
    assert len(DOCS) == 4


@needs_template
def test_rerun_gives_the_same_documents(regenerated):
    for path in DOCS:
        assert _content(regenerated / path.name) == _content(path), path.name
    assert json.loads((regenerated / "expected.json").read_text(encoding="utf-8")) == EXPECTED


@needs_template
def test_rerun_is_byte_identical(regenerated, tmp_path):
    _run_script(tmp_path)
    for path in DOCS:
        assert (tmp_path / path.name).read_bytes() == (regenerated / path.name).read_bytes(), path.name


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_expected_values_are_the_printed_cells(path):
    expected = EXPECTED[path.stem]["values"]
    printed = _read_values(path)
    for table, rows in expected.items():
        assert set(printed[table]) == set(rows), (table, set(printed[table]) ^ set(rows))
        for row, cols in rows.items():
            assert printed[table][row] == list(cols.values()), (table, row)


def test_expected_is_keyed_like_the_truth_files():
    for sample_id, record in EXPECTED.items():
        assert {"id", "agency", "year", "template", "values"} <= set(record)
        assert record["id"] == sample_id
        req = record["values"]["requests"]
        assert len(req) * 7 == {"2019": 161, "2021": 175}[record["template"]]
        assert all(list(cols) == [*APPLICANTS, "total"] for cols in req.values())
        assert len(record["values"]["appeals"]["cases"]) == 15
    if not CORPUS_TRUTH.is_dir():
        return
    for template in ("2019", "2021"):  # same table/row/col keys as a complete corpus truth file
        truth = next(
            t
            for t in map(json.loads, (p.read_text() for p in sorted(CORPUS_TRUTH.glob("*.json"))))
            if t["template"] == template and t.get("complete")
        )
        mine = next(r for r in EXPECTED.values() if r["template"] == template)

        def keys(values):
            return {(t, r, c) for t, rows in values.items() for r, cols in rows.items() for c in cols}

        assert keys(mine["values"]) == keys(truth["values"]), template


def _column_breaks(req: dict) -> set[str]:
    """Request columns (blanks read as 0) whose sums do not hold."""
    outcome_rows = [r for r in req if r not in COLUMN_RULE_ROWS]
    bad = set()
    for col in [*APPLICANTS, "total"]:
        v = {r: req[r][col] or 0 for r in req}
        if v["new"] + v["carried_over"] != v["handled_total"] + v["carried_forward"]:
            bad.add(col)
        if v["handled_total"] != sum(v[r] for r in outcome_rows):
            bad.add(col)
    return bad


def test_figures_reconcile_except_the_broken_column():
    for sample_id, record in EXPECTED.items():
        values = record["values"]
        req = values["requests"]
        assert _column_breaks(req) == ({"natural_person"} if sample_id.endswith("-broken") else set()), sample_id
        rows_off = {r for r, cols in req.items() if (cols["total"] or 0) != sum(cols[c] or 0 for c in APPLICANTS)}
        assert rows_off == ({"handled_total"} if sample_id.endswith("-broken") else set()), sample_id
        cases = values["appeals"]["cases"]
        for group in ("review", "suit_direct", "suit_after_review"):
            parts = [cases[f"{group}.{p}"] for p in ("upheld", "corrected", "other", "pending")]
            assert cases[f"{group}.total"] == sum(parts)


def test_blank_cells_are_null_not_zero():
    req = EXPECTED["huaian-2021"]["values"]["requests"]
    assert req["denied.state_secret"]["commercial"] is None
    assert req["denied.state_secret"]["natural_person"] == 2
    assert any(v == 0 for cols in req.values() for v in cols.values())


def test_next_year_follows_from_the_last():
    y1, y2 = EXPECTED["huaian-2021"]["values"], EXPECTED["huaian-2022"]["values"]
    assert y2["requests"]["carried_over"] == y1["requests"]["carried_forward"]
    for row in ("rules", "normative_docs"):
        p1, p2 = y1["proactive"][row], y2["proactive"][row]
        assert p2["in_force"] == p1["in_force"] + p2["issued"] - p2["repealed"]


def test_pipeline_reads_the_samples_as_expected():
    """End to end: every figure of expected.json read right, blanks null, only the broken report flagged."""
    import math

    import pipeline

    batch = pipeline.ingest([SAMPLES])
    reports = batch.reports.set_index(batch.reports.source_path.map(lambda p: Path(p).stem))
    assert sorted(reports.index) == sorted(EXPECTED)
    for sample_id, record in EXPECTED.items():
        rep = reports.loc[sample_id]
        assert (rep.agency, rep.year, rep.template) == (record["agency"], record["year"], record["template"])
        mine = batch.cells[batch.cells.source_path.map(lambda p: Path(p).stem) == sample_id]
        got = {
            (t, r, c): (None if math.isnan(v) else v)
            for t, r, c, v in zip(mine.table, mine.row, mine.col, mine.value, strict=False)
        }
        want = {
            (t, r, c): v for t, rows in record["values"].items() for r, cols in rows.items() for c, v in cols.items()
        }
        assert {k: got.get(k) for k in want} == want, sample_id
        assert not {k for k, v in got.items() if v is not None} - set(want), sample_id
        issues = batch.issues[batch.issues.source_path.map(lambda p: Path(p).stem) == sample_id]
        # where the agency is (tests/test_places.py): 示例区 is invented, so its place is unknown, and says so
        place = issues[issues.code.isin(["place-unknown", "place-ambiguous"])]
        assert list(place.code) == (["place-unknown"] if pd.isna(rep.province) else []), sample_id
        issues = issues.drop(place.index)
        if sample_id.endswith("-broken"):
            assert rep.status != "ok" and len(issues) > 0
            assert set(issues.table) == {"requests"}
            rows, cols = issues.row.fillna(""), issues.col.fillna("")
            assert all(r == "handled_total" or c == "natural_person" for r, c in zip(rows, cols, strict=False))
        else:
            assert rep.status == "ok" and issues.empty, issues.message.tolist()
