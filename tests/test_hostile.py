"""Hostile and broken input: every file ends with a status and a clear message; nothing crashes, hangs or is lost."""

import io
import os
import random
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import CORPUS
from test_extract_pdf import _encrypted_pdf

from pipeline.run import ingest, process_file

GOOD = CORPUS / "docx" / "2021-fujian-pingtan-zone__docx_official.docx"


def _zip_with(path: Path, src: Path, replace: dict[str, bytes] | None = None, drop=(), extra=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in drop:
                continue
            data = (replace or {}).get(item.filename, zin.read(item.filename))
            zout.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return path


def _docx(tmp_path, name, build):
    d = docx.Document()
    build(d)
    p = tmp_path / name
    d.save(p)
    return p


def make_hostile(tmp_path: Path) -> dict[str, tuple[Path, str, str]]:
    """name -> (file, expected status, a fragment of the expected error (or issue code for partial))."""
    rnd = random.Random(7)
    good = GOOD.read_bytes()
    out: dict[str, tuple[Path, str, str]] = {}

    def put(name, data: bytes, status, msg):
        p = tmp_path / name
        p.write_bytes(data)
        out[name] = (p, status, msg)

    put("empty.docx", b"", "failed", "empty file")
    put("truncated.docx", good[: len(good) // 3], "failed", "cannot read .docx")
    put("random.docx", bytes(rnd.getrandbits(8) for _ in range(5000)), "failed", "not a supported report format")
    put(
        "random.bin.txt",
        bytes(rnd.getrandbits(8) for _ in range(5000)) + b"\x00",
        "failed",
        "not a supported report format",
    )
    put("nulls.doc", b"\x00" * 4096, "failed", "not a supported report format")
    put("image.docx", b"\x89PNG\r\n\x1a\n" + bytes(200), "failed", "not a supported report format")
    put("report-named.pdf", good, "ok", "")  # a .docx with the wrong extension reads by its content
    # a zip that is not a Word document (an .xlsx-like archive)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    put("spreadsheet.docx", buf.getvalue(), "failed", "not a supported report format")
    # zip bomb: one member of 300 MB of zeros (compresses to ~300 KB)
    bomb = tmp_path / "bomb.docx"
    _zip_with(bomb, GOOD, extra={"word/media/zeros.bin": b"\x00" * (300 * 1024 * 1024)})
    out["bomb.docx"] = (bomb, "failed", "max_uncompressed")
    # billion laughs inside document.xml: entities are never expanded
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    out["laughs.docx"] = (_zip_with(tmp_path / "laughs.docx", GOOD, {"word/document.xml": laughs}), "failed", "")
    out["no-document-xml.docx"] = (
        _zip_with(tmp_path / "no-document-xml.docx", GOOD, drop=("word/document.xml",)),
        "failed",
        "",
    )

    def nested(d):
        cell = d.add_table(rows=1, cols=1).cell(0, 0)
        for _ in range(60):
            cell = cell.add_table(rows=1, cols=1).cell(0, 0)
        cell.text = "深处"

    out["nested.docx"] = (_docx(tmp_path, "nested.docx", nested), "failed", "no statistics table found")

    def many(d):
        for _ in range(2100):
            d.add_table(rows=1, cols=1)

    out["many-tables.docx"] = (_docx(tmp_path, "many-tables.docx", many), "failed", "max_tables")

    def memo(d):
        d.add_paragraph("会议纪要")
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(1, 1).text = "姓名", "123"

    out["not-a-report.docx"] = (_docx(tmp_path, "not-a-report.docx", memo), "failed", "no statistics table found")
    # a report with its requests table cut out: partial, and the missing table said
    src = docx.Document(GOOD)
    t = src.tables[1]._tbl
    t.getparent().remove(t)
    p = tmp_path / "no-requests-table.docx"
    src.save(p)
    out["no-requests-table.docx"] = (p, "partial", "table-missing")
    # an encrypted Office document is an OLE compound file (the package inside is unreadable)
    put(
        "protected.docx",
        bytes.fromhex("d0cf11e0a1b11ae1") + bytes(rnd.getrandbits(8) for _ in range(4088)),
        "failed",
        "",
    )
    # PDFs
    pdf = (CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf").read_bytes()
    put("truncated.pdf", pdf[: len(pdf) // 4], "failed", "PDF")
    put("encrypted.pdf", _encrypted_pdf(b"secret"), "failed", "encrypted PDF (password required)")
    put("header-only.pdf", b"%PDF-1.7\n%%EOF\n", "failed", "cannot read PDF")
    put(
        "error-page.pdf",
        b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>404</h1></body></html>",
        "failed",
        "no statistics table found",
    )
    put("blank-page.pdf", _blank_pdf(), "failed", "")
    big = tmp_path / "600-pages.pdf"
    _repeat_pdf(CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf", 600, big)
    out["600-pages.pdf"] = (big, "failed", "max_pages")
    many = tmp_path / "300-pages.pdf"  # under the limit: read whole; the repeated tables are reported, not merged
    _repeat_pdf(CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf", 300, many)
    out["300-pages.pdf"] = (many, "partial", "extra-table")
    # web pages and text
    put(
        "no-tables.html",
        "<html><head><meta charset='gbk'><title>通知</title></head><body><p>关于开展工作的通知</p>"
        "</body></html>".encode("gbk"),
        "failed",
        "no statistics table found",
    )
    put(
        "deep-tables.html",
        b"<html><body>" + b"<table><tr><td>" * 3000 + "深".encode() + b"</td></tr></table>" * 3000 + b"</body></html>",
        "failed",
        "",
    )
    put(
        "many-tables.html",
        b"<html><body>" + b"<table><tr><td>1</td></tr></table>" * 20000 + b"</body></html>",
        "failed",
        "",
    )
    put("not-a-report.txt", "这是一份会议纪要。\n\t姓名\n\t电话\n\n".encode(), "failed", "no statistics table found")
    put("utf16-notes.txt", "备忘录\r\n今天开会。\r\n".encode("utf-16"), "failed", "no statistics table found")
    return out


def _blank_pdf() -> bytes:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    doc.new_page(595, 842)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _repeat_pdf(src: Path, pages: int, dest: Path) -> None:
    import pypdfium2 as pdfium

    s = pdfium.PdfDocument(str(src))
    doc = pdfium.PdfDocument.new()
    while len(doc) < pages:
        doc.import_pages(s)
    doc.save(str(dest))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return make_hostile(tmp_path_factory.mktemp("hostile"))


def test_at_least_25_kinds(hostile):
    assert len(hostile) >= 25


def test_each_hostile_file_gets_its_status_and_message(hostile):
    for name, (path, status, msg) in hostile.items():
        r = process_file(path)
        assert r.status == status, (name, r.report)
        if status == "failed":
            assert r.report.error and "\n" not in r.report.error, (name, r.report.error)
            assert msg in r.report.error, (name, r.report.error)
            assert "internal error" not in r.report.error, (name, r.report.error)
        elif status == "partial":
            assert msg in {i["code"] for i in r.issues}, name


def test_good_reports_are_unaffected_by_bad_neighbours(hostile, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, (path, _, _) in hostile.items():
        if path.stat().st_size < 50 * 1024 * 1024:
            os.link(path, folder / name)
    (folder / "good.docx").write_bytes(GOOD.read_bytes())
    alone = ingest([folder / "good.docx"])
    mixed = ingest([folder])
    assert len(mixed.reports) == len(list(folder.iterdir()))  # every file has a reports row
    cols = ["report_id", "table", "row", "col", "value", "raw"]
    got = mixed.cells[mixed.cells.source_path == str(folder / "good.docx")][cols].reset_index(drop=True)
    assert got.equals(alone.cells[cols].reset_index(drop=True))


def test_file_size_limit_is_a_setting(tmp_path):
    r = process_file(GOOD, settings={"max_file_mb": 0.001})
    assert r.status == "failed" and "max_file_mb" in r.report.error


def test_csv_neutralises_formulas_but_keeps_negative_numbers(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    d = docx.Document(GOOD)
    t = d.tables[2]  # appeals: its one data row
    t.rows[-1].cells[0].paragraphs[0].text = '=HYPERLINK("http://x")'
    t.rows[-1].cells[1].paragraphs[0].text = "@SUM(A1)"
    src = tmp_path / "formula.docx"
    d.save(src)
    out = tmp_path / "out"
    CliRunner().invoke(main, ["ingest", str(src), "--out", str(out), "--format", "csv"])
    text = (out / "cells.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert "\n=" not in text and ",=" not in text and ",@" not in text
    issues = (out / "issues.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in issues
    CliRunner().invoke(main, ["ingest", str(src), "--out", str(tmp_path / "pq")])
    import pandas as pd

    cells = pd.read_parquet(tmp_path / "pq" / "cells.parquet")
    assert cells.raw.str.startswith("=HYPERLINK").any()  # Parquet keeps the text as printed
    neg = CORPUS / "docx" / "2020-fujian-pingtan-zone__docx_plain.docx"
    CliRunner().invoke(main, ["ingest", str(neg), "--out", str(tmp_path / "neg"), "--format", "csv"])
    c = pd.read_csv(tmp_path / "neg" / "cells.csv", encoding="utf-8-sig", dtype={"raw": str})
    assert c[(c.row == "punishment") & (c.col == "change")].raw.tolist() == ["-18"]


def _mutations(rnd: random.Random, data: bytes, is_zip: bool):
    kind = rnd.choice(["flip", "cut", "zip-member"] if is_zip else ["flip", "cut", "splice"])
    b = bytearray(data)
    if kind == "flip":
        for _ in range(rnd.randint(1, 50)):
            i = rnd.randrange(len(b))
            b[i] ^= 1 << rnd.randrange(8)
        return bytes(b)
    if kind == "cut":
        return bytes(b[: rnd.randrange(1, len(b))])
    if kind == "splice":
        i, j = sorted(rnd.randrange(len(b)) for _ in range(2))
        return bytes(b[:i] + b[j:] + b[i:j])
    src = io.BytesIO(data)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        victim = rnd.choice(zin.namelist())
        for name in zin.namelist():
            body = zin.read(name)
            if name == victim:
                body = body[: rnd.randrange(len(body) + 1)] + bytes(
                    rnd.getrandbits(8) for _ in range(rnd.randint(0, 40))
                )
            zout.writestr(name, body)
    return out.getvalue()


def test_fuzzed_corpus_files_always_end_with_a_status(tmp_path):
    rnd = random.Random(2026)
    sources = [
        CORPUS / "docx" / "syn2021b__docx_plain.docx",
        CORPUS / "html" / "syn2019a__html.html",
        CORPUS / "txt" / "syn2019c__txt_dump.txt",
        CORPUS / "pdf" / "syn2021b__pdf_lattice.pdf",
        CORPUS / "docx" / "2020-fujian-pingtan-zone__docx_messy.docx",
    ]
    statuses = {}
    for n in range(300):
        src = rnd.choice(sources)
        data = _mutations(rnd, src.read_bytes(), src.suffix == ".docx")
        f = tmp_path / f"m{n}{src.suffix}"
        f.write_bytes(data)
        r = process_file(f)  # must not raise
        assert r.status in ("ok", "partial", "failed"), r.report
        if r.status == "failed":
            assert r.report.error and "internal error" not in r.report.error, (
                f.name,
                src.name,
                r.report.error,
            )
        statuses[r.status] = statuses.get(r.status, 0) + 1
        f.unlink()
    assert statuses.get("failed", 0) > 0 and statuses.get("ok", 0) + statuses.get("partial", 0) > 0
