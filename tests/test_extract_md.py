"""Markdown and text that other tools wrote: each dialect's tables on small inputs written in the test, detection
by content, and the development corpus's md/ folder through the whole pipeline (marked corpus)."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import CORPUS, SHARED

from pipeline.extract import extract
from pipeline.formats import detect_format
from pipeline.model import Format
from pipeline.run import ingest

HEADER_AND_TWO_ROWS = """\
| 项目 | 数据1 | 数据2 |
|---|---|---|
| 一、本年新收政府信息公开申请数量 | 5 | 7 |
"""


def read(tmp_path, text: str, name: str = "r.md"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return extract(f)


def layout(table) -> list[list[tuple[str, int, int, int]]]:
    """Each grid row as (text, col, colspan, rowspan) of the cells starting in it."""
    rows: list[list[tuple[str, int, int, int]]] = [[] for _ in range(table.n_rows)]
    for c in sorted(table.cells, key=lambda c: (c.row, c.col)):
        rows[c.row].append((c.text, c.col, c.colspan, c.rowspan))
    return rows


def texts(table) -> list[list[str]]:
    return [[t for t, *_ in row] for row in layout(table)]


def test_pandoc_pipe_table_header_spans_come_back_from_its_empty_cells(tmp_path):
    doc = read(
        tmp_path,
        "三、收到和处理政府信息公开申请情况\n\n"
        "| （本列数据的勾稽关系） |  | 申请人情况 |  |  |\n"
        "|---|---|---|---|---|\n"
        "|  |  | 自然人 | 法人或其他组织 |  |\n"
        "|  |  |  | 商业企业 | 科研机构 |\n"
        "| 一、本年新收 |  | 5 | 6 | 7 |\n"
        "| 三、本年度办理结果 | （一）予以公开 | 1 |  | 3 |\n"
        "|  | （二）部分公开 | 0 | 0 | 0 |\n",
    )
    (t,) = doc.tables
    rows = layout(t)
    assert rows[0] == [("（本列数据的勾稽关系）", 0, 2, 3), ("申请人情况", 2, 3, 1)]
    assert rows[1] == [("自然人", 2, 1, 2), ("法人或其他组织", 3, 2, 1)]
    assert rows[2] == [("商业企业", 3, 1, 1), ("科研机构", 4, 1, 1)]
    # below the header an empty cell is a figure printed blank or what a label's merge left: never filled
    assert rows[4] == [
        ("三、本年度办理结果", 0, 1, 1),
        ("（一）予以公开", 1, 1, 1),
        ("1", 2, 1, 1),
        ("", 3, 1, 1),
        ("3", 4, 1, 1),
    ]
    assert doc.paragraphs == ("三、收到和处理政府信息公开申请情况",)


def test_markitdown_rows_get_back_the_positions_rowspans_took(tmp_path):
    doc = read(
        tmp_path,
        "|  |  |  |  |\n| --- | --- | --- | --- |\n"
        "| 行政复议 | | 行政诉讼 | |\n"
        "| 结果维持 | 总计 | 未经复议直接起诉 | |\n"
        "| 结果维持 | 总计 |\n"
        "| 1 | 2 | 3 | 4 |\n",
    )
    (t,) = doc.tables
    assert layout(t)[:3] == [
        [("行政复议", 0, 2, 1), ("行政诉讼", 2, 2, 1)],
        [("结果维持", 0, 1, 2), ("总计", 1, 1, 2), ("未经复议直接起诉", 2, 2, 1)],
        [("结果维持", 2, 1, 1), ("总计", 3, 1, 1)],
    ]
    assert texts(t)[3] == ["1", "2", "3", "4"]


def test_pymupdf_repeats_col_fillers_line_breaks_and_a_table_cut_by_a_footer(tmp_path):
    doc = read(
        tmp_path,
        "|二、主动公开政府信息情况|Col2|Col3|\n|---|---|---|\n"
        "|信息内容|本年处理决定数量|本年处理决定数量|\n"
        "|行政许可|100|100|\n"
        "|三、本<br>年度|（一）予以<br>公开|7|\n"
        "|三、本<br>年度|（二）部分公开|1|\n\n— 2 —\n\n"
        "|Col1|（三）不予公开|0|\n|---|---|---|\n||（四）无法提供|2|\n",
    )
    first, second = doc.tables
    assert layout(first)[:2] == [
        [("二、主动公开政府信息情况", 0, 3, 1)],
        [("信息内容", 0, 1, 1), ("本年处理决定数量", 1, 2, 1)],
    ]
    assert layout(first)[2] == [("行政许可", 0, 1, 1), ("100", 1, 2, 1)]  # one figure under one merged heading
    assert layout(first)[3][0] == ("三、本\n年度", 0, 1, 2)  # written again below: one merged cell
    # the continued piece's first row is a row of figures: its Col1 is an empty cell, not a merge
    assert texts(second) == [["", "（三）不予公开", "0"], ["", "（四）无法提供", "2"]]
    assert "— 2 —" in doc.paragraphs


def test_equal_figures_side_by_side_stay_two_without_a_merged_heading(tmp_path):
    doc = read(tmp_path, "|信息内容|本年新|对外公开|\n|---|---|---|\n|规章|0|0|\n")
    assert texts(doc.tables[0])[1] == ["规章", "0", "0"]


def test_html2text_rows_keep_a_trailing_empty_cell_and_wrapped_rows_join(tmp_path):
    doc = read(
        tmp_path,
        "第二十条第（一）项  \n---  \n信息内容| 本年新制作数量| 本年新公开数量  \n"
        "规范性文件(行政机关制定的\n规范性文件)| 87| 0  \n行政处罚| 1|    \n",
    )
    assert texts(doc.tables[0]) == [
        ["第二十条第（一）项"],
        ["信息内容", "本年新制作数量", "本年新公开数量"],
        ["规范性文件(行政机关制定的 规范性文件)", "87", "0"],
        ["行政处罚", "1", ""],
    ]
    assert not doc.warnings


def test_html_table_block_is_read_by_the_html_extractor(tmp_path):
    doc = read(
        tmp_path,
        '**报告**\n\n<table style="width:100%;">\n<tr><td colspan="2"\nrowspan="2">说明</td><td>自然人</td></tr>\n'
        '<tr><td>3</td></tr>\n</table>\n\n[五、存在的问题]{style="font-family:黑体"}\n',
    )
    assert layout(doc.tables[0]) == [[("说明", 0, 2, 2), ("自然人", 2, 1, 1)], [("3", 2, 1, 1)]]
    assert doc.paragraphs == ("报告", "五、存在的问题")


def test_grid_table_spans_come_from_its_borders_counted_in_display_columns(tmp_path):
    doc = read(
        tmp_path,
        "+------+------+------+\n"
        "| 行政复议    | 行政 |\n"
        "|             | 诉讼 |\n"
        "+------+------+------+\n"
        "| 维持 | 纠正 | 维持 |\n"
        "+======+======+======+\n"
        "| 1    | 2    | 3    |\n"
        "+------+------+------+\n",
    )
    assert layout(doc.tables[0]) == [
        [("行政复议", 0, 2, 1), ("行政\n诉讼", 2, 1, 1)],
        [("维持", 0, 1, 1), ("纠正", 1, 1, 1), ("维持", 2, 1, 1)],
        [("1", 0, 1, 1), ("2", 1, 1, 1), ("3", 2, 1, 1)],
    ]


def test_pandoc_multiline_table_cells_by_where_their_words_start(tmp_path):
    doc = read(
        tmp_path,
        "  ---------------------------------------\n"
        "  （本列数据的勾稽关系）            申请人情况\n"
        "  ------------------ ----------- --------\n"
        "                     自然人      总计\n\n"
        "  一、本年新收政府信 12          13\n"
        "  息公开申请数量\n"
        "  ---------------------------------------\n",
    )
    assert texts(doc.tables[0]) == [
        ["（本列数据的勾稽关系）", "申请人情况"],  # the note runs past its column's end: still one cell
        ["", "自然人", "总计"],
        ["一、本年新收政府信\n息公开申请数量", "12", "13"],
    ]


def test_language_model_table_made_up_headers_and_run_together_labels(tmp_path):
    doc = read(
        tmp_path,
        "| 项目 | 数据1 | 数据2 |\n|---|---|---|\n"
        "| 三、本年度办理结果 （一）予以公开 | 1 | 2 |\n"
        "| （二）部分公开 | 3 | 4 |\n",
    )
    # the made-up header row is gone; the two labels of the first row have a column each
    assert texts(doc.tables[0]) == [
        ["三、本年度办理结果", "（一）予以公开", "1", "2"],
        ["", "（二）部分公开", "3", "4"],
    ]


def test_a_row_that_lost_a_cell_is_read_only_when_its_figures_fill_the_figure_columns(tmp_path):
    doc = read(
        tmp_path,
        "| 一、本年新收 |  | 1 | 2 | 3 |\n|---|---|---|---|---|\n"
        "| 二、上年结转 | 4 | 5 | 6 |\n"  # the lost cell was among the labels: figures fill the three columns
        "| 三、本年度办理结果 | 7 | 8 |\n",  # two figures for three columns: which is which is in doubt
    )
    assert texts(doc.tables[0]) == [["一、本年新收", "", "1", "2", "3"], ["二、上年结转", "", "4", "5", "6"]]
    moved, doubt = doc.warnings  # both said: the row read by where its figures fit, the row left out
    assert "row 1" in moved and "under the last 3" in moved
    assert "row 2" in doubt and "三、本年度办理结果 | 7 | 8" in doubt and "in doubt" in doubt


def test_a_last_row_left_outside_the_table_is_taken_back_when_its_figures_fit(tmp_path):
    doc = read(tmp_path, "|标签|Col2|数|\n|---|---|---|\n|（七）总计|（七）总计|5|\n\n\n四、结转下年度继续办理 2\n")
    assert texts(doc.tables[0])[-1] == ["四、结转下年度继续办理", "", "2"]
    assert "read as its last row" in doc.warnings[0]


def test_text_lines_of_a_label_and_figures_make_a_table(tmp_path):
    doc = read(
        tmp_path,
        "三、收到和处理政府信息公开申请情况\n\n自然人 商业企业 总计\n"
        "一、本年新收政府信息公开申请数量 3 4 7\n二、上年结转政府信息公开申请数量 0 1 1\n"
        "（七）总计 3 5 8\n\n本年度共收到申请7件。\n",
        name="ocr.txt",
    )
    assert texts(doc.tables[0]) == [
        ["三、收到和处理政府信息公开申请情况"],
        ["自然人", "商业企业", "总计"],
        ["一、本年新收政府信息公开申请数量", "3", "4", "7"],
        ["二、上年结转政府信息公开申请数量", "0", "1", "1"],
        ["（七）总计", "3", "5", "8"],
    ]
    assert doc.paragraphs == ("本年度共收到申请7件。",)


def test_two_figure_lines_in_running_text_are_not_a_table(tmp_path):
    doc = read(tmp_path, "2019年 1 2\n全年共收到申请 7\n", name="t.txt")
    assert not doc.tables


@pytest.mark.parametrize(
    "name,text,fmt",
    [
        ("r.md", "# 报告\n\n正文\n", Format.MD),
        ("r.markdown", "<div>报告</div>\n", Format.MD),
        ("r.txt", "报告\n\n| 项目 | 数量 |\n|---|---|\n| 规章 | 1 |\n", Format.MD),
        ("r.html", "报告\n\n行 | 1\n---|---\n", Format.MD),
        ("r.txt", "报告\n\t一、本年新收\n\t3\n", Format.TXT),
        ("r.md", "<!DOCTYPE html><html><body>| a | b |</body></html>", Format.HTML),
    ],
)
def test_markdown_is_told_by_its_name_or_its_tables(tmp_path, name, text, fmt):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    assert detect_format(f) is fmt


def test_a_pipe_table_after_a_long_preamble_is_still_found(tmp_path):
    f = tmp_path / "dump.txt"
    f.write_text("一、总体情况。\n" * 800 + "\n| 项目 | 数量 |\n|---|---|\n| 规章 | 1 |\n", encoding="utf-8")
    assert f.stat().st_size > 8192
    assert detect_format(f) is Format.MD


def _score_module():
    spec = importlib.util.spec_from_file_location("score", SHARED / "tools" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.corpus
def test_md_corpus_accuracy_at_least_99_5_percent_every_document_counted(tmp_path):
    score = _score_module()
    batch = ingest([CORPUS / "md"])
    f = tmp_path / "cells.parquet"
    batch.cells.to_parquet(f)
    manifest = json.loads((CORPUS / "md" / "manifest.json").read_text())
    out, dups = score.load_cells(f)
    res = score.score(score.load_truth(CORPUS / "truth"), out, manifest)
    assert res["variants"]["overall"]["documents"] == len(manifest) == 76
    assert res["variants"]["overall"]["non-null accuracy"] >= 0.995, res["variants"]
    assert dups == 0


def test_a_folders_readme_is_not_taken_for_a_report(tmp_path):
    from pipeline.run import find_files

    (tmp_path / "README.md").write_text("# 说明\n\n| 文件 | 说明 |\n|---|---|\n| a.md | 年报 |\n", encoding="utf-8")
    (tmp_path / "a.md").write_text(HEADER_AND_TWO_ROWS, encoding="utf-8")
    assert find_files([tmp_path]) == [tmp_path / "a.md"]
    assert find_files([tmp_path / "README.md"]) == [tmp_path / "README.md"]  # named, it is read
