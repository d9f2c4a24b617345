"""Builders of the red-team review's hostile inputs (``../shared/reviews/redteam.md``), each as its recipe says.

Used by ``tests/test_redteam.py`` and ``benchmarks/bench_hostile_batch.py``. Every builder writes into a folder it is
given and returns the path; none needs more memory than a few MB (the bombs are streamed).
"""

from __future__ import annotations

import copy
import io
import os
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = ROOT.parent / "shared" / "corpus"
HUAIAN_2021 = SAMPLES / "huaian-2021.docx"
HUAIAN_2022 = SAMPLES / "huaian-2022.docx"
PINGTAN_HTML = CORPUS / "html" / "2021-fujian-pingtan-zone__html.html"
GBK_NAME = "淮安市2021年报.docx".encode("gbk")  # as unzip leaves a Chinese name from a Windows zip


def gbk_named(folder: Path, src: Path = HUAIAN_2021) -> Path:
    """A copy of ``src`` whose file name is GBK bytes (not valid UTF-8)."""
    target = os.fsencode(folder) + b"/" + GBK_NAME
    with open(target, "wb") as f:
        f.write(src.read_bytes())
    return Path(os.fsdecode(target))


def edited_docx(dest: Path, edits: dict[tuple[int, int, int], str], src: Path = HUAIAN_2021) -> Path:
    """``src`` with the text of cell (table, row, col) replaced; a value ending in "^N" gets N as a superscript run."""
    import docx

    d = docx.Document(str(src))
    for (t, r, c), text in edits.items():
        para = d.tables[t].cell(r, c).paragraphs[0]
        for run in para.runs[1:]:
            run._r.getparent().remove(run._r)
        base, _, sup = text.partition("^")
        if para.runs:
            para.runs[0].text = base
        else:
            para.add_run(base)
        if sup:
            para.add_run(sup).font.superscript = True
    d.save(str(dest))
    return dest


FOOTNOTE_EDITS = {  # the review's n1.docx (finding 10), and a superscript run in Word (sup.docx)
    (0, 6, 1): "18436①",
    (0, 9, 1): "2,3710",
    (0, 10, 1): "5 7",
    (0, 13, 1): "1523.46²",
    (0, 2, 1): "2¹",
    (0, 3, 1): "14^1",  # 行政规范性文件 本年制发 14 with a superscript 1: must not read 141
}


def footnote_docx(folder: Path) -> Path:
    return edited_docx(folder / "n1.docx", FOOTNOTE_EDITS)


def sup_html(folder: Path) -> Path:
    """The corpus's Pingtan page with ``<sup>1</sup>`` after the first 2293."""
    text = PINGTAN_HTML.read_bytes().decode("utf-8")
    i = text.index(">2293<") + len(">2293")
    (folder / "sup.html").write_text(text[:i] + "<sup>1</sup>" + text[i:], encoding="utf-8")
    return folder / "sup.html"


def giant_page_pdf(dest: Path, pages: int = 3, side: float = 14400.0) -> Path:
    """Blank pages of the largest size PDF allows (200 x 200 inches): no text layer, so they go to OCR."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(side, side)
    doc.save(str(dest))
    return dest


def xml_bomb_docx(dest: Path, mb: int = 190, src: Path = HUAIAN_2021) -> Path:
    """A small .docx whose document.xml inflates to ``mb`` MB (under the 200 MB zip limit): millions of paragraphs."""
    para = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename != "word/document.xml":
                zout.writestr(item.filename, data)
                continue
            head, sep, tail = data.rpartition(b"<w:sectPr")
            with zout.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(head)
                block = para * 30_000
                for _ in range(mb * (1 << 20) // len(block)):
                    f.write(block)
                f.write(sep + tail)
    return dest


def occupy_bomb_html(dest: Path, cells: int = 300) -> Path:
    """A 21 KB page whose spans would make a grid of 10^6 positions per cell."""
    body = "".join("<td colspan=1000 rowspan=1000>x</td>" for _ in range(cells))
    dest.write_text(f"<html><body><table><tr>{body}</tr><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    return dest


def long_title_docx(dest: Path, runs: int = 6, run_chars: int = 1_000_000, src: Path = HUAIAN_2021) -> Path:
    """The report with its title paragraph led by ``runs`` runs of a million 的 each (a 37 KB file)."""
    import docx

    d = docx.Document(str(src))
    first = d.paragraphs[0]
    new = copy.deepcopy(first._p)
    first._p.addprevious(new)
    para = docx.text.paragraph.Paragraph(new, first._parent)
    for run in para.runs:
        run._r.getparent().remove(run._r)
    for _ in range(runs):
        para.add_run("的" * run_chars)
    para.add_run("淮安市人民政府2021年政府信息公开工作年度报告")
    d.save(str(dest))
    return dest


def sparse_file(dest: Path, gb: float = 5.0) -> Path:
    """A file of ``gb`` GB that takes no disk (truncate -s)."""
    with open(dest, "wb") as f:
        f.truncate(int(gb * (1 << 30)))
    return dest


def deep_folder(top: Path, levels: int = 25, name_len: int = 200) -> Path:
    """``levels`` nested folders of ``name_len``-character names (a path over PATH_MAX) with a .docx at the bottom,
    made with folder descriptors (the path itself is too long to name)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for i in range(levels):
            name = f"{i:02d}" + "d" * (name_len - 2)
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        out = os.open("deep.docx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, HUAIAN_2022.read_bytes())
        os.close(out)
    finally:
        os.close(fd)
    return top


def cross_year_pair(folder: Path) -> Path:
    """Huaian 2021 edited so that 2022's carry-over rule fails (the review's finding 2), and 2022 as printed."""
    edited_docx(folder / "huaian-2021.docx", {(1, 3, 3): "249", (1, 3, 9): "294", (1, 27, 3): "15", (1, 27, 9): "17"})
    (folder / "huaian-2022.docx").write_bytes(HUAIAN_2022.read_bytes())
    return folder


def pdf_of_pages(dest: Path, n: int) -> Path:
    """The first ``n`` pages of a corpus PDF (to fail ``max_pages`` on purpose)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(CORPUS / "pdf" / "2021-fujian-pingtan-zone__pdf_lattice.pdf"))
    doc = pdfium.PdfDocument.new()
    doc.import_pages(src, list(range(min(n, len(src)))))
    buf = io.BytesIO()
    doc.save(buf)
    dest.write_bytes(buf.getvalue())
    return dest
