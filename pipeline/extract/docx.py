"""Word .docx: every table as a grid of cells with gridSpan/vMerge spans kept (python-docx)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import Settings

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a .docx into a Document: tables in body order, paragraphs outside tables."""
    import docx  # python-docx

    _check_zip(path, settings.max_uncompressed_bytes)
    try:
        d = docx.Document(str(path))
    except Exception as e:  # python-docx raises many types (KeyError, XMLSyntaxError, BadZipFile...)
        raise DocumentLoadError(f"cannot read .docx: {type(e).__name__}: {e}") from e
    body = d.element.body
    tables, paragraphs = [], []
    max_tables = settings.max_tables
    # document order; tables nested in a layout table are tables of their own (their text is not the outer cell's)
    for el in body.iter(W + "p", W + "tbl"):
        if el.tag == W + "tbl":
            if len(tables) >= max_tables:
                raise DocumentLoadError(f"more than {max_tables} tables (limit max_tables)")
            tables.append(tbl_to_raw_table(el, len(tables)))
        elif next(el.iterancestors(W + "tbl"), None) is None:
            text = _text(el)
            if text.strip():
                paragraphs.append(text)
    return Document(origin=origin, tables=tuple(tables), paragraphs=tuple(paragraphs))


def _check_zip(path: Path, limit: int) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as e:
        raise DocumentLoadError(f"cannot read .docx: not a valid zip archive ({e})") from e
    if total > limit:
        raise DocumentLoadError(
            f"uncompressed size {total} bytes exceeds the limit of {limit} bytes (max_uncompressed_mb)"
        )


def _text(el) -> str:
    """Text of a paragraph-like element: w:t runs, tabs as spaces, breaks as newlines."""
    out = []
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr"):
        if node.tag == W + "t":
            out.append(node.text or "")
        elif node.tag == W + "tab":
            out.append(" ")
        else:
            out.append("\n")
    return "".join(out)


def _cell_text(tc) -> str:
    """A cell's own paragraphs joined by newlines; a table nested in the cell is read as a table of its own."""
    paras = [_text(p) for p in tc.iter(W + "p") if next(p.iterancestors(W + "tc"), None) is tc]
    return "\n".join(paras).strip("\n")


def tbl_to_raw_table(tbl, index: int) -> RawTable:
    """A w:tbl element as a RawTable: merged cells stored once with their spans."""
    rows = [tr for tr in tbl.iterchildren(W + "tr")]
    cells: list[dict] = []
    open_vmerge: dict[int, dict] = {}  # grid column -> the cell a vMerge continues
    n_cols = 0
    for r, tr in enumerate(rows):
        col = 0
        trpr = tr.find(W + "trPr")
        if trpr is not None:
            gb = trpr.find(W + "gridBefore")
            if gb is not None:
                col += int(gb.get(W + "val", "0"))
        for tc in tr.iterchildren(W + "tc"):
            tcpr = tc.find(W + "tcPr")
            span, vmerge = 1, None
            if tcpr is not None:
                gs = tcpr.find(W + "gridSpan")
                if gs is not None:
                    span = max(1, int(gs.get(W + "val", "1")))
                vm = tcpr.find(W + "vMerge")
                if vm is not None:
                    vmerge = vm.get(W + "val", "continue")
            if vmerge == "continue" and col in open_vmerge:
                above = open_vmerge[col]
                above["rowspan"] = r - above["row"] + 1
            else:
                cell = {"text": _cell_text(tc), "row": r, "col": col, "rowspan": 1, "colspan": span}
                cells.append(cell)
                for k in range(col, col + span):
                    open_vmerge.pop(k, None)
                if vmerge == "restart":
                    open_vmerge[col] = cell
            col += span
        # a column not continued in this row closes its vertical merge
        for k in [k for k, c in open_vmerge.items() if c["row"] + c["rowspan"] - 1 < r]:
            del open_vmerge[k]
        n_cols = max(n_cols, col)
    return RawTable(index=index, cells=tuple(Cell(**c) for c in cells), n_rows=len(rows), n_cols=n_cols)
