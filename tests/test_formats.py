"""One report in every format gives the same figures; formats are told by content, not by the file name."""

import shutil

import pytest
from conftest import CORPUS

from pipeline.extract import extract as extract_html
from pipeline.formats import detect_format
from pipeline.model import Format
from pipeline.run import ingest

REPORTS = ["2020-fujian-pingtan-zone", "2021-fujian-pingtan-zone", "syn2019c"]
VARIANTS = {
    "docx_plain": "docx/{}__docx_plain.docx",
    "pdf_lattice": "pdf/{}__pdf_lattice.pdf",
    "pdf_borderless": "pdf/{}__pdf_borderless.pdf",
    "html": "html/{}__html.html",
    "doc": "doc/{}__doc.doc",
    "txt_dump": "txt/{}__txt_dump.txt",
}


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixed")
    for rid in REPORTS:
        for _variant, pattern in VARIANTS.items():
            src = CORPUS / pattern.format(rid)
            shutil.copy(src, folder / src.name)
    return ingest([folder])


def test_a_mixed_batch_gives_the_same_figures_in_every_format(mixed_batch):
    cells, reports = mixed_batch.cells, mixed_batch.reports
    assert set(reports.format) == {"docx", "pdf", "html", "doc", "txt"}
    assert (reports.status != "failed").all(), reports[["source_path", "error"]]
    for rid in REPORTS:
        by_variant = {}
        for variant in VARIANTS:
            mine = cells[cells.source_path.str.contains(f"{rid}__{variant}")]
            by_variant[variant] = {
                (t, r, c): v for t, r, c, v in zip(mine.table, mine.row, mine.col, mine.value, strict=False) if v == v
            }  # printed figures (non-null)
        reference = by_variant["docx_plain"]
        assert len(reference) >= 40
        for variant, got in by_variant.items():
            assert got == reference, (rid, variant, set(got.items()) ^ set(reference.items()))


def test_agency_and_year_agree_across_formats(mixed_batch):
    r = mixed_batch.reports
    for rid in REPORTS:
        mine = r[r.source_path.str.contains(rid)]
        assert mine.year.nunique() == 1 and mine.agency.nunique() == 1, mine[["source_path", "agency", "year"]]


@pytest.mark.parametrize(
    "src,name,fmt",
    [
        ("docx/syn2021b__docx_plain.docx", "really-a-docx.doc", Format.DOCX),
        ("html/syn2021b__html.html", "web-page-saved-as.doc", Format.HTML),
        ("pdf/syn2021b__pdf_lattice.pdf", "pdf-named.docx", Format.PDF),
        ("doc/syn2021b__doc.doc", "word97-named.docx", Format.DOC),
        ("txt/syn2021b__txt_dump.txt", "dump-named.html", Format.TXT),
    ],
)
def test_format_is_told_by_content(tmp_path, src, name, fmt):
    f = tmp_path / name
    shutil.copy(CORPUS / src, f)
    assert detect_format(f) is fmt
    batch = ingest([f])
    assert batch.reports.format.tolist() == [fmt.value] and batch.reports.status.tolist() != ["failed"]
    assert len(batch.cells) > 100


def _gb_page(start: str) -> bytes:
    """A page declared GB2312 whose bytes are GBK: 镕 and 堃 are not in GB2312, and byte 0x80 is GBK's euro sign."""
    text = "本报告根据《中华人民共和国政府信息公开条例》编制，朱镕基".encode("gbk")
    return (
        start.encode("ascii")
        + b'<meta charset="gb2312"><title>x</title><p>'
        + text * 3
        + b"\x80"
        + text
        + "</p><table><tr><td>堃</td><td>3</td></tr></table>".encode("gbk")
    )


@pytest.mark.parametrize("start", ["<!DOCTYPE html><html><head>", "<html><head>", "", "\n\n<head>"])
def test_a_gb2312_page_whose_bytes_are_gbk_is_a_web_page(tmp_path, start):
    f = tmp_path / "page.html"
    f.write_bytes(_gb_page(start))
    assert detect_format(f) is Format.HTML
    doc = extract_html(f)
    assert doc.tables[0].cells[0].text == "堃"
    assert "朱镕基" in doc.paragraphs[-1] and "€" in doc.paragraphs[-1] and not doc.warnings


def test_a_page_with_undecodable_bytes_is_still_a_web_page(tmp_path):
    f = tmp_path / "page.htm"
    f.write_bytes(b"<!DOCTYPE html><html><head><meta charset=gb2312></head><body>\xff\xfe\x80" + "报告".encode("gbk"))
    assert detect_format(f) is Format.HTML
    # without the page markers, a few bad bytes in Chinese text still make text, and binary data does not
    g = tmp_path / "notes.txt"
    g.write_bytes("政府信息公开工作年度报告。".encode("gbk") * 40 + b"\xff" + "完".encode("gbk"))
    assert detect_format(g) is Format.TXT
    h = tmp_path / "blob.txt"
    h.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8)
    assert detect_format(h) is None
