"""Word .docx: every table as a grid of cells with gridSpan/vMerge spans kept (the main part, read with lxml)."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import DEFAULTS, MB, Settings
from ..text import as_script
from . import TableTooLarge, too_large

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XML_MEMORY_FACTOR = 25  # memory to parse and read a .docx, per byte of its XML (measured: about 16-20)
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_CT_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a .docx into a Document: tables in body order, paragraphs outside tables."""
    body = _body(path, settings.max_uncompressed_bytes, settings.max_memory_mb)
    tables: list[RawTable] = []
    paragraphs: list[str] = []
    warnings: list[str] = []
    max_tables = settings.max_tables
    # document order; tables nested in a layout table are tables of their own (their text is not the outer cell's)
    for el in body.iter(W + "p", W + "tbl"):
        if el.tag == W + "tbl":
            if len(tables) >= max_tables:
                raise DocumentLoadError(f"more than {max_tables} tables (limit max_tables)")
            tables.append(_table(el, len(tables), settings.max_table_cells, warnings))
        elif next(el.iterancestors(W + "tbl"), None) is None:
            text = _text(el)
            if text.strip():
                paragraphs.append(text)
    return Document(origin=origin, tables=tuple(tables), paragraphs=tuple(paragraphs), warnings=tuple(warnings))


def _table(tbl, index: int, max_cells: int, warnings: list[str]) -> RawTable:
    """The table, or an empty one in its place (with a warning) when its spans reach past ``max_cells``."""
    try:
        return tbl_to_raw_table(tbl, index, max_cells)
    except TableTooLarge as e:
        warnings.append(too_large(index, e.what, max_cells))
        return RawTable(index=index, cells=(), n_rows=0, n_cols=0)


def _check_size(members: list[zipfile.ZipInfo], limit: int, memory_mb: float | None) -> None:
    """Refuse, before inflating anything, a package over the size limit, or whose XML would need more memory to
    parse than a worker has (about ``XML_MEMORY_FACTOR`` times its size: a small file can hold 190 MB of XML)."""
    total = sum(i.file_size for i in members)
    if total > limit:
        raise DocumentLoadError(
            f"uncompressed size {total} bytes exceeds the limit of {limit} bytes (max_uncompressed_mb)"
        )
    xml = sum(i.file_size for i in members if i.filename.endswith((".xml", ".rels")))
    if memory_mb and xml * XML_MEMORY_FACTOR > memory_mb * MB:
        raise DocumentLoadError(
            f"its XML inflates to {xml / MB:.0f} MB, which would need about {xml * XML_MEMORY_FACTOR / MB:.0f} MB "
            f"to read, over the memory limit of {memory_mb:g} MB (max_memory_mb)"
        )


def _body(path: Path, limit: int, memory_mb: float | None):
    """The w:body of the package's main document part, parsed as python-docx parses it (its parser settings: no
    entities resolved, blank text dropped) but without loading the package's other parts (styles, numbering, theme,
    fonts …), which python-docx parses on opening and xxgk never reads."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as z:
            _check_size(z.infolist(), limit, memory_mb)
            parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
            name = _main_part(z, parser)
            root = etree.fromstring(z.read(name), parser)
    except zipfile.BadZipFile as e:
        raise DocumentLoadError(f"cannot read .docx: not a valid zip archive ({e})") from e
    except DocumentLoadError:
        raise
    except Exception as e:  # a broken part: KeyError (missing), XMLSyntaxError, zlib errors …
        raise DocumentLoadError(f"cannot read .docx: {type(e).__name__}: {e}") from e
    body = root.find(W + "body")
    if body is None:
        raise DocumentLoadError("cannot read .docx: the main document part has no w:body")
    return body


def _main_part(z: zipfile.ZipFile, parser) -> str:
    """The zip member holding the main document (``word/document.xml`` as Word writes it), found as python-docx finds
    it: the package's officeDocument relationship; refused unless its content type is a Word document's."""
    from lxml import etree

    rels = etree.fromstring(z.read("_rels/.rels"), parser)
    main = (r.get("Target") for r in rels.iter(_REL + "Relationship") if r.get("Type") == _OFFICE_DOCUMENT)
    target = next(main, None)
    if not target:
        raise DocumentLoadError("cannot read .docx: the package names no main document (_rels/.rels)")
    name = posixpath.normpath(target.lstrip("/"))
    types = etree.fromstring(z.read("[Content_Types].xml"), parser)
    ctype = next((o.get("ContentType") for o in types.iter(_CT + "Override") if o.get("PartName") == "/" + name), None)
    if ctype is None:
        ext = name.rsplit(".", 1)[-1].lower()
        ctype = next((d.get("ContentType") for d in types.iter(_CT + "Default") if d.get("Extension") == ext), None)
    if ctype != _CT_DOCUMENT:
        raise DocumentLoadError(f"cannot read .docx: not a Word document (main part content type {ctype!r})")
    return name


def _text(el) -> str:
    """Text of a paragraph-like element: w:t runs, tabs as spaces, breaks as newlines; a raised or lowered run
    (footnote numbers) as superscript or subscript characters, never as plain digits."""
    out = []
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr"):
        if node.tag == W + "t":
            text = node.text or ""
            align = _vert_align(node) if text else None
            out.append(as_script(text, raised=align == "superscript") if align else text)
        elif node.tag == W + "tab":
            out.append(" ")
        else:
            out.append("\n")
    return "".join(out)


def _vert_align(t) -> str | None:
    """ "superscript" or "subscript" when the run holding ``t`` is printed so (w:vertAlign), else None."""
    run = t.getparent()
    rpr = run.find(W + "rPr") if run is not None else None
    va = rpr.find(W + "vertAlign") if rpr is not None else None
    val = va.get(W + "val") if va is not None else None
    return val if val in ("superscript", "subscript") else None


def _cell_text(tc) -> str:
    """A cell's own paragraphs joined by newlines; a table nested in the cell is read as a table of its own."""
    paras = [_text(p) for p in tc.iter(W + "p") if next(p.iterancestors(W + "tc"), None) is tc]
    return "\n".join(paras).strip("\n")


