"""Plain-text dumps of Word reports: tables rebuilt from the dump's tab-indented cell lines.

The converters that write these dumps (Apache Tika and the like) put each paragraph on a line,
each table cell on its own line after a tab, and a blank line after each table row; a merged
cell is written once (its continuation cells, if any, as empty tab lines), and a cell of several
paragraphs runs on over untabbed lines. So one dumped row becomes one RawTable row, its cells
left to right with colspan 1, and rows may differ in length. Two or more blank lines before the
next cell line end a table. Text lines outside tables become paragraphs.

Where the layout leaves the rows in doubt (blank-line separators missing) the extractor splits
rows by a stated rule and says so in ``Document.notes``; it never guesses silently.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..errors import DocumentLoadError
from ..model import Cell, Document, Origin, RawTable
from ..settings import Settings
from ..textcodec import decode_bytes, repair_mojibake

_ARTEFACT = re.compile(r"\[bookmark: [^\]]*\]")  # Tika writes Word bookmarks this way; they are not printed text
_VALUE = re.compile(r"^[+\-−－]?\s*[0-9０-９]+(?:[.,，．][0-9０-９]+)*\s*[^\d\s.．、]{0,3}$")  # 12, +4, 2.5, 128668元
_NOTHING = {"", "/", "／", "-", "－", "—", "——", "无", "空"}


def extract(path: Path, origin: Origin, settings: Settings) -> Document:
    """Read a text dump into a Document: tables from tab-indented blocks, other lines as paragraphs."""
    limit = settings.max_text_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentLoadError(f"text file of {size} bytes exceeds the limit of {limit} bytes (max_text_mb)")
        data = path.read_bytes()
    except OSError as e:
        raise DocumentLoadError(f"cannot read text file: {e}") from e
    decoded = decode_bytes(data)
    notes, warnings = list(decoded.notes), list(decoded.warnings)
    text, repaired = repair_mojibake(decoded.text)
    if repaired:
        notes.append(f"repaired {repaired} run(s) of mojibake (UTF-8 text that had been decoded as GBK)")
    if "\x00" in text:
        raise DocumentLoadError("not a text file: it contains NUL characters")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs, blocks, found = dump_to_blocks(lines)
    warnings += found
    max_tables = settings.max_tables
    if len(blocks) > max_tables:
        raise DocumentLoadError(f"more than {max_tables} tables (limit max_tables)")
    tables = []
    for i, rows in enumerate(blocks):
        rows, split = split_run_on_rows(rows)
        if split:
            warnings.append(
                f"table {i}: {split} row(s) had no blank line before them; started a new row at each "
                f"label cell that follows a value cell (row structure guessed)"
            )
        tables.append(rows_to_raw_table(rows, i))
    return Document(
        origin=origin, tables=tuple(tables), paragraphs=tuple(paragraphs), notes=tuple(notes), warnings=tuple(warnings)
    )


def dump_to_blocks(lines: list[str]) -> tuple[list[str], list[list[list[str]]], list[str]]:
    """Split dump lines into paragraphs and tables; a table is rows of cell texts.

    Returns (paragraphs, tables, notes).
    """
    paragraphs: list[str] = []
    tables: list[list[list[str]]] = []
    notes: list[str] = []
    table: list[list[list[str]]] | None = None  # rows of cells of lines
    row: list[list[str]] | None = None
    blanks = 0
    after_cell = False  # the previous line was a cell line or its continuation

    def close_table() -> None:
        nonlocal table, row
        if row:
            table.append(row)
        if table:
            tables.append([[_clean_cell(c) for c in r] for r in table])
        table, row = None, None

    for line in lines:
        if line.startswith("\t"):
            if table is None or blanks >= 2:
                if table is not None:
                    close_table()
                table = []
            if row is None:
                row = []
            row.append([line[1:]])
            blanks, after_cell = 0, True
        elif not line.strip():
            blanks += 1
            if row:
                table.append(row)
            row = None
            after_cell = False
        else:
            if table is not None and after_cell and row:
                prev = row[-1][-1]
                if not (_is_value(prev) and prev.strip() and not _is_value(line)):
                    row[-1].append(line)  # a cell's further paragraph
                    continue
                notes.append(
                    f"table {len(tables)}: no blank line between its last cell and the text "
                    f"{line.strip()[:20]!r}; took the text as a paragraph after the table"
                )
            if table is not None:
                close_table()
            text = _ARTEFACT.sub("", line).strip()
            if text:
                paragraphs.append(text)
            blanks, after_cell = 0, False
    if table is not None:
        close_table()
    return paragraphs, tables, notes


def split_run_on_rows(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    """Split rows that hold a label cell after a value cell (two rows run together).

    The empty cells between the value and the label go to the new row (where the dump puts
    the empty continuation cells of merged group labels), except those a row needs to reach
    the usual number of value cells of the table's other rows. Returns (rows, splits made).
    """
    out: list[list[str]] = []
    splits = 0
    for cells in rows:
        start = 0
        seen_value = False
        for k, c in enumerate(cells):
            if c and not _is_value(c):
                if seen_value:
                    j = k
                    while j > start and cells[j - 1] == "":
                        j -= 1
                    out.append(cells[start:j])
                    out.append(None)  # marker: the next piece was split off the one before
                    start, splits = j, splits + 1
                    seen_value = False
            elif c:
                seen_value = True
        out.append(cells[start:])
    if not splits:
        return rows, 0
    # give back leading empties to the row before where it falls short of the usual value count
    pieces = [p for p in out if p is not None]
    counts = Counter(_n_values(p) for p in pieces if _n_values(p))
    usual = counts.most_common(1)[0][0] if counts else 0
    result: list[list[str]] = []
    split_before = False
    for p in out:
        if p is None:
            split_before = True
            continue
        if split_before and result:
            prev = result[-1]
            while p and p[0] == "" and _n_values(prev) < usual:
                prev.append(p.pop(0))
        result.append(list(p))
        split_before = False
    return [r for r in result if r], splits


def rows_to_raw_table(rows: list[list[str]], index: int) -> RawTable:
    """Dumped rows as a RawTable: cell k of row r at (r, k), spans 1."""
    cells = tuple(Cell(text=t, row=r, col=k) for r, row in enumerate(rows) for k, t in enumerate(row))
    return RawTable(index=index, cells=cells, n_rows=len(rows), n_cols=max((len(r) for r in rows), default=0))


def _clean_cell(lines: list[str]) -> str:
    parts = (_ARTEFACT.sub("", ln).strip() for ln in lines)
    return "\n".join(p for p in parts if p)


def _is_value(text: str) -> bool:
    """A cell that holds a figure (or a mark for none), not a label."""
    t = text.strip()
    return t in _NOTHING or bool(_VALUE.match(t))


def _n_values(cells: list[str]) -> int:
    """Cells from the first value cell to the end: the row's value part."""
    for k, c in enumerate(cells):
        if c and _is_value(c):
            return len(cells) - k
    return 0
