"""Matching rows and columns to canonical keys, on real corpus documents and on hand-made edge cases."""

import docx
import pytest
from conftest import CORPUS, blanked, truth_cells
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.labels import score as label_score
from pipeline.locate import locate
from pipeline.match import column_scores, match_tables, row_candidates
from pipeline.run import process_file
from pipeline.schema import load_schema


def _values(path):
    r = process_file(path)
    return {(c["table"], c["row"], c["col"]): c["value"] for c in r.cells}, r


@pytest.mark.parametrize(
    "name,report_id",
    [
        ("2020-fujian-pingtan-zone__docx_messy.docx", "2020-fujian-pingtan-zone"),  # proactive in five pieces, 合计
        ("2021-fujian-pingtan-zone__docx_official.docx", "2021-fujian-pingtan-zone"),  # official template filled in
        (
            "2019-beijing-tongzhou-xinhua-street__docx_messy.docx",
            "2019-beijing-tongzhou-xinhua-street",
        ),  # 本年新·本年新
    ],
)
def test_real_reports_match_their_truth(name, report_id):
    got, _r = _values(CORPUS / "docx" / name)
    truth = truth_cells(report_id)
    blank = blanked(name.rsplit(".", 1)[0])
    for k, v in truth.items():
        if v is not None and k not in blank:
            assert got.get(k) == pytest.approx(v), k


def test_template_is_decided_by_labels_and_split_tables_are_stitched():
    doc = extract(CORPUS / "docx" / "2020-fujian-pingtan-zone__docx_messy.docx")
    located, _issues = locate(doc, load_schema())
    assert [t.index for t in located["proactive"].pieces] == [0, 1, 2, 3, 4]
    matched = match_tables(located, load_schema().tables, year=2021)  # year says 2021 …
    assert matched["proactive"].template == "2019"  # … the labels say 2019
    assert matched["requests"].template == "2019"
    assert "other" in matched["requests"].rows_matched


def test_truncated_headers_fall_back_to_position_and_say_so():
    _, r = _values(CORPUS / "docx" / "2019-beijing-tongzhou-xinhua-street__docx_messy.docx")
    pos = [i for i in r.issues if i["code"] == "matched-by-position"]
    assert {i["row"] for i in pos} == {"rules", "normative_docs"}


def _requests_docx(tmp_path, rows, header=True):
    d = docx.Document()
    d.add_paragraph("测试局2021年政府信息公开工作年度报告")
    cols = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    t = d.add_table(rows=(1 if header else 0) + len(rows), cols=3 + max(len(r[3]) for r in rows))
    r0 = 0
    if header:
        for j, c in enumerate(["", "", "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", *cols]):
            t.cell(0, j).text = c
        r0 = 1
    for i, (a, b, c, vals) in enumerate(rows):
        for j, text in enumerate([a, b, c, *list(vals)]):
            t.cell(r0 + i, j).text = text
    p = tmp_path / "t.docx"
    d.save(p)
    return p


def test_group_context_decides_other_rows(tmp_path):
    seven = [str(i) for i in range(1, 8)]
    rows = [
        ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密", seven),
        ("三、本年度办理结果", "（六）其他处理", "3.其他", seven),
        ("三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开", seven),
        ("", "", "一、本年新收政府信息公开申请数量", seven),
    ]
    got, _r = _values(_requests_docx(tmp_path, rows))
    assert got[("requests", "other.other", "natural_person")] == 1
    assert got[("requests", "denied.law_prohibited", "total")] == 7
    assert got[("requests", "new", "other_org")] == 6
    assert ("requests", "other", "natural_person") not in got


def test_unmatched_rows_keep_their_values_in_issues(tmp_path):
    rows = [
        ("", "", "一、本年新收政府信息公开申请数量", ["1"] * 7),
        ("", "", "某某不相干的统计项目", ["5", "", "", "", "", "", "5"]),
    ]
    _got, r = _values(_requests_docx(tmp_path, rows))
    unmatched = [i for i in r.issues if i["code"] == "unmatched-row"]
    assert sorted(i["raw"] for i in unmatched) == ["5", "5"]
    assert all(i["table_index"] == 0 and i["row_index"] == 2 for i in unmatched)


def test_values_that_cannot_be_placed_are_reported_not_guessed(tmp_path):
    # two values where seven columns are expected and no header to say which: variant 24 of templates.md
    rows = [("", "", "一、本年新收政府信息公开申请数量", ["3", "3"]), ("", "", "（一）予以公开", ["3", "3"])]
    got, r = _values(_requests_docx(tmp_path, rows, header=False))
    assert not any(k[1] == "new" for k in got)
    assert sorted(i["raw"] for i in r.issues if i["code"] == "unmatched-column") == ["3"] * 4


def test_traditional_characters_and_inline_notes(tmp_path):
    d = docx.Document()
    d.add_paragraph("某某局2020年政府信息公开工作年度报告")
    t = d.add_table(rows=4, cols=4)
    for j, c in enumerate(["第二十條第(一)項"] * 4):
        t.cell(0, j).text = c
    for j, c in enumerate(["信息內容", "本年新 製作數量", "本年新公開數量", "對外公開總數量"]):
        t.cell(1, j).text = c
    for j, c in enumerate(["規章(設區的市、自治州人民政府應提供相關數據)", "1", "2", "3"]):
        t.cell(2, j).text = c
    for j, c in enumerate(["規範性檔案(行政機關制定發布的決定、公告、通告)", "4", "5", "/"]):
        t.cell(3, j).text = c
    p = tmp_path / "trad.docx"
    d.save(p)
    got, r = _values(p)
    assert got[("proactive", "rules", "made")] == 1 and got[("proactive", "rules", "total_published")] == 3
    assert got[("proactive", "normative_docs", "published")] == 5
    assert got[("proactive", "normative_docs", "total_published")] is None
    assert any(i["code"] == "null-token" and i["raw"] == "/" for i in r.issues)