def tbl_to_raw_table(tbl, index: int, max_cells: int = DEFAULTS.max_table_cells) -> RawTable:
    """A w:tbl element as a RawTable: merged cells stored once with their spans.

    Raises ``TableTooLarge`` when its rows x columns pass ``max_cells``, before a huge span is walked.
    """
    rows = list(tbl.iterchildren(W + "tr"))
    cells: list[_Placed] = []
    open_vmerge: dict[int, _Placed] = {}  # grid column -> the cell a vMerge continues
    n_cols = 0
    for r, tr in enumerate(rows):
        n_cols = max(n_cols, _place_row(tr, r, cells, open_vmerge, max_cells // max(1, len(rows))))
    raw_cells = tuple(Cell(text=c.text, row=c.row, col=c.col, rowspan=c.rowspan, colspan=c.colspan) for c in cells)
    return RawTable(index=index, cells=raw_cells, n_rows=len(rows), n_cols=n_cols)


def _place_row(tr, r: int, cells: list[_Placed], open_vmerge: dict[int, _Placed], max_cols: int) -> int:
    """Place row ``r``'s cells (a vMerge continuation grows the cell above instead); returns the row's width."""
    col = _grid_before(tr)
    for tc in tr.iterchildren(W + "tc"):
        span, vmerge = _cell_props(tc)
        if col + span > max_cols:
            n_rows = len(tr.getparent().findall(W + "tr"))
            raise TableTooLarge(f"{n_rows} rows x at least {col + span} columns")
        if vmerge == "continue" and col in open_vmerge:
            above = open_vmerge[col]
            above.rowspan = r - above.row + 1
        else:
            cell = _Placed(_cell_text(tc), r, col, 1, span)
            cells.append(cell)
            for k in range(col, col + span):
                open_vmerge.pop(k, None)
            if vmerge == "restart":
                open_vmerge[col] = cell
        col += span
    # a column not continued in this row closes its vertical merge
    for k in [k for k, c in open_vmerge.items() if c.row + c.rowspan - 1 < r]:
        del open_vmerge[k]
    return col


@dataclass
class _Placed:
    """A cell as it is placed: its rowspan grows while the rows below continue its vertical merge."""

    text: str
    row: int
    col: int
    rowspan: int
    colspan: int


def _grid_before(tr) -> int:
    """Grid columns left empty before the row's first cell (w:gridBefore)."""
    trpr = tr.find(W + "trPr")
    gb = trpr.find(W + "gridBefore") if trpr is not None else None
    return _count(gb.get(W + "val"), 0) if gb is not None else 0


def _count(value: str | None, default: int) -> int:
    """A whole number attribute as written (a hand-made file may write anything there)."""
    return int(value) if value is not None and value.isdigit() else default


def _cell_props(tc) -> tuple[int, str | None]:
    """The cell's column span (w:gridSpan) and vertical merge (w:vMerge: "restart", "continue" or None)."""
    tcpr = tc.find(W + "tcPr")
    if tcpr is None:
        return 1, None
    gs = tcpr.find(W + "gridSpan")
    span = max(1, _count(gs.get(W + "val"), 1)) if gs is not None else 1
    vm = tcpr.find(W + "vMerge")
    return span, (vm.get(W + "val", "continue") if vm is not None else None)
