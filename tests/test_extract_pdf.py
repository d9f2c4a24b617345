"""PDF extractor on real corpus PDFs: ruled, split over pages, borderless, scanned, encrypted, broken."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.errors import DocumentLoadError
from pipeline.extract import extract
from pipeline.run import ingest

CORPUS = Path("/work/shared/corpus")
PDF = CORPUS / "pdf"
REPORT = "2021-fujian-pingtan-zone"

pytestmark = pytest.mark.skipif(not PDF.is_dir(), reason="development corpus not available")


def _pdf(variant: str, report: str = REPORT) -> Path:
    return PDF / f"{report}__{variant}.pdf"


def _find(doc, text: str):
    """(table, cell) of the first cell whose text, whitespace removed, equals ``text``."""
    for t in doc.tables:
        for c in t.cells:
            if "".join(c.text.split()) == text:
                return t, c
    raise AssertionError(f"no cell {text!r}")


def _row_texts(table, row: int) -> list[str]:
    return [c.text for c in sorted(table.cells, key=lambda c: c.col) if c.row == row]


@pytest.fixture(scope="module")
def lattice():
    return extract(_pdf("pdf_lattice"))


def test_ruled_table_grid_has_every_value_cell_and_spans(lattice):
    table, cell = _find(lattice, "一、本年新收政府信息公开申请数量")
    assert cell.colspan == 3 and table.n_cols == 10
    assert _row_texts(table, cell.row)[1:] == ["64", "0", "0", "2", "0", "4", "70"]
    _, head = _find(lattice, "申请人情况")
    assert head.colspan == 7
    # every grid position is covered by exactly one stored cell (merged cells stored once)
    grid = table.grid()
    assert all(grid[r][k] is not None for r in range(table.n_rows) for k in range(table.n_cols))
    assert len(table.cells) == len({id(c) for row in grid for c in row})


def test_vertical_and_wrapped_labels_come_out_as_one_cell(lattice):
    _, group = _find(lattice, "三、本年度办理结果")
    assert group.text == "三、本\n年度办\n理结果" and group.rowspan >= 18
    _, denied = _find(lattice, "（三）不予公开")
    assert denied.rowspan == 8
    _find(lattice, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")


def test_pages_are_one_based_and_paragraphs_hold_the_title(lattice):
    assert all(c.page for t in lattice.tables for c in t.cells)
    _, proactive = _find(lattice, "行政许可")
    assert proactive.page == 2
    assert any("年政府信息公开工作年" in p for p in lattice.paragraphs[:3])
    assert not any("1.属于国家秘密" in p for p in lattice.paragraphs)  # table text stays in tables


def test_table_split_over_pages_is_one_table_with_both_pages():
    doc = extract(_pdf("pdf_split"))
    table, first = _find(doc, "一、本年新收政府信息公开申请数量")
    t2, last = _find(doc, "四、结转下年度继续办理")
    assert t2 is table
    pages = {c.page for c in table.cells}
    assert len(pages) == 2 and max(pages) == min(pages) + 1
    assert first.page == min(pages) and last.page == max(pages) and table.page == min(pages)
    assert _row_texts(table, last.row)[1:] == ["1", "0", "0", "0", "0", "0", "1"]
    for label in ("1.属于国家秘密", "（七）总计", "3.其他"):
        t, _c = _find(doc, label)
        assert t is table


def test_borderless_table_from_text_alignment():
    doc = extract(_pdf("pdf_borderless"))
    table, cell = _find(doc, "一、本年新收政府信息公开申请数量")
    assert _row_texts(table, cell.row)[1:] == ["64", "0", "0", "2", "0", "4", "70"]
    # a label wrapped around its row's values belongs to that one row
    t, partial = _find(doc, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")
    assert [c.text for c in t.cells if c.row == partial.row and c.col > partial.col + partial.colspan - 1] == [
        "5",
        "0",
        "0",
        "0",
        "0",
        "0",
        "5",
    ]
    _, group = _find(doc, "三、本年度办理结果")
    assert group.rowspan > 10
    _, denied = _find(doc, "（三）不予公开")
    assert denied.rowspan == 8
    # empty cells inside a row are kept: the appeals value row has 15 cells
    _, upheld = _find(doc, "结果维持")
    appeals = next(t for t in doc.tables if any(c is upheld for c in t.cells))
    assert len(_row_texts(appeals, appeals.n_rows - 1)) == 15


@pytest.mark.parametrize("variant", ["pdf_lattice", "pdf_borderless"])
def test_engines_give_the_same_grids(variant):
    a = extract(_pdf(variant), {"pdf_engine": "pdfium"})
    b = extract(_pdf(variant), {"pdf_engine": "pdfplumber"})

    def cells(d):
        return [[(c.text, c.row, c.col, c.rowspan, c.colspan, c.page) for c in t.cells] for t in d.tables]

    assert cells(a) == cells(b)


def test_scanned_pdf_has_no_text_layer(monkeypatch):
    scanned = CORPUS / "scanned" / f"{REPORT}__pdf_scanned.pdf"
    with pytest.raises(DocumentLoadError, match=r"^no text layer \(scanned PDF\); OCR is off"):
        extract(scanned, {"ocr": False})
    # without the OCR engine the default is a clear failure naming what to install; asked for, it is DependencyMissing
    from pipeline.errors import DependencyMissing
    from pipeline.extract import ocr_engine

    monkeypatch.setattr(ocr_engine, "rapidocr_model", lambda: None)
    with pytest.raises(
        DocumentLoadError,
        match=r"no text layer \(scanned PDF\); to read it by OCR: install RapidOCR: pip install \"xxgk\[ocr\]\"",
    ):
        extract(scanned)
    with pytest.raises(DependencyMissing, match="rapidocr-onnxruntime"):
        extract(scanned, {"ocr": True})


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_encrypted_pdf_needs_a_password(tmp_path, engine):
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypted_pdf(b"secret"))
    with pytest.raises(DocumentLoadError, match=r"^encrypted PDF \(password required\)$"):
        extract(path, {"pdf_engine": engine})


def test_broken_pdf_is_a_load_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(_pdf("pdf_lattice").read_bytes()[:600])
    with pytest.raises(DocumentLoadError, match=r"^cannot read PDF"):
        extract(path)


def test_page_limit(tmp_path):
    with pytest.raises(DocumentLoadError, match=r"limit of 2 pages \(max_pages\)"):
        extract(_pdf("pdf_lattice"), {"max_pages": 2})


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="pdf_engine"):
        extract(_pdf("pdf_lattice"), {"pdf_engine": "ocr"})


# ---------------------------------------------------------------- a password-protected PDF, built here

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user_password: bytes) -> bytes:
    """A one-page PDF under the standard security handler (RC4 40-bit, revision 2)."""
    pad = (user_password + _PAD)[:32]
    owner = _rc4(hashlib.md5(pad).digest()[:5], pad)
    perms = -4
    file_id = hashlib.md5(b"xxgk-test").digest()
    key = hashlib.md5(pad + owner + perms.to_bytes(4, "little", signed=True) + file_id).digest()[:5]
    user = _rc4(key, _PAD)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + owner.hex().encode()
        + b"> /U <"
        + user.hex().encode()
        + b"> /P "
        + str(perms).encode()
        + b" >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        file_id.hex().encode(),
        file_id.hex().encode(),
        xref,
    )
    return bytes(out)


def test_borderless_blank_rows_keep_their_own_rows():
    # most rows of this requests table are printed blank: nothing anchors them but their labels
    doc = extract(_pdf("pdf_borderless", "2023-jilin-changchun-veterans-affairs-bureau"))
    table, carried = _find(doc, "二、上年结转政府信息公开申请数量")
    assert _row_texts(table, carried.row)[1:] == ["0"] * 7
    for label in ("1.属于国家秘密", "2.其他法律行政法规禁止公开", "（一）予以公开", "2.重复申请"):
        t, c = _find(doc, label)  # a wrapped label comes out whole, on a row of its own
        assert t is table and c.row != carried.row
        assert all(x.text == "" for x in t.cells if x.row == c.row and x.col > c.col)


def test_borderless_label_centred_on_values_and_one_value_column():
    # values only in the total column; the table runs over a page break
    doc = extract(_pdf("pdf_borderless", "syn2019c"))
    table, third = _find(doc, "4.保护第三方合法权益")
    assert [c.text for c in table.cells if c.row == third.row and c.text][-1] == "5"
    t, last = _find(doc, "四、结转下年度继续办理")
    assert t is table and {c.page for c in table.cells} == {3, 4}
    assert [c.text for c in t.cells if c.row == last.row][-1] == "12"
    # a nine-line label centred on its values is one cell of the values' row
    doc = extract(_pdf("pdf_borderless", "2020-hubei-wuhan-huangpi-sanliqiao-street"))
    table, other = _find(
        doc,
        "其他对外管理服务事项(指行政许可以外的政务服务事项,含行政确认、行政奖励、"
        "行政裁决、行政给付、行政处罚、行政强制、行政检查、行政征收和其他类,以及公共服务事项)",
    )
    assert _row_texts(table, other.row)[1:] == ["0", "0", "0"]


def test_borderless_value_under_spanning_header_spans_it():
    doc = extract(_pdf("pdf_borderless", "2021-hebei-shijiazhuang-qiaoxi-zhongshan-street"))
    table, fees = _find(doc, "行政事业性收费")
    value = [c for c in table.cells if c.row == fees.row and c.col > fees.col]
    assert [(c.text, c.colspan) for c in value] == [("0.092", 3)]


SHANGHAI = "2019-shanghai-city-govoffice"


@pytest.fixture(scope="module")
def shanghai_borderless():
    return extract(_pdf("pdf_borderless", SHANGHAI))


def test_borderless_interleaved_sub_headers_are_separate_columns(shanghai_borderless):
    # 表四's sub-headers are two-line stacks ("结果/维持") set half a line above or below their
    # neighbours ("总计"): no single text line shows every gap, yet each stack is a column
    table = next(t for t in shanghai_borderless.tables if any("行政复议" in c.text for c in t.cells))
    assert table.n_cols == 15
    values = table.grid()[-1]
    assert [c.text for c in values] == ["5", "", "", "2", "7", "8", "", "", "1", "9", "", "", "", "", ""]
    # the two "总计" stacks between the groups are columns of their own, not cut in half
    totals = [c for c in table.cells if "".join(c.text.split()) == "总计"]
    assert sorted(c.col for c in totals) == [4, 9, 14]


def test_borderless_numbered_labels_stay_apart_around_their_centred_values(shanghai_borderless):
    # three wrapped labels, each centred on its values' line (or on nothing): the run of all
    # three is as well centred on "5" as 5.'s own label, but a numbered label starts a new item
    table, third = _find(shanghai_borderless, "4.保护第三方合法权益")
    _, inner = _find(shanghai_borderless, "5.属于三类内部事务信息")
    _, process = _find(shanghai_borderless, "6.属于四类过程性信息")
    assert len({third.row, inner.row, process.row}) == 3
    assert [c.text for c in table.cells if c.row == third.row and c.col > third.col] == [""] * 7
    assert [c.text for c in table.cells if c.row == inner.row and c.col > inner.col] == ["5"] + [""] * 6
    assert [c.text for c in table.cells if c.row == process.row and c.col > process.col] == ["3", "1"] + [""] * 5
    # no label-less value rows are left over
    for row in range(table.n_rows):
        texts = [c.text for c in table.cells if c.row == row]
        if any(t.strip().isdigit() for t in texts):
            assert any(t and not t.strip().isdigit() for t in texts), texts


def _chars(text: str, x: float, top: float, size: float = 10.0):
    from pipeline.extract.pdf_layout import Char

    return [Char(ch, x + i * size, top, x + (i + 1) * size, top + size) for i, ch in enumerate(text)]


def test_borderless_numbered_group_labels_on_close_lines_are_separate_cells():
    # two one-line group labels printed on consecutive tight lines: "（二）" starts a new item
    from pipeline.extract.pdf_borderless import text_tables
    from pipeline.extract.pdf_layout import cell_text, chars_to_lines

    chars = []
    for top, group, leaf, values in ((100, "（一）甲类", "1.条目一", "34"), (112, "（二）乙类", "2.条目二", "56")):
        chars += _chars(group, 50, top) + _chars(leaf, 120, top)
        chars += _chars(values[0], 220, top) + _chars(values[1], 260, top)
    grids, used = text_tables(chars_to_lines(chars))
    assert len(grids) == 1 and len(used) == 2
    cells = {cell_text(c): (c.row, c.col, c.rowspan) for c in grids[0].cells if c.chars}
    assert cells["（一）甲类"] == (0, 0, 1) and cells["（二）乙类"] == (1, 0, 1)
    assert cells["3"][0] == 0 and cells["6"][0] == 1


# A corpus web page printed to PDF by headless Chromium (text of the other sections replaced, bold off, to keep the
# file small): a red banner, a nav bar, a grey page background and a white content box, all filled rectangles; the
# appeals table is cut by the page break inside its last header row, with no rule at the cut.
PRINTED = Path(__file__).parent / "data" / "pdf" / "printed-web-page-banner.pdf"


@pytest.mark.parametrize("engine", ["pdfium", "pdfplumber"])
def test_printed_web_page_backgrounds_are_not_ruling_lines(engine):
    doc = extract(PRINTED, {"pdf_engine": engine})
    # three statistics tables, not one page-wide grid holding the banner and the paragraphs
    assert [(t.n_rows, t.n_cols) for t in doc.tables][1:] == [(26, 10), (4, 15)]
    assert doc.tables[0].n_cols == 4
    assert doc.paragraphs[:2] == ("平潭综合实验区", "首页 政务公开 办事服务 互动交流")
    assert not any(c.text == "平潭综合实验区" for t in doc.tables for c in t.cells)


def test_printed_web_page_row_cut_by_the_page_break_is_one_row():
    appeals = extract(PRINTED).tables[-1]
    grid = appeals.grid()
    assert [c.text for c in grid[2]][5:10] == [
        "结\n果\n维\n持",
        "结\n果\n纠\n正",
        "其\n他\n结\n果",
        "尚\n未\n审\n结",
        "总\n计",
    ]
    assert {c.page for c in grid[2]} == {3}  # the joined cell keeps the page it starts on
    assert [c.text for c in grid[3]] == ["0"] * 15 and {c.page for c in grid[3]} == {4}


def test_cut_row_joins_only_when_both_edges_are_open():
    from pipeline.extract.pdf_layout import Char, HSeg, VSeg
    from pipeline.extract.pdf_ruled import ruled_tables
    from pipeline.extract.pdf_stitch import stitch

    def piece(ys: list[float], rules: list[float], texts: dict[float, list[str]]):
        """Two columns (x 50-100-150), rows between ``ys``, horizontal rules only at ``rules``."""
        hs = [HSeg(y, 50, 150) for y in rules]
        vs = [VSeg(x, ys[0], ys[-1]) for x in (50, 100, 150)]
        chars = [
            Char(t, x + 20, y + 5, x + 30, y + 15)
            for y, row in texts.items()
            for t, x in zip(row, (50, 100), strict=False)
        ]
        (g,) = ruled_tables(chars, hs, vs)
        return g

    # first piece: a closed row, then a row open at the foot of the page; second: its rest, open at the top
    first = piece([80, 100, 120], [80, 100], {80: ["甲", "乙"], 100: ["结", "纠"]})
    second = piece([100, 120, 140], [120, 140], {100: ["果", "正"], 120: ["1", "2"]})
    joined = stitch(first, second)
    assert joined.n_rows == 3
    assert [cell_text for *_, cell_text, _, _ in sorted(joined.texts())] == ["甲", "乙", "结\n果", "纠\n正", "1", "2"]
    # a rule at the cut: the pieces' rows stay separate rows
    closed = piece([80, 100, 120], [80, 100, 120], {80: ["甲", "乙"], 100: ["结", "纠"]})
    assert stitch(closed, second).n_rows == 4


# A page laid out as a WPS export (tests/data/pdf/make_wps_vertical_label.py, printed by headless Chromium): the
# group label 三、本年度办理结果 one character a line, in larger type at a pitch of its own, touching the wrapped row
# labels beside it. Its characters once glued two lines of （二）部分公开… into one and the row's figures were lost.
WPS = Path(__file__).parent / "data" / "pdf" / "wps-vertical-label.pdf"


def test_wps_vertical_group_label_keeps_apart_from_the_row_labels_it_is_printed_among():
    (table,) = extract(WPS).tables
    grid = table.grid()
    partial = next(r for r in grid if any(c is not None and c.text.startswith("（二）部分公开") for c in r))
    assert [c.text for c in partial if c is not None][-7:] == ["3", "0", "0", "1", "0", "0", "4"]
    assert partial[0] is not None and partial[0].text.replace("\n", "") == "三、本年度办理结果"
    batch = ingest([WPS])
    cells = batch.cells[batch.cells.row == "partial"]
    assert dict(zip(cells.col, cells.value, strict=True)) == {
        "natural_person": 3,
        "commercial": 0,
        "research": 0,
        "nonprofit": 1,
        "legal_services": 0,
        "other_org": 0,
        "total": 4,
    }
