"""Hostile and broken input: every file ends with a status and a clear message; nothing crashes, hangs or is lost."""
import io
import os
import random
import zipfile
from pathlib import Path

import docx
import pytest

from pipeline.run import ingest, process_file
from conftest import CORPUS

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
    put("random.bin.txt", bytes(rnd.getrandbits(8) for _ in range(5000)) + b"\x00", "failed",
        "not a supported report format")
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
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10))
              + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
    out["laughs.docx"] = (_zip_with(tmp_path / "laughs.docx", GOOD, {"word/document.xml": laughs}), "failed", "")
    out["no-document-xml.docx"] = (_zip_with(tmp_path / "no-document-xml.docx", GOOD, drop=("word/document.xml",)),
                                   "failed", "")

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
    put("protected.docx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(rnd.getrandbits(8) for _ in range(4088)),
        "failed", "")
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return make_hostile(tmp_path_factory.mktemp("hostile"))


def test_each_hostile_file_gets_its_status_and_message(hostile):
    for name, (path, status, msg) in hostile.items():
        r = process_file(path)
        assert r.status == status, (name, r.report)
        if status == "failed":
            assert r.report["error"] and "\n" not in r.report["error"], (name, r.report["error"])
            assert msg in r.report["error"], (name, r.report["error"])
            assert "internal error" not in r.report["error"], (name, r.report["error"])
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
    r = process_file(GOOD, settings={"max_file_bytes": 1000})
    assert r.status == "failed" and "max_file_bytes" in r.report["error"]
