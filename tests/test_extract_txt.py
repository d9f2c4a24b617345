"""Text-dump extractor: the real seed dump, corpus dumps, encodings, and rows left in doubt."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.model import Format

CORPUS = Path("/work/shared/corpus")
SEED = CORPUS / "seed-2019-xiuzhou.txt"
SYN21 = CORPUS / "txt" / "syn2021b__txt_dump.txt"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="development corpus not present")


def rows(table):
    out: dict[int, list[str]] = {}
    for c in sorted(table.cells, key=lambda c: (c.row, c.col)):
        assert c.rowspan == 1 and c.colspan == 1
        out.setdefault(c.row, []).append(c.text)
    return [out.get(r, []) for r in range(table.n_rows)]


def test_seed_dump():
    doc = extract(SEED)
    assert doc.origin.format is Format.TXT
    assert doc.paragraphs[:3] == ("秀洲区应急管理局政府信息公开工作年度报告", "一、总体情况", doc.paragraphs[2])
    assert doc.paragraphs[2].startswith("2019年，我局")  # the [bookmark: _GoBack] artefact is dropped
    assert "二、主动公开政府信息情况" in doc.paragraphs and "五、存在的主要问题及改进情况" in doc.paragraphs
    assert not doc.notes and not doc.warnings
    proactive, requests, appeals = doc.tables
    p = rows(proactive)
    assert len(p) == 18
    assert p[0] == ["第二十条第（一）项"]
    # a cell of two paragraphs: the second runs on over an untabbed line
    assert p[1] == ["信息内容", "本年新\n制作数量", "本年新\n公开数量", "对外公开总数量"]
    assert p[2] == ["规章", "0", "0", "0"]  # ideographic and no-break spaces around figures stripped
    assert p[6] == ["行政许可", "31", "+4", "35"]
    assert p[17] == ["政府集中采购", "13", "128668元"]
    r = rows(requests)
    assert len(r) == 26
    assert r[2] == ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]
    assert r[3] == ["一、本年新收政府信息公开申请数量", "", "", "", "", "", "", "0"]
    assert r[5] == ["三、本年度办理结果", "（一）予以公开", "", "", "", "", "", "", "0"]
    assert r[7] == ["", "（三）不予公开", "1.属于国家秘密", "", "", "", "", "", "", "0"]
    assert r[8] == ["", "", "2.其他法律行政法规禁止公开", "", "", "", "", "", "", "0"]
    assert r[25] == ["四、结转下年度继续办理", "", "", "", "", "", "", "0"]
    assert requests.n_cols == 10
    a = rows(appeals)
    assert a[2][:6] == ["", "", "", "", "", "结果维持"] and len(a[2]) == 15
    assert a[3] == ["0"] * 15


def test_corpus_dump_2021():
    doc = extract(SYN21)
    p, r, a = (rows(t) for t in doc.tables)
    assert p[1] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert p[-1] == ["行政事业性收费", "2.3456"]
    assert r[3] == ["一、本年新收政府信息公开申请数量", "39", "14", "58", "53", "24", "52", "240"]
    labels = [next(c for c in row if c) for row in r[3:]]
    assert "3.其他" in [row[2] for row in r if len(row) > 2]
    assert labels[-1] == "四、结转下年度继续办理"
    assert len(r) == 28 and len(a) == 4
    assert not doc.notes and not doc.warnings


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16", "utf-16-le"])
def test_encodings(tmp_path, encoding):
    f = tmp_path / "dump.txt"
    f.write_bytes(SEED.read_text(encoding="utf-8").encode(encoding))
    ref, doc = extract(SEED), extract(f)
    assert doc.origin.format is Format.TXT
    assert [t.cells for t in doc.tables] == [t.cells for t in ref.tables]
    assert doc.paragraphs == ref.paragraphs


def test_crlf_line_ends(tmp_path):
    f = tmp_path / "dump.txt"
    f.write_bytes(SEED.read_bytes().replace(b"\n", b"\r\n"))
    assert [t.cells for t in extract(f).tables] == [t.cells for t in extract(SEED).tables]


def test_missing_row_separators_are_split_and_noted(tmp_path):
    lines = SYN21.read_text(encoding="utf-8").split("\n")
    # drop the blank lines inside tables (keep the runs that end a table)
    out = []
    for i, ln in enumerate(lines):
        inside = 0 < i < len(lines) - 1 and lines[i - 1].startswith("\t") and lines[i + 1].startswith("\t")
        if ln == "" and inside:
            continue
        out.append(ln)
    f = tmp_path / "flat.txt"
    f.write_text("\n".join(out), encoding="utf-8")
    doc = extract(f)
    assert any("row structure guessed" in n for n in doc.warnings)
    from pipeline.run import process_file

    issues = process_file(f).issues
    assert any(i["code"] == "extractor-warning" and "row structure guessed" in i["message"] for i in issues)
    r = rows(doc.tables[1])
    ref = rows(extract(SYN21).tables[1])
    # the data rows come back as in the dump with separators
    assert ref[4] in r and ref[-1] in r
    assert ["", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "0", "0", "0", "0", "0", "0", "0"] in r


def test_paragraph_right_after_table_is_noted(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("标题\n\t规章\n\t3\n五、存在的主要问题及改进情况\n正文", encoding="utf-8")
    doc = extract(f)
    assert rows(doc.tables[0]) == [["规章", "3"]]
    assert doc.paragraphs == ("标题", "五、存在的主要问题及改进情况", "正文")
    assert any("no blank line" in n for n in doc.warnings)


def test_adjacent_tables_split_on_blank_run(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("\tA\n\t1\n\n\tB\n\t2\n\n\n\tC\n\t3\n\n", encoding="utf-8")
    doc = extract(f)
    assert [rows(t) for t in doc.tables] == [[["A", "1"], ["B", "2"]], [["C", "3"]]]


@pytest.mark.parametrize("name", ["seed-2019-xiuzhou.txt", "txt/2019-shanghai-city-govoffice__txt_dump.txt"])
def test_dump_reads_every_figure_end_to_end(name):
    """Through the whole pipeline: every printed figure of the truth file is read (rows of different lengths)."""
    import json

    from pipeline.run import process_file

    path = CORPUS / name
    truth = json.loads((CORPUS / "truth" / (path.stem.split("__")[0] + ".json")).read_text(encoding="utf-8"))
    got = {(c["table"], c["row"], c["col"]): c["value"] for c in process_file(path).cells}
    want = {
        (t, r, c): v
        for t, rows_ in truth["values"].items()
        for r, cols in rows_.items()
        for c, v in cols.items()
        if v is not None
    }
    assert want and {k: got.get(k) for k in want} == want