ROW_VARIANTS = [  # (table, printed label, group context, key) — variants of ../shared/reference/templates.md
    ("proactive", "規章(設區的市、自治州人民政府應提供相關數據)", (), "rules"),  # 9
    (
        "proactive",
        "規範性檔案(行政機關制定發布的決定、公告、通告…一般情況下屬於規範性檔案)",
        (),
        "normative_docs",
    ),  # 10
    ("proactive", "規範性檔案", (), "normative_docs"),  # 11
    ("proactive", "其他對外管理服務事項(指行政許可證以外的政務服務事項,…)", (), "other_services"),  # 16
    ("proactive", "行 政 强 制", (), "coercion"),
    ("requests", "（二）部分公开（区分处理的，只计这一情\n形，不计其他情形）", (), "partial"),  # 36
    ("requests", "（四）无 1.本机关不掌握相关政府信息", (), "unavailable.not_held"),  # 35
    ("requests", "(一) 予以公开", (), "granted"),  # 43
    ("requests", "(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)", (), "partial"),  # 44
    ("requests", "1. 属于国家秘密", ("(三) 不予公开",), "denied.state_secret"),  # 45
    (
        "requests",
        "1. 申请人无正当理由逾期不补正, 行政机关不再处理其政府信息公开申请",
        ("(六) 其他",),
        "other.no_correction",
    ),  # 47
    ("requests", "3. 其他", ("（六）其他处理",), "other.other"),
    ("requests", "（六）其他处理", ("三、本年度办理结果",), "other"),
    ("requests", "2.其他法律行政法规禁止公开", ("（三）不予公开",), "denied.law_prohibited"),
    ("requests", "（七）合计", (), "handled_total"),
    ("requests", "四、结转下年度继续办理", (), "carried_forward"),
]
COLUMN_VARIANTS = [  # (table, header stack top to bottom, key)
    ("proactive", ("本年新<br />制作数量",), "made"),  # 1 (a <br /> left in by a converter)
    ("proactive", ("本年新\n公开数量",), "published"),  # 3
    ("proactive", ("本年新 製作數量",), "made"),  # 6
    ("proactive", ("對外公開總數量",), "total_published"),  # 8
    ("proactive", ("上一年項目數量(指2019年事項數)",), "prev_items"),  # 13
    ("proactive", ("本年增/減(指2020年增加或減少的事項數,減用負值表示,如-8)",), "change"),  # 14
    ("proactive", ("處理決定數量(指2020年辦件量)",), "decisions"),  # 15
    ("proactive", ("採購項目數量(指202",), "items"),  # 18, cut off
    ("requests", ("申请人情况", "法人或其他组织", "商业 企业"), "commercial"),  # 26
    ("requests", ("申请人情况", "法人或其他组织", "商 业 企\n业"), "commercial"),  # 28
    ("requests", ("申请人情况", "法人或其他组织", "科研机\n构"), "research"),  # 29
    ("requests", ("申请人情况", "法人或其他组织", "社会公益"), "nonprofit"),  # 42
    ("requests", ("申请人情况", "法人或其他组织", "法 律 服 务\n机构"), "legal_services"),  # 31
    ("requests", ("申请人情况", "法人或其他组织", "其他"), "other_org"),
    ("requests", ("申请人情况", "总计"), "total"),
    ("appeals", ("行政诉讼（未经复议直接起诉）", "结果维持"), "suit_direct.upheld"),  # 50
    ("appeals", ("行政诉讼（复议后起诉）", "总\n计"), "suit_after_review.total"),  # 51, 53
    ("appeals", ("行政复议", "尚未审结"), "review.pending"),
]


@pytest.mark.parametrize("table,label,context,key", ROW_VARIANTS)
def test_row_label_variants(schema, table, label, context, key):
    cands = row_candidates(schema.tables[table], label, tuple(context), None)
    assert cands[0][1] == key, cands[:3]
    rival = next((s for s, k in cands[1:] if k != key), 0)
    assert cands[0][0] - rival >= 3, cands[:3]  # a clear winner, not an ambiguity


@pytest.mark.parametrize("table,stack,key", COLUMN_VARIANTS)
def test_column_header_variants(schema, table, stack, key):
    scores = column_scores(schema.tables[table], tuple(stack))
    assert scores[0][1] == key, scores[:3]
    assert scores[0][0] >= 80


_SPEC = load_schema().tables["requests"]
_ROWS = [r for r in _SPEC.rows if r.label]
_WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@given(st.text(max_size=40), st.text(max_size=40))
def test_label_score_is_bounded_and_never_raises(a, b):
    s = label_score(a, b)
    assert 0 <= s <= 100


@settings(max_examples=150, deadline=None)
@given(
    row=st.sampled_from(_ROWS),
    spaces=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
    wide=st.booleans(),
    space_char=st.sampled_from([" ", "\u3000", "\n", "\t"]),
)
def test_a_row_label_with_spaces_breaks_or_width_changes_still_matches_its_key(row, spaces, wide, space_char):
    label = row.label.translate(_WIDE) if wide else row.label
    for i in sorted(spaces, reverse=True):
        i = min(i, len(label))
        label = label[:i] + space_char + label[i:]
    context = (row.group,) if row.group else ()
    cands = row_candidates(_SPEC, label, context, None)
    assert cands[0][1] == row.key, (label, cands[:3])
