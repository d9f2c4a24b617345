"""The text-dump, .docx and HTML extractors' pieces on small inputs built in the test (no corpus needed)."""

from __future__ import annotations

import lxml.html
from lxml import etree

from pipeline.extract.docx import W, _cell_props, _grid_before, tbl_to_raw_table
from pipeline.extract.html import _PageReader
from pipeline.extract.txt import _give_back_empties, _split_at_labels, dump_to_blocks, split_run_on_rows

# ---- txt: dump lines to tables


def test_dump_cells_rows_and_paragraphs():
    lines = ["标题", "\t项目", "\t数量", "", "\t申请", "情况", "\t12", "", "", "", "\t另表", "", "结尾"]
    paragraphs, tables, notes = dump_to_blocks(lines)
    assert paragraphs == ["标题", "结尾"]
    # an untabbed line after a label cell is its further paragraph; one blank line ends a row, two or more
    # before the next cell line end the table
    assert tables == [[["项目", "数量"], ["申请\n情况", "12"]], [["另表"]]]
    assert notes == []


def test_text_right_after_a_value_cell_closes_the_table_with_a_note():
    paragraphs, tables, notes = dump_to_blocks(["\t申请", "\t12", "正文继续。"])
    assert tables == [[["申请", "12"]]] and paragraphs == ["正文继续。"]
    assert notes and notes[0].startswith("table 0: no blank line")


def test_split_at_labels_cuts_before_a_label_that_follows_a_value():
    assert _split_at_labels(["自然人", "3", "", "法人", "4"]) == [["自然人", "3"], ["", "法人", "4"]]
    assert _split_at_labels(["项目", "说明", "3"]) == [["项目", "说明", "3"]]


def test_give_back_empties_until_the_row_has_the_usual_value_count():
    prev, piece = ["自然人", "3"], ["", "", "法人", "4"]
    _give_back_empties(prev, piece, usual=2)
    assert prev == ["自然人", "3", ""] and piece == ["", "法人", "4"]


def test_split_run_on_rows_counts_its_splits_and_leaves_whole_rows_alone():
    rows = [["自然人", "3", "1"], ["法人", "4", "5", "", "其他", "6", "7"]]
    assert split_run_on_rows(rows) == ([["自然人", "3", "1"], ["法人", "4", "5"], ["", "其他", "6", "7"]], 1)
    assert split_run_on_rows([["自然人", "3", "1"]]) == ([["自然人", "3", "1"]], 0)


# ---- docx: w:tbl to RawTable


def _tbl(xml_rows: str):
    return etree.fromstring(f'<w:tbl xmlns:w="{W[1:-1]}">{xml_rows}</w:tbl>')


def _tc(text: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


def test_cell_props_and_grid_before():
    tbl = _tbl(
        '<w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>'
        + _tc("a", '<w:gridSpan w:val="3"/><w:vMerge w:val="restart"/>')
        + _tc("b", "<w:vMerge/>")
        + "<w:tc><w:p/></w:tc></w:tr>"
    )
    tr = tbl[0]
    tcs = list(tr.iterchildren(W + "tc"))
    assert _grid_before(tr) == 2
    assert [_cell_props(tc) for tc in tcs] == [(3, "restart"), (1, "continue"), (1, None)]


def test_vertical_merge_grows_the_cell_above_and_ends_where_a_row_does_not_continue_it():
    tbl = _tbl(
        "<w:tr>" + _tc("组", '<w:vMerge w:val="restart"/>') + _tc("一") + "</w:tr>"
        "<w:tr>" + _tc("", "<w:vMerge/>") + _tc("二") + "</w:tr>"
        "<w:tr>" + _tc("新") + _tc("三") + "</w:tr>"
        "<w:tr>" + _tc("", "<w:vMerge/>") + _tc("四") + "</w:tr>"  # nothing open to continue: a cell of its own
    )
    t = tbl_to_raw_table(tbl, 0)
    assert (t.n_rows, t.n_cols) == (4, 2)
    cells = {(c.row, c.col): (c.rowspan, c.text) for c in t.cells}
    assert cells[(0, 0)] == (2, "组") and (1, 0) not in cells
    assert cells[(2, 0)] == (1, "新") and cells[(3, 0)] == (1, "")


# ---- html: layout tables against data tables


def test_layout_table_is_read_as_body_text_and_its_inner_table_as_data():
    page = lxml.html.document_fromstring(
        "<body><table><tr><td><p>报告正文</p>"
        "<table><tr><td>项目</td><td>数量</td></tr><tr><td>申请</td><td>3</td></tr></table>"
        "</td></tr></table></body>"
    )
    reader = _PageReader(max_tables=5)
    reader.walk(page.find("body"))
    reader.flush()
    assert reader.paragraphs == ["报告正文"]
    assert len(reader.tables) == 1 and reader.tables[0].n_rows == 2
