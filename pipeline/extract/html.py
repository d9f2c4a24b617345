"""HTML pages: every data ``<table>`` as a grid with rowspan/colspan kept, body text as paragraphs (lxml).

Nested tables: a table that holds other tables and is at most ``LAYOUT_MAX_COLS`` columns wide is
taken as page layout; it yields no RawTable and its content is read like the page body (its
paragraphs and inner tables in order). A wider table holding a table is data: it is emitted with
the inner table's text left out of the holding cell, and each inner table follows as its own
RawTable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import Settings
from ..textcodec import decode_bytes, repair_mojibake

LAYOUT_MAX_COLS = 3
MAX_COLSPAN, MAX_ROWSPAN = 1000, 65534  # the HTML standard's limits
OCCUPY_MAX_ROWS = 1000  # a rowspan blocks positions in at most this many rows below (a huge span costs no memory)
CHARSET_SNIFF = 8192  # bytes searched for a <meta charset> before decoding
JS_SNIFF = 200_000  # chars searched for JavaScript-escaped markup
JS_ESCAPED_MIN = 3  # escaped attributes (``=\\"``) that mark a page as a JS string, not one stray quote
SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "select", "button"}
BLOCK_TAGS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "blockquote",
    "pre",
    "address",
    "center",
    "form",
    "fieldset",
    "figure",
    "figcaption",
    "hr",
    "caption",
    "body",
    "html",
    "tr",
    "td",
    "th",
    "table",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_JS_ESCAPED_ATTR = re.compile(r'<[a-zA-Z][\w:-]*\s[^<>]*=\\"')
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_JS_SIMPLE = {"n": "\n", "t": "\t", "r": "", "b": "", "f": "", "v": "", "0": ""}
_JS_WRAPPER = re.compile(r"""^\s*(?:(?:var|let|const)\s+)?[\w.$\[\]'"]+\s*=\s*(["'`])(.*)\1\s*;?\s*$""", re.S)
_WS = re.compile(r"[ \t\r\n\f]+")
BREAK = "\x00"  # a printed line break (<br>, block edge); source newlines are only white space


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read an HTML page into a Document: tables in page order, text outside tables as paragraphs."""
    import lxml.html

    data = _read(path, settings.max_text_bytes)
    m = _META_CHARSET.search(data[:CHARSET_SNIFF])
    decoded = decode_bytes(data, m.group(1).decode("ascii", "replace") if m else None)
    notes = list(decoded.notes)
    warnings = list(decoded.warnings)
    text, repaired = repair_mojibake(decoded.text)
    if repaired:
        notes.append(f"repaired {repaired} run(s) of mojibake (UTF-8 text that had been decoded as GBK)")
    text = _XML_DECL.sub("", text).replace("\x00", "")
    if _looks_js_escaped(text):
        text = _js_unescape(text)
        notes.append("page was a JavaScript-escaped string: unescaped before parsing")
    if not text.strip():
        raise DocumentLoadError("empty HTML page")
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as e:  # lxml raises ParserError / XMLSyntaxError / ValueError on hopeless input
        raise DocumentLoadError(f"cannot parse HTML: {type(e).__name__}: {e}") from e
    reader = _PageReader(settings.max_tables)
    body = root.find("body")
    reader.walk(body if body is not None else root)
    reader.flush()
    return Document(
        origin=origin,
        tables=tuple(reader.tables),
        paragraphs=tuple(reader.paragraphs),
        title=_title(root),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def fragment_to_tables(markup: str, max_tables: int) -> tuple[list[RawTable], list[str]]:
    """The tables and paragraphs of a piece of HTML (a ``<table>`` block inside Markdown), read as a page is."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except Exception as e:  # lxml raises ParserError / XMLSyntaxError / ValueError on hopeless input
        raise DocumentLoadError(f"cannot parse an HTML table block: {type(e).__name__}: {e}") from e
    reader = _PageReader(max_tables)
    reader.walk(root)
    reader.flush()
    return reader.tables, reader.paragraphs


def _read(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentLoadError(f"HTML file of {size} bytes exceeds the limit of {limit} bytes (max_text_mb)")
        return path.read_bytes()
    except OSError as e:
        raise DocumentLoadError(f"cannot read HTML file: {e}") from e


def _looks_js_escaped(text: str) -> bool:
    """Markup stored as a JS string literal (``<td colspan=\\"5\\">``), as some sites embed report bodies."""
    return len(_JS_ESCAPED_ATTR.findall(text[:JS_SNIFF])) >= JS_ESCAPED_MIN


def _js_unescape(text: str) -> str:
    m = _JS_WRAPPER.match(text)
    if m:
        text = m.group(2)

    def rep(mm: re.Match) -> str:
        s = mm.group(1)
        if s[0] == "u" and len(s) == 5:
            return chr(int(s[1:], 16))
        return _JS_SIMPLE.get(s, s)

    return _JS_ESCAPE.sub(rep, text)


def _title(root) -> str | None:
    for xpath in ("//title", "//h1"):
        for el in root.xpath(xpath):
            t = _WS.sub(" ", el.text_content()).strip()
            if t:
                return t
    return None


@dataclass
class _PageReader:
    """Walks the page in reading order, collecting paragraphs and tables."""

    max_tables: int
    tables: list[RawTable] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    line: list[str] = field(default_factory=list)

    def flush(self) -> None:
        text = _WS.sub(" ", "".join(self.line))
        for part in text.split(BREAK):
            part = part.strip()
            if part:
                self.paragraphs.append(part)
        self.line = []

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment or processing instruction
            self._tail(el)
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            self._tail(el)
            return
        if tag == "table":
            self.flush()
            self._table(el)
            self._tail(el)
            return
        if tag == "br":
            self.line.append(BREAK)
            self._tail(el)
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
        if el.text:
            self.line.append(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        self._tail(el)

    def _tail(self, el) -> None:
        if el.tail:
            self.line.append(el.tail)

    def _table(self, table) -> None:
        for cap in table.findall("caption"):  # a table's own caption is running text before it
            self.walk_children(cap)
        rows = _rows(table)
        inner = [t for t in table.iter("table") if t is not table]
        if inner and _width(rows) <= LAYOUT_MAX_COLS:
            self._layout_table(rows)
        else:
            self._data_table(table, rows, inner)

    def _layout_table(self, rows: list) -> None:
        """A table used for page layout: its cells are read like the page body."""
        for tr in rows:
            for td in _cells(tr):
                self.walk_children(td)

    def _data_table(self, table, rows: list, inner: list) -> None:
        """A data table: one RawTable, then each table nested in it as its own."""
        if len(self.tables) >= self.max_tables:
            raise DocumentLoadError(f"more than {self.max_tables} tables (limit max_tables)")
        self.tables.append(table_to_raw_table(rows, len(self.tables)))
        for t in inner:
            if _enclosing_table(t) is table:  # deeper ones are handled by their own parent
                self._table(t)

    def walk_children(self, el) -> None:
        self.flush()
        if el.text:
            self.line.append(el.text)
        for child in el:
            self.walk(child)
        self.flush()


def _enclosing_table(el):
    p = el.getparent()
    while p is not None and not (isinstance(p.tag, str) and p.tag.lower() == "table"):
        p = p.getparent()
    return p


def _rows(table) -> list:
    """The table's own rows (not those of nested tables), in order."""
    return [tr for tr in table.iter("tr") if _enclosing_table(tr) is table]


def _width(rows) -> int:
    return max((sum(_span(td, "colspan", MAX_COLSPAN) for td in _cells(tr)) for tr in rows), default=0)


def _cells(tr) -> list:
    return [td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]


def _span(td, name: str, limit: int) -> int:
    m = re.search(r"\d+", td.get(name) or "")
    if not m:
        return 1
    return min(max(int(m.group(0)), 1), limit)


def table_to_raw_table(rows: list, index: int) -> RawTable:
    """``<tr>`` elements as a RawTable: each td/th stored once at its grid position with its spans."""
    occupied: set[tuple[int, int]] = set()
    placed: list[dict] = []
    r = 0
    for tr in rows:
        tds = _cells(tr)
        if not tds:
            continue
        c = 0
        for td in tds:
            while (r, c) in occupied:
                c += 1
            colspan = _span(td, "colspan", MAX_COLSPAN)
            rowspan = _span(td, "rowspan", MAX_ROWSPAN)
            placed.append({"text": cell_text(td), "row": r, "col": c, "rowspan": rowspan, "colspan": colspan})
            for rr in range(r, r + min(rowspan, OCCUPY_MAX_ROWS)):
                for cc in range(c, c + colspan):
                    occupied.add((rr, cc))
            c += colspan
        r += 1
    n_rows = r
    n_cols = max((p["col"] + p["colspan"] for p in placed), default=0)
    cells = []
    for p in placed:
        p["rowspan"] = min(p["rowspan"], n_rows - p["row"])  # a rowspan past the last row is clipped
        cells.append(Cell(**p))
    return RawTable(index=index, cells=tuple(cells), n_rows=n_rows, n_cols=n_cols)


def cell_text(td) -> str:
    """A cell's printed text: ``<br>`` and block elements (``<p>``, ``<div>``) become line breaks.

    Text of nested tables is left out (they become RawTables of their own); ``&nbsp;`` and
    other blank-only content gives "".
    """
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if tag in SKIP_TAGS or tag == "table":
            return
        if tag == "br":
            parts.append(BREAK)
        else:
            block = tag in BLOCK_TAGS
            if block:
                parts.append(BREAK)
            if tag is not None and el.text:
                parts.append(el.text)
            for child in el:
                walk(child)
                if child.tail:
                    parts.append(child.tail)
            if block:
                parts.append(BREAK)

    if td.text:
        parts.append(td.text)
    for child in td:
        walk(child)
        if child.tail:
            parts.append(child.tail)
    lines = (_WS.sub(" ", ln).strip() for ln in "".join(parts).split(BREAK))
    return "\n".join(ln for ln in lines if ln)
