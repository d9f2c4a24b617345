"""HTML extractor: real and corpus pages, spans, nested tables, encodings and mojibake."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.model import Format

CORPUS = Path("/work/shared/corpus")
REAL = CORPUS / "html" / "2019-shanghai-city-govoffice.html"
SYN = CORPUS / "html" / "syn2021b__html.html"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="development corpus not present")


def _web_gbk(error: UnicodeDecodeError):
    """Decode errors as a browser's GBK decoder does: 0x80 is the euro sign, other bad bytes are lost."""
    return ("\u20ac" if error.object[error.start] == 0x80 else "\ufffd", error.start + 1)


codecs.register_error("xxgk-test-web-gbk", _web_gbk)


def rows(table):
    """Cell texts by row, left to right."""
    out: dict[int, list[str]] = {}
    for c in sorted(table.cells, key=lambda c: (c.row, c.col)):
        out.setdefault(c.row, []).append(c.text)
    return [out.get(r, []) for r in range(table.n_rows)]


def cell_at(table, text):
    return next(c for c in table.cells if c.text == text)


def test_real_page_spans_and_text():
    doc = extract(REAL)
    assert doc.origin.format is Format.HTML
    assert len(doc.tables) == 3
    proactive, requests, appeals = doc.tables
    # <br> inside a cell is a line break; the 2-column block widens cells with colspan=2
    assert rows(proactive)[1] == ["信息内容", "本年新\n制作数量", "本年新\n公开数量", "对外公开总数量"]
    assert cell_at(proactive, "本年新\n公开数量").colspan == 2
    assert rows(proactive)[17] == ["政府集中采购", "6", "251000元"]
    note = cell_at(requests, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    assert (note.row, note.col, note.rowspan, note.colspan) == (0, 0, 3, 3)
    group = cell_at(requests, "三、本年度办理结果")
    assert (group.col, group.rowspan) == (0, 20)
    assert requests.n_rows == 26 and requests.n_cols == 10
    # merged cells are stored once
    assert sum(c.text == "三、本年度办理结果" for c in requests.cells) == 1
    # &nbsp;-only cells are empty and kept at their positions
    assert rows(requests)[3] == ["一、本年新收政府信息公开申请数量", "821", "35", "", "", "2", "1", "859"]
    grid = requests.grid()
    assert grid[25][9].text == "72" and grid[10][0].text == "三、本年度办理结果"
    assert rows(appeals)[3] == ["5", "", "", "2", "7", "8", "", "", "1", "9", "", "", "", "", ""]
    assert appeals.n_cols == 15
    assert doc.paragraphs == (
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    )
    assert any("JavaScript-escaped" in n for n in doc.notes)


def test_corpus_page_title_and_paragraphs_outside_tables():
    doc = extract(SYN)
    assert doc.title == "临江市自然资源和规划局2022年政府信息公开工作年度报告_临江市自然资源和规划局"
    paras = list(doc.paragraphs)
    order = [
        paras.index(p)
        for p in (
            "临江市自然资源和规划局2022年政府信息公开工作年度报告",
            "一、总体情况",
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
            "六、其他需要报告的事项",
        )
    ]
    assert order == sorted(order)
    assert not any("本年制发件数" in p or "予以公开" == p for p in paras)
    assert [len(t.cells) > 0 for t in doc.tables] == [True, True, True]
    assert rows(doc.tables[1])[6][0] == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert not doc.notes


def _cells(doc):
    return [[(c.text, c.row, c.col, c.rowspan, c.colspan) for c in t.cells] for t in doc.tables]


@pytest.mark.parametrize(
    "variant", ["gbk_declared", "gbk_undeclared", "gbk_declared_utf8", "utf8_declared_gbk", "gb18030_http_equiv"]
)
def test_encodings(tmp_path, variant):
    text = SYN.read_text(encoding="utf-8")
    ref = extract(SYN)
    if variant == "gbk_declared":
        data = text.replace('<meta charset="utf-8">', '<meta charset="gb2312">').encode("gbk")
    elif variant == "gbk_undeclared":
        data = text.replace('<meta charset="utf-8">', "").encode("gbk")
    elif variant == "gbk_declared_utf8":
        data = text.encode("gbk")  # the page still says utf-8
    elif variant == "utf8_declared_gbk":
        data = text.replace('<meta charset="utf-8">', '<meta charset="GBK">').encode("utf-8")
    else:
        data = text.replace(
            '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        ).encode("gb18030")
    f = tmp_path / "page.html"
    f.write_bytes(data)
    doc = extract(f)
    assert _cells(doc) == _cells(ref)
    assert doc.paragraphs == ref.paragraphs
    assert doc.title == ref.title
    if variant in ("gbk_declared_utf8", "utf8_declared_gbk"):
        assert any("declared encoding" in n for n in doc.notes)


def test_mojibake_page_is_repaired(tmp_path):
    # UTF-8 bytes read as GBK by a browser-like decoder, then saved again as UTF-8
    text = REAL.read_text(encoding="utf-8")
    moji = text.encode("utf-8").decode("gb18030", errors="xxgk-test-web-gbk")
    assert "浜屻€佷富鍔ㄥ叕寮€鏀垮簻淇℃伅鎯呭喌" in moji
    f = tmp_path / "moji.html"
    f.write_text(moji, encoding="utf-8")
    doc = extract(f)
    ref = extract(REAL)
    # a character whose last UTF-8 byte met an ASCII "<" was lost in the damage itself
    assert doc.paragraphs[:2] == ref.paragraphs[:2]
    assert doc.paragraphs[2].startswith("四、政府信息公开行政复议、行政诉讼情")
    assert any("mojibake" in n for n in doc.notes)
    # every figure survives; labels next to ASCII may lose a character, as in the real damage
    figures = lambda d: [re.match(r"[0-9.+-]*", c.text).group() for t in d.tables for c in t.cells]  # noqa: E731
    assert figures(doc) == figures(ref)
    positions = lambda d: [[c[1:] for c in t] for t in _cells(d)]  # noqa: E731
    assert positions(doc) == positions(ref)
    same = sum(a == b for a, b in zip(_cells(doc)[1], _cells(ref)[1], strict=False))
    assert same >= 0.9 * len(_cells(ref)[1])


def test_mojibake_heading_from_templates(tmp_path):
    f = tmp_path / "t.html"
    f.write_text("<html><body><h2>涓€銆佹€讳綋鎯呭喌</h2><p>正文一、总体情况不变</p></body></html>", encoding="utf-8")
    doc = extract(f)
    assert doc.paragraphs == ("一、总体情况", "正文一、总体情况不变")


def test_nested_layout_and_data_tables(tmp_path):
    html = """<html><head><title>某局2020年政府信息公开工作年度报告</title></head><body>
    <table><tr><td>导航</td></tr><tr><td>
      <h1>某局2020年政府信息公开工作年度报告</h1><p>一、总体情况</p>
      <table border=1>
        <tr><th rowspan="2">信息内容</th><th colspan="3">数量</th></tr>
        <tr><th>甲</th><th>乙</th><th>丙<table><tr><td>注</td><td>内表</td></tr></table></th></tr>
        <tr><td><p>规章</p><p>（设区的市）</p></td><td>1</td><td>&nbsp;</td><td>  3 </td></tr>
      </table>
      <p>二、主动公开</p>
    </td></tr></table></body></html>"""
    f = tmp_path / "nested.html"
    f.write_text(html, encoding="utf-8")
    doc = extract(f)
    assert doc.title == "某局2020年政府信息公开工作年度报告"
    # the one-column layout table yields no RawTable; its text is read as body text, in order
    assert doc.paragraphs == ("导航", "某局2020年政府信息公开工作年度报告", "一、总体情况", "二、主动公开")
    outer, inner = doc.tables
    assert (outer.index, inner.index) == (0, 1)
    assert rows(outer) == [["信息内容", "数量"], ["甲", "乙", "丙"], ["规章\n（设区的市）", "1", "", "3"]]
    assert cell_at(outer, "信息内容").rowspan == 2 and cell_at(outer, "数量").colspan == 3
    assert cell_at(outer, "甲").col == 1
    assert rows(inner) == [["注", "内表"]]


def test_spans_clipped_and_bad_attributes(tmp_path):
    f = tmp_path / "spans.html"
    f.write_text(
        '<table><caption>表一</caption><tr><td rowspan="9">A</td><td colspan="x">B</td></tr>'
        "<tr><td>C</td></tr></table>",
        encoding="utf-8",
    )
    doc = extract(f)
    (t,) = doc.tables
    assert doc.paragraphs == ("表一",)
    a = cell_at(t, "A")
    assert a.rowspan == 2 and t.n_rows == 2
    assert cell_at(t, "B").colspan == 1
    assert (cell_at(t, "C").row, cell_at(t, "C").col) == (1, 1)


def test_every_corpus_page_is_detected_as_html():
    from pipeline.formats import detect_format

    pages = sorted((CORPUS / "html").glob("*.html"))
    assert pages and all(detect_format(p) is Format.HTML for p in pages)


def test_utf16_page(tmp_path):
    f = tmp_path / "page.htm"
    f.write_bytes(SYN.read_text(encoding="utf-8").encode("utf-16"))
    doc = extract(f)
    assert doc.origin.format is Format.HTML
    assert _cells(doc) == _cells(extract(SYN))
