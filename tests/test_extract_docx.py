"""The .docx extractor: merged cells stored once with their spans, multi-paragraph cells joined."""

from pathlib import Path

import docx
import pytest
from conftest import CORPUS, TEMPLATE_2021

from pipeline.errors import DocumentLoadError
from pipeline.extract import extract


def _make(tmp_path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("淮安市人民政府")
    d.add_paragraph("2024年政府信息公开工作年度报告")
    t = d.add_table(rows=4, cols=4)
    t.cell(0, 0).merge(t.cell(0, 3)).text = "第二十条第（一）项"  # gridSpan 4
    t.cell(1, 0).merge(t.cell(3, 0)).text = "信息内容"  # vMerge over 3 rows
    t.cell(1, 1).text = "本年制发件数"
    p = t.cell(1, 2).paragraphs[0]
    p.text = "本年"
    t.cell(1, 2).add_paragraph("废止件数")
    t.cell(2, 1).merge(t.cell(3, 2)).text = "7"  # a 2x2 block
    out = tmp_path / "merged.docx"
    d.save(out)
    return out


def test_merged_cells_are_stored_once_with_their_spans(tmp_path):
    doc = extract(_make(tmp_path))
    (t,) = doc.tables
    by_text = {c.text: c for c in t.cells}
    assert (t.n_rows, t.n_cols) == (4, 4)
    cap = by_text["第二十条第（一）项"]
    assert (cap.row, cap.col, cap.rowspan, cap.colspan) == (0, 0, 1, 4)
    side = by_text["信息内容"]
    assert (side.row, side.col, side.rowspan, side.colspan) == (1, 0, 3, 1)
    block = by_text["7"]
    assert (block.row, block.col, block.rowspan, block.colspan) == (2, 1, 2, 2)
    assert [c.text for c in t.cells].count("7") == 1  # never counted twice
    assert by_text["本年\n废止件数"].col == 2  # paragraphs of one cell joined by a line break
    grid = t.grid()
    assert grid[3][2] is block and grid[3][0] is side


def test_title_over_two_lines_and_paragraphs(tmp_path):
    doc = extract(_make(tmp_path))
    assert doc.paragraphs[:2] == ("淮安市人民政府", "2024年政府信息公开工作年度报告")


def test_official_template_grid():
    doc = extract(TEMPLATE_2021)
    assert len(doc.tables) == 3
    req = doc.tables[1]
    note = next(c for c in req.cells if c.text.startswith("（本列数据的勾稽关系"))
    assert (note.rowspan, note.colspan) == (3, 3)
    assert (req.n_cols, req.n_rows) == (10, 28)  # 3 label columns + 7 value columns; 3 header + 25 data rows


def test_corrupt_docx_raises_a_clear_error(tmp_path):
    bad = tmp_path / "cut.docx"
    bad.write_bytes((CORPUS / "docx" / "syn2021b__docx_plain.docx").read_bytes()[:3000])
    with pytest.raises(DocumentLoadError, match=r"cannot read \.docx"):
        extract(bad)
